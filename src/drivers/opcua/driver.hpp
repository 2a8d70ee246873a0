// The `opcua` driver: the Driver seam over the OPC UA client. Point address = NodeId string
// ("ns=2;s=Speed", "ns=2;i=1001", "i=2258"); a group of points is one Read request; subscribe()
// creates one subscription with a monitored item per point and runs a Publish loop that pushes
// readings to the sink and survives reconnects.
#pragma once

#include <memory>

#include "drivers/driver.hpp"
#include "drivers/opcua/types.hpp"

namespace kaiwu::drivers::opcua {

const DriverInfo& driver_info();
std::unique_ptr<Driver> make_driver(asio::any_io_executor executor);

// Variant → telemetry value: Boolean → bool, integers → int64 (UInt64 above 2^63 → double),
// Float/Double → double, String/LocalizedText/QualifiedName/XmlElement/NodeId/Guid → string,
// DateTime → ms since the epoch, StatusCode → int64, arrays of those → JSON text.
Result<tsdb::Value> variant_to_value(const Variant& v);
// Raw point value → Variant of the point's data type (Boolean, Int16 … Double, String).
Result<Variant> value_to_variant(DataType type, const tsdb::Value& raw);

}  // namespace kaiwu::drivers::opcua

// The virtual factory over real protocols: CNC machines and compressors as Modbus TCP units
// (one server, unit id = SimDevice::unit), the meters as one DL/T 645-2007 bus over TCP
// (meter address = meter_address(i)), each stack monitor as an HJ 212-2017 station that
// connects to a configured listener. The register/identifier/pollutant maps are the tables
// below, shared with the demo's edge configuration (src/sim/README.md lists them).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "drivers/point.hpp"
#include "sim/factory.hpp"

namespace kaiwu::sim {

// Points of a device as the edge reads them: key = factory signal, address per protocol.
std::vector<drivers::PointConfig> modbus_points(DeviceKind kind);  // CNC, compressor, boiler; else empty
std::vector<drivers::PointConfig> dlt645_points();                 // meters
std::vector<drivers::PointConfig> hj212_points();                  // stations
// The protocol a device kind is served with ("modbus-tcp", "dlt645", "hj212", "mqtt").
std::string_view protocol_of(DeviceKind kind);
// 12-digit DL/T 645 address of the meter `meter-NN` (index 0 → "000000000001").
std::string meter_address(int index);
// HJ 212 MN of the station `stack-NN` (24 characters).
std::string station_mn(int index);
inline constexpr const char* kStationPw = "123456";
// The meters sit behind 100 A / 5 A current transformers: they show secondary current, power
// and energy (DL/T 645 total active power is XX.XXXX kW, too small for a workshop), and the
// edge multiplies by this ratio (point scale), as a real meter's 倍率.
inline constexpr double kMeterCtRatio = 20;

class ProtocolServers {
 public:
  // Binds the Modbus and DL/T 645 listeners (port 0: a free one) and starts the HJ 212
  // stations (they retry until the listener is there). Empty addresses leave that protocol off.
  static Result<std::unique_ptr<ProtocolServers>> start(boost::asio::any_io_executor executor,
                                                        std::shared_ptr<Factory> factory, const SimConfig& config);
  ~ProtocolServers();
  void update();  // copies the factory's current values into the servers (after each step)
  void stop();    // idempotent
  std::uint16_t modbus_port() const;  // the first listener's
  const std::vector<std::uint16_t>& modbus_ports() const;  // by SimDevice::modbus_server
  std::uint16_t dlt645_port() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace kaiwu::sim

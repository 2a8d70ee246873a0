#include "drivers/registry.hpp"

#include "drivers/modbus/client.hpp"

#include <fmt/format.h>

#include <vector>

#include "drivers/dlt645/driver.hpp"
#include "drivers/hj212/driver.hpp"
#include "drivers/mqttc/driver.hpp"
#include "drivers/opcua/driver.hpp"

namespace kaiwu::drivers {

std::span<const DriverEntry> registered_drivers() {
  // One line per driver; protocol folders add theirs here.
  static const std::vector<DriverEntry> entries{
      {"modbus-tcp", modbus::make_modbus_tcp},
      {"modbus-rtu", modbus::make_modbus_rtu},
      {"dlt645", dlt645::make_dlt645_driver},
      {"hj212", hj212::make_hj212_driver},
      {"opcua", opcua::make_driver},
      {"mqtt", mqttc::make_mqtt_driver},
  };
  return entries;
}

Result<std::unique_ptr<Driver>> make_driver(std::string_view name, asio::any_io_executor executor) {
  std::string known;
  for (const auto& e : registered_drivers()) {
    if (e.name == name) return e.make(executor);
    known += known.empty() ? std::string(e.name) : ", " + std::string(e.name);
  }
  return fail(Errc::kNotFound, fmt::format("unknown driver '{}' (known: {})", name, known));
}

}  // namespace kaiwu::drivers

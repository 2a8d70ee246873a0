// The table of drivers by name (Neuron's plugin table): the edge configuration's
// `driver = "modbus-tcp"` is looked up here. Each protocol folder adds its entries in
// registry.cpp.
#pragma once

#include <span>
#include <string_view>

#include "drivers/driver.hpp"

namespace kaiwu::drivers {

struct DriverEntry {
  std::string_view name;
  DriverFactory make;
};

std::span<const DriverEntry> registered_drivers();

// kNotFound lists the known names.
Result<std::unique_ptr<Driver>> make_driver(std::string_view name, asio::any_io_executor executor);

}  // namespace kaiwu::drivers

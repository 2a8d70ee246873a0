// An in-process driver over the virtual factory ("sim"): endpoint = simulated device name,
// address = signal name. Used by `kaiwu demo` to feed its embedded edge without a network hop;
// not in the production driver table (drivers/registry.cpp).
#pragma once

#include <memory>

#include "drivers/driver.hpp"
#include "sim/factory.hpp"

namespace kaiwu::sim {

std::unique_ptr<drivers::Driver> make_sim_driver(drivers::asio::any_io_executor executor,
                                                 std::shared_ptr<Factory> factory);

}  // namespace kaiwu::sim

#include "drivers/registry.hpp"

#include <fmt/format.h>

#include <vector>

namespace kaiwu::drivers {

std::span<const DriverEntry> registered_drivers() {
  // One line per driver; protocol folders add theirs here.
  static const std::vector<DriverEntry> entries{};
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

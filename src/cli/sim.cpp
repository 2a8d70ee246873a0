// `kaiwu sim --config sim.toml [--data DIR]`: the virtual factory on its own.
#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "sim/protocols.hpp"
#include "sim/simulator.hpp"

namespace kaiwu::cli {

int run_sim(const SimOptions& options) {
  auto config = options.config_file.empty() ? Result<sim::SimConfig>(sim::SimConfig{})
                                            : sim::load_sim_config(options.config_file);
  if (!config) {
    std::cerr << "kaiwu sim: " << config.error().message << "\n";
    return 2;
  }
  if (!options.data_dir.empty()) config->data_dir = (std::filesystem::path(options.data_dir) / "sim").string();
  (void)log::setup(LogConfig{});
  boost::asio::io_context io(1);
  auto s = sim::Simulator::create(io.get_executor(), std::move(*config));
  if (!s) {
    std::cerr << "kaiwu sim: " << s.error().message << "\n";
    return 2;
  }
  auto servers = sim::ProtocolServers::start(io.get_executor(), (*s)->factory(), (*s)->config());
  if (!servers) {
    std::cerr << "kaiwu sim: " << servers.error().message << "\n";
    return 2;
  }
  (*s)->set_on_tick([p = servers->get()] { p->update(); });
  for (const auto& d : (*s)->factory()->devices())
    if (sim::protocol_of(d.kind) == "modbus-tcp")
      spdlog::info("sim device {} ({}, modbus-tcp unit {})", d.name, d.category, d.unit);
    else
      spdlog::info("sim device {} ({}, {})", d.name, d.category, sim::protocol_of(d.kind));
  (*s)->start();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    (*s)->stop();
    (*servers)->stop();
    auto t = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(300));
    t->async_wait([&io, t](boost::system::error_code) { io.stop(); });
  });
  io.run();
  return 0;
}

}  // namespace kaiwu::cli

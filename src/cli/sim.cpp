// `kaiwu sim --config sim.toml [--data DIR]`: the virtual factory on its own.
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "edge/payload.hpp"
#include "sim/protocols.hpp"
#include "sim/simulator.hpp"

namespace kaiwu::cli {
namespace {

// --replay-from: the factory stepped at its tick over simulated time, one JSON line a minute
// ({"ts":ms,"devices":{"cnc-01":{…},…}}): deterministic for a seed, for tests and for looking
// at a day of signals in seconds.
int replay(const sim::SimConfig& config, std::int64_t from_ms, int minutes) {
  sim::Factory factory(config);
  const std::int64_t end = from_ms + static_cast<std::int64_t>(minutes) * 60'000;
  std::int64_t next_print = from_ms + 60'000;
  for (std::int64_t t = from_ms; t <= end; t += config.tick_ms) {
    factory.step(t);
    if (t < next_print) continue;
    next_print += 60'000;
    boost::json::object devices;
    for (const auto& d : factory.devices()) {
      boost::json::object values;
      auto all = factory.values(d.name);  // a named Result: the loop must not outlive it
      if (all)
        for (const auto& [k, v] : *all) values[k] = edge::value_to_json(v);
      devices[d.name] = std::move(values);
    }
    boost::json::object line;
    line["ts"] = t;
    line["devices"] = std::move(devices);
    std::cout << boost::json::serialize(line) << "\n";
  }
  std::cout << std::flush;
  return 0;
}

}  // namespace

int run_sim(const SimOptions& options) {
  auto config = options.config_file.empty() ? Result<sim::SimConfig>(sim::SimConfig{})
                                            : sim::load_sim_config(options.config_file);
  if (!config) {
    std::cerr << "kaiwu sim: " << config.error().message << "\n";
    return 2;
  }
  if (options.replay_from_ms >= 0) return replay(*config, options.replay_from_ms, options.replay_minutes);
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
  const auto& ports = (*servers)->modbus_ports();
  for (const auto& d : (*s)->factory()->devices())
    if (sim::protocol_of(d.kind) == "modbus-tcp" && d.modbus_server < ports.size())
      spdlog::info("sim device {} ({}, modbus-tcp port {} unit {})", d.name, d.category, ports[d.modbus_server], d.unit);
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

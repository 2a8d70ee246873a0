// `kaiwu edge --config edge.toml [--data DIR] [--set uplink.token=…]`: the edge gateway.
#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "drivers/registry.hpp"
#include "edge/edge.hpp"

namespace kaiwu::cli {
namespace {

namespace asio = boost::asio;

void log_summary(std::shared_ptr<asio::steady_timer> timer, const edge::Edge* e) {
  timer->expires_after(std::chrono::seconds(30));
  timer->async_wait([timer, e](boost::system::error_code ec) {
    if (ec) return;
    spdlog::info("edge: {}", e->summary());
    log_summary(timer, e);
  });
}

}  // namespace

static Result<edge::EdgeConfig> load_edge_options(const EdgeOptions& options) {
  auto config = KAIWU_TRY(edge::load_edge_config(options.config_file, options.sets));
  if (!options.data_dir.empty()) config.uplink.buffer_dir = (std::filesystem::path(options.data_dir) / "edge-buffer").string();
  return config;
}

int run_edge(const EdgeOptions& options) {
  auto config = load_edge_options(options);
  if (!config) {
    std::cerr << "kaiwu edge: " << config.error().message << "\n";
    return 2;
  }
  if (auto st = log::setup(LogConfig{config->log_level, "text"}); !st) {
    std::cerr << "kaiwu edge: log.level: " << st.error().message << "\n";
    return 2;
  }
  asio::io_context io(1);
  auto e = edge::Edge::create(io.get_executor(), std::move(*config), drivers::make_driver);
  if (!e) {
    std::cerr << "kaiwu edge: " << e.error().message << "\n";
    return 2;
  }
  (*e)->start();
  auto timer = std::make_shared<asio::steady_timer>(io);
  log_summary(timer, e->get());
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: stopping the edge ({})", signo, (*e)->summary());
    (*e)->stop();
    timer->cancel();
    // Let the drivers drain and the uplink say DISCONNECT.
    auto grace = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(300));
    grace->async_wait([&io, grace](boost::system::error_code) { io.stop(); });
  });
  io.run();
  return 0;
}

}  // namespace kaiwu::cli

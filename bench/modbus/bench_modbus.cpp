// bench_modbus: N simulated Modbus TCP devices (our ModbusServer, one listener and register map
// each, on one thread) polled by N modbus-tcp drivers (one connection each, on another thread)
// over loopback. Phase 1 polls every device once per second (DESIGN.md's bar: 1,000 devices ×
// 100 registers each second on one core) and reports the achieved rate, the poll latency and
// the CPU used by each thread; phase 2 polls back-to-back to find the ceiling of one client core.
//
//   build/bench/bench_modbus [--devices 1000] [--registers 100] [--seconds 10] [--out FILE]
// bench/run.sh passes --benchmark_out=FILE (Google Benchmark's flag), accepted as --out.
#include <boost/asio.hpp>
#include <fmt/format.h>

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "drivers/modbus/client.hpp"
#include "drivers/modbus/server.hpp"

namespace {

namespace asio = boost::asio;
namespace mb = kaiwu::drivers::modbus;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using kaiwu::drivers::DataType;
using kaiwu::drivers::DeviceSettings;
using kaiwu::drivers::PointConfig;

struct Args {
  int devices = 1000;
  int registers = 100;
  int seconds = 10;
  std::string out;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](std::string_view flag) -> std::optional<std::string> {
      if (s.starts_with(std::string(flag) + "=")) return s.substr(flag.size() + 1);
      if (s == flag && i + 1 < argc) return std::string(argv[++i]);
      return std::nullopt;
    };
    if (auto v = value("--devices")) a.devices = std::stoi(*v);
    else if (auto v2 = value("--registers")) a.registers = std::stoi(*v2);
    else if (auto v3 = value("--seconds")) a.seconds = std::stoi(*v3);
    else if (auto v4 = value("--out")) a.out = *v4;
    else if (auto v5 = value("--benchmark_out")) a.out = *v5;
  }
  a.registers = std::clamp(a.registers, 1, 125);
  return a;
}

double thread_cpu_seconds(pthread_t t) {
  clockid_t id;
  if (pthread_getcpuclockid(t, &id) != 0) return 0;
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Stats {
  std::atomic<std::uint64_t> polls{0}, registers{0}, errors{0}, late{0};
  std::vector<double> latencies_ms;  // client thread only
};

struct Device {
  std::unique_ptr<mb::ModbusDriver> driver;
};

asio::awaitable<void> poll_loop(mb::ModbusDriver* d, const std::vector<PointConfig>* points, Stats* st,
                                Clock::time_point first, Clock::time_point stop, bool paced) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto next = first;
  while (Clock::now() < stop) {
    if (paced) {
      if (next >= stop) break;
      timer.expires_at(next);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (Clock::now() >= stop) break;
    }
    const auto t0 = Clock::now();
    auto readings = co_await d->read(*points);
    const auto t1 = Clock::now();
    ++st->polls;
    std::uint64_t good = 0;
    for (const auto& r : readings) good += r.value.has_value();
    st->registers += good;
    if (good != readings.size()) ++st->errors;
    st->latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    next += 1s;
    if (paced && Clock::now() > next) ++st->late;
  }
}

asio::awaitable<void> start_all(std::vector<Device>* devices, std::vector<std::uint16_t> ports, int* failures) {
  for (std::size_t i = 0; i < devices->size(); ++i) {
    DeviceSettings s{.name = fmt::format("dev-{}", i), .endpoint = fmt::format("127.0.0.1:{}", ports[i]),
                     .timeout = 2000ms, .retries = 1};
    s.options["unit"] = "1";
    if (!co_await (*devices)[i].driver->start(s)) ++*failures;
  }
}

struct Phase {
  double seconds = 0, polls = 0, registers_per_s = 0, client_cpu = 0, server_cpu = 0, p50 = 0, p99 = 0;
  std::uint64_t errors = 0, late = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

Phase run_phase(asio::io_context& client_io, std::vector<Device>& devices, const std::vector<PointConfig>& points,
                pthread_t server_thread, int seconds, bool paced) {
  Stats st;
  st.latencies_ms.reserve(static_cast<std::size_t>(devices.size()) * static_cast<std::size_t>(seconds) * (paced ? 1 : 50));
  const auto begin = Clock::now() + 100ms;
  const auto stop = begin + std::chrono::seconds(seconds);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    // Spread the devices over the second, as independent schedules would.
    const auto first = begin + std::chrono::microseconds(1'000'000 * i / devices.size());
    asio::co_spawn(client_io, poll_loop(devices[i].driver.get(), &points, &st, first, stop, paced), asio::detached);
  }
  const double c0 = thread_cpu_seconds(pthread_self()), s0 = thread_cpu_seconds(server_thread);
  client_io.restart();
  client_io.run();  // returns when every poll loop has finished
  // Paced: each device polls exactly `seconds` times in the window. Back-to-back: the window
  // plus the polls still in flight at its end.
  const double wall = paced ? seconds : std::chrono::duration<double>(Clock::now() - begin).count();
  Phase p;
  p.seconds = wall;
  p.polls = static_cast<double>(st.polls);
  p.registers_per_s = static_cast<double>(st.registers) / wall;
  p.client_cpu = (thread_cpu_seconds(pthread_self()) - c0) / wall * 100;
  p.server_cpu = (thread_cpu_seconds(server_thread) - s0) / wall * 100;
  p.p50 = percentile(st.latencies_ms, 0.5);
  p.p99 = percentile(st.latencies_ms, 0.99);
  p.errors = st.errors;
  p.late = st.late;
  return p;
}

std::string phase_json(const Phase& p) {
  return fmt::format(
      R"({{"wall_seconds":{:.2f},"polls":{:.0f},"registers_per_second":{:.0f},"client_cpu_percent_of_one_core":{:.1f},)"
      R"("server_cpu_percent_of_one_core":{:.1f},"poll_latency_p50_ms":{:.3f},"poll_latency_p99_ms":{:.3f},"polls_with_errors":{},"late_polls":{}}})",
      p.seconds, p.polls, p.registers_per_s, p.client_cpu, p.server_cpu, p.p50, p.p99, p.errors, p.late);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  fmt::print("bench_modbus: {} devices × {} holding registers, {} s paced at 1 Hz + {} s back-to-back, loopback\n",
             args.devices, args.registers, args.seconds, args.seconds);

  // Server side: one listener and register map per device, all on one thread.
  asio::io_context server_io;
  auto work = asio::make_work_guard(server_io);
  std::vector<std::unique_ptr<mb::ModbusServer>> servers;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < args.devices; ++i) {
    auto map = std::make_shared<mb::RegisterMap>(
        mb::RegisterMap::Sizes{.coils = 0, .discrete_inputs = 0, .input_registers = 0,
                               .holding_registers = static_cast<std::uint32_t>(args.registers)});
    std::vector<std::uint16_t> values(static_cast<std::size_t>(args.registers));
    for (int r = 0; r < args.registers; ++r) values[static_cast<std::size_t>(r)] = static_cast<std::uint16_t>(i * 7 + r);
    (void)map->set_registers(mb::Table::kHoldingRegister, 0, values);
    auto server = std::make_unique<mb::ModbusServer>(server_io.get_executor(), mb::ModbusServer::Options{});
    server->set_default(map);
    auto port = server->listen("127.0.0.1:0");
    if (!port) {
      fmt::print(stderr, "listen failed: {}\n", port.error().message);
      return 1;
    }
    ports.push_back(*port);
    servers.push_back(std::move(server));
  }
  std::thread server_thread([&] { server_io.run(); });

  // Client side: one driver (connection) per device, on this thread.
  asio::io_context client_io;
  std::vector<Device> devices(static_cast<std::size_t>(args.devices));
  for (auto& d : devices) d.driver = std::make_unique<mb::ModbusDriver>(client_io.get_executor(), mb::Framing::kTcp);
  std::vector<PointConfig> points;
  for (int r = 0; r < args.registers; ++r)
    points.push_back(PointConfig{.key = fmt::format("r{}", r), .address = fmt::format("hr:{}", r), .type = DataType::kUint16});
  int connect_failures = 0;
  asio::co_spawn(client_io, start_all(&devices, ports, &connect_failures), asio::detached);
  client_io.run();
  if (connect_failures) fmt::print("warning: {} devices failed to connect\n", connect_failures);

  const Phase paced = run_phase(client_io, devices, points, server_thread.native_handle(), args.seconds, true);
  const double target = static_cast<double>(args.devices) * args.registers;
  fmt::print("paced 1 Hz : {:>9.0f} registers/s (target {:.0f}), client CPU {:.1f}% of one core, server CPU {:.1f}%, "
             "poll latency p50 {:.2f} ms p99 {:.2f} ms, {} polls with errors, {} late\n",
             paced.registers_per_s, target, paced.client_cpu, paced.server_cpu, paced.p50, paced.p99, paced.errors,
             paced.late);
  const Phase flat = run_phase(client_io, devices, points, server_thread.native_handle(), args.seconds, false);
  fmt::print("saturated  : {:>9.0f} registers/s ({:.0f} polls/s), client CPU {:.1f}% of one core, server CPU {:.1f}%, "
             "poll latency p50 {:.2f} ms p99 {:.2f} ms\n",
             flat.registers_per_s, flat.polls / flat.seconds, flat.client_cpu, flat.server_cpu, flat.p50, flat.p99);
  const double per_core = flat.client_cpu > 0 ? flat.registers_per_s / (flat.client_cpu / 100) : 0;
  fmt::print("client ceiling: {:.0f} registers/s per core = {:.1f}× the bar of {:.0f}/s; paced bar {}\n", per_core,
             per_core / target, target, paced.registers_per_s >= 0.98 * target && paced.errors == 0 ? "MET" : "NOT MET");

  for (auto& s : servers) asio::post(server_io, [srv = s.get()] { srv->stop(); });
  work.reset();
  server_io.stop();
  server_thread.join();

  std::string out = args.out;
  if (out.empty()) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H%M%SZ", std::gmtime(&now));
    out = fmt::format("{}/modbus-{}.json", KAIWU_BENCH_RESULTS_DIR, stamp);
  }
  std::ofstream f(out);
  f << fmt::format(
      R"({{"benchmark":"modbus_poll","devices":{},"registers_per_device":{},"target_registers_per_second":{:.0f},)"
      R"("cores":{},"paced":{},"saturated":{},"client_registers_per_second_per_core":{:.0f}}})",
      args.devices, args.registers, target, std::thread::hardware_concurrency(), phase_json(paced), phase_json(flat),
      per_core)
    << "\n";
  fmt::print("wrote {}\n", out);
  return paced.errors == 0 ? 0 : 1;
}

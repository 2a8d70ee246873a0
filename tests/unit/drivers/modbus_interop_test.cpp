// Integration tests against an independent peer, python3-pymodbus (Debian bookworm, 3.0):
//  (a) our modbus-tcp driver against a pymodbus TCP server: every data type and byte order,
//      coils, discrete inputs, input registers, writes read back, exception 2 per point;
//  (b) our modbus-rtu driver over a socat pseudo-terminal pair against pymodbus's serial server;
//  (c) the pymodbus client against our ModbusServer, over TCP and as RTU on a socat pty pair.
// The peer script is modbus_peer.py; servers listen on 127.0.0.1 only, on free ports, and are
// killed when the test ends. Labelled "integration" in ctest.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "drivers/modbus/client.hpp"
#include "drivers/modbus/server.hpp"
#include "drivers/registry.hpp"

#define CO_ASSERT(cond, ...)                                   \
  if (!(cond)) {                                               \
    ADD_FAILURE() << #cond << " " __VA_OPT__(<<) __VA_ARGS__; \
    co_return;                                                 \
  }

namespace kaiwu::drivers::modbus {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kPeer = KAIWU_MODBUS_PEER;

// A child process killed (SIGTERM, then reaped) when the object goes away.
struct Child {
  pid_t pid = -1;
  int err = -1;  // read end of its stderr when captured
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
    if (err >= 0) ::close(err);
  }
  // Exit status, or -1 when it did not end within `limit`.
  int wait(std::chrono::milliseconds limit) {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
};

std::unique_ptr<Child> spawn(std::vector<std::string> args, bool capture_stderr = false) {
  auto c = std::make_unique<Child>();
  int fds[2] = {-1, -1};
  if (capture_stderr && ::pipe(fds) != 0) return nullptr;
  c->pid = ::fork();
  if (c->pid == 0) {
    if (capture_stderr) {
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      ::close(fds[1]);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (capture_stderr) {
    ::close(fds[1]);
    c->err = fds[0];
  }
  return c;
}

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

bool wait_listening(std::uint16_t port) {
  for (int i = 0; i < 150; ++i) {
    asio::io_context io;
    tcp::socket s(io);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

template <typename F>
void run(asio::io_context& io, F body) {
  bool done = false;
  asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
}

PointConfig point(std::string key, std::string address, DataType type, ByteOrder order = ByteOrder::kABCD,
                  std::uint16_t length = 0) {
  const bool writable = address.starts_with("hr:") || address.starts_with("co:");
  return PointConfig{.key = std::move(key), .address = std::move(address), .type = type, .order = order,
                     .writable = writable, .length = length};
}

// The points of modbus_peer.py's register image, with the values it holds.
std::vector<PointConfig> peer_points() {
  return {
      point("u16", "hr:0", DataType::kUint16),
      point("i16", "hr:1", DataType::kInt16),
      point("i32", "hr:2", DataType::kInt32),
      point("i32cdab", "hr:4", DataType::kInt32, ByteOrder::kCDAB),
      point("u32badc", "hr:6", DataType::kUint32, ByteOrder::kBADC),
      point("f32dcba", "hr:8", DataType::kFloat32, ByteOrder::kDCBA),
      point("f32", "40011", DataType::kFloat32),
      point("f64cdab", "hr:12", DataType::kFloat64, ByteOrder::kCDAB),
      point("f64", "hr:16", DataType::kFloat64),
      point("i64", "hr:20", DataType::kInt64),
      point("u64dcba", "hr:24", DataType::kUint64, ByteOrder::kDCBA),
      point("name", "hr:30", DataType::kString, ByteOrder::kABCD, 8),
      point("brand", "hr:34", DataType::kString, ByteOrder::kBADC, 5),
      point("flag", "hr:40.3", DataType::kBool),
      point("ir0", "ir:0", DataType::kUint16),
      point("temp", "ir:5", DataType::kFloat32),
      point("c3", "co:3", DataType::kBool),
      point("c4", "co:4", DataType::kBool),
      point("c5", "00006", DataType::kBool),
      point("d10", "di:10", DataType::kBool),
      point("edge", "hr:98", DataType::kUint16),
      point("past_end", "hr:99", DataType::kFloat32),  // registers 99-100: 100 is outside
  };
}

void expect_peer_values(const std::vector<Reading>& r) {
  ASSERT_EQ(r.size(), 22u);
  for (std::size_t i = 0; i + 1 < r.size(); ++i) ASSERT_TRUE(r[i].value) << r[i].key << ": " << r[i].value.error().message;
  EXPECT_EQ(std::get<std::int64_t>(*r[0].value), 1500);
  EXPECT_EQ(std::get<std::int64_t>(*r[1].value), -7);
  EXPECT_EQ(std::get<std::int64_t>(*r[2].value), -100000);
  EXPECT_EQ(std::get<std::int64_t>(*r[3].value), -100000);
  EXPECT_EQ(std::get<std::int64_t>(*r[4].value), 3000000000);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[5].value), 3.25);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[6].value), -1.5);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[7].value), -2.5e10);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[8].value), 1.0e-3);
  EXPECT_EQ(std::get<std::int64_t>(*r[9].value), -1234567890123);
  EXPECT_EQ(std::get<std::int64_t>(*r[10].value), (std::int64_t{1} << 40) + 5);
  EXPECT_EQ(std::get<std::string>(*r[11].value), "CNC-01");
  EXPECT_EQ(std::get<std::string>(*r[12].value), "Kaiwu");
  EXPECT_TRUE(std::get<bool>(*r[13].value));
  EXPECT_EQ(std::get<std::int64_t>(*r[14].value), 77);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[15].value), 21.5);
  EXPECT_TRUE(std::get<bool>(*r[16].value));
  EXPECT_FALSE(std::get<bool>(*r[17].value));
  EXPECT_TRUE(std::get<bool>(*r[18].value));
  EXPECT_TRUE(std::get<bool>(*r[19].value));
  EXPECT_EQ(std::get<std::int64_t>(*r[20].value), 0);  // same batch as the failing point
  ASSERT_FALSE(r[21].value);
  EXPECT_NE(r[21].value.error().message.find("exception 2 (illegal data address)"), std::string::npos)
      << r[21].value.error().message;
}

asio::awaitable<void> writes_read_back(Driver& d) {
  auto u16 = point("w16", "hr:50", DataType::kUint16);
  auto f32 = point("wf", "hr:52", DataType::kFloat32, ByteOrder::kCDAB);
  auto coil = point("wc", "co:7", DataType::kBool);
  auto bit = point("wb", "hr:40.1", DataType::kBool);
  auto str = point("ws", "hr:60", DataType::kString, ByteOrder::kABCD, 6);
  EXPECT_TRUE(co_await d.write(u16, tsdb::Value{std::int64_t{4321}}));
  EXPECT_TRUE(co_await d.write(f32, tsdb::Value{-12.75}));
  EXPECT_TRUE(co_await d.write(coil, tsdb::Value{true}));
  EXPECT_TRUE(co_await d.write(bit, tsdb::Value{true}));
  EXPECT_TRUE(co_await d.write(str, tsdb::Value{std::string("press")}));
  std::vector<PointConfig> back{u16, f32, coil, bit, point("flag", "hr:40.3", DataType::kBool), str};
  auto r = co_await d.read(back);
  for (const auto& x : r) CO_ASSERT(x.value, x.key << ": " << x.value.error().message);
  EXPECT_EQ(std::get<std::int64_t>(*r[0].value), 4321);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[1].value), -12.75);
  EXPECT_TRUE(std::get<bool>(*r[2].value));
  EXPECT_TRUE(std::get<bool>(*r[3].value));
  EXPECT_TRUE(std::get<bool>(*r[4].value));  // the read-modify-write kept bit 3
  EXPECT_EQ(std::get<std::string>(*r[5].value), "press");
}

TEST(ModbusInterop, TcpDriverAgainstPymodbusServer) {
  const auto port = free_port();
  auto peer = spawn({kPython, kPeer, "server-tcp", std::to_string(port)});
  ASSERT_TRUE(wait_listening(port)) << "pymodbus server did not start";
  asio::io_context io;
  auto driver = std::move(*make_driver("modbus-tcp", io.get_executor()));
  DeviceSettings s{.name = "plc", .endpoint = "127.0.0.1:" + std::to_string(port), .timeout = 2000ms, .retries = 1};
  s.options["unit"] = "1";
  const auto points = peer_points();
  ASSERT_TRUE(driver->validate(s, points));
  run(io, [&]() -> asio::awaitable<void> {
    CO_ASSERT(co_await driver->start(s));
    expect_peer_values(co_await driver->read(points));
    co_await writes_read_back(*driver);
    co_await driver->stop();
  });
  const Health h = driver->health();
  EXPECT_GE(h.requests, 8u);
  EXPECT_EQ(h.timeouts, 0u);
}

// socat prints "... N PTY is /dev/pts/X" for each end.
std::vector<std::string> read_pty_names(int fd) {
  std::string text;
  std::vector<std::string> names;
  const std::regex re("PTY is (/dev/pts/[0-9]+)");
  for (auto end = std::chrono::steady_clock::now() + 5s; names.size() < 2 && std::chrono::steady_clock::now() < end;) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    names.clear();
    for (std::sregex_iterator it(text.begin(), text.end(), re), e; it != e; ++it) names.push_back((*it)[1]);
  }
  return names;
}

TEST(ModbusInterop, RtuDriverOverPseudoTerminalAgainstPymodbusSerialServer) {
  auto socat = spawn({"/usr/bin/socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"}, true);
  ASSERT_TRUE(socat);
  const auto ptys = read_pty_names(socat->err);
  ASSERT_EQ(ptys.size(), 2u) << "socat did not report two pseudo-terminals";
  auto peer = spawn({kPython, kPeer, "server-rtu", ptys[0]});
  asio::io_context io;
  auto driver = std::move(*make_driver("modbus-rtu", io.get_executor()));
  DeviceSettings s{.name = "meter", .endpoint = ptys[1] + "?baud=19200&parity=N", .timeout = 500ms, .retries = 0};
  s.options["unit"] = "1";
  const auto points = peer_points();
  run(io, [&]() -> asio::awaitable<void> {
    CO_ASSERT(co_await driver->start(s));
    // pymodbus needs a moment to open its end; poll until it answers.
    std::vector<PointConfig> probe{points[0]};
    bool up = false;
    for (int i = 0; i < 40 && !up; ++i) up = static_cast<bool>((co_await driver->read(probe))[0].value);
    CO_ASSERT(up, "pymodbus serial server never answered");
    expect_peer_values(co_await driver->read(points));
    co_await writes_read_back(*driver);
    co_await driver->stop();
  });
}

// The image modbus_peer.py's client expects, loaded through our encoder.
std::shared_ptr<RegisterMap> client_image() {
  auto map = std::make_shared<RegisterMap>(RegisterMap::Sizes{.coils = 100, .discrete_inputs = 100,
                                                              .input_registers = 100, .holding_registers = 100});
  EXPECT_TRUE(map->set_value(Table::kHoldingRegister, 0, DataType::kUint16, ByteOrder::kABCD, std::int64_t{1500}));
  EXPECT_TRUE(map->set_value(Table::kHoldingRegister, 1, DataType::kInt16, ByteOrder::kABCD, std::int64_t{-7}));
  EXPECT_TRUE(map->set_value(Table::kHoldingRegister, 2, DataType::kInt32, ByteOrder::kCDAB, std::int64_t{-100000}));
  EXPECT_TRUE(map->set_value(Table::kHoldingRegister, 4, DataType::kFloat32, ByteOrder::kDCBA, 3.25));
  EXPECT_TRUE(map->set_value(Table::kHoldingRegister, 6, DataType::kFloat64, ByteOrder::kABCD, -2.5e10));
  EXPECT_TRUE(map->set_value(Table::kInputRegister, 5, DataType::kFloat32, ByteOrder::kABCD, 21.5));
  EXPECT_TRUE(map->set_bits(Table::kCoil, 3, {true, false, true}));
  EXPECT_TRUE(map->set_bits(Table::kDiscreteInput, 10, {true}));
  return map;
}

void expect_client_writes(RegisterMap& map) {
  EXPECT_EQ(map.registers(Table::kHoldingRegister, 50, 4).value(), (std::vector<std::uint16_t>{4321, 1, 2, 3}));
  EXPECT_EQ(map.registers(Table::kHoldingRegister, 60, 2).value(), (std::vector<std::uint16_t>{9, 8}));
  EXPECT_TRUE(map.bits(Table::kCoil, 7, 1)->at(0));
  EXPECT_EQ(map.bits(Table::kCoil, 20, 4).value(), (std::vector<bool>{true, false, true, true}));
}

// Runs the pymodbus client against `server` (already listening or open) until it exits.
int run_client(asio::io_context& io, ModbusServer& server, const std::string& target) {
  std::thread loop([&] { io.run(); });
  auto client = spawn({kPython, kPeer, "client", target});
  const int status = client->wait(60s);
  asio::post(io, [&] {
    server.stop();
    io.stop();
  });
  loop.join();
  return status;
}

TEST(ModbusInterop, PymodbusClientAgainstOurServer) {
  asio::io_context io;
  auto map = client_image();
  ModbusServer server(io.get_executor(), {});
  server.add_unit(1, map);
  auto port = server.listen("127.0.0.1:0");
  ASSERT_TRUE(port);
  EXPECT_EQ(run_client(io, server, std::to_string(*port)), 0) << "the pymodbus client reported a mismatch (see above)";
  expect_client_writes(*map);
}

TEST(ModbusInterop, PymodbusRtuClientAgainstOurSerialServer) {
  auto socat = spawn({"/usr/bin/socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"}, true);
  ASSERT_TRUE(socat);
  const auto ptys = read_pty_names(socat->err);
  ASSERT_EQ(ptys.size(), 2u) << "socat did not report two pseudo-terminals";
  asio::io_context io;
  auto map = client_image();
  ModbusServer server(io.get_executor(), {.framing = Framing::kRtu});
  server.add_unit(1, map);
  ASSERT_TRUE(server.open_serial(ptys[0] + "?baud=19200"));
  EXPECT_EQ(run_client(io, server, ptys[1]), 0) << "the pymodbus RTU client reported a mismatch (see above)";
  expect_client_writes(*map);
  EXPECT_FALSE(server.open_serial("/dev/does-not-exist"));
}

}  // namespace
}  // namespace kaiwu::drivers::modbus

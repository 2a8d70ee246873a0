// The opcua driver against a real peer: a node-opcua server (tests/js/opcua_server.mjs) started
// as a subprocess on 127.0.0.1 and a free port, killed when the suite ends.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/opcua/client.hpp"
#include "drivers/opcua/driver.hpp"
#include "drivers/registry.hpp"

namespace kaiwu::drivers::opcua {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

template <typename F>
void run(asio::io_context& io, F coroutine) {
  bool done = false;
  io.restart();
  asio::co_spawn(io, coroutine(), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
}


// A TCP relay in front of the server whose connections the test can cut (a lost network).
class CuttableProxy {
 public:
  CuttableProxy(asio::io_context& io, int upstream_port)
      : io_(io), acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        upstream_port_(upstream_port) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  void cut() {
    for (auto& s : sockets_) {
      boost::system::error_code ec;
      s->close(ec);
    }
    sockets_.clear();
    ++cuts_;
  }
  void stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    cut();
  }

 private:
  using Socket = std::shared_ptr<asio::ip::tcp::socket>;
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, client] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      auto down = std::make_shared<asio::ip::tcp::socket>(std::move(client));
      auto up = std::make_shared<asio::ip::tcp::socket>(io_);
      auto [cec] = co_await up->async_connect(
          asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(upstream_port_)),
          asio::as_tuple(asio::use_awaitable));
      if (cec) continue;
      sockets_.push_back(down);
      sockets_.push_back(up);
      asio::co_spawn(io_, relay(down, up), asio::detached);
      asio::co_spawn(io_, relay(up, down), asio::detached);
    }
  }
  static asio::awaitable<void> relay(Socket from, Socket to) {
    std::array<char, 16384> buf;
    for (;;) {
      auto [ec, n] = co_await from->async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      auto [wec, w] = co_await asio::async_write(*to, asio::buffer(buf.data(), n), asio::as_tuple(asio::use_awaitable));
      if (wec) break;
    }
    boost::system::error_code ignored;
    to->close(ignored);
    from->close(ignored);
  }

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  int upstream_port_;
  std::vector<Socket> sockets_;
  int cuts_ = 0;
};

class NodeOpcUaServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("kaiwu-opcua-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    const std::string script = std::string(KAIWU_SOURCE_DIR) + "/tests/js/opcua_server.mjs";
    int in[2];
    int out[2];
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      const std::string log = (dir_ / "server.log").string();
      FILE* err = std::fopen(log.c_str(), "w");
      if (err != nullptr) dup2(fileno(err), 2);
      close(in[1]);
      close(out[0]);
      execlp("node", "node", script.c_str(), dir_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 500) <= 0) continue;
      char buf[128];
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    ASSERT_TRUE(line.starts_with("PORT ")) << "node-opcua server did not start: " << line << " (see "
                                            << (dir_ / "server.log") << ")";
    port_ = std::stoi(line.substr(5));
  }

  static void TearDownTestSuite() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 50 && waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static std::string endpoint() { return "opc.tcp://127.0.0.1:" + std::to_string(port_) + "/kaiwu"; }

  DeviceSettings settings(std::map<std::string, std::string, std::less<>> options = {}) {
    DeviceSettings s;
    s.name = "plc";
    s.endpoint = endpoint();
    s.timeout = 5000ms;
    s.options = std::move(options);
    if (!s.options.contains("pki")) s.options["pki"] = (dir_ / "client").string();
    if (!s.options.contains("trust")) s.options["trust"] = "any";
    return s;
  }

  static PointConfig point(std::string key, std::string address, DataType type, bool writable = false) {
    PointConfig p;
    p.key = std::move(key);
    p.address = std::move(address);
    p.type = type;
    p.writable = writable;
    return p;
  }

  // Starts the driver with `options`, reads the constant variables and checks every value.
  void read_all_exact(std::map<std::string, std::string, std::less<>> options) {
    asio::io_context io;
    auto driver = *drivers::make_driver("opcua", io.get_executor());
    std::vector<PointConfig> points{
        point("speed", "ns=1;s=Speed", DataType::kFloat64),   point("temp", "ns=1;s=Temperature", DataType::kFloat32),
        point("count", "ns=1;s=Count", DataType::kInt32),     point("status", "ns=1;s=Status", DataType::kUint16),
        point("running", "ns=1;s=Running", DataType::kBool), point("name", "ns=1;s=Name", DataType::kString),
        point("pressure", "ns=1;i=1001", DataType::kFloat64), point("missing", "ns=1;s=NoSuchNode", DataType::kFloat64),
    };
    const auto device = settings(options);
    run(io, [&]() -> asio::awaitable<void> {
      auto started = co_await driver->start(device);
      EXPECT_TRUE(started) << started.error().message;
      if (!started) co_return;
      auto readings = co_await driver->read(points);
      EXPECT_EQ(readings.size(), points.size());
      for (const auto& r : readings) {
        if (r.key != "missing") {
          EXPECT_TRUE(r.value) << r.key << ": " << r.value.error().message;
        }
      }
      if (readings.size() == points.size() && readings[0].value) {
        EXPECT_EQ(std::get<double>(*readings[0].value), 1234.5);
        EXPECT_EQ(std::get<double>(*readings[1].value), 21.5);
        EXPECT_EQ(std::get<std::int64_t>(*readings[2].value), -42);
        EXPECT_EQ(std::get<std::int64_t>(*readings[3].value), 7);
        EXPECT_EQ(std::get<bool>(*readings[4].value), true);
        EXPECT_EQ(std::get<std::string>(*readings[5].value), "Line 1");
        EXPECT_EQ(std::get<double>(*readings[6].value), 3.25);
        EXPECT_FALSE(readings[7].value);
        if (readings[7].value) co_return;
        EXPECT_EQ(readings[7].value.error().code, Errc::kNotFound);
        EXPECT_NE(readings[7].value.error().message.find("BadNodeIdUnknown"), std::string::npos)
            << readings[7].value.error().message;
        EXPECT_GT(readings[0].ts, 1700000000000);
      }
      EXPECT_TRUE(driver->health().connected);
      co_await driver->stop();
      EXPECT_FALSE(driver->health().connected);
    });
  }

  static inline fs::path dir_;
  static inline pid_t pid_ = -1;
  static inline int stdin_ = -1;
  static inline int port_ = 0;
};

TEST_F(NodeOpcUaServer, BrowseFindsTheVariables) {
  asio::io_context io;
  ClientConfig config;
  config.endpoint_url = endpoint();
  Client client(io.get_executor(), config);
  run(io, [&]() -> asio::awaitable<void> {
    auto connected = co_await client.connect();
    EXPECT_TRUE(connected) << connected.error().message;
    if (!connected) co_return;
    auto objects = co_await client.browse(NodeId::num(0, 85));  // Objects folder
    EXPECT_TRUE(objects) << objects.error().message;
    bool plant = false;
    for (const auto& r : *objects) plant = plant || (r.browse_name.name == "Plant" && r.node.node == NodeId::str(1, "Plant"));
    EXPECT_TRUE(plant);
    auto refs = co_await client.browse(NodeId::str(1, "Plant"));
    EXPECT_TRUE(refs) << refs.error().message;
    std::set<std::string> names;
    for (const auto& r : *refs) {
      if (r.node_class == 2) names.insert(r.browse_name.name);  // Variable
    }
    EXPECT_EQ(names, (std::set<std::string>{"Count", "Counter", "Name", "Pressure", "Running", "Setpoint", "Speed",
                                            "Status", "Temperature"}));
    // Two references per answer: the rest comes through BrowseNext continuation points.
    const auto requests_before = client.requests();
    auto paged = co_await client.browse(NodeId::str(1, "Plant"), 0, 2);
    EXPECT_TRUE(paged) << paged.error().message;
    EXPECT_GE(client.requests() - requests_before, 5u);  // Browse + at least 4 BrowseNext
    if (paged) {
      EXPECT_EQ(paged->size(), refs->size());
    }
    auto endpoints = co_await client.get_endpoints();
    EXPECT_TRUE(endpoints);
    EXPECT_EQ(endpoints->size(), 3u);  // None, Basic256Sha256 Sign, SignAndEncrypt
    auto bad = co_await client.browse(NodeId::str(1, "NoSuchNode"));
    EXPECT_FALSE(bad);
    co_await client.close();
    EXPECT_FALSE(client.is_open());
  });
}

TEST_F(NodeOpcUaServer, ReadsAGroupWithExactValuesAndPerPointErrors) { read_all_exact({}); }

TEST_F(NodeOpcUaServer, WritesThenReadsBack) {
  asio::io_context io;
  auto driver = *drivers::make_driver("opcua", io.get_executor());
  const auto setpoint = point("setpoint", "ns=1;s=Setpoint", DataType::kFloat64, true);
  const auto speed = point("speed", "ns=1;s=Speed", DataType::kFloat64, true);
  run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await driver->start(settings());
    EXPECT_TRUE(started);
    auto written = co_await driver->write(setpoint, 42.75);
    EXPECT_TRUE(written) << written.error().message;
    std::vector<PointConfig> points(1, setpoint);
    auto readings = co_await driver->read(points);
    EXPECT_TRUE(readings[0].value);
    EXPECT_EQ(std::get<double>(*readings[0].value), 42.75);
    auto refused = co_await driver->write(speed, 1.0);
    EXPECT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kPermissionDenied);
    EXPECT_NE(refused.error().message.find("BadNotWritable"), std::string::npos) << refused.error().message;
    co_await driver->stop();
  });
}

TEST_F(NodeOpcUaServer, SubscriptionPushesTheChangingValue) {
  asio::io_context io;
  auto driver = *drivers::make_driver("opcua", io.get_executor());
  std::vector<PointConfig> points{point("counter", "ns=1;s=Counter", DataType::kUint32),
                                  point("missing", "ns=1;s=NoSuchNode", DataType::kUint32)};
  std::vector<std::int64_t> values;
  std::string missing_error;
  const auto device = settings({{"publishing_interval", "100"}, {"sampling_interval", "50"}});
  run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await driver->start(device);
    EXPECT_TRUE(started);
    auto subscribed = co_await driver->subscribe(points, [&](std::vector<Reading> readings) {
      for (auto& r : readings) {
        if (r.key == "counter" && r.value) values.push_back(std::get<std::int64_t>(*r.value));
        if (r.key == "missing" && !r.value) missing_error = r.value.error().message;
      }
    });
    EXPECT_TRUE(subscribed) << subscribed.error().message;
    asio::steady_timer wait(io, 1500ms);
    co_await wait.async_wait(asio::use_awaitable);
    co_await driver->stop();
  });
  EXPECT_GE(values.size(), 5u);
  for (std::size_t i = 1; i < values.size(); ++i) EXPECT_GT(values[i], values[i - 1]);
  EXPECT_NE(missing_error.find("BadNodeIdUnknown"), std::string::npos) << missing_error;
}

TEST_F(NodeOpcUaServer, UserNameLoginAndWrongPassword) {
  read_all_exact({{"username", "operator"}, {"password", "secret-42"}});
  asio::io_context io;
  auto driver = *drivers::make_driver("opcua", io.get_executor());
  const auto device = settings({{"username", "operator"}, {"password", "wrong"}});
  run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await driver->start(device);
    EXPECT_FALSE(started);
    if (started) co_return;
    EXPECT_EQ(started.error().code, Errc::kUnauthenticated) << started.error().message;
    EXPECT_NE(started.error().message.find("ActivateSession rejected"), std::string::npos) << started.error().message;
    co_await driver->stop();
  });
}

TEST_F(NodeOpcUaServer, Basic256Sha256Sign) {
  read_all_exact({{"security", "Basic256Sha256"}, {"mode", "Sign"}});
  EXPECT_TRUE(fs::exists(dir_ / "client" / "own" / "cert.der"));
  EXPECT_TRUE(fs::exists(dir_ / "client" / "own" / "private" / "key.pem"));
}

TEST_F(NodeOpcUaServer, Basic256Sha256SignAndEncryptWithUserName) {
  read_all_exact({{"security", "Basic256Sha256"}, {"mode", "SignAndEncrypt"}, {"username", "operator"},
                  {"password", "secret-42"}});
}

TEST_F(NodeOpcUaServer, UntrustedServerCertificateIsRefused) {
  asio::io_context io;
  auto driver = *drivers::make_driver("opcua", io.get_executor());
  fs::create_directories(dir_ / "empty-trust");
  const auto device = settings({{"security", "Basic256Sha256"}, {"trust", (dir_ / "empty-trust").string()}});
  run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await driver->start(device);
    EXPECT_FALSE(started);
    if (!started) {
      EXPECT_EQ(started.error().code, Errc::kPermissionDenied) << started.error().message;
    }
    co_await driver->stop();
  });
}

TEST_F(NodeOpcUaServer, RenewsTheSecureChannelToken) {
  asio::io_context io;
  ClientConfig config;
  config.endpoint_url = endpoint();
  config.security_policy = "Basic256Sha256";
  config.mode = SecurityMode::kSignAndEncrypt;
  config.pki_dir = (dir_ / "client").string();
  config.channel_lifetime_ms = 1000;  // renewed at 75 % of the revised lifetime
  Client client(io.get_executor(), config);
  run(io, [&]() -> asio::awaitable<void> {
    auto connected = co_await client.connect();
    EXPECT_TRUE(connected) << connected.error().message;
    if (!connected) co_return;
    std::vector<NodeId> nodes(1, NodeId::str(1, "Speed"));
    for (int i = 0; i < 4; ++i) {
      asio::steady_timer wait(io, 800ms);
      co_await wait.async_wait(asio::use_awaitable);
      auto values = co_await client.read(nodes);
      EXPECT_TRUE(values) << values.error().message;
      if (values) {
        EXPECT_EQ(std::get<double>(values->front().value.values.front()), 1234.5);
      }
    }
    EXPECT_GE(client.renewals(), 1u);  // node-opcua revises short lifetimes upwards
    co_await client.close();
  });
}


TEST_F(NodeOpcUaServer, ReconnectsAfterTheConnectionIsLostAndResumesTheSubscription) {
  asio::io_context io;
  CuttableProxy proxy(io, port_);
  auto driver = *drivers::make_driver("opcua", io.get_executor());
  auto device = settings({{"security", "Basic256Sha256"}, {"mode", "SignAndEncrypt"}, {"publishing_interval", "100"},
                          {"sampling_interval", "50"}});
  device.endpoint = "opc.tcp://127.0.0.1:" + std::to_string(proxy.port()) + "/kaiwu";
  std::vector<PointConfig> polled{point("speed", "ns=1;s=Speed", DataType::kFloat64)};
  std::vector<PointConfig> pushed{point("counter", "ns=1;s=Counter", DataType::kUint32)};
  std::vector<std::int64_t> before;
  std::vector<std::int64_t> after;
  bool was_cut = false;
  run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await driver->start(device);
    EXPECT_TRUE(started) << started.error().message;
    if (!started) co_return;
    auto subscribed = co_await driver->subscribe(pushed, [&](std::vector<Reading> readings) {
      for (auto& r : readings) {
        if (r.value) (was_cut ? after : before).push_back(std::get<std::int64_t>(*r.value));
      }
    });
    EXPECT_TRUE(subscribed);
    asio::steady_timer wait(io, 600ms);
    co_await wait.async_wait(asio::use_awaitable);
    proxy.cut();
    was_cut = true;
    wait.expires_after(100ms);
    co_await wait.async_wait(asio::use_awaitable);
    EXPECT_FALSE(driver->health().connected);
    // The next read reconnects (new channel, session, subscription) and succeeds.
    auto readings = co_await driver->read(polled);
    EXPECT_TRUE(readings[0].value) << readings[0].value.error().message;
    if (readings[0].value) {
      EXPECT_EQ(std::get<double>(*readings[0].value), 1234.5);
    }
    wait.expires_after(1000ms);
    co_await wait.async_wait(asio::use_awaitable);
    EXPECT_TRUE(driver->health().connected);
    EXPECT_GE(driver->health().reconnects, 1u);
    co_await driver->stop();
    proxy.stop();
  });
  EXPECT_GE(before.size(), 3u);
  EXPECT_GE(after.size(), 3u);  // the subscription was re-created on the new session
  if (!before.empty() && !after.empty()) {
    EXPECT_GT(after.back(), before.back());
  }
}

// A bounded measurement for the report: 200 batched reads of 8 points per security mode.
TEST_F(NodeOpcUaServer, MeasuresBatchedReadRate) {
  for (const char* mode : {"None", "SignAndEncrypt"}) {
    asio::io_context io;
    auto driver = *drivers::make_driver("opcua", io.get_executor());
    std::map<std::string, std::string, std::less<>> options;
    if (std::string(mode) != "None") options = {{"security", "Basic256Sha256"}, {"mode", mode}};
    const auto device = settings(options);
    std::vector<PointConfig> points;
    for (const char* name : {"Speed", "Temperature", "Count", "Status", "Running", "Name", "Setpoint", "Counter"}) {
      points.push_back(point(name, std::string("ns=1;s=") + name, DataType::kFloat64));
    }
    int good = 0;
    std::chrono::steady_clock::duration took{};
    run(io, [&]() -> asio::awaitable<void> {
      auto started = co_await driver->start(device);
      EXPECT_TRUE(started);
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 200; ++i) {
        auto readings = co_await driver->read(points);
        for (const auto& r : readings) good += r.value ? 1 : 0;
      }
      took = std::chrono::steady_clock::now() - t0;
      co_await driver->stop();
    });
    EXPECT_EQ(good, 200 * 8);
    const double seconds = std::chrono::duration<double>(took).count();
    std::printf("opcua %s: 200 Read requests of 8 points in %.3f s = %.0f requests/s, %.0f values/s\n", mode,
                seconds, 200 / seconds, 1600 / seconds);
  }
}

}  // namespace
}  // namespace kaiwu::drivers::opcua

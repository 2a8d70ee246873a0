// The `mqtt` driver against the real peer: Debian's mosquitto broker (started by the test on a
// free 127.0.0.1 port with a temporary configuration, killed at the end), fed by mosquitto_pub
// and read back with mosquitto_sub. Also a scripted fake broker that sends a malformed packet.
// Labelled "integration" in ctest.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "drivers/mqttc/driver.hpp"
#include "drivers/registry.hpp"

#define CO_ASSERT(cond, ...)                                   \
  if (!(cond)) {                                               \
    ADD_FAILURE() << #cond << " " __VA_OPT__(<<) __VA_ARGS__; \
    co_return;                                                 \
  }

namespace kaiwu::drivers::mqttc {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
namespace fs = std::filesystem;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// A child process killed (SIGKILL, then reaped) when the object goes away.
struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of its stdout when captured
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { kill(); }
  void kill() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
    if (out >= 0) ::close(out);
    out = -1;
  }
};

void spawn(Child& c, std::vector<std::string> argv, bool capture = false) {
  int fds[2] = {-1, -1};
  if (capture) {
    EXPECT_EQ(::pipe(fds), 0);
  }
  c.pid = ::fork();
  if (c.pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(capture ? fds[1] : null, 1);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (capture) {
    ::close(fds[1]);
    c.out = fds[0];
  }
}

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(kAsTuple);
}

template <typename F>
asio::awaitable<bool> wait_until(F cond, std::chrono::milliseconds limit = 5000ms) {
  for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
    if (cond()) co_return true;
    co_await sleep_for(20ms);
  }
  co_return cond();
}

// One mosquitto on 127.0.0.1:port with a temporary configuration (optionally a password file).
struct Broker {
  fs::path dir;
  std::uint16_t port = 0;
  Child child;
  bool with_password = false;

  enum class Mode { kPlain, kPassword, kTls };
  explicit Broker(bool password = false) : Broker(password ? Mode::kPassword : Mode::kPlain) {}
  explicit Broker(Mode mode) : port(free_port()), with_password(mode == Mode::kPassword) {
    const bool password = with_password;
    dir = fs::temp_directory_path() / ("kaiwu-mqttc-" + std::to_string(::getpid()) + "-" + std::to_string(port));
    fs::create_directories(dir);
    std::ofstream conf(dir / "mosquitto.conf");
    conf << "listener " << port << " 127.0.0.1\n" << "persistence false\n";
    if (password) {
      Child pw;
      spawn(pw, {"/usr/bin/mosquitto_passwd", "-b", "-c", (dir / "passwd").string(), "plant", "s3cret"});
      int status = 0;
      ::waitpid(pw.pid, &status, 0);
      pw.pid = -1;
      EXPECT_EQ(status, 0) << "mosquitto_passwd failed";
      conf << "allow_anonymous false\npassword_file " << (dir / "passwd").string() << "\n";
    } else {
      conf << "allow_anonymous true\n";
    }
    if (mode == Mode::kTls) {  // a throw-away CA and a server certificate for IP 127.0.0.1
      std::ofstream(dir / "ext.cnf") << "subjectAltName=IP:127.0.0.1\n";
      const auto d = dir.string();
      const std::string script =
          "cd " + d + " && " +
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt "
          "-days 1 -subj /CN=kaiwu-test-ca && "
          "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
          "-subj /CN=127.0.0.1 && "
          "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 "
          "-extfile ext.cnf && "
          "chmod 755 . && chmod 644 server.key";  // mosquitto started as root reads them as user mosquitto
      Child sh;
      spawn(sh, {"/bin/sh", "-c", script});
      int status = 0;
      ::waitpid(sh.pid, &status, 0);
      sh.pid = -1;
      EXPECT_EQ(status, 0) << "openssl failed";
      conf << "cafile " << d << "/ca.crt\ncertfile " << d << "/server.crt\nkeyfile " << d << "/server.key\n";
    }
  }
  ~Broker() {
    child.kill();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  bool listening() {
    asio::io_context io;
    tcp::socket s(io);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    return !ec;
  }
  // Starts (or restarts) mosquitto and waits until it accepts connections.
  bool start() {
    spawn(child, {"/usr/sbin/mosquitto", "-c", (dir / "mosquitto.conf").string()});
    for (int i = 0; i < 250; ++i) {
      if (listening()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port); }
};

// mosquitto_pub, awaited without blocking the io_context.
asio::awaitable<int> publish(const Broker& b, std::string topic, std::string payload) {
  Child c;
  std::vector<std::string> argv{"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(b.port),
                                "-t", topic, "-m", payload, "-q", "1"};
  if (b.with_password) argv.insert(argv.end(), {"-u", "plant", "-P", "s3cret"});
  spawn(c, argv);
  for (int i = 0; i < 500; ++i) {
    int status = 0;
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.pid = -1;
      co_return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    }
    co_await sleep_for(10ms);
  }
  co_return -1;
}

PointConfig point(std::string key, std::string address, DataType type = DataType::kFloat64) {
  PointConfig p;
  p.key = std::move(key);
  p.address = std::move(address);
  p.type = type;
  return p;
}

// Runs a test body on an io_context; exceptions fail the test.
template <typename F>
void run(F body) {
  asio::io_context io;
  asio::co_spawn(io, body(io.get_executor()), [](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        ADD_FAILURE() << "exception: " << x.what();
      }
    }
  });
  io.run_for(120s);
}

const Reading* find(const std::map<std::string, Reading>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

asio::awaitable<void> values_errors_and_reconnect(asio::any_io_executor ex) {
  Broker broker;
  CO_ASSERT(broker.start(), "mosquitto did not start");
  auto made = make_driver("mqtt", ex);
  CO_ASSERT(made);
  auto& driver = **made;
  CO_ASSERT(driver.info().can_subscribe);
  DeviceSettings settings;
  settings.name = "press";
  settings.endpoint = "mqtt://" + broker.endpoint();
  settings.options = {{"ts", "$.ts"}, {"qos", "1"}, {"keepalive", "5"}};
  std::vector<PointConfig> points{
      point("temperature", "factory/line1/press/status#$.temperature"),
      point("speed", "plc/+/data#values.speed", DataType::kInt32),
      point("second", "plc/+/data#arr[1]"),
      point("mode", "plc/+/data#values.mode", DataType::kInt32),
      point("plain", "sensors/t1"),
  };
  points[1].scale = 0.5;
  CO_ASSERT(driver.validate(settings, points));
  CO_ASSERT(!driver.validate(settings, std::vector{point("bad", "a/b+#x")}));
  auto st = co_await driver.start(settings);
  CO_ASSERT(st, st.error().message);

  // Before any message: "no value yet".
  auto first = co_await driver.read(std::span(points).first(1));
  CO_ASSERT(first.size() == 1u);
  CO_ASSERT(!first[0].value && first[0].value.error().code == Errc::kUnavailable);

  std::map<std::string, Reading> got;
  std::size_t batches = 0;
  st = co_await driver.subscribe(points, [&](std::vector<Reading> rs) {
    ++batches;
    for (auto& r : rs) got.insert_or_assign(r.key, std::move(r));
  });
  CO_ASSERT(st);
  co_await sleep_for(300ms);  // SUBACK

  CO_ASSERT(co_await publish(broker, "factory/line1/press/status", R"({"temperature":21.5,"ts":1795667400250})") == 0);
  CO_ASSERT(co_await wait_until([&] { return find(got, "temperature"); }));
  CO_ASSERT(got["temperature"].value && *got["temperature"].value == tsdb::Value(21.5));
  EXPECT_EQ(got["temperature"].ts, 1795667400250);

  CO_ASSERT(co_await publish(broker, "plc/7/data",
                             R"({"ts":"2026-11-26T12:30:00.5+08:00","values":{"speed":"1200","mode":"auto"},"arr":[1.5,2.75]})") == 0);
  CO_ASSERT(co_await wait_until([&] { return find(got, "speed") && find(got, "mode") && find(got, "second"); }));
  CO_ASSERT(got["speed"].value, got["speed"].value.error().message);
  EXPECT_EQ(*got["speed"].value, tsdb::Value(600.0));  // "1200" × 0.5
  EXPECT_EQ(got["speed"].ts, 1795667400500);
  CO_ASSERT(got["second"].value);
  EXPECT_EQ(*got["second"].value, tsdb::Value(2.75));
  CO_ASSERT(!got["mode"].value);
  EXPECT_NE(got["mode"].value.error().message.find("'auto' is not a int32"), std::string::npos)
      << got["mode"].value.error().message;
  EXPECT_NE(got["mode"].value.error().message.find("point 'mode'"), std::string::npos);
  const auto failures_before = driver.health().failures;
  EXPECT_GE(failures_before, 1u);

  // A plain number payload (no ts key: the payload's timestamp is missing, receive time used).
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  CO_ASSERT(co_await publish(broker, "sensors/t1", "23.25") == 0);
  CO_ASSERT(co_await wait_until([&] { return find(got, "plain"); }));
  CO_ASSERT(got["plain"].value);
  EXPECT_EQ(*got["plain"].value, tsdb::Value(23.25));
  EXPECT_GE(got["plain"].ts, before);
  EXPECT_LT(got["plain"].ts, before + 10000);

  // A non-JSON payload and a missing key: errors for those points only, the driver carries on.
  got.erase("temperature");
  CO_ASSERT(co_await publish(broker, "factory/line1/press/status", "garbage{") == 0);
  CO_ASSERT(co_await wait_until([&] { return find(got, "temperature"); }));
  CO_ASSERT(!got["temperature"].value);
  EXPECT_NE(got["temperature"].value.error().message.find("not JSON"), std::string::npos);
  got.erase("temperature");
  CO_ASSERT(co_await publish(broker, "factory/line1/press/status", R"({"pressure":3})") == 0);
  CO_ASSERT(co_await wait_until([&] { return find(got, "temperature"); }));
  CO_ASSERT(!got["temperature"].value);
  EXPECT_EQ(got["temperature"].value.error().code, Errc::kNotFound);
  EXPECT_GT(driver.health().failures, failures_before);
  EXPECT_TRUE(driver.health().connected);

  // read() returns the latest value of each point.
  auto latest = co_await driver.read(points);
  CO_ASSERT(latest.size() == points.size());
  EXPECT_FALSE(latest[0].value);  // the last temperature message lacked the key
  CO_ASSERT(latest[1].value);
  EXPECT_EQ(*latest[1].value, tsdb::Value(600.0));
  CO_ASSERT(latest[4].value);
  EXPECT_EQ(*latest[4].value, tsdb::Value(23.25));

  // Kill the broker, restart it on the same port: the driver reconnects, resubscribes, resumes.
  broker.child.kill();
  CO_ASSERT(co_await wait_until([&] { return !driver.health().connected; }));
  CO_ASSERT(broker.start(), "mosquitto did not restart");
  CO_ASSERT(co_await wait_until([&] { return driver.health().connected; }, 15000ms));
  EXPECT_GE(driver.health().reconnects, 1u);
  co_await sleep_for(300ms);  // SUBACK
  got.clear();
  CO_ASSERT(co_await publish(broker, "factory/line1/press/status", R"({"temperature":-4.125,"ts":1795667401000})") == 0);
  CO_ASSERT(co_await wait_until([&] { return find(got, "temperature"); }));
  CO_ASSERT(got["temperature"].value);
  EXPECT_EQ(*got["temperature"].value, tsdb::Value(-4.125));
  EXPECT_EQ(got["temperature"].ts, 1795667401000);

  // Without a write_topic option a write is refused, clearly.
  auto wp = points[0];
  wp.writable = true;
  auto w = co_await driver.write(wp, 1.0);
  CO_ASSERT(!w);
  EXPECT_EQ(w.error().code, Errc::kFailedPrecondition);
  EXPECT_NE(w.error().message.find("write_topic"), std::string::npos);

  co_await driver.stop();
  EXPECT_FALSE(driver.health().connected);
}

TEST(MqttcInterop, ValuesErrorsAndReconnect) { run(values_errors_and_reconnect); }

asio::awaitable<void> write_reaches_subscriber(asio::any_io_executor ex) {
  Broker broker;
  CO_ASSERT(broker.start());
  MqttDriver driver(ex);
  DeviceSettings settings;
  settings.name = "valve";
  settings.endpoint = broker.endpoint();
  settings.options = {{"write_topic", "factory/valve/set"}, {"qos", "1"}};
  CO_ASSERT(co_await driver.start(settings));
  Child sub;
  spawn(sub, {"/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker.port), "-t",
              "factory/valve/set", "-C", "1", "-W", "10"},
        true);
  co_await sleep_for(500ms);  // mosquitto_sub subscribed
  auto sp = point("setpoint", "factory/valve/state#sp");
  EXPECT_EQ((co_await driver.write(sp, 42.5)).error().code, Errc::kPermissionDenied);
  sp.writable = true;
  sp.scale = 0.5;  // raw = 42.5 / 0.5 = 85
  auto st = co_await driver.write(sp, 42.5);
  CO_ASSERT(st, st.error().message);
  std::string out;
  CO_ASSERT(co_await wait_until([&] {
    char buf[256];
    ::fcntl(sub.out, F_SETFL, O_NONBLOCK);
    auto n = ::read(sub.out, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    return out.find('\n') != std::string::npos;
  }));
  EXPECT_EQ(out, "{\"setpoint\":85}\n") << out;
  co_await driver.stop();
}

TEST(MqttcInterop, WriteReachesSubscriber) { run(write_reaches_subscriber); }

asio::awaitable<void> username_password(asio::any_io_executor ex) {
  Broker broker(true);
  CO_ASSERT(broker.start());
  DeviceSettings settings;
  settings.name = "secured";
  settings.endpoint = "tcp://" + broker.endpoint();
  settings.options = {{"username", "plant"}, {"password", "wrong"}};
  {
    MqttDriver bad(ex);
    auto st = co_await bad.start(settings);
    CO_ASSERT(!st);
    EXPECT_EQ(st.error().code, Errc::kUnauthenticated) << st.error().message;
    EXPECT_NE(st.error().message.find("refused the connection"), std::string::npos) << st.error().message;
    EXPECT_FALSE(bad.health().connected);
  }
  settings.options["password"] = "s3cret";
  MqttDriver driver(ex);
  auto st = co_await driver.start(settings);
  CO_ASSERT(st, st.error().message);
  std::vector<Reading> got;
  auto points = std::vector{point("humidity", "room/+/climate#rh")};
  CO_ASSERT(co_await driver.subscribe(points, [&](std::vector<Reading> rs) { got = std::move(rs); }));
  co_await sleep_for(300ms);
  CO_ASSERT(co_await publish(broker, "room/3/climate", R"({"rh":55})") == 0);
  CO_ASSERT(co_await wait_until([&] { return !got.empty(); }));
  CO_ASSERT(got[0].value);
  EXPECT_EQ(*got[0].value, tsdb::Value(55.0));  // a float64 point
  co_await driver.stop();
}

TEST(MqttcInterop, UsernamePassword) { run(username_password); }

// A fake broker: CONNACK, then a packet of reserved type 0 (MQTT 3.1.1 §2.2.1). The driver
// drops the connection and reconnects: a second CONNECT arrives.
asio::awaitable<void> fake_broker(tcp::acceptor& acceptor, int& accepted) {
  while (accepted < 2) {
    auto [ec, sock] = co_await acceptor.async_accept(kAsTuple);
    if (ec) co_return;
    ++accepted;
    char buf[512];
    auto [rec, n] = co_await sock.async_read_some(asio::buffer(buf), kAsTuple);
    if (rec || n < 2 || static_cast<unsigned char>(buf[0]) != 0x10) co_return;  // CONNECT
    const unsigned char reply[] = {0x20, 0x02, 0x00, 0x00, 0x00, 0x00};  // CONNACK, then type 0
    co_await asio::async_write(sock, asio::buffer(reply, accepted == 1 ? 6 : 4), kAsTuple);
    while (true) {  // until the driver closes the connection
      auto [e2, m] = co_await sock.async_read_some(asio::buffer(buf), kAsTuple);
      if (e2) break;
    }
  }
}

asio::awaitable<void> run_fake_broker(tcp::acceptor& acceptor, int& accepted, bool& done) {
  co_await fake_broker(acceptor, accepted);
  done = true;
}

asio::awaitable<void> malformed_packet(asio::any_io_executor ex) {
  tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  int accepted = 0;
  bool done = false;
  asio::co_spawn(ex, run_fake_broker(acceptor, accepted, done), asio::detached);
  MqttDriver driver(ex);
  DeviceSettings settings;
  settings.name = "fake";
  settings.endpoint = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  auto st = co_await driver.start(settings);
  EXPECT_TRUE(st) << st.error().message;
  // Checked without CO_ASSERT: the fake broker must finish before its acceptor goes away.
  EXPECT_TRUE(co_await wait_until([&] { return accepted == 2 && driver.health().reconnects >= 1; }));
  EXPECT_GE(driver.health().failures, 1u);
  EXPECT_NE(driver.health().last_error.find("reserved"), std::string::npos) << driver.health().last_error;
  co_await driver.stop();
  acceptor.close();
  EXPECT_TRUE(co_await wait_until([&] { return done; }));
}

TEST(MqttcInterop, MalformedPacketReconnects) { run(malformed_packet); }

// mqtts:// against mosquitto's TLS listener: the driver publishes a QoS 1 write (completed by
// the broker's PUBACK) to a topic it also subscribes to, and gets its own value back. With the
// system's trust anchors instead of the test CA, start() fails naming the TLS handshake.
asio::awaitable<void> tls_round_trip(asio::any_io_executor ex) {
  Broker broker(Broker::Mode::kTls);
  CO_ASSERT(broker.start());
  DeviceSettings settings;
  settings.name = "tls";
  settings.endpoint = "mqtts://" + broker.endpoint();
  {
    MqttDriver untrusted(ex);
    auto st = co_await untrusted.start(settings);
    CO_ASSERT(!st);
    EXPECT_NE(st.error().message.find("TLS handshake"), std::string::npos) << st.error().message;
  }
  settings.options = {{"ca_file", (broker.dir / "ca.crt").string()}, {"qos", "1"}, {"write_topic", "loop/back"}};
  MqttDriver driver(ex);
  auto st = co_await driver.start(settings);
  CO_ASSERT(st, st.error().message);
  std::vector<Reading> got;
  auto sp = point("sp", "loop/back#sp", DataType::kInt32);
  sp.writable = true;
  CO_ASSERT(co_await driver.subscribe(std::span(&sp, 1), [&](std::vector<Reading> rs) { got = std::move(rs); }));
  co_await sleep_for(300ms);
  st = co_await driver.write(sp, std::int64_t{-17});
  CO_ASSERT(st, st.error().message);
  CO_ASSERT(co_await wait_until([&] { return !got.empty(); }));
  CO_ASSERT(got[0].value);
  EXPECT_EQ(*got[0].value, tsdb::Value(std::int64_t{-17}));
  co_await driver.stop();
}

TEST(MqttcInterop, TlsRoundTrip) { run(tls_round_trip); }

// QoS 2 both ways through mosquitto: the driver's write completes with PUBREC/PUBREL/PUBCOMP and
// comes back on its own QoS 2 subscription (PUBREC, PUBREL, PUBCOMP from the receiving side);
// mosquitto_pub -q 2 from outside arrives exactly once.
asio::awaitable<void> qos2_both_ways(asio::any_io_executor ex) {
  Broker broker;
  CO_ASSERT(broker.start());
  DeviceSettings settings;
  settings.name = "qos2";
  settings.endpoint = broker.endpoint();
  settings.options = {{"qos", "2"}, {"write_topic", "loop/q2"}};
  MqttDriver driver(ex);
  auto st = co_await driver.start(settings);
  CO_ASSERT(st, st.error().message);
  std::vector<Reading> got;
  int deliveries = 0;
  auto sp = point("sp", "loop/q2#sp", DataType::kInt32);
  sp.writable = true;
  CO_ASSERT(co_await driver.subscribe(std::span(&sp, 1), [&](std::vector<Reading> rs) {
    got = std::move(rs);
    ++deliveries;
  }));
  co_await sleep_for(300ms);
  for (std::int64_t v : {std::int64_t{7}, std::int64_t{8}, std::int64_t{9}}) {
    st = co_await driver.write(sp, v);
    CO_ASSERT(st, st.error().message);
  }
  CO_ASSERT(co_await wait_until([&] { return deliveries >= 3; }));
  CO_ASSERT(got[0].value);
  EXPECT_EQ(*got[0].value, tsdb::Value(std::int64_t{9}));
  Child pub;
  spawn(pub, {"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker.port), "-t", "loop/q2", "-m",
              "{\"sp\":41}", "-q", "2"});
  CO_ASSERT(co_await wait_until([&] { return deliveries >= 4; }));
  EXPECT_EQ(*got[0].value, tsdb::Value(std::int64_t{41}));
  co_await sleep_for(300ms);
  EXPECT_EQ(deliveries, 4);
  EXPECT_EQ(driver.health().failures, 0u);
  co_await driver.stop();
}

TEST(MqttcInterop, Qos2BothWays) { run(qos2_both_ways); }

}  // namespace
}  // namespace kaiwu::drivers::mqttc

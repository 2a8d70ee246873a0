// The dlt645 driver against a scripted line, against the meter simulator over a real TCP socket
// on 127.0.0.1, and over a pseudo-terminal pair standing in for the RS-485 line.
#include "drivers/dlt645/driver.hpp"

#include <gtest/gtest.h>

// GCC 12 reports asio's awaitable frame allocator as mismatched new/delete in large test
// coroutines, depending on inlining (a false positive: the frame's operator new and delete
// are a matching pair); it is silenced here only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio.hpp>

#include <pty.h>
#include <unistd.h>

#include "drivers/dlt645/meter_sim.hpp"
#include "drivers/registry.hpp"

namespace kaiwu::drivers::dlt645 {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

template <typename F>
void run(asio::io_context& io, F coroutine) {
  bool done = false;
  asio::co_spawn(io, coroutine(), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
}

PointConfig point(std::string key, std::string address) {
  PointConfig p;
  p.key = std::move(key);
  p.address = std::move(address);
  return p;
}

Address addr(std::string_view digits) { return *parse_address(digits); }

DeviceSettings settings(std::string endpoint, std::string meter = "123456789012") {
  DeviceSettings s;
  s.name = "meter-1";
  s.endpoint = std::move(endpoint);
  s.options["meter_address"] = std::move(meter);
  s.timeout = 300ms;
  s.retries = 1;
  return s;
}

double number(const Reading& r) {
  EXPECT_TRUE(r.value) << r.key << ": " << r.value.error().message;
  return r.value ? std::get<double>(*r.value) : -1e9;
}

TEST(Dlt645Driver, IsRegisteredAndValidates) {
  asio::io_context io;
  auto d = make_driver("dlt645", io.get_executor());
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)->info().name, "dlt645");
  std::vector<PointConfig> points{point("ua", "02-01-01-00")};
  EXPECT_TRUE((*d)->validate(settings("127.0.0.1:1"), points));
  DeviceSettings no_addr = settings("127.0.0.1:1");
  no_addr.options.clear();
  EXPECT_EQ((*d)->validate(no_addr, points).error().code, Errc::kInvalidArgument);
  points.push_back(point("bad", "hr:0"));
  auto st = (*d)->validate(settings("127.0.0.1:1"), points);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("'bad'"), std::string::npos);
}

// Scripted line: preamble handling, noise before the reply, a reply split across reads,
// a timeout followed by a successful retry, and an abnormal response for one point only.
TEST(Dlt645Driver, ScriptedLineWithNoiseSplitsRetriesAndAbnormalReply) {
  asio::io_context io;
  auto fake = std::make_unique<FakeTransport>();
  FakeTransport* line = fake.get();
  const Address a = addr("123456789012");
  const std::string ua_req = encode(read_request(a, 0x02010100));
  const std::string ua_rsp = encode(read_response(a, 0x02010100, std::vector<std::uint8_t>{0x01, 0x22}), 2);
  // On a two-wire RS-485 line the master hears its own request before the meter's reply.
  line->expect(ua_req, {ua_req + std::string("\x00\x11\x68", 3), ua_rsp.substr(0, 7), ua_rsp.substr(7)});
  const std::string ia_req = encode(read_request(a, 0x02020100));
  line->expect(ia_req, {});  // silent: timeout, then the retry is answered
  line->expect(ia_req, {encode(read_response(a, 0x02020100, std::vector<std::uint8_t>{0x00, 0x15, 0x80}), 0)});
  const std::string pf_req = encode(read_request(a, 0x02060000));
  line->expect(pf_req, {encode(abnormal_response(a, control::kRead, err::kNoData))});
  Dlt645Driver driver(io.get_executor(), std::move(fake));
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await driver.start(settings("unused:1")));
    std::vector<PointConfig> points{point("ua", "02-01-01-00"), point("ia", "02-02-01-00"), point("pf", "02-06-00-00")};
    auto readings = co_await driver.read(points);
    EXPECT_EQ(readings.size(), 3u);
    EXPECT_DOUBLE_EQ(number(readings[0]), 220.1);
    EXPECT_DOUBLE_EQ(number(readings[1]), -1.5);
    EXPECT_FALSE(readings[2].value);
    EXPECT_EQ(readings[2].value.error().code, Errc::kNotFound);
    EXPECT_NE(readings[2].value.error().message.find("no requested data"), std::string::npos);
  });
  EXPECT_TRUE(line->done()) << line->mismatch();
  const Health h = driver.health();
  EXPECT_EQ(h.requests, 4u);
  EXPECT_EQ(h.timeouts, 1u);
  EXPECT_EQ(h.failures, 1u);
  EXPECT_NE(h.last_success_ms, 0);
}

TEST(Dlt645Driver, BlockReadDecodesTheElementsAndFallsBackToSingleReads) {
  asio::io_context io;
  auto fake = std::make_unique<FakeTransport>();
  FakeTransport* line = fake.get();
  const Address a = addr("123456789012");
  // Round 1: one 02-01-FF-00 request for the three voltages, a single read for the power.
  line->expect(encode(read_request(a, 0x0201FF00)),
               {encode(read_response(a, 0x0201FF00, std::vector<std::uint8_t>{0x01, 0x22, 0x02, 0x22, 0x03, 0x22}), 0)});
  line->expect(encode(read_request(a, 0x02030000)),
               {encode(read_response(a, 0x02030000, std::vector<std::uint8_t>{0x56, 0x34, 0x12}), 0)});
  // Round 2: this meter refuses blocks (ERR no data): the voltages are read one by one.
  line->expect(encode(read_request(a, 0x0201FF00)), {encode(abnormal_response(a, control::kRead, err::kNoData))});
  for (DataId id : {0x02010100u, 0x02030000u, 0x02010200u, 0x02010300u}) {  // in point order
    std::vector<std::uint8_t> v{0x00, 0x23};
    if (id == 0x02030000u) v = {0x56, 0x34, 0x12};
    line->expect(encode(read_request(a, id)), {encode(read_response(a, id, v), 0)});
  }
  Dlt645Driver driver(io.get_executor(), std::move(fake));
  run(io, [&]() -> asio::awaitable<void> {
    auto s = settings("unused:1");
    s.options["block_read"] = "true";
    EXPECT_TRUE(co_await driver.start(s));
    std::vector<PointConfig> points{point("ua", "02-01-01-00"), point("p", "02-03-00-00"), point("ub", "02-01-02-00"),
                                    point("uc", "02-01-03-00")};
    auto r = co_await driver.read(points);
    EXPECT_EQ(r.size(), 4u);
    EXPECT_DOUBLE_EQ(number(r[0]), 220.1);
    EXPECT_DOUBLE_EQ(number(r[1]), 12.3456);
    EXPECT_DOUBLE_EQ(number(r[2]), 220.2);
    EXPECT_DOUBLE_EQ(number(r[3]), 220.3);
    r = co_await driver.read(points);
    EXPECT_DOUBLE_EQ(number(r[0]), 230.0);
    EXPECT_DOUBLE_EQ(number(r[1]), 12.3456);
    EXPECT_DOUBLE_EQ(number(r[2]), 230.0);
    EXPECT_DOUBLE_EQ(number(r[3]), 230.0);
  });
  EXPECT_TRUE(line->done()) << line->mismatch();
}

TEST(Dlt645Driver, CorruptReplyIsRetriedThenReported) {
  asio::io_context io;
  auto fake = std::make_unique<FakeTransport>();
  FakeTransport* line = fake.get();
  const Address a = addr("1");
  const std::string req = encode(read_request(a, 0x02800002), 0);
  std::string bad = encode(read_response(a, 0x02800002, std::vector<std::uint8_t>{0x00, 0x50}), 0);
  bad[bad.size() - 2] ^= 0x01;
  line->expect(req, {bad});
  line->expect(req, {bad});
  Dlt645Driver driver(io.get_executor(), std::move(fake));
  DeviceSettings s = settings("unused:1", "1");
  s.options["preamble"] = "0";
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await driver.start(s));
    std::vector<PointConfig> points{point("f", "02-80-00-02")};
    auto readings = co_await driver.read(points);
    EXPECT_FALSE(readings[0].value);
    EXPECT_NE(readings[0].value.error().message.find("checksum"), std::string::npos);
  });
  EXPECT_TRUE(line->done()) << line->mismatch();
  EXPECT_EQ(driver.health().failures, 2u);
}

// A value spread over a first frame (B1H: D5 set) and a follow-up frame (12H → 92H, SEQ=1).
TEST(Dlt645Driver, ChainsFollowUpFrames) {
  asio::io_context io;
  auto fake = std::make_unique<FakeTransport>();
  FakeTransport* line = fake.get();
  const Address a = addr("1");
  const DataId id = 0x06000001;  // not in the table: read as plain BCD digits
  Frame first = read_response(a, id, std::vector<std::uint8_t>{0x78, 0x56});
  first.control |= control::kFollows;
  Frame second{a, 0x92, {0x01, 0x00, 0x00, 0x06, 0x34, 0x12, 0x01}};
  line->expect(encode(read_request(a, id)), {encode(first)});
  line->expect(encode(read_follow_request(a, id, 1)), {encode(second)});
  Dlt645Driver driver(io.get_executor(), std::move(fake));
  std::vector<Reading> readings;
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await driver.start(settings("unused:1", "1")));
    std::vector<PointConfig> points{point("record", "06-00-00-01")};
    readings = co_await driver.read(points);
  });
  EXPECT_TRUE(line->done()) << line->mismatch();
  ASSERT_EQ(readings.size(), 1u);
  ASSERT_TRUE(readings[0].value) << readings[0].value.error().message;
  EXPECT_EQ(std::get<std::int64_t>(*readings[0].value), 12345678);  // bytes 78 56 34 12, low first
}

asio::awaitable<void> serve_meters(MeterSim& sim, tcp::acceptor& acceptor) { co_await sim.serve(acceptor); }

asio::awaitable<void> read_and_write(Dlt645Driver& driver, MeterSim& sim, std::uint16_t port) {
  EXPECT_TRUE(co_await driver.start(settings("tcp://127.0.0.1:" + std::to_string(port))));
  std::vector<PointConfig> points{point("e", "00-00-00-00"),  point("ef", "00-01-00-00"), point("ua", "02-01-01-00"),
                                  point("ib", "02-02-02-00"),  point("p", "02-03-00-00"), point("f", "02-80-00-02"),
                                  point("pf", "02-06-00-00"),  point("t", "04-00-01-02"), point("none", "02-01-02-00")};
  points[2].scale = 0.001;  // kV
  auto r = co_await driver.read(points);
  EXPECT_DOUBLE_EQ(number(r[0]), 12345.67);
  EXPECT_DOUBLE_EQ(number(r[1]), 12000.5);
  EXPECT_DOUBLE_EQ(number(r[2]), 0.2298);
  EXPECT_DOUBLE_EQ(number(r[3]), -12.345);
  EXPECT_DOUBLE_EQ(number(r[4]), -7.5);
  EXPECT_DOUBLE_EQ(number(r[5]), 49.98);
  EXPECT_DOUBLE_EQ(number(r[6]), 0.987);
  EXPECT_EQ(std::get<std::string>(*r[7].value), "08:15:00");
  EXPECT_EQ(r[8].value.error().code, Errc::kNotFound);

  PointConfig clock = point("clock", "04-00-01-02");
  EXPECT_EQ((co_await driver.write(clock, std::string("09:00:00"))).error().code, Errc::kPermissionDenied);
  clock.writable = true;
  EXPECT_TRUE(co_await driver.write(clock, std::string("09:00:00")));
  sim.set_password(0x02999999);
  auto denied = co_await driver.write(clock, std::string("10:00:00"));
  EXPECT_EQ(denied.error().code, Errc::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("unauthorized"), std::string::npos);
  co_await driver.stop();
  sim.stop();
}

// Two meters behind one transparent TCP converter; the driver reads one of them.
TEST(Dlt645Driver, ReadsAndWritesTheSimulatorOverTcp) {
  asio::io_context io;
  MeterSim sim;
  const Address a = addr("123456789012"), b = addr("000000000002");
  sim.add_meter(a);
  sim.add_meter(b);
  sim.set_value(a, 0x00000000, 12345.67);
  sim.set_value(a, 0x00010000, 12000.5);
  sim.set_value(a, 0x02010100, 229.8);
  sim.set_value(a, 0x02020200, -12.345);
  sim.set_value(a, 0x02030000, -7.5);
  sim.set_value(a, 0x02800002, 49.98);
  sim.set_value(a, 0x04000102, std::string("08:15:00"));
  sim.set_value(b, 0x02010100, 100.0);
  // A live signal from the provider for an identifier with no stored value.
  sim.set_provider([](const Address&, DataId id) -> std::optional<tsdb::Value> {
    if (id == 0x02060000) return 0.987;
    return std::nullopt;
  });
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(io, serve_meters(sim, acceptor), asio::detached);
  Dlt645Driver driver(io.get_executor());
  bool done = false;
  asio::co_spawn(io, read_and_write(driver, sim, port), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
  EXPECT_EQ(std::get<std::string>(*sim.value(a, 0x04000102)), "09:00:00");
  EXPECT_GE(sim.requests(), 11u);
}

TEST(Dlt645Driver, UnknownMeterTimesOutAndReconnectsAfterServerLoss) {
  asio::io_context io;
  MeterSim sim;
  sim.add_meter(addr("1"));
  sim.set_value(addr("1"), 0x02010100, 230.0);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(io, serve_meters(sim, acceptor), asio::detached);
  Dlt645Driver wrong(io.get_executor());
  Dlt645Driver right(io.get_executor());
  run(io, [&]() -> asio::awaitable<void> {
    DeviceSettings s = settings("127.0.0.1:" + std::to_string(port), "2");
    s.timeout = 100ms;
    s.retries = 2;
    EXPECT_TRUE(co_await wrong.start(s));
    std::vector<PointConfig> points{point("ua", "02-01-01-00")};
    auto r = co_await wrong.read(points);
    EXPECT_EQ(r[0].value.error().code, Errc::kTimeout);
    EXPECT_EQ(wrong.health().timeouts, 3u);  // first attempt + 2 retries
    // The right meter still answers on the same bus, and after a dropped connection the
    // driver reconnects by itself.
    s.options["meter_address"] = "1";
    EXPECT_TRUE(co_await right.start(s));
    EXPECT_DOUBLE_EQ(number((co_await right.read(points))[0]), 230.0);
    sim.stop();  // closes every connection; a new acceptor takes over the port below
    co_return;
  });
  io.restart();
  tcp::acceptor again(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  MeterSim sim2;
  sim2.add_meter(addr("1"));
  sim2.set_value(addr("1"), 0x02010100, 231.5);
  asio::co_spawn(io, serve_meters(sim2, again), asio::detached);
  run(io, [&]() -> asio::awaitable<void> {
    std::vector<PointConfig> points{point("ua", "02-01-01-00")};
    auto r = co_await right.read(points);
    EXPECT_DOUBLE_EQ(number(r[0]), 231.5);
    EXPECT_GE(right.health().reconnects, 1u);
    co_await right.stop();
    sim2.stop();
  });
}

asio::awaitable<void> read_three_phase(Dlt645Driver& driver, std::uint16_t port) {
  EXPECT_TRUE(co_await driver.start(settings("127.0.0.1:" + std::to_string(port), "7")));
  const std::vector<PointConfig> points{point("p", "02-03-00-00"), point("pc", "02-03-03-00"), point("ic", "02-02-03-00"),
                                        point("ub", "02-01-02-00"), point("pf", "02-06-00-00"), point("e", "00-00-00-00"),
                                        point("date", "04-00-01-01"), point("time", "04-00-01-02"), point("f", "02-80-00-02")};
  auto r = co_await driver.read(points);
  EXPECT_DOUBLE_EQ(number(r[0]), 3.7368);  // (230·10 + 231·10 + 229·(−2)) · 0.9 / 1000
  EXPECT_DOUBLE_EQ(number(r[1]), -0.4122);
  EXPECT_DOUBLE_EQ(number(r[2]), -2.0);
  EXPECT_DOUBLE_EQ(number(r[3]), 231.0);
  EXPECT_DOUBLE_EQ(number(r[4]), 0.9);
  EXPECT_DOUBLE_EQ(number(r[5]), 1500.75);
  EXPECT_EQ(std::get<std::string>(*r[6].value), "2026-11-26");
  EXPECT_EQ(std::get<std::string>(*r[7].value), "10:30:00");
  EXPECT_DOUBLE_EQ(number(r[8]), 50.01);
  co_await driver.stop();
}

// The virtual factory's view of a meter: one coherent three-phase snapshot.
TEST(Dlt645Driver, ThreePhaseSnapshotIsConsistent) {
  asio::io_context io;
  MeterSim sim;
  ThreePhase t;
  t.voltage = {230.0, 231.0, 229.0};
  t.current = {10.0, 10.0, -2.0};
  t.power_factor = 0.9;
  t.frequency = 50.01;
  t.forward_energy = 1500.25;
  t.reverse_energy = 0.5;
  t.clock_ms = 1795660200000;  // 2026-11-26 10:30:00 in Beijing
  sim.set_three_phase(addr("7"), t);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::co_spawn(io, serve_meters(sim, acceptor), asio::detached);
  Dlt645Driver driver(io.get_executor());
  bool done = false;
  asio::co_spawn(io, read_three_phase(driver, acceptor.local_endpoint().port()), [&](std::exception_ptr e) {
    done = true;
    sim.stop();
    if (e) std::rethrow_exception(e);
  });
  io.run();
  EXPECT_TRUE(done);
}

asio::awaitable<void> serve_pty(MeterSim& sim, asio::posix::stream_descriptor& master) {
  co_await sim.serve_stream(master);
}

// The serial path: the driver opens the pty slave as a 2400 baud 8E1 line, the simulator
// plays the meter on the master side (with no preamble in its replies).
TEST(Dlt645Driver, ReadsOverAPseudoTerminal) {
  int master = -1, slave = -1;
  char name[128];
  ASSERT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
  asio::io_context io;
  asio::posix::stream_descriptor stream(io, master);
  MeterSim sim(0);
  const Address a = addr("202411260001");
  sim.add_meter(a);
  sim.set_value(a, 0x02010100, 221.3);
  sim.set_value(a, 0x02020100, 5.012);
  sim.set_value(a, 0x00000000, 88.01);
  asio::co_spawn(io, serve_pty(sim, stream), asio::detached);
  Dlt645Driver driver(io.get_executor());
  run(io, [&]() -> asio::awaitable<void> {
    DeviceSettings s = settings(std::string(name) + "?baud=2400&parity=E", "202411260001");
    s.timeout = 1000ms;
    EXPECT_TRUE(co_await driver.start(s));
    std::vector<PointConfig> points{point("ua", "02-01-01-00"), point("ia", "02-02-01-00"), point("e", "00-00-00-00")};
    for (int round = 0; round < 3; ++round) {
      auto r = co_await driver.read(points);
      EXPECT_DOUBLE_EQ(number(r[0]), 221.3);
      EXPECT_DOUBLE_EQ(number(r[1]), 5.012);
      EXPECT_DOUBLE_EQ(number(r[2]), 88.01);
    }
    co_await driver.stop();
    stream.close();
  });
  ::close(slave);
  EXPECT_EQ(sim.requests(), 9u);
  EXPECT_EQ(driver.health().requests, 9u);
}

}  // namespace
}  // namespace kaiwu::drivers::dlt645

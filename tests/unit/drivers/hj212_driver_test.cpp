// The hj212 listener against the station simulator and raw sockets over real TCP on 127.0.0.1.
#include "drivers/hj212/driver.hpp"

#include <gtest/gtest.h>

// GCC 12 reports asio's awaitable frame allocator as mismatched new/delete in large test
// coroutines, depending on inlining (a false positive: the frame's operator new and delete
// are a matching pair); it is silenced here only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "drivers/hj212/station_sim.hpp"
#include "drivers/registry.hpp"

namespace kaiwu::drivers::hj212 {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kMn = "010000A8900016F000169DC0";

PointConfig point(std::string key, std::string address) {
  PointConfig p;
  p.key = std::move(key);
  p.address = std::move(address);
  return p;
}

DeviceSettings listener_settings() {
  DeviceSettings s;
  s.name = "stack-1";
  s.options["listen"] = "127.0.0.1:0";
  s.options["mn"] = std::string(kMn);
  s.options["pw"] = "123456";
  return s;
}

StationConfig station(std::string mn = std::string(kMn)) {
  StationConfig c;
  c.mn = std::move(mn);
  c.timeout = 1000ms;
  return c;
}

template <typename Coroutine>
void run(asio::io_context& io, Coroutine c) {
  bool done = false;
  asio::co_spawn(io, std::move(c), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
}

double number(const Reading& r) {
  EXPECT_TRUE(r.value) << r.key << ": " << r.value.error().message;
  return r.value ? std::get<double>(*r.value) : -1e9;
}

TEST(Hj212Driver, IsRegisteredAndValidates) {
  asio::io_context io;
  auto d = make_driver("hj212", io.get_executor());
  ASSERT_TRUE(d);
  EXPECT_TRUE((*d)->info().can_subscribe);
  std::vector<PointConfig> points{point("so2", "a21026-Rtd"), point("so2_hour", "2061/a21026-Avg")};
  EXPECT_TRUE((*d)->validate(listener_settings(), points));
  DeviceSettings no_mn = listener_settings();
  no_mn.options.erase("mn");
  EXPECT_EQ((*d)->validate(no_mn, points).error().code, Errc::kInvalidArgument);
  points.push_back(point("bad", "hr:0"));
  EXPECT_NE((*d)->validate(listener_settings(), points).error().message.find("'bad'"), std::string::npos);
  DeviceSettings bad_port = listener_settings();
  bad_port.options["listen"] = "127.0.0.1:http";
  EXPECT_NE((*d)->validate(bad_port, {}).error().message.find("port"), std::string::npos);
  points.back().address = "9999/a21026-Avg";
  EXPECT_FALSE((*d)->validate(listener_settings(), points));
}

std::string port_of(const Hj212Driver& d) { return "127.0.0.1:" + std::to_string(d.port()); }

// Waits (bounded) until the listener holds a value for `address`.
asio::awaitable<std::vector<Reading>> read_when_ready(Hj212Driver& driver, std::vector<PointConfig> points) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 0; i < 200; ++i) {
    auto r = co_await driver.read(points);
    bool all = true;
    for (const auto& x : r) all = all && x.value.has_value();
    if (all) co_return r;
    timer.expires_after(5ms);
    co_await timer.async_wait(kAsTuple);
  }
  co_return co_await driver.read(points);
}

constexpr std::int64_t kT0 = 1795660200000;  // 2026-11-26 10:30:00 China Standard Time

asio::awaitable<void> station_uploads(Hj212Driver& driver, std::vector<std::vector<Reading>>& pushed) {
  EXPECT_TRUE(co_await driver.start(listener_settings()));
  std::vector<PointConfig> subscribed{point("so2", "a21026-Rtd"), point("dust_min", "2051/a34013-Avg")};
  subscribed[0].scale = 1000.0;  // mg/m³ → µg/m³
  EXPECT_TRUE(co_await driver.subscribe(subscribed, [&pushed](std::vector<Reading> r) { pushed.push_back(std::move(r)); }));

  StationSim sim(co_await asio::this_coro::executor, station());
  EXPECT_TRUE(co_await sim.connect(port_of(driver)));
  const std::vector<RealtimeValue> rt{{"a21026", 35.2, "N"}, {"a21002", 120.75, "N"}, {"a34013", 8.5, "C"}};
  auto sent = co_await sim.send_realtime(kT0, rt);
  EXPECT_TRUE(sent) << (sent ? "" : sent.error().message);
  EXPECT_EQ(sim.acks(), 1u);
  if (!sim.replies().empty()) {
    const Packet& ack = sim.replies()[0];
    EXPECT_EQ(ack.cn, "9014");
    EXPECT_EQ(ack.st, "91");
    EXPECT_EQ(ack.flag, 4);
    EXPECT_EQ(ack.mn, kMn);
    EXPECT_EQ(ack.pw, "123456");
    EXPECT_EQ(ack.qn.size(), 17u);
  }
  std::vector<PointConfig> points{point("so2", "a21026-Rtd"), point("nox", "a21002-Rtd"), point("dust_flag", "a34013-Flag"),
                                  point("so2_rt", "2011/a21026-Rtd")};
  auto r = co_await driver.read(points);
  EXPECT_DOUBLE_EQ(number(r[0]), 35.2);
  EXPECT_EQ(r[0].ts, kT0);
  EXPECT_DOUBLE_EQ(number(r[1]), 120.75);
  EXPECT_EQ(std::get<std::string>(*r[2].value), "C");
  EXPECT_DOUBLE_EQ(number(r[3]), 35.2);

  const std::vector<IntervalValue> minute{{"a34013", 8.1, 7.9, 8.4, 0.05, "N"}};
  EXPECT_TRUE(co_await sim.send_interval(cn::kMinute, kT0 + 60000, minute));
  const std::vector<IntervalValue> hour{{"a34013", 9.0, 6.5, 11.25, 3.5, "N"}};
  EXPECT_TRUE(co_await sim.send_interval(cn::kHour, kT0 + 3600000, hour));
  EXPECT_EQ(sim.acks(), 3u);
  std::vector<PointConfig> stats{point("avg", "a34013-Avg"), point("avg_min", "2051/a34013-Avg"),
                                 point("avg_hour", "2061/a34013-Avg"), point("cou_hour", "2061/a34013-Cou"),
                                 point("max_min", "2051/a34013-Max"), point("missing", "a99999-Rtd")};
  r = co_await driver.read(stats);
  EXPECT_DOUBLE_EQ(number(r[0]), 9.0);  // the latest of any data command: the hour value
  EXPECT_EQ(r[0].ts, kT0 + 3600000);
  EXPECT_DOUBLE_EQ(number(r[1]), 8.1);
  EXPECT_EQ(r[1].ts, kT0 + 60000);
  EXPECT_DOUBLE_EQ(number(r[2]), 9.0);
  EXPECT_DOUBLE_EQ(number(r[3]), 3.5);
  EXPECT_DOUBLE_EQ(number(r[4]), 8.4);
  EXPECT_EQ(r[5].value.error().code, Errc::kUnavailable);

  EXPECT_EQ((co_await driver.write(points[0], 1.0)).error().code, Errc::kPermissionDenied);
  EXPECT_TRUE(driver.health().connected);
  EXPECT_EQ(driver.health().requests, 3u);
  EXPECT_EQ(driver.stats().acks_sent, 3u);
  sim.close();
  co_await driver.stop();
  EXPECT_FALSE(driver.health().connected);
}

TEST(Hj212Driver, StationUploadsRealtimeMinuteAndHourData) {
  asio::io_context io;
  Hj212Driver driver(io.get_executor());
  std::vector<std::vector<Reading>> pushed;
  run(io, station_uploads(driver, pushed));
  ASSERT_EQ(pushed.size(), 2u);  // the real-time packet and the minute packet carry subscribed points
  ASSERT_EQ(pushed[0].size(), 1u);
  EXPECT_EQ(pushed[0][0].key, "so2");
  EXPECT_DOUBLE_EQ(std::get<double>(*pushed[0][0].value), 35200.0);
  EXPECT_EQ(pushed[0][0].ts, kT0);
  ASSERT_EQ(pushed[1].size(), 1u);
  EXPECT_EQ(pushed[1][0].key, "dust_min");
  EXPECT_DOUBLE_EQ(std::get<double>(*pushed[1][0].value), 8.1);
  EXPECT_EQ(pushed[1][0].ts, kT0 + 60000);
}

asio::awaitable<void> without_ack(Hj212Driver& driver) {
  EXPECT_TRUE(co_await driver.start(listener_settings()));
  StationConfig c = station();
  c.ack = false;
  StationSim sim(co_await asio::this_coro::executor, c);
  EXPECT_TRUE(co_await sim.connect(port_of(driver)));
  const std::vector<RealtimeValue> rt{{"w01018", 41.5, "N"}};
  EXPECT_TRUE(co_await sim.send_realtime(kT0, rt));
  std::vector<PointConfig> points{point("cod", "w01018-Rtd")};
  auto r = co_await read_when_ready(driver, points);
  EXPECT_DOUBLE_EQ(number(r[0]), 41.5);
  EXPECT_EQ(driver.stats().acks_sent, 0u);
  sim.close();
  co_await driver.stop();
}

TEST(Hj212Driver, NoAcknowledgementWithoutFlagA) {
  asio::io_context io;
  Hj212Driver driver(io.get_executor());
  run(io, without_ack(driver));
}

// Reads packets from a raw socket until `count` have arrived (or 1 s passes).
asio::awaitable<std::vector<Packet>> read_packets(tcp::socket& socket, std::size_t count) {
  std::vector<Packet> out;
  std::vector<std::byte> rx;
  std::array<std::byte, 512> chunk;
  asio::steady_timer timer(socket.get_executor(), 1s);
  using namespace asio::experimental::awaitable_operators;
  while (out.size() < count) {
    auto r = co_await (socket.async_read_some(asio::buffer(chunk), kAsTuple) || timer.async_wait(kAsTuple));
    if (r.index() == 1) break;
    auto [ec, n] = std::get<0>(r);
    if (ec) break;
    rx.insert(rx.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    for (;;) {
      const Scan s = scan(rx);
      rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(s.skip));
      if (s.length == 0) break;
      auto p = decode(std::span(rx).first(s.length));
      rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(s.length));
      if (p) out.push_back(*p);
    }
  }
  co_return out;
}

std::string good_packet(std::int64_t qn_ms, double value) {
  const std::vector<RealtimeValue> rt{{"a21026", value, "N"}};
  return *encode(realtime_packet(station(), kT0, rt, qn_ms));
}

asio::awaitable<void> garbage_on_one_connection(Hj212Driver& driver, tcp::socket& raw) {
  // Garbage, a packet with a wrong CRC, an oversize length field, a malformed CP, then a good
  // packet, all in one write: only the good one is taken (and acknowledged).
  std::string bad_crc = good_packet(kT0, 1.0);
  bad_crc[bad_crc.size() - 3] = bad_crc[bad_crc.size() - 3] == '0' ? '1' : '0';
  const std::vector<RealtimeValue> two{{"a21026", 2.0, "N"}};
  Packet malformed = realtime_packet(station(), kT0, two, kT0 + 1);
  malformed.cp += ",oops";
  std::string burst = "garbage\r\n" + bad_crc + "##2000QN=xx\r\n" + *encode(malformed) + good_packet(kT0 + 2, 3.0);
  co_await asio::async_write(raw, asio::buffer(burst), asio::use_awaitable);
  auto acks = co_await read_packets(raw, 1);
  EXPECT_EQ(acks.size(), 1u);
  if (!acks.empty()) {
    EXPECT_EQ(acks[0].qn, format_cst_time(kT0 + 2, true));
  }
  const std::vector<PointConfig> so2{point("so2", "a21026-Rtd")};
  auto r = co_await driver.read(so2);
  EXPECT_DOUBLE_EQ(number(r[0]), 3.0);
  const auto bad_after_burst = driver.stats().bad_packets;
  EXPECT_GE(bad_after_burst, 4u);  // garbage, CRC, length, CP (and the bytes skipped after "##2000")

  // 5000 bytes without a packet: dropped as they come (the buffer stays bounded), the
  // connection survives and the next packet is still answered.
  co_await asio::async_write(raw, asio::buffer(std::string(5000, 'x')), asio::use_awaitable);
  co_await asio::async_write(raw, asio::buffer(good_packet(kT0 + 3, 4.0)), asio::use_awaitable);
  acks = co_await read_packets(raw, 1);
  EXPECT_EQ(acks.size(), 1u);
  EXPECT_GT(driver.stats().bad_packets, bad_after_burst);

}

asio::awaitable<void> other_stations(Hj212Driver& driver) {
  auto ex = co_await asio::this_coro::executor;
  const std::vector<PointConfig> so2{point("so2", "a21026-Rtd")};
  // Other stations: a wrong MN and a wrong password are rejected and disconnected, while the
  // right station on its own connection is served.
  StationSim wrong_mn(ex, station("WRONGMN"));
  EXPECT_TRUE(co_await wrong_mn.connect(port_of(driver)));
  const std::vector<RealtimeValue> v99{{"a21026", 99.0, "N"}}, v98{{"a21026", 98.0, "N"}}, v55{{"a21026", 5.5, "N"}};
  auto st = co_await wrong_mn.send_realtime(kT0, v99);
  EXPECT_EQ(st.error().code, Errc::kUnavailable);
  StationConfig bad_pw_config = station();
  bad_pw_config.pw = "000000";
  StationSim bad_pw(ex, bad_pw_config);
  EXPECT_TRUE(co_await bad_pw.connect(port_of(driver)));
  st = co_await bad_pw.send_realtime(kT0, v98);
  EXPECT_EQ(st.error().code, Errc::kUnavailable);
  EXPECT_EQ(driver.stats().rejected, 2u);
  StationSim good(ex, station());
  EXPECT_TRUE(co_await good.connect(port_of(driver)));
  EXPECT_TRUE(co_await good.send_realtime(kT0 + 1000, v55));
  auto r = co_await driver.read(so2);
  EXPECT_DOUBLE_EQ(number(r[0]), 5.5);  // never 99 or 98
  EXPECT_EQ(r[0].ts, kT0 + 1000);
  good.close();
}

asio::awaitable<void> hostile_input(Hj212Driver& driver) {
  auto ex = co_await asio::this_coro::executor;
  EXPECT_TRUE(co_await driver.start(listener_settings()));
  tcp::socket raw(ex);
  co_await raw.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), driver.port()), asio::use_awaitable);
  co_await garbage_on_one_connection(driver, raw);
  co_await other_stations(driver);
  // The raw connection is still up after all of this.
  co_await asio::async_write(raw, asio::buffer(good_packet(kT0 + 4, 6.0)), asio::use_awaitable);
  EXPECT_EQ((co_await read_packets(raw, 1)).size(), 1u);
  EXPECT_NE(driver.health().last_error, "");
  raw.close();
  co_await driver.stop();
}

TEST(Hj212Driver, HostileInputIsCountedAndOtherStationsAreUnaffected) {
  asio::io_context io;
  Hj212Driver driver(io.get_executor());
  run(io, hostile_input(driver));
}

asio::awaitable<void> batched_and_split(Hj212Driver& driver) {
  auto ex = co_await asio::this_coro::executor;
  EXPECT_TRUE(co_await driver.start(listener_settings()));
  tcp::socket raw(ex);
  co_await raw.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), driver.port()), asio::use_awaitable);
  // Three packets in one write.
  const std::string three = good_packet(kT0 + 10, 1.5) + good_packet(kT0 + 11, 2.5) + good_packet(kT0 + 12, 3.5);
  co_await asio::async_write(raw, asio::buffer(three), asio::use_awaitable);
  auto acks = co_await read_packets(raw, 3);
  EXPECT_EQ(acks.size(), 3u);
  for (std::size_t i = 0; i < acks.size(); ++i) EXPECT_EQ(acks[i].qn, format_cst_time(kT0 + 10 + i, true));
  // One packet dribbled byte by byte.
  const std::string one = good_packet(kT0 + 13, 4.5);
  asio::steady_timer pause(ex);
  for (char c : one) {
    co_await asio::async_write(raw, asio::buffer(&c, 1), asio::use_awaitable);
    if (c == ';') {
      pause.expires_after(1ms);
      co_await pause.async_wait(kAsTuple);
    }
  }
  acks = co_await read_packets(raw, 1);
  EXPECT_EQ(acks.size(), 1u);
  if (!acks.empty()) {
    EXPECT_EQ(acks[0].qn, format_cst_time(kT0 + 13, true));
  }
  const std::vector<PointConfig> so2{point("so2", "a21026-Rtd")};
  auto r = co_await driver.read(so2);
  EXPECT_DOUBLE_EQ(number(r[0]), 4.5);
  EXPECT_EQ(driver.stats().packets, 4u);
  EXPECT_EQ(driver.stats().bad_packets, 0u);
  raw.close();
  co_await driver.stop();
}

asio::awaitable<void> slots(Hj212Driver& driver) {
  auto ex = co_await asio::this_coro::executor;
  DeviceSettings s = listener_settings();
  s.options["max_connections"] = "2";
  s.options["idle_timeout_ms"] = "150";
  EXPECT_TRUE(co_await driver.start(s));
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), driver.port());
  tcp::socket a(ex), b(ex), c(ex);
  co_await a.async_connect(at, asio::use_awaitable);
  co_await b.async_connect(at, asio::use_awaitable);
  co_await c.async_connect(at, asio::use_awaitable);  // over the limit: closed by the listener
  std::array<char, 16> buf;
  auto [ec, n] = co_await c.async_read_some(asio::buffer(buf), kAsTuple);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(driver.stats().refused, 1u);
  // The two silent connections are closed after the idle timeout, freeing their slots.
  auto [ea, na] = co_await a.async_read_some(asio::buffer(buf), kAsTuple);
  EXPECT_EQ(ea, asio::error::eof);
  auto [eb, nb] = co_await b.async_read_some(asio::buffer(buf), kAsTuple);
  EXPECT_EQ(eb, asio::error::eof);
  EXPECT_EQ(driver.stats().idle_closed, 2u);
  StationSim sim(ex, station());
  EXPECT_TRUE(co_await sim.connect(port_of(driver)));
  const std::vector<RealtimeValue> v{{"a21026", 7.0, "N"}};
  EXPECT_TRUE(co_await sim.send_realtime(kT0, v));
  sim.close();
  co_await driver.stop();
}

TEST(Hj212Driver, ConnectionLimitAndIdleTimeout) {
  asio::io_context io;
  Hj212Driver driver(io.get_executor());
  run(io, slots(driver));
}

// Flag D: an upload split over two packets (PNUM=2, PNO=1 and 2); each part is taken.
Packet split_part(int pno, const IntervalValue& value) {
  const std::vector<IntervalValue> values{value};
  Packet p = interval_packet(station(), cn::kHour, kT0, values, kT0 + pno);
  p.flag = kFlagVersion2017 | kFlagSplit | kFlagAck;
  p.pnum = 2;
  p.pno = pno;
  return p;
}

asio::awaitable<void> split_upload(Hj212Driver& driver, StationSim& sim) {
  EXPECT_TRUE(co_await driver.start(listener_settings()));
  EXPECT_TRUE(co_await sim.connect(port_of(driver)));
  const Packet first = split_part(1, IntervalValue{"a21026", 30.1, 28.0, 33.5, std::nullopt, "N"});
  const Packet second = split_part(2, IntervalValue{"a21002", 101.5, 90.0, 120.0, std::nullopt, "N"});
  EXPECT_TRUE(co_await sim.send(first));
  EXPECT_TRUE(co_await sim.send(second));
  const std::vector<PointConfig> points{point("so2", "2061/a21026-Avg"), point("nox", "2061/a21002-Max")};
  auto r = co_await driver.read(points);
  EXPECT_DOUBLE_EQ(number(r[0]), 30.1);
  EXPECT_DOUBLE_EQ(number(r[1]), 120.0);
  EXPECT_EQ(r[1].ts, kT0);
  sim.close();
  co_await driver.stop();
}

TEST(Hj212Driver, SplitUploadWithFlagD) {
  asio::io_context io;
  Hj212Driver driver(io.get_executor());
  StationSim sim(io.get_executor(), station());
  run(io, split_upload(driver, sim));
  EXPECT_EQ(sim.acks(), 2u);
  EXPECT_EQ(driver.stats().packets, 2u);
}

TEST(Hj212Driver, SeveralPacketsPerReadAndPacketsSplitAcrossReads) {
  asio::io_context io;
  Hj212Driver driver(io.get_executor());
  run(io, batched_and_split(driver));
}

asio::awaitable<void> running_station(Hj212Driver& driver, StationSim& sim, int& samples) {
  auto ex = co_await asio::this_coro::executor;
  EXPECT_TRUE(co_await driver.start(listener_settings()));
  const StationSchedule schedule{20ms, 100ms, 50ms};
  auto sampler = [&samples](std::int64_t) {
    ++samples;
    return std::vector<RealtimeValue>{{"a21026", static_cast<double>(samples), "N"}};
  };
  asio::co_spawn(ex, sim.run(port_of(driver), schedule, sampler), asio::detached);
  const std::vector<PointConfig> stats{point("min", "2051/a21026-Min"), point("avg", "2051/a21026-Avg"),
                                       point("max", "2051/a21026-Max"), point("rtd", "a21026-Rtd")};
  auto r = co_await read_when_ready(driver, stats);
  sim.stop();
  asio::steady_timer settle(ex, 50ms);
  co_await settle.async_wait(kAsTuple);
  r = co_await driver.read(stats);
  const double min = number(r[0]), avg = number(r[1]), max = number(r[2]), rtd = number(r[3]);
  // The samples are 1, 2, 3 … so a window's average is the middle of its min and max.
  EXPECT_GE(min, 1.0);
  EXPECT_LT(min, max);
  EXPECT_DOUBLE_EQ(avg, (min + max) / 2);
  EXPECT_GE(rtd, max);
  EXPECT_DOUBLE_EQ(rtd, static_cast<double>(samples));
  EXPECT_EQ(driver.stats().packets, sim.uploads());
  EXPECT_EQ(driver.stats().acks_sent, sim.uploads());
  co_await driver.stop();
}

TEST(Hj212Driver, RunningStationUploadsRealtimeAndMinuteStatistics) {
  asio::io_context io;
  Hj212Driver driver(io.get_executor());
  StationSim sim(io.get_executor(), station());
  int samples = 0;
  run(io, running_station(driver, sim, samples));
  EXPECT_GE(samples, 2);
  EXPECT_GT(sim.uploads(), static_cast<std::uint64_t>(samples));  // every sample and ≥ 1 minute packet
}

}  // namespace
}  // namespace kaiwu::drivers::hj212

// The Modbus client driver against a scripted FakeTransport: batching, retries after timeouts,
// stale transaction ids, partial frames, CRC errors, exception responses, writes by width.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "drivers/modbus/client.hpp"
#include "drivers/registry.hpp"

// gtest's ASSERT_* cannot be used in a coroutine: fail and co_return instead.
#define CO_ASSERT(cond, ...)                          \
  if (!(cond)) {                                      \
    ADD_FAILURE() << #cond << " " __VA_OPT__(<<) __VA_ARGS__; \
    co_return;                                        \
  }

namespace kaiwu::drivers::modbus {
namespace {

using namespace std::chrono_literals;

std::string hex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i < h.size();) {
    if (h[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

std::string tcp(std::uint16_t tid, std::string_view pdu_hex, std::uint8_t unit = 1) {
  return encode_mbap(tid, unit, hex(pdu_hex));
}
std::string rtu(std::string_view pdu_hex, std::uint8_t unit = 1) { return encode_rtu(unit, hex(pdu_hex)); }

PointConfig point(std::string key, std::string address, DataType type = DataType::kUint16) {
  return PointConfig{.key = std::move(key), .address = std::move(address), .type = type, .writable = true};
}

struct Fixture {
  explicit Fixture(Framing framing) {
    auto f = std::make_unique<FakeTransport>();
    fake = f.get();
    holder = std::move(f);
    driver = std::make_unique<ModbusDriver>(io.get_executor(), framing,
                                            [this](asio::any_io_executor, std::string_view) -> Result<std::unique_ptr<Transport>> {
                                              if (!holder) return fail(Errc::kInternal, "fake already used");
                                              return std::move(holder);
                                            });
  }
  template <typename F>
  void run(F body) {
    bool done = false;
    asio::co_spawn(io, body(), [&](std::exception_ptr e) {
      done = true;
      if (e) std::rethrow_exception(e);
    });
    io.run();
    ASSERT_TRUE(done);
    EXPECT_TRUE(fake->done()) << fake->mismatch();
  }
  DeviceSettings settings(int retries = 1, std::string unit = "1") {
    DeviceSettings s{.name = "dev", .endpoint = "127.0.0.1:502", .timeout = 200ms, .retries = retries};
    s.options["unit"] = unit;
    s.options["broadcast_delay_ms"] = "0";
    return s;
  }

  asio::io_context io;
  FakeTransport* fake = nullptr;
  std::unique_ptr<Transport> holder;
  std::unique_ptr<ModbusDriver> driver;
};

TEST(ModbusDriver, BatchesAdjacentRegistersIntoOneRequest) {
  Fixture f(Framing::kTcp);
  // hr:0 uint16 and hr:1..2 float32 (12.5 = 0x41480000): one FC 3 for 3 registers.
  f.fake->expect(tcp(1, "03 00 00 00 03"), {tcp(1, "03 06 00 2A 41 48 00 00")});
  std::vector<PointConfig> pts{point("a", "hr:0"), point("b", "hr:1", DataType::kFloat32)};
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings()));
    auto r = co_await f.driver->read(pts);
    EXPECT_EQ(std::get<std::int64_t>(*r[0].value), 42);
    EXPECT_DOUBLE_EQ(std::get<double>(*r[1].value), 12.5);
    EXPECT_EQ(r[1].key, "b");
    EXPECT_GT(r[0].ts, 0);
  });
  auto h = f.driver->health();
  EXPECT_EQ(h.requests, 1u);
  EXPECT_EQ(h.failures, 0u);
  EXPECT_TRUE(h.connected);
  EXPECT_GT(h.last_success_ms, 0);
}

TEST(ModbusDriver, RetriesAfterTimeoutAndDropsStaleTransactions) {
  Fixture f(Framing::kTcp);
  f.fake->expect(tcp(1, "03 00 0A 00 01"), {});  // silence: timeout
  // The late answer to transaction 1 arrives first and must be dropped; the reply is split.
  const std::string good = tcp(2, "03 02 00 07");
  f.fake->expect(tcp(2, "03 00 0A 00 01"), {tcp(1, "03 02 00 63") + good.substr(0, 3), good.substr(3, 5), good.substr(8)});
  std::vector<PointConfig> pts{point("a", "hr:10")};
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings(1)));
    auto r = co_await f.driver->read(pts);
    CO_ASSERT(r[0].value, r[0].value.error().message);
    EXPECT_EQ(std::get<std::int64_t>(*r[0].value), 7);
  });
  EXPECT_EQ(f.driver->health().timeouts, 1u);
  EXPECT_EQ(f.driver->health().requests, 2u);
}

TEST(ModbusDriver, TimeoutAfterAllRetriesIsReportedPerPoint) {
  Fixture f(Framing::kTcp);
  f.fake->expect(tcp(1, "03 00 00 00 01"), {});
  f.fake->expect(tcp(2, "03 00 00 00 01"), {});
  f.fake->expect(tcp(3, "03 00 00 00 01"), {});
  std::vector<PointConfig> pts{point("a", "hr:0")};
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings(2)));
    auto r = co_await f.driver->read(pts);
    CO_ASSERT(!(r[0].value));
    EXPECT_EQ(r[0].value.error().code, Errc::kTimeout);
  });
  EXPECT_EQ(f.driver->health().timeouts, 3u);
  EXPECT_NE(f.driver->health().last_error.find("no answer"), std::string::npos);
}

TEST(ModbusDriver, ExceptionInABatchIsNarrowedToThePoint) {
  Fixture f(Framing::kTcp);
  f.fake->expect(tcp(1, "03 00 00 00 06"), {tcp(1, "83 02")});
  f.fake->expect(tcp(2, "03 00 00 00 01"), {tcp(2, "03 02 00 05")});
  f.fake->expect(tcp(3, "03 00 05 00 01"), {tcp(3, "83 02")});
  std::vector<PointConfig> pts{point("ok", "hr:0"), point("missing", "hr:5")};
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings()));
    auto r = co_await f.driver->read(pts);
    CO_ASSERT(r[0].value);
    EXPECT_EQ(std::get<std::int64_t>(*r[0].value), 5);
    CO_ASSERT(!(r[1].value));
    EXPECT_EQ(r[1].value.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r[1].value.error().message.find("exception 2 (illegal data address)"), std::string::npos)
        << r[1].value.error().message;
  });
  EXPECT_EQ(f.driver->health().failures, 2u);
}

TEST(ModbusDriver, PipelinedReadsMatchAnswersByTransactionId) {
  Fixture f(Framing::kTcp);
  // Both requests in one write; the answers come back in the other order.
  f.fake->expect(tcp(1, "03 00 00 00 01") + tcp(2, "03 00 64 00 01"),
                 {tcp(2, "03 02 00 02") + tcp(1, "03 02 00 01")});
  // Next read: only the first is answered; the second is read again on its own.
  f.fake->expect(tcp(3, "03 00 00 00 01") + tcp(4, "03 00 64 00 01"), {tcp(3, "03 02 00 03")});
  f.fake->expect(tcp(5, "03 00 64 00 01"), {tcp(5, "03 02 00 04")});
  std::vector<PointConfig> pts{point("a", "hr:0"), point("b", "hr:100")};
  f.run([&]() -> asio::awaitable<void> {
    auto s = f.settings(0);
    s.options["pipeline"] = "4";
    EXPECT_TRUE(co_await f.driver->start(s));
    auto r = co_await f.driver->read(pts);
    CO_ASSERT(r[0].value && r[1].value);
    EXPECT_EQ(std::get<std::int64_t>(*r[0].value), 1);
    EXPECT_EQ(std::get<std::int64_t>(*r[1].value), 2);
    auto again = co_await f.driver->read(pts);
    CO_ASSERT(again[0].value && again[1].value);
    EXPECT_EQ(std::get<std::int64_t>(*again[0].value), 3);
    EXPECT_EQ(std::get<std::int64_t>(*again[1].value), 4);
  });
  EXPECT_EQ(f.driver->health().requests, 5u);
  EXPECT_EQ(f.driver->health().timeouts, 1u);
}

TEST(ModbusDriver, RtuCrcErrorIsRetriedAndMalformedAnswersCounted) {
  Fixture f(Framing::kRtu);
  std::string corrupt = rtu("03 02 00 09");
  corrupt[4] ^= 0x40;
  f.fake->expect(rtu("03 00 00 00 01"), {corrupt});
  f.fake->expect(rtu("03 00 00 00 01"), {rtu("03 02 00 09", 9) /* another unit: ignored */ + rtu("03 02 00 09")});
  std::vector<PointConfig> pts{point("a", "hr:0")};
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings(1)));
    auto r = co_await f.driver->read(pts);
    CO_ASSERT(r[0].value, r[0].value.error().message);
    EXPECT_EQ(std::get<std::int64_t>(*r[0].value), 9);
  });
  EXPECT_EQ(f.driver->health().failures, 1u);
  EXPECT_NE(f.driver->health().last_error.find("CRC"), std::string::npos);
}

TEST(ModbusDriver, RtuExceptionAndWrongLengthAnswer) {
  Fixture f(Framing::kRtu);
  f.fake->expect(rtu("04 00 00 00 01"), {rtu("84 0B")});
  f.fake->expect(rtu("03 00 00 00 02"), {rtu("03 02 00 01")});  // one register for two
  f.fake->expect(rtu("03 00 00 00 02"), {rtu("03 02 00 01")});
  std::vector<PointConfig> in{point("i", "ir:0")};
  std::vector<PointConfig> hr{point("h", "hr:0", DataType::kUint32)};
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings(1)));
    auto r = co_await f.driver->read(in);
    CO_ASSERT(!(r[0].value));
    EXPECT_EQ(r[0].value.error().code, Errc::kUnavailable);
    EXPECT_NE(r[0].value.error().message.find("exception 11 (gateway target device failed to respond)"), std::string::npos)
        << r[0].value.error().message;
    auto w = co_await f.driver->read(hr);
    CO_ASSERT(!(w[0].value));
    EXPECT_EQ(w[0].value.error().code, Errc::kCorruption);
  });
}

TEST(ModbusDriver, WritesChooseTheFunctionByWidth) {
  Fixture f(Framing::kTcp);
  f.fake->expect(tcp(1, "06 00 04 01 C8"), {tcp(1, "06 00 04 01 C8")});                      // 45.6 / 0.1
  f.fake->expect(tcp(2, "10 00 06 00 02 04 41 48 00 00"), {tcp(2, "10 00 06 00 02")});       // float32 12.5
  f.fake->expect(tcp(3, "05 00 03 FF 00"), {tcp(3, "05 00 03 FF 00")});                      // coil on
  f.fake->expect(tcp(4, "03 00 08 00 01"), {tcp(4, "03 02 00 F0")});                         // bit 2 of hr:8
  f.fake->expect(tcp(5, "06 00 08 00 F4"), {tcp(5, "06 00 08 00 F4")});
  f.fake->expect(tcp(6, "06 00 09 00 01"), {tcp(6, "86 03")});                               // refused
  auto scaled = point("sp", "hr:4");
  scaled.scale = 0.1;
  auto flt = point("f", "hr:6", DataType::kFloat32);
  auto coil = point("c", "co:3", DataType::kBool);
  auto bit = point("b", "hr:8.2", DataType::kBool);
  auto refused = point("r", "hr:9");
  auto input = point("i", "ir:0");
  auto ro = point("ro", "hr:0");
  ro.writable = false;
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings()));
    EXPECT_TRUE(co_await f.driver->write(scaled, tsdb::Value{45.6}));
    EXPECT_TRUE(co_await f.driver->write(flt, tsdb::Value{12.5}));
    EXPECT_TRUE(co_await f.driver->write(coil, tsdb::Value{true}));
    EXPECT_TRUE(co_await f.driver->write(bit, tsdb::Value{true}));
    auto st = co_await f.driver->write(refused, tsdb::Value{std::int64_t{1}});
    CO_ASSERT(!(st));
    EXPECT_NE(st.error().message.find("illegal data value"), std::string::npos);
    EXPECT_EQ((co_await f.driver->write(input, tsdb::Value{1.0})).error().code, Errc::kPermissionDenied);
    EXPECT_EQ((co_await f.driver->write(ro, tsdb::Value{1.0})).error().code, Errc::kPermissionDenied);
    EXPECT_EQ((co_await f.driver->write(scaled, tsdb::Value{1e9})).error().code, Errc::kInvalidArgument);
  });
}

TEST(ModbusDriver, RtuBroadcastWriteExpectsNoAnswerAndRefusesReads) {
  Fixture f(Framing::kRtu);
  f.fake->expect(rtu("06 00 01 00 05", 0), {});
  std::vector<PointConfig> pts{point("a", "hr:1")};
  f.run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await f.driver->start(f.settings(1, "0")));
    EXPECT_TRUE(co_await f.driver->write(pts[0], tsdb::Value{std::int64_t{5}}));
    auto r = co_await f.driver->read(pts);
    CO_ASSERT(!(r[0].value));
    EXPECT_NE(r[0].value.error().message.find("broadcast"), std::string::npos);
  });
}

TEST(ModbusDriver, NotStartedAndBadOptions) {
  Fixture f(Framing::kTcp);
  std::vector<PointConfig> pts{point("a", "hr:0"), point("bad", "qq:0")};
  f.run([&]() -> asio::awaitable<void> {
    auto r = co_await f.driver->read(pts);
    EXPECT_EQ(r[0].value.error().code, Errc::kFailedPrecondition);
    auto s = f.settings();
    s.options["unit"] = "300";
    auto st = co_await f.driver->start(s);
    CO_ASSERT(!(st));
    EXPECT_NE(st.error().message.find("unit"), std::string::npos);
  });
  auto v = f.driver->validate(f.settings(), pts);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("qq:0"), std::string::npos);
  std::vector<PointConfig> writable_input{point("i", "ir:0")};
  EXPECT_FALSE(f.driver->validate(f.settings(), writable_input));
  pts.pop_back();
  EXPECT_TRUE(f.driver->validate(f.settings(), pts));
  auto serial = f.settings();
  serial.endpoint = "/dev/ttyS0";
  EXPECT_FALSE(f.driver->validate(serial, pts));  // modbus-tcp on a serial line
}

TEST(ModbusRegistry, BothDriversAreRegistered) {
  asio::io_context io;
  auto tcp_driver = make_driver("modbus-tcp", io.get_executor());
  ASSERT_TRUE(tcp_driver);
  EXPECT_EQ((*tcp_driver)->info().name, "modbus-tcp");
  auto rtu_driver = make_driver("modbus-rtu", io.get_executor());
  ASSERT_TRUE(rtu_driver);
  EXPECT_EQ((*rtu_driver)->info().name, "modbus-rtu");
  EXPECT_NE((*rtu_driver)->info().settings_schema.find("\"unit\""), std::string::npos);
}

}  // namespace
}  // namespace kaiwu::drivers::modbus

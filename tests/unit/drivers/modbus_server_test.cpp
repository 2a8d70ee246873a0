// Our Modbus server with our client driver in one io_context (TCP and RTU over TCP), the
// register map on its own, and the server's behaviour on garbage input and lost connections.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "drivers/modbus/client.hpp"
#include "drivers/modbus/server.hpp"

// gtest's ASSERT_* cannot be used in a coroutine: fail and co_return instead.
#define CO_ASSERT(cond, ...)                          \
  if (!(cond)) {                                      \
    ADD_FAILURE() << #cond << " " __VA_OPT__(<<) __VA_ARGS__; \
    co_return;                                        \
  }

namespace kaiwu::drivers::modbus {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

template <typename F>
void run(asio::io_context& io, F body) {
  bool done = false;
  asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    done = true;
    io.stop();
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
}

PointConfig point(std::string key, std::string address, DataType type, ByteOrder order = ByteOrder::kABCD) {
  return PointConfig{.key = std::move(key), .address = std::move(address), .type = type, .order = order, .writable = true};
}

// Every data type and byte order at known places, plus coils and discrete inputs.
std::shared_ptr<RegisterMap> sample_map() {
  auto m = std::make_shared<RegisterMap>(RegisterMap::Sizes{.coils = 100, .discrete_inputs = 100,
                                                            .input_registers = 100, .holding_registers = 200});
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 0, DataType::kUint16, ByteOrder::kABCD, std::int64_t{1500}));
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 1, DataType::kInt16, ByteOrder::kABCD, std::int64_t{-7}));
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 2, DataType::kInt32, ByteOrder::kCDAB, std::int64_t{-100000}));
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 4, DataType::kUint32, ByteOrder::kBADC, std::int64_t{3000000000}));
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 6, DataType::kFloat32, ByteOrder::kDCBA, 3.25));
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 8, DataType::kFloat64, ByteOrder::kCDAB, -2.5e10));
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 12, DataType::kInt64, ByteOrder::kABCD, std::int64_t{-1234567890123}));
  EXPECT_TRUE(m->set_value(Table::kHoldingRegister, 16, DataType::kString, ByteOrder::kABCD, std::string("CNC-01"), 8));
  EXPECT_TRUE(m->set_registers(Table::kHoldingRegister, 20, std::vector<std::uint16_t>{0b1000}));
  EXPECT_TRUE(m->set_value(Table::kInputRegister, 5, DataType::kFloat32, ByteOrder::kABCD, 21.5));
  EXPECT_TRUE(m->set_bits(Table::kCoil, 3, {true, false, true}));
  EXPECT_TRUE(m->set_bits(Table::kDiscreteInput, 10, {true}));
  return m;
}

std::vector<PointConfig> sample_points() {
  std::vector<PointConfig> p{
      point("u16", "hr:0", DataType::kUint16),
      point("i16", "hr:1", DataType::kInt16),
      point("i32", "hr:2", DataType::kInt32, ByteOrder::kCDAB),
      point("u32", "hr:4", DataType::kUint32, ByteOrder::kBADC),
      point("f32", "hr:6", DataType::kFloat32, ByteOrder::kDCBA),
      point("f64", "40009", DataType::kFloat64, ByteOrder::kCDAB),
      point("i64", "hr:12", DataType::kInt64),
      point("name", "hr:16", DataType::kString),
      point("flag", "hr:20.3", DataType::kBool),
      point("temp", "ir:5", DataType::kFloat32),
      point("c3", "co:3", DataType::kBool),
      point("c4", "co:4", DataType::kBool),
      point("d10", "di:10", DataType::kBool),
      point("missing", "hr:500", DataType::kUint16),
  };
  p[0].scale = 0.1;
  p[7].length = 8;
  return p;
}

void expect_sample_values(const std::vector<Reading>& r) {
  ASSERT_EQ(r.size(), 14u);
  for (std::size_t i = 0; i + 1 < r.size(); ++i) ASSERT_TRUE(r[i].value) << r[i].key << ": " << r[i].value.error().message;
  EXPECT_DOUBLE_EQ(std::get<double>(*r[0].value), 150.0);
  EXPECT_EQ(std::get<std::int64_t>(*r[1].value), -7);
  EXPECT_EQ(std::get<std::int64_t>(*r[2].value), -100000);
  EXPECT_EQ(std::get<std::int64_t>(*r[3].value), 3000000000);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[4].value), 3.25);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[5].value), -2.5e10);
  EXPECT_EQ(std::get<std::int64_t>(*r[6].value), -1234567890123);
  EXPECT_EQ(std::get<std::string>(*r[7].value), "CNC-01");
  EXPECT_EQ(std::get<bool>(*r[8].value), true);
  EXPECT_DOUBLE_EQ(std::get<double>(*r[9].value), 21.5);
  EXPECT_EQ(std::get<bool>(*r[10].value), true);
  EXPECT_EQ(std::get<bool>(*r[11].value), false);
  EXPECT_EQ(std::get<bool>(*r[12].value), true);
  ASSERT_FALSE(r[13].value);
  EXPECT_NE(r[13].value.error().message.find("illegal data address"), std::string::npos);
}

DeviceSettings settings(std::string endpoint) {
  DeviceSettings s{.name = "dev", .endpoint = std::move(endpoint), .timeout = 1000ms, .retries = 1};
  s.options["unit"] = "1";
  return s;
}

asio::awaitable<void> read_write_roundtrip(ModbusDriver& d, RegisterMap& map, std::string endpoint) {
  EXPECT_TRUE(co_await d.start(settings(endpoint)));
  auto pts = sample_points();
  expect_sample_values(co_await d.read(pts));
  EXPECT_TRUE(co_await d.write(pts[0], tsdb::Value{250.0}));  // raw 2500, FC 6
  EXPECT_TRUE(co_await d.write(pts[5], tsdb::Value{6.5}));    // FC 16
  EXPECT_TRUE(co_await d.write(pts[8], tsdb::Value{false}));  // bit: FC 3 + FC 6
  EXPECT_TRUE(co_await d.write(pts[11], tsdb::Value{true}));  // FC 5
  EXPECT_TRUE(co_await d.write(pts[7], tsdb::Value{std::string("AB")}));
  EXPECT_EQ(std::get<std::int64_t>(*map.value(Table::kHoldingRegister, 0, DataType::kUint16, ByteOrder::kABCD)), 2500);
  EXPECT_DOUBLE_EQ(std::get<double>(*map.value(Table::kHoldingRegister, 8, DataType::kFloat64, ByteOrder::kCDAB)), 6.5);
  EXPECT_EQ(map.registers(Table::kHoldingRegister, 20, 1)->at(0), 0);
  EXPECT_TRUE(map.bits(Table::kCoil, 4, 1)->at(0));
  auto back = co_await d.read(pts);
  EXPECT_EQ(std::get<std::string>(*back[7].value), "AB");
  EXPECT_DOUBLE_EQ(std::get<double>(*back[0].value), 250.0);
  co_await d.stop();
}

TEST(ModbusServer, TcpServesEveryTypeAndAcceptsWrites) {
  asio::io_context io;
  auto map = sample_map();
  ModbusServer server(io.get_executor(), {});
  server.add_unit(1, map);
  auto port = server.listen("127.0.0.1:0");
  ASSERT_TRUE(port);
  ModbusDriver driver(io.get_executor(), Framing::kTcp);
  run(io, [&]() -> asio::awaitable<void> {
    co_await read_write_roundtrip(driver, *map, "127.0.0.1:" + std::to_string(*port));
    // The same points with pipelined requests (4 batches in flight, one answered with exception 2).
    ModbusDriver pipelined(io.get_executor(), Framing::kTcp);
    auto ps = settings("127.0.0.1:" + std::to_string(*port));
    ps.options["pipeline"] = "4";
    EXPECT_TRUE(co_await pipelined.start(ps));
    (void)map->set_value(Table::kHoldingRegister, 0, DataType::kUint16, ByteOrder::kABCD, std::int64_t{1500});
    (void)map->set_value(Table::kHoldingRegister, 8, DataType::kFloat64, ByteOrder::kCDAB, -2.5e10);
    (void)map->set_registers(Table::kHoldingRegister, 20, std::vector<std::uint16_t>{0b1000});
    (void)map->set_bits(Table::kCoil, 4, {false});
    (void)map->set_value(Table::kHoldingRegister, 16, DataType::kString, ByteOrder::kABCD, std::string("CNC-01"), 8);
    auto pts = sample_points();
    expect_sample_values(co_await pipelined.read(pts));
    co_await pipelined.stop();
    // A unit the server does not have: exception 0x0B over TCP.
    ModbusDriver other(io.get_executor(), Framing::kTcp);
    auto s = settings("127.0.0.1:" + std::to_string(*port));
    s.options["unit"] = "9";
    EXPECT_TRUE(co_await other.start(s));
    std::vector<PointConfig> one{point("x", "hr:0", DataType::kUint16)};
    auto r = co_await other.read(one);
    CO_ASSERT(!(r[0].value));
    EXPECT_NE(r[0].value.error().message.find("exception 11"), std::string::npos);
    co_await other.stop();
  });
  EXPECT_GE(server.stats().requests, 10u);
  EXPECT_GE(server.stats().exceptions, 2u);
}

TEST(ModbusServer, RtuOverTcp) {
  asio::io_context io;
  auto map = sample_map();
  ModbusServer server(io.get_executor(), {.framing = Framing::kRtu});
  server.add_unit(1, map);
  auto port = server.listen("127.0.0.1:0");
  ASSERT_TRUE(port);
  ModbusDriver driver(io.get_executor(), Framing::kRtu);
  run(io, [&]() -> asio::awaitable<void> {
    co_await read_write_roundtrip(driver, *map, "tcp://127.0.0.1:" + std::to_string(*port));
    // Unit 5 is not on this line: silence, so a timeout.
    ModbusDriver other(io.get_executor(), Framing::kRtu);
    auto s = settings("tcp://127.0.0.1:" + std::to_string(*port));
    s.options["unit"] = "5";
    s.timeout = 100ms;
    s.retries = 0;
    EXPECT_TRUE(co_await other.start(s));
    std::vector<PointConfig> one{point("x", "hr:0", DataType::kUint16)};
    auto r = co_await other.read(one);
    CO_ASSERT(!(r[0].value));
    EXPECT_EQ(r[0].value.error().code, Errc::kTimeout);
    co_await other.stop();
  });
}

asio::awaitable<std::string> exchange(tcp::socket& s, std::string bytes, std::chrono::milliseconds wait) {
  co_await asio::async_write(s, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
  asio::steady_timer t(s.get_executor(), wait);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  std::string got(512, '\0');
  boost::system::error_code ec;
  const std::size_t n = s.available(ec) ? s.read_some(asio::buffer(got), ec) : 0;
  got.resize(ec ? 0 : n);
  co_return got;
}

TEST(ModbusServer, SurvivesGarbageAndAnswersMalformedRequestsWithExceptions) {
  asio::io_context io;
  auto map = sample_map();
  ModbusServer tcp_server(io.get_executor(), {});
  tcp_server.set_default(map);
  auto tport = tcp_server.listen("127.0.0.1:0");
  ModbusServer rtu_server(io.get_executor(), {.framing = Framing::kRtu});
  rtu_server.add_unit(1, map);
  auto rport = rtu_server.listen("127.0.0.1:0");
  ASSERT_TRUE(tport && rport);
  run(io, [&]() -> asio::awaitable<void> {
    tcp::socket s(io);
    co_await s.async_connect({asio::ip::make_address("127.0.0.1"), *tport}, asio::as_tuple(asio::use_awaitable));
    // Unsupported function 0x2B → exception 1; FC 3 for 126 registers → exception 3.
    EXPECT_EQ(co_await exchange(s, encode_mbap(7, 1, std::string("\x2B\x0E\x01\x00", 4)), 50ms),
              encode_mbap(7, 1, std::string("\xAB\x01", 2)));
    EXPECT_EQ(co_await exchange(s, encode_mbap(8, 1, std::string("\x03\x00\x00\x00\x7E", 5)), 50ms),
              encode_mbap(8, 1, std::string("\x83\x03", 2)));
    // FC 23: write 3 registers at 30, read 2 from 31 (the write happens first).
    EXPECT_EQ(co_await exchange(s, encode_mbap(9, 1, std::string("\x17\x00\x1F\x00\x02\x00\x1E\x00\x03\x06\x00\x01\x00\x02\x00\x03", 16)), 50ms),
              encode_mbap(9, 1, std::string("\x17\x04\x00\x02\x00\x03", 6)));
    // Two requests in one segment (a pipelining client): both answered, in order.
    EXPECT_EQ(co_await exchange(s, encode_mbap(10, 1, std::string("\x03\x00\x00\x00\x01", 5)) +
                                       encode_mbap(11, 1, std::string("\x01\x00\x03\x00\x03", 5)),
                                50ms),
              encode_mbap(10, 1, std::string("\x03\x02\x05\xDC", 4)) + encode_mbap(11, 1, std::string("\x01\x01\x05", 3)));
    // A bad protocol id: the server drops the connection.
    EXPECT_EQ(co_await exchange(s, std::string("\x00\x01\x00\x05\x00\x06\x01\x03\x00\x00\x00\x01", 12), 50ms), "");
    std::array<char, 1> one;
    auto [ec, n] = co_await s.async_read_some(asio::buffer(one), asio::as_tuple(asio::use_awaitable));
    EXPECT_TRUE(ec) << "connection should be closed";

    tcp::socket r(io);
    co_await r.async_connect({asio::ip::make_address("127.0.0.1"), *rport}, asio::as_tuple(asio::use_awaitable));
    // Noise, then a CRC error (no answer), then a good frame after the resync pause.
    EXPECT_EQ(co_await exchange(r, std::string("\x01\x2B\x99", 3), 150ms), "");
    std::string bad = encode_rtu(1, std::string("\x03\x00\x00\x00\x01", 5));
    bad[7] ^= 1;
    EXPECT_EQ(co_await exchange(r, bad, 150ms), "");
    EXPECT_EQ(co_await exchange(r, encode_rtu(1, std::string("\x03\x00\x14\x00\x01", 5)), 100ms),
              encode_rtu(1, std::string("\x03\x02\x00\x08", 4)));
    // A broadcast write is executed without an answer.
    EXPECT_EQ(co_await exchange(r, encode_rtu(0, std::string("\x06\x00\x28\x00\x2A", 5)), 100ms), "");
    EXPECT_EQ(map.get()->registers(Table::kHoldingRegister, 40, 1)->at(0), 42);
  });
  EXPECT_EQ(map->registers(Table::kHoldingRegister, 30, 3).value(), (std::vector<std::uint16_t>{1, 2, 3}));
  EXPECT_GE(rtu_server.stats().malformed, 2u);
}

TEST(ModbusServer, DriverReconnectsAfterTheServerDropsIt) {
  asio::io_context io;
  auto map = sample_map();
  auto first = std::make_unique<ModbusServer>(io.get_executor(), ModbusServer::Options{});
  first->set_default(map);
  auto port = first->listen("127.0.0.1:0");
  ASSERT_TRUE(port);
  ModbusDriver driver(io.get_executor(), Framing::kTcp);
  std::vector<PointConfig> pts{point("u16", "hr:0", DataType::kUint16)};
  run(io, [&]() -> asio::awaitable<void> {
    auto s = settings("127.0.0.1:" + std::to_string(*port));
    s.timeout = 300ms;
    EXPECT_TRUE(co_await driver.start(s));
    EXPECT_TRUE((co_await driver.read(pts))[0].value);
    first->stop();  // closes our connection and the listener
    asio::steady_timer t(io, 20ms);
    co_await t.async_wait(asio::use_awaitable);
    auto down = co_await driver.read(pts);
    CO_ASSERT(!(down[0].value));
    EXPECT_EQ(down[0].value.error().code, Errc::kUnavailable);
    EXPECT_FALSE(driver.health().connected);
    ModbusServer second(io.get_executor(), {});
    second.set_default(map);
    EXPECT_TRUE(second.listen("127.0.0.1:" + std::to_string(*port)));
    auto back = co_await driver.read(pts);
    CO_ASSERT(back[0].value, back[0].value.error().message);
    EXPECT_EQ(std::get<std::int64_t>(*back[0].value), 1500);
    EXPECT_EQ(driver.health().reconnects, 1u);
    co_await driver.stop();
    co_await driver.stop();  // idempotent
    EXPECT_EQ((co_await driver.read(pts))[0].value.error().code, Errc::kFailedPrecondition);
    second.stop();
  });
}

TEST(RegisterMap, PointsInEngineeringUnits) {
  RegisterMap m(RegisterMap::Sizes{.coils = 8, .discrete_inputs = 8, .input_registers = 8, .holding_registers = 8});
  auto speed = point("speed", "40001", DataType::kUint16);
  speed.scale = 0.1;
  EXPECT_TRUE(m.set_point(speed, tsdb::Value{1234.5}));
  EXPECT_EQ(m.registers(Table::kHoldingRegister, 0, 1)->at(0), 12345);
  EXPECT_DOUBLE_EQ(std::get<double>(*m.point_value(speed)), 1234.5);
  auto alarm = point("alarm", "hr:1.4", DataType::kBool);
  auto running = point("running", "hr:1.0", DataType::kBool);
  EXPECT_TRUE(m.set_point(alarm, tsdb::Value{true}));
  EXPECT_TRUE(m.set_point(running, tsdb::Value{true}));
  EXPECT_EQ(m.registers(Table::kHoldingRegister, 1, 1)->at(0), 0x11);
  EXPECT_TRUE(m.set_point(alarm, tsdb::Value{false}));
  EXPECT_EQ(m.registers(Table::kHoldingRegister, 1, 1)->at(0), 0x01);
  auto temp = point("temp", "ir:2", DataType::kFloat32, ByteOrder::kCDAB);
  EXPECT_TRUE(m.set_point(temp, tsdb::Value{21.5}));
  EXPECT_DOUBLE_EQ(std::get<double>(*m.point_value(temp)), 21.5);
  auto door = point("door", "di:3", DataType::kBool);
  EXPECT_TRUE(m.set_point(door, tsdb::Value{true}));
  EXPECT_TRUE(std::get<bool>(*m.point_value(door)));
  EXPECT_FALSE(m.set_point(point("far", "hr:8", DataType::kUint16), tsdb::Value{std::int64_t{1}}));
  EXPECT_FALSE(m.set_point(speed, tsdb::Value{1e6}));  // 10,000,000 raw does not fit a uint16
}

TEST(RegisterMap, RangesAndObserver) {
  RegisterMap m(RegisterMap::Sizes{.coils = 8, .discrete_inputs = 8, .input_registers = 4, .holding_registers = 4});
  std::vector<std::pair<Table, std::uint16_t>> seen;
  m.set_write_observer([&](Table t, std::uint16_t start, std::uint16_t) { seen.emplace_back(t, start); });
  EXPECT_FALSE(m.set_registers(Table::kHoldingRegister, 3, std::vector<std::uint16_t>{1, 2}));
  EXPECT_FALSE(m.set_registers(Table::kCoil, 0, std::vector<std::uint16_t>{1}));
  auto r = m.handle(Request{.function = Function::kReadHoldingRegisters, .address = 2, .quantity = 3});
  EXPECT_EQ(r.exception, std::uint8_t{2});
  Request w{.function = Function::kWriteMultipleRegisters, .address = 1};
  w.registers = {5, 6};
  auto ok_write = m.handle(w);
  EXPECT_FALSE(ok_write.exception);
  EXPECT_EQ(ok_write.quantity, 2);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, Table::kHoldingRegister);
  EXPECT_EQ(seen[0].second, 1);
  Request c{.function = Function::kWriteSingleCoil, .address = 8};
  c.bits = {true};
  EXPECT_EQ(m.handle(c).exception, std::uint8_t{2});
}

}  // namespace
}  // namespace kaiwu::drivers::modbus

#include "drivers/modbus/points.hpp"

#include <gtest/gtest.h>

namespace kaiwu::drivers::modbus {
namespace {

PointConfig point(std::string key, std::string address, DataType type = DataType::kUint16,
                  ByteOrder order = ByteOrder::kABCD) {
  return PointConfig{.key = std::move(key), .address = std::move(address), .type = type, .order = order};
}

TEST(ModbusAddress, PrefixAndModiconForms) {
  auto a = parse_address("hr:10");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->table, Table::kHoldingRegister);
  EXPECT_EQ(a->offset, 10);
  EXPECT_FALSE(a->bit);
  auto b = parse_address("hr:10.3");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bit, std::uint8_t{3});
  EXPECT_EQ(parse_address("co:0")->table, Table::kCoil);
  EXPECT_EQ(parse_address("di:65535")->offset, 65535);
  EXPECT_EQ(parse_address("ir:7")->table, Table::kInputRegister);
  // Modicon: 1-based, table from the first digit.
  EXPECT_EQ(parse_address("40001")->offset, 0);
  EXPECT_EQ(parse_address("40001")->table, Table::kHoldingRegister);
  EXPECT_EQ(parse_address("30010")->table, Table::kInputRegister);
  EXPECT_EQ(parse_address("30010")->offset, 9);
  EXPECT_EQ(parse_address("10001")->table, Table::kDiscreteInput);
  EXPECT_EQ(parse_address("00005")->table, Table::kCoil);
  EXPECT_EQ(parse_address("00005")->offset, 4);
  EXPECT_EQ(parse_address("465536")->offset, 65535);
  EXPECT_EQ(parse_address("400101.15")->bit, std::uint8_t{15});
  for (auto bad : {"hr:", "hr:65536", "xx:1", "hr:1.16", "co:1.2", "40000", "20001", "4001", "hr:-1", "", "hr:1.",
                   "465537"}) {
    auto r = parse_address(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("hr:N"), std::string::npos) << r.error().message;
  }
}

TEST(ModbusAddress, LocateChecksTypeAgainstTable) {
  EXPECT_EQ(locate(point("a", "hr:0", DataType::kFloat64))->count, 4);
  EXPECT_EQ(locate(point("a", "hr:0", DataType::kInt32))->count, 2);
  EXPECT_EQ(locate(point("a", "co:0", DataType::kBool))->count, 1);
  auto s = point("s", "hr:0", DataType::kString);
  s.length = 5;
  EXPECT_EQ(locate(s)->count, 3);
  s.length = 0;
  EXPECT_FALSE(locate(s));
  auto coil_int = locate(point("c", "co:1", DataType::kUint16));
  ASSERT_FALSE(coil_int);
  EXPECT_NE(coil_int.error().message.find("'c'"), std::string::npos);
  EXPECT_FALSE(locate(point("b", "hr:1.2", DataType::kUint16)));
  EXPECT_TRUE(locate(point("b", "hr:1.2", DataType::kBool)));
  EXPECT_TRUE(locate(point("f", "hr:65534", DataType::kFloat32)));
  EXPECT_FALSE(locate(point("f", "hr:65535", DataType::kFloat32)));  // runs past 65535
}

TEST(ModbusPlan, MergesNeighboursWithinGapAndLimits) {
  std::vector<PointConfig> pts{
      point("a", "hr:0"), point("b", "hr:1", DataType::kFloat32), point("c", "hr:10"),  // gap 7: merged
      point("d", "hr:40"),                                                            // gap 29: new batch
      point("e", "ir:0"), point("f", "co:3", DataType::kBool), point("g", "co:0", DataType::kBool),
      point("bad", "zz:1"),
  };
  auto plan = plan_reads(pts, PlanOptions{.max_gap_registers = 10});
  ASSERT_EQ(plan.batches.size(), 4u);
  EXPECT_TRUE(plan.errors[7]);
  // Batches by table (coil, discrete, input, holding), then address.
  EXPECT_EQ(plan.batches[0].table, Table::kCoil);
  EXPECT_EQ(plan.batches[0].start, 0);
  EXPECT_EQ(plan.batches[0].count, 4);
  EXPECT_EQ(plan.batches[0].points, (std::vector<std::size_t>{6, 5}));
  EXPECT_EQ(plan.batches[1].table, Table::kInputRegister);
  EXPECT_EQ(plan.batches[2].table, Table::kHoldingRegister);
  EXPECT_EQ(plan.batches[2].start, 0);
  EXPECT_EQ(plan.batches[2].count, 11);
  EXPECT_EQ(plan.batches[2].points, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(plan.batches[3].start, 40);
  EXPECT_EQ(plan.batches[3].count, 1);
  // No gap allowed: every non-adjacent point is its own request.
  auto tight = plan_reads(std::span(pts).first(4), PlanOptions{.max_gap_registers = 0});
  EXPECT_EQ(tight.batches.size(), 3u);  // a+b adjacent, c, d
}

TEST(ModbusPlan, SplitsAt125Registers) {
  std::vector<PointConfig> pts;
  for (int i = 0; i < 300; ++i) pts.push_back(point("p" + std::to_string(i), "hr:" + std::to_string(i)));
  auto plan = plan_reads(pts, PlanOptions{});
  ASSERT_EQ(plan.batches.size(), 3u);
  EXPECT_EQ(plan.batches[0].count, 125);
  EXPECT_EQ(plan.batches[1].start, 125);
  EXPECT_EQ(plan.batches[2].count, 50);
  // A float64 must not straddle two requests.
  std::vector<PointConfig> wide{point("x", "hr:0", DataType::kFloat64), point("y", "hr:122", DataType::kFloat64)};
  auto w = plan_reads(wide, PlanOptions{.max_gap_registers = 124});
  ASSERT_EQ(w.batches.size(), 2u);
  EXPECT_EQ(w.batches[1].start, 122);
  EXPECT_EQ(w.batches[1].count, 4);
  // Coils: 2000 per request.
  std::vector<PointConfig> coils{point("c0", "co:0", DataType::kBool), point("c1", "co:1999", DataType::kBool),
                                 point("c2", "co:2000", DataType::kBool)};
  auto c = plan_reads(coils, PlanOptions{.max_gap_bits = 2000});
  ASSERT_EQ(c.batches.size(), 2u);
  EXPECT_EQ(c.batches[0].count, 2000);
  // A device limit below the protocol's.
  auto small = plan_reads(std::span(pts).first(20), PlanOptions{.max_registers = 8});
  EXPECT_EQ(small.batches.size(), 3u);
}

TEST(ModbusPlan, ExtractSlicesTypesOrdersBitsAndStrings) {
  std::vector<PointConfig> pts{
      point("u16", "hr:100"),
      point("i16", "hr:101", DataType::kInt16),
      point("f32cdab", "hr:102", DataType::kFloat32, ByteOrder::kCDAB),
      point("bit3", "hr:100.3", DataType::kBool),
      point("str", "hr:104", DataType::kString),
      point("scaled", "hr:107"),
  };
  pts[4].length = 5;
  pts[5].scale = 0.1;
  auto plan = plan_reads(pts, PlanOptions{});
  ASSERT_EQ(plan.batches.size(), 1u);
  const Batch& b = plan.batches[0];
  EXPECT_EQ(b.start, 100);
  EXPECT_EQ(b.count, 8);
  // 10.0f = 0x41200000 with words swapped; "Kaiwu" as bytes; 1234 * 0.1.
  Response r{.registers = {0x0008, 0xFFFE, 0x0000, 0x4120, 0x4B61, 0x6977, 0x7500, 1234}};
  auto v = [&](std::size_t i) { return extract(pts[i], plan.locations[i], b, r); };
  EXPECT_EQ(std::get<std::int64_t>(*v(0)), 8);
  EXPECT_EQ(std::get<std::int64_t>(*v(1)), -2);
  EXPECT_DOUBLE_EQ(std::get<double>(*v(2)), 10.0);
  EXPECT_EQ(std::get<bool>(*v(3)), true);
  EXPECT_EQ(std::get<std::string>(*v(4)), "Kaiwu");
  EXPECT_DOUBLE_EQ(std::get<double>(*v(5)), 123.4);
}

TEST(ModbusPlan, RegistersForWrites) {
  auto f = point("f", "hr:0", DataType::kFloat32, ByteOrder::kCDAB);
  auto regs = registers_for(f, *locate(f), tsdb::Value{10.0});
  ASSERT_TRUE(regs);
  EXPECT_EQ(*regs, (std::vector<std::uint16_t>{0x0000, 0x4120}));
  auto s = point("s", "hr:0", DataType::kUint16);
  s.scale = 0.1;
  EXPECT_EQ(*registers_for(s, *locate(s), tsdb::Value{12.3}), std::vector<std::uint16_t>{123});
  auto out = registers_for(s, *locate(s), tsdb::Value{7000.0});  // 70000 does not fit a uint16
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::kInvalidArgument);
  auto str = point("str", "hr:0", DataType::kString);
  str.length = 4;
  EXPECT_EQ(*registers_for(str, *locate(str), tsdb::Value{std::string("ab")}), (std::vector<std::uint16_t>{0x6162, 0}));
  EXPECT_FALSE(registers_for(str, *locate(str), tsdb::Value{std::string("abcde")}));
}

}  // namespace
}  // namespace kaiwu::drivers::modbus

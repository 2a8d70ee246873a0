#include "drivers/point.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace kaiwu::drivers {
namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

TEST(DataType, NamesRoundTrip) {
  for (auto name : {"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "string"}) {
    auto t = parse_data_type(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ(data_type_name(*t), name);
  }
  auto bad = parse_data_type("float16");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("float16"), std::string::npos);
  EXPECT_FALSE(parse_byte_order("ABDC"));
  EXPECT_EQ(*parse_byte_order("CDAB"), ByteOrder::kCDAB);
}

// 0x41200000 is 10.0f. Wire images of it in the four orders.
TEST(DecodeBytes, Float32InEveryOrder) {
  const std::pair<ByteOrder, std::string> cases[] = {
      {ByteOrder::kABCD, std::string("\x41\x20\x00\x00", 4)},
      {ByteOrder::kBADC, std::string("\x20\x41\x00\x00", 4)},
      {ByteOrder::kCDAB, std::string("\x00\x00\x41\x20", 4)},
      {ByteOrder::kDCBA, std::string("\x00\x00\x20\x41", 4)},
  };
  for (const auto& [order, wire] : cases) {
    auto v = decode_bytes(DataType::kFloat32, order, bytes(wire));
    ASSERT_TRUE(v);
    EXPECT_DOUBLE_EQ(std::get<double>(*v), 10.0) << byte_order_name(order);
    auto back = encode_bytes(DataType::kFloat32, order, *v);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, wire) << byte_order_name(order);
  }
}

TEST(DecodeBytes, IntegersSignAndWidth) {
  EXPECT_EQ(std::get<std::int64_t>(*decode_bytes(DataType::kInt16, ByteOrder::kABCD, bytes(std::string("\xff\xfe", 2)))), -2);
  EXPECT_EQ(std::get<std::int64_t>(*decode_bytes(DataType::kUint16, ByteOrder::kABCD, bytes(std::string("\xff\xfe", 2)))), 65534);
  // 0x00010002 with words swapped on the wire.
  EXPECT_EQ(std::get<std::int64_t>(*decode_bytes(DataType::kUint32, ByteOrder::kCDAB, bytes(std::string("\x00\x02\x00\x01", 4)))),
            65538);
  EXPECT_EQ(std::get<std::int64_t>(*decode_bytes(DataType::kInt32, ByteOrder::kABCD, bytes(std::string("\xff\xff\xff\xff", 4)))), -1);
  // 64-bit CDAB: words reversed (W3 W2 W1 W0 → W0 W1 W2 W3).
  auto v = decode_bytes(DataType::kInt64, ByteOrder::kCDAB, bytes(std::string("\x00\x04\x00\x03\x00\x02\x00\x01", 8)));
  ASSERT_TRUE(v);
  EXPECT_EQ(std::get<std::int64_t>(*v), 0x0001000200030004);
  auto big = decode_bytes(DataType::kUint64, ByteOrder::kABCD, bytes(std::string(8, '\xff')));
  EXPECT_DOUBLE_EQ(std::get<double>(*big), 18446744073709551615.0);
  auto d = decode_bytes(DataType::kFloat64, ByteOrder::kDCBA, bytes(std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8)));
  EXPECT_DOUBLE_EQ(std::get<double>(*d), 1.0);
}

TEST(DecodeBytes, WrongLengthIsAnError) {
  auto v = decode_bytes(DataType::kFloat32, ByteOrder::kABCD, bytes(std::string("\x41\x20", 2)));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::kInvalidArgument);
}

TEST(DecodeBytes, StringsStopAtNulAndSwapBytes) {
  EXPECT_EQ(std::get<std::string>(*decode_bytes(DataType::kString, ByteOrder::kABCD, bytes(std::string("CNC1\0\0", 6)))),
            "CNC1");
  EXPECT_EQ(std::get<std::string>(*decode_bytes(DataType::kString, ByteOrder::kBADC, bytes(std::string("NC1C", 4)))),
            "CNC1");
  auto enc = encode_bytes(DataType::kString, ByteOrder::kABCD, tsdb::Value{std::string("AB")}, 4);
  EXPECT_EQ(*enc, std::string("AB\0\0", 4));
  EXPECT_FALSE(encode_bytes(DataType::kString, ByteOrder::kABCD, tsdb::Value{std::string("ABCDE")}, 4));
}

TEST(EncodeBytes, RejectsOutOfRangeIntegers) {
  EXPECT_FALSE(encode_bytes(DataType::kUint16, ByteOrder::kABCD, tsdb::Value{std::int64_t{70000}}));
  EXPECT_FALSE(encode_bytes(DataType::kInt16, ByteOrder::kABCD, tsdb::Value{std::int64_t{-40000}}));
  EXPECT_FALSE(encode_bytes(DataType::kUint32, ByteOrder::kABCD, tsdb::Value{std::int64_t{-1}}));
  EXPECT_FALSE(encode_bytes(DataType::kInt16, ByteOrder::kABCD, tsdb::Value{1.5}));
  EXPECT_EQ(*encode_bytes(DataType::kInt16, ByteOrder::kABCD, tsdb::Value{std::int64_t{-2}}), std::string("\xff\xfe", 2));
  EXPECT_EQ(*encode_bytes(DataType::kUint32, ByteOrder::kCDAB, tsdb::Value{65538.0}), std::string("\x00\x02\x00\x01", 4));
}

TEST(Engineering, ScaleAndOffsetBothWays) {
  PointConfig p{.key = "temp", .type = DataType::kInt16, .scale = 0.1, .offset = -40.0};
  auto eng = to_engineering(p, tsdb::Value{std::int64_t{655}});
  EXPECT_NEAR(std::get<double>(eng), 25.5, 1e-9);
  auto raw = to_raw(p, tsdb::Value{25.5});
  ASSERT_TRUE(raw);
  EXPECT_EQ(std::get<std::int64_t>(*raw), 655);
  auto over = to_raw(p, tsdb::Value{4000.0});
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("temp"), std::string::npos);
  PointConfig plain{.key = "count", .type = DataType::kUint32};
  EXPECT_EQ(std::get<std::int64_t>(to_engineering(plain, tsdb::Value{std::int64_t{7}})), 7);
  PointConfig text{.key = "name", .type = DataType::kString};
  EXPECT_FALSE(to_raw(text, tsdb::Value{1.0}));
}

TEST(Deadband, OnlyChangesBeyondTheBandPass) {
  PointConfig p{.key = "speed", .deadband = 0.5};
  EXPECT_TRUE(beyond_deadband(p, std::nullopt, tsdb::Value{1.0}));
  EXPECT_FALSE(beyond_deadband(p, tsdb::Value{1.0}, tsdb::Value{1.4}));
  EXPECT_TRUE(beyond_deadband(p, tsdb::Value{1.0}, tsdb::Value{1.6}));
  EXPECT_TRUE(beyond_deadband(p, tsdb::Value{1.0}, tsdb::Value{0.4}));
  EXPECT_TRUE(beyond_deadband(p, tsdb::Value{std::string("a")}, tsdb::Value{std::string("b")}));
  EXPECT_FALSE(beyond_deadband(p, tsdb::Value{std::string("a")}, tsdb::Value{std::string("a")}));
}

}  // namespace
}  // namespace kaiwu::drivers

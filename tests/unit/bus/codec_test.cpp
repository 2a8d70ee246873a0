#include "bus/codec.hpp"

#include <gtest/gtest.h>

#include "bus/subjects.hpp"

namespace kaiwu::bus {
namespace {

Message roundtrip(const Message& m) {
  auto bytes = encode_message(m);
  EXPECT_EQ(static_cast<std::uint8_t>(bytes[0]), kCodecVersion);
  auto back = decode_message(std::as_bytes(std::span(bytes.data(), bytes.size())));
  EXPECT_TRUE(back) << back.error().message;
  return back ? *back : Message{};
}

Result<Message> decode_text(const std::string& s) { return decode_message(std::as_bytes(std::span(s.data(), s.size()))); }

TEST(BusCodec, TelemetryWithEveryValueTypeRoundTrips) {
  Telemetry t{"tenant-1", "dev.7", {}};
  t.samples.push_back({"temp", 1'700'000'000'123, 21.5});
  t.samples.push_back({"count", -5, std::int64_t{-1234567890123}});
  t.samples.push_back({"on", 0, true});
  t.samples.push_back({"mode", 42, std::string("自动")});
  auto back = roundtrip(Message{t});
  const auto& b = std::get<Telemetry>(back.payload);
  EXPECT_EQ(b.tenant, "tenant-1");
  EXPECT_EQ(b.device, "dev.7");
  ASSERT_EQ(b.samples.size(), 4u);
  EXPECT_EQ(b.samples[0].ts, 1'700'000'000'123);
  EXPECT_EQ(std::get<double>(b.samples[0].value), 21.5);
  EXPECT_EQ(b.samples[1].ts, -5);
  EXPECT_EQ(std::get<std::int64_t>(b.samples[1].value), -1234567890123);
  EXPECT_EQ(std::get<bool>(b.samples[2].value), true);
  EXPECT_EQ(std::get<std::string>(b.samples[3].value), "自动");
  // Compact: one sample of a double costs its key, a varint ts and 9 value bytes.
  Telemetry one{"t", "d", {{"temp", 1'700'000'000'000, 1.5}}};
  EXPECT_LE(encode_message(Message{one}).size(), 30u);
}

TEST(BusCodec, AttributesLifecycleAndAlarmsRoundTrip) {
  auto a = roundtrip(Message{AttributeChange{"t", "d", model::AttributeScope::kShared, R"({"fw":"1.2"})", 99}});
  const auto& ab = std::get<AttributeChange>(a.payload);
  EXPECT_EQ(ab.scope, model::AttributeScope::kShared);
  EXPECT_EQ(ab.values_json, R"({"fw":"1.2"})");
  EXPECT_EQ(ab.ts, 99);

  auto l = roundtrip(Message{DeviceLifecycle{"t", "d", LifecycleEvent::kDeleted, 7}});
  EXPECT_EQ(std::get<DeviceLifecycle>(l.payload).event, LifecycleEvent::kDeleted);
  EXPECT_EQ(std::get<DeviceLifecycle>(l.payload).ts, 7);

  model::Alarm alarm;
  alarm.id = "a1";
  alarm.tenant_id = "t9";
  alarm.device_id = "d3";
  alarm.enterprise_id = "e1";
  alarm.park_id = "p1";
  alarm.type = "HighTemperature";
  alarm.severity = model::AlarmSeverity::kMajor;
  alarm.acknowledged = true;
  alarm.start_ms = 1;
  alarm.last_ms = 2;
  alarm.count = 3;
  alarm.ack_ms = 4;
  alarm.ack_by = "admin";
  alarm.clear_ms = 0;
  alarm.details_json = R"({"value":88})";
  alarm.updated_ms = 5;
  auto e = roundtrip(Message{AlarmEvent{AlarmChange::kAcknowledged, alarm}});
  const auto& eb = std::get<AlarmEvent>(e.payload);
  EXPECT_EQ(e.tenant(), "t9");
  EXPECT_EQ(eb.change, AlarmChange::kAcknowledged);
  EXPECT_EQ(eb.alarm.type, "HighTemperature");
  EXPECT_EQ(eb.alarm.severity, model::AlarmSeverity::kMajor);
  EXPECT_TRUE(eb.alarm.acknowledged);
  EXPECT_FALSE(eb.alarm.cleared);
  EXPECT_EQ(eb.alarm.count, 3);
  EXPECT_EQ(eb.alarm.ack_by, "admin");
  EXPECT_EQ(eb.alarm.details_json, R"({"value":88})");
  EXPECT_EQ(eb.alarm.updated_ms, 5);
}

TEST(BusCodec, RejectsBadInputWithAClearError) {
  auto good = encode_message(Message{Telemetry{"t", "d", {{"k", 1, 2.0}}}});
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_text(good.substr(0, n))) << n;  // every truncation
  auto r = decode_text(good + "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("trailing"), std::string::npos) << r.error().message;
  auto v = good;
  v[0] = 2;
  r = decode_text(v);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("version"), std::string::npos);
  auto k = good;
  k[1] = 9;
  EXPECT_FALSE(decode_text(k));
  // A sample count far beyond the bytes present is refused before allocating.
  EXPECT_FALSE(decode_text(std::string("\x01\x00\x01t\x01" "d\xff\xff\xff\xff\x0f", 11)));
  // A bool that is neither 0 nor 1.
  auto b = encode_message(Message{Telemetry{"t", "d", {{"k", 1, true}}}});
  b.back() = 2;
  EXPECT_FALSE(decode_text(b));
}

TEST(BusSubjects, TokensCannotAddTokensOrWildcards) {
  EXPECT_EQ(subject_token("dev-01_A"), "dev-01_A");
  EXPECT_EQ(subject_token("a.b*c>d e"), "a~2Eb~2Ac~3Ed~20e");
  EXPECT_EQ(subject_token(""), "~");
  EXPECT_EQ(subject_token("~"), "~7E");  // the escape character itself is escaped
  Message m{Telemetry{"t1", "d.1", {}}};
  auto p = partition_of("t1", "d.1", 8);
  EXPECT_LT(p, 8u);
  EXPECT_EQ(message_subject(m, 8), "kaiwu.t1.telemetry.d~2E1." + std::to_string(p));
  model::Alarm alarm;
  alarm.tenant_id = "t1";
  Message a{AlarmEvent{AlarmChange::kCreated, alarm}};
  EXPECT_EQ(message_subject(a, 1), "kaiwu.t1.alarm.~.0");
  EXPECT_EQ(filter_subject("", "telemetry", 3), "kaiwu.*.telemetry.*.3");
  EXPECT_EQ(filter_subject("t.2", "lifecycle", -1), "kaiwu.t~2E2.lifecycle.*.*");
}

TEST(BusSubjects, PartitionsAreStableAndSpread) {
  EXPECT_EQ(partition_of("t", "d", 8), partition_of("t", "d", 8));
  std::vector<int> counts(8);
  for (int i = 0; i < 800; ++i) ++counts[partition_of("t", "device-" + std::to_string(i), 8)];
  for (int c : counts) {
    EXPECT_GT(c, 50);
    EXPECT_LT(c, 150);
  }
}

}  // namespace
}  // namespace kaiwu::bus

#include "drivers/mqttc/mapping.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/json_parse.hpp"
#include "mqtt/topic.hpp"

namespace kaiwu::drivers::mqttc {

namespace json = boost::json;

namespace {

Error bad_path(std::string_view path, std::string_view why) {
  return Error(Errc::kInvalidArgument, fmt::format("JSON path '{}': {}", path, why));
}

bool is_integer_type(DataType t) {
  return t != DataType::kBool && t != DataType::kString && t != DataType::kFloat32 && t != DataType::kFloat64;
}

// Range of an integer type as doubles (int64/uint64 limits are approximate, checked again below).
std::pair<double, double> range_of(DataType t) {
  switch (t) {
    case DataType::kInt16: return {-32768.0, 32767.0};
    case DataType::kUint16: return {0.0, 65535.0};
    case DataType::kInt32: return {-2147483648.0, 2147483647.0};
    case DataType::kUint32: return {0.0, 4294967295.0};
    case DataType::kUint64: return {0.0, 9223372036854775807.0};  // tsdb keeps int64
    default: return {-9223372036854775808.0, 9223372036854775807.0};
  }
}

Result<tsdb::Value> from_double(double d, DataType type, std::string_view what) {
  if (!std::isfinite(d)) return fail(Errc::kInvalidArgument, fmt::format("{} is not a finite number", what));
  if (type == DataType::kBool) {
    if (d == 0.0 || d == 1.0) return tsdb::Value(d == 1.0);
    return fail(Errc::kInvalidArgument, fmt::format("{} ({}) is not a bool (true/false/0/1)", what, d));
  }
  if (type == DataType::kFloat32) return tsdb::Value(static_cast<double>(static_cast<float>(d)));
  if (type == DataType::kFloat64) return tsdb::Value(d);
  if (type == DataType::kString) return tsdb::Value(fmt::format("{}", d));
  auto [lo, hi] = range_of(type);
  if (d != std::trunc(d) || d < lo || d >= hi + 1.0)
    return fail(Errc::kInvalidArgument,
                fmt::format("{} ({}) is not a {} value", what, d, data_type_name(type)));
  return tsdb::Value(static_cast<std::int64_t>(d));
}

Result<tsdb::Value> from_int(std::int64_t i, DataType type) {
  if (is_integer_type(type)) {
    auto [lo, hi] = range_of(type);
    if (static_cast<double>(i) < lo || static_cast<double>(i) > hi)
      return fail(Errc::kInvalidArgument, fmt::format("{} is out of range for {}", i, data_type_name(type)));
    return tsdb::Value(i);
  }
  if (type == DataType::kString) return tsdb::Value(std::to_string(i));
  return from_double(static_cast<double>(i), type, "number");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

template <typename T>
bool parse_whole(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<std::vector<PathStep>> parse_path(std::string_view path) {
  std::vector<PathStep> steps;
  std::string_view s = path;
  if (s.starts_with('$')) s.remove_prefix(1);
  bool expect_key = !s.empty() && s.front() != '[' && s.front() != '.';
  if (s.starts_with('.')) {
    s.remove_prefix(1);
    expect_key = true;
    if (s.empty()) return std::unexpected(bad_path(path, "ends after '.'"));
  }
  while (!s.empty()) {
    if (steps.size() >= kMaxPathSteps) return std::unexpected(bad_path(path, fmt::format("more than {} steps", kMaxPathSteps)));
    if (expect_key) {
      const auto end = s.find_first_of(".[]");
      const auto key = s.substr(0, end);
      if (key.empty()) return std::unexpected(bad_path(path, "empty key"));
      steps.emplace_back(std::string(key));
      s.remove_prefix(key.size());
      expect_key = false;
      continue;
    }
    if (s.front() == '.') {
      s.remove_prefix(1);
      if (s.empty()) return std::unexpected(bad_path(path, "ends after '.'"));
      expect_key = true;
      continue;
    }
    if (s.front() == '[') {
      const auto close = s.find(']');
      if (close == std::string_view::npos) return std::unexpected(bad_path(path, "'[' without ']'"));
      std::size_t index = 0;
      const auto digits = s.substr(1, close - 1);
      if (digits.empty() || !parse_whole(digits, index) || index > 1'000'000)
        return std::unexpected(bad_path(path, fmt::format("'[{}]' is not an array index", digits)));
      steps.emplace_back(index);
      s.remove_prefix(close + 1);
      continue;
    }
    return std::unexpected(bad_path(path, fmt::format("unexpected '{}'", s.front())));
  }
  return steps;
}

Result<Address> parse_address(std::string_view address) {
  // The filter ends at the first '#' that is not a multi-level wildcard (a '#' that starts a
  // level and is followed by the end or by the separating '#').
  std::size_t split = std::string_view::npos;
  for (std::size_t i = 0; i < address.size(); ++i) {
    if (address[i] != '#') continue;
    const bool level_start = i == 0 || address[i - 1] == '/';
    const bool wildcard = level_start && (i + 1 == address.size() || address[i + 1] == '#');
    if (wildcard) {
      split = i + 1 < address.size() ? i + 1 : std::string_view::npos;
      break;
    }
    split = i;
    break;
  }
  Address a;
  a.filter = std::string(address.substr(0, split));
  if (split != std::string_view::npos) a.path = std::string(address.substr(split + 1));
  if (a.filter.empty() || !mqtt::valid_topic_filter(a.filter))
    return fail(Errc::kInvalidArgument,
                fmt::format("address '{}': '{}' is not a valid MQTT topic filter (want <topic filter>#<JSON path>)",
                            address, a.filter));
  auto steps = parse_path(a.path);
  if (!steps) return fail(Errc::kInvalidArgument, fmt::format("address '{}': {}", address, steps.error().message));
  a.steps = std::move(*steps);
  return a;
}

Result<const json::value*> lookup(const json::value& doc, const std::vector<PathStep>& steps) {
  const json::value* v = &doc;
  for (const auto& step : steps) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      const auto* obj = v->if_object();
      const json::value* next = obj ? obj->if_contains(*key) : nullptr;
      if (!next) return fail(Errc::kNotFound, fmt::format("no key '{}' in the payload", *key));
      v = next;
    } else {
      const auto index = std::get<std::size_t>(step);
      const auto* arr = v->if_array();
      if (!arr || index >= arr->size())
        return fail(Errc::kNotFound, fmt::format("no array element [{}] in the payload", index));
      v = &(*arr)[index];
    }
  }
  return v;
}

Result<tsdb::Value> convert(const json::value& v, DataType type) {
  switch (v.kind()) {
    case json::kind::int64: return from_int(v.get_int64(), type);
    case json::kind::uint64:
      if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return from_double(static_cast<double>(v.get_uint64()), type, "number");
      return from_int(static_cast<std::int64_t>(v.get_uint64()), type);
    case json::kind::double_: return from_double(v.get_double(), type, "number");
    case json::kind::bool_:
      if (type == DataType::kBool) return tsdb::Value(v.get_bool());
      if (type == DataType::kString) return tsdb::Value(std::string(v.get_bool() ? "true" : "false"));
      return fail(Errc::kInvalidArgument, fmt::format("a bool is not a {} value", data_type_name(type)));
    case json::kind::string: {
      std::string_view s = v.get_string();
      if (type == DataType::kString) return tsdb::Value(std::string(s));
      return convert_text(s, type);
    }
    case json::kind::null: return fail(Errc::kInvalidArgument, "the value is null");
    case json::kind::object:
      return fail(Errc::kInvalidArgument, fmt::format("an object is not a {} value", data_type_name(type)));
    case json::kind::array:
      return fail(Errc::kInvalidArgument, fmt::format("an array is not a {} value", data_type_name(type)));
  }
  return fail(Errc::kInvalidArgument, "unknown JSON value");
}

Result<tsdb::Value> convert_text(std::string_view text, DataType type) {
  if (type == DataType::kString) return tsdb::Value(std::string(text));
  const auto t = trim(text);
  if (type == DataType::kBool) {
    if (t == "true" || t == "1") return tsdb::Value(true);
    if (t == "false" || t == "0") return tsdb::Value(false);
  }
  std::int64_t i = 0;
  if (parse_whole(t, i)) return from_int(i, type);
  double d = 0;
  if (!t.empty() && parse_whole(t, d)) return from_double(d, type, fmt::format("'{}'", t));
  const auto shown = t.size() > 40 ? std::string(t.substr(0, 40)) + "…" : std::string(t);
  return fail(Errc::kInvalidArgument, fmt::format("'{}' is not a {} value", shown, data_type_name(type)));
}

Result<std::int64_t> parse_iso8601(std::string_view s) {
  // YYYY-MM-DD[T ]hh:mm:ss[.fff][Z|±hh:mm]
  auto num = [&](std::size_t pos, std::size_t n, int& out) {
    return pos + n <= s.size() && parse_whole(s.substr(pos, n), out);
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!(num(0, 4, y) && s.size() > 19 - 1 && s[4] == '-' && num(5, 2, mo) && s[7] == '-' && num(8, 2, d) &&
        (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && num(11, 2, h) && s[13] == ':' && num(14, 2, mi) &&
        s[16] == ':' && num(17, 2, se)))
    return fail(Errc::kInvalidArgument, fmt::format("timestamp '{}' is not ISO 8601 (YYYY-MM-DDThh:mm:ss)", s));
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60)
    return fail(Errc::kInvalidArgument, fmt::format("timestamp '{}' is not a valid date and time", s));
  std::int64_t ms = sys_days(ymd).time_since_epoch() / milliseconds(1) + ((h * 60 + mi) * 60 + se) * 1000LL;
  std::size_t pos = 19;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0, frac = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return fail(Errc::kInvalidArgument, fmt::format("timestamp '{}': empty fraction", s));
    for (int k = digits; k < 3; ++k) frac *= 10;
    ms += frac;
  }
  if (pos == s.size() || ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size())) return ms;
  int oh = 0, om = 0;
  if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && num(pos + 1, 2, oh) && s[pos + 3] == ':' &&
      num(pos + 4, 2, om) && oh < 24 && om < 60) {
    const std::int64_t offset = (oh * 60 + om) * 60'000LL;
    return s[pos] == '+' ? ms - offset : ms + offset;
  }
  return fail(Errc::kInvalidArgument, fmt::format("timestamp '{}': bad time zone (want Z or ±hh:mm)", s));
}

Result<std::int64_t> parse_timestamp(const json::value& v) {
  double d = 0;
  if (v.is_int64()) d = static_cast<double>(v.get_int64());
  else if (v.is_uint64()) d = static_cast<double>(v.get_uint64());
  else if (v.is_double()) d = v.get_double();
  else if (v.is_string()) {
    std::string_view s = v.get_string();
    if (!parse_whole(trim(s), d)) return parse_iso8601(s);
  } else {
    return fail(Errc::kInvalidArgument, "timestamp is neither a number nor a string");
  }
  if (!std::isfinite(d) || d < 0 || d > 4.1e12 * 1000)
    return fail(Errc::kInvalidArgument, fmt::format("timestamp {} is out of range", d));
  if (d < 1e11) d *= 1000.0;  // seconds
  return static_cast<std::int64_t>(std::llround(d));
}

std::string json_object(std::string_view key, const tsdb::Value& value) {
  // Doubles in their shortest round-trip form ("85", "42.5"), not Boost.JSON's "8.5E1".
  std::string text = std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) return std::isfinite(v) ? fmt::format("{}", v) : "null";
        else return json::serialize(json::value(v));
      },
      value);
  return "{" + json::serialize(json::value(json::string(key))) + ":" + text + "}";
}

}  // namespace kaiwu::drivers::mqttc

#include "ingest/line_protocol.hpp"

#include <charconv>
#include <cmath>

namespace kaiwu::ingest {
namespace {

class LineParser {
 public:
  LineParser(std::string_view line, std::size_t number) : s_(line), number_(number) {}

  Result<Line> parse(Precision precision, std::int64_t now) {
    Line out;
    out.measurement = KAIWU_TRY(name(",  ", true));
    if (out.measurement.empty()) return error("missing measurement");
    while (peek() == ',') {
      ++i_;
      auto key = KAIWU_TRY(name("=", false));
      if (!eat('=')) return error("tag " + key + " has no '='");
      auto value = KAIWU_TRY(name(", ", false));
      if (key.empty() || value.empty()) return error("empty tag key or value");
      out.tags.emplace_back(std::move(key), std::move(value));
    }
    if (!eat(' ')) return error("expected a space before the fields");
    while (peek() == ' ') ++i_;
    do {
      auto key = KAIWU_TRY(name("=", false));
      if (key.empty()) return error("empty field key");
      if (!eat('=')) return error("field " + key + " has no '='");
      auto value = KAIWU_TRY(field_value(key));
      out.fields.push_back({std::move(key), std::move(value)});
    } while (eat(','));
    while (peek() == ' ') ++i_;
    if (i_ >= s_.size()) {
      out.ts_ms = now;
      return out;
    }
    std::int64_t ts = 0;
    auto rest = s_.substr(i_);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ts);
    if (ec != std::errc{} || p != rest.data() + rest.size()) return error("bad timestamp \"" + std::string(rest) + "\"");
    if (!to_ms(ts, precision, out.ts_ms)) return error("timestamp \"" + std::string(rest) + "\" out of range");
    return out;
  }

 private:
  // False when the timestamp does not fit in int64 milliseconds (s, m and h multiply).
  static bool to_ms(std::int64_t ts, Precision p, std::int64_t& ms) {
    std::int64_t factor = 1;
    switch (p) {
      case Precision::kNs: ms = ts / 1'000'000; return true;
      case Precision::kUs: ms = ts / 1'000; return true;
      case Precision::kMs: ms = ts; return true;
      case Precision::kS: factor = 1'000; break;
      case Precision::kM: factor = 60'000; break;
      case Precision::kH: factor = 3'600'000; break;
    }
    if (ts > INT64_MAX / factor || ts < INT64_MIN / factor) return false;
    ms = ts * factor;
    return true;
  }

  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }

  std::unexpected<Error> error(const std::string& what) const {
    return std::unexpected(Error{Errc::kInvalidArgument, "line " + std::to_string(number_) + ": " + what});
  }

  // A name, tag key/value or field key: up to an unescaped stop character.
  Result<std::string> name(std::string_view stops, bool measurement) {
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\\' && i_ + 1 < s_.size()) {
        char n = s_[i_ + 1];
        if (n == ',' || n == ' ' || (n == '=' && !measurement) || n == '\\') {
          out += n;
          i_ += 2;
          continue;
        }
      }
      if (stops.find(c) != std::string_view::npos) break;
      if (c == '\n') break;
      out += c;
      ++i_;
    }
    return out;
  }

  Result<tsdb::Value> field_value(const std::string& key) {
    if (eat('"')) {
      std::string out;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '"' || s_[i_ + 1] == '\\')) ++i_;
        out += s_[i_++];
      }
      if (!eat('"')) return error("field " + key + ": unterminated string");
      return tsdb::Value(std::move(out));
    }
    std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ' ') ++i_;
    std::string_view v = s_.substr(start, i_ - start);
    if (v.empty()) return error("field " + key + " has no value");
    if (v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE") return tsdb::Value(true);
    if (v == "f" || v == "F" || v == "false" || v == "False" || v == "FALSE") return tsdb::Value(false);
    if (v.back() == 'i' || v.back() == 'u') {
      auto digits = v.substr(0, v.size() - 1);
      if (v.back() == 'i') {
        std::int64_t n = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (ec == std::errc{} && p == digits.data() + digits.size()) return tsdb::Value(n);
      } else {
        std::uint64_t n = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (ec == std::errc{} && p == digits.data() + digits.size()) {
          if (n > static_cast<std::uint64_t>(INT64_MAX)) return tsdb::Value(static_cast<double>(n));
          return tsdb::Value(static_cast<std::int64_t>(n));
        }
      }
      return error("field " + key + ": bad integer \"" + std::string(v) + "\"");
    }
    double d = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec != std::errc{} || p != v.data() + v.size() || !std::isfinite(d))
      return error("field " + key + ": bad value \"" + std::string(v) + "\"");
    return tsdb::Value(d);
  }

  std::string_view s_;
  std::size_t number_;
  std::size_t i_ = 0;
};

}  // namespace

Result<Precision> parse_precision(std::string_view s) {
  if (s.empty() || s == "ns" || s == "n") return Precision::kNs;
  if (s == "us" || s == "u") return Precision::kUs;
  if (s == "ms") return Precision::kMs;
  if (s == "s") return Precision::kS;
  if (s == "m") return Precision::kM;
  if (s == "h") return Precision::kH;
  return fail(Errc::kInvalidArgument, "precision: \"" + std::string(s) + "\" is not one of ns, us, ms, s, m, h");
}

Result<std::vector<Line>> parse_line_protocol(std::string_view body, Precision precision, std::int64_t now_ms) {
  std::vector<Line> out;
  std::size_t number = 0;
  while (!body.empty()) {
    auto nl = body.find('\n');
    auto line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    std::size_t lead = 0;
    while (lead < line.size() && line[lead] == ' ') ++lead;
    line.remove_prefix(lead);
    if (line.empty() || line.front() == '#') continue;
    out.push_back(KAIWU_TRY(LineParser(line, number).parse(precision, now_ms)));
  }
  return out;
}

}  // namespace kaiwu::ingest

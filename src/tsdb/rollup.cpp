#include "tsdb/rollup.hpp"

#include <bit>

#include "tsdb/encoding.hpp"

namespace kaiwu::tsdb {

std::optional<double> as_number(const Value& v) {
  switch (type_of(v)) {
    case ValueType::kDouble: return std::get<double>(v);
    case ValueType::kInt: return static_cast<double>(std::get<std::int64_t>(v));
    case ValueType::kBool: return std::get<bool>(v) ? 1.0 : 0.0;
    case ValueType::kString: return std::nullopt;
  }
  return std::nullopt;
}

void Partial::add(std::int64_t ts, const Value& v) {
  ++count;
  if (auto n = as_number(v)) {
    ++numeric;
    sum += *n;
    if (*n < min) min = *n;
    if (*n > max) max = *n;
  }
  if (ts < first_ts) {
    first_ts = ts;
    first = v;
  }
  if (ts >= last_ts) {
    last_ts = ts;
    last = v;
  }
}

void Partial::merge(const Partial& o) {
  if (o.count == 0) return;
  count += o.count;
  numeric += o.numeric;
  sum += o.sum;
  if (o.min < min) min = o.min;
  if (o.max > max) max = o.max;
  if (o.first_ts < first_ts) {
    first_ts = o.first_ts;
    first = o.first;
  }
  if (o.last_ts >= last_ts) {
    last_ts = o.last_ts;
    last = o.last;
  }
}

std::optional<Value> Partial::result(Agg agg) const {
  if (count == 0) return std::nullopt;
  switch (agg) {
    case Agg::kCount: return Value(static_cast<std::int64_t>(count));
    case Agg::kFirst: return first;
    case Agg::kLast: return last;
    case Agg::kSum: return numeric ? std::optional<Value>(sum) : std::nullopt;
    case Agg::kAvg: return numeric ? std::optional<Value>(sum / static_cast<double>(numeric)) : std::nullopt;
    case Agg::kMin: return numeric ? std::optional<Value>(min) : std::nullopt;
    case Agg::kMax: return numeric ? std::optional<Value>(max) : std::nullopt;
  }
  return std::nullopt;
}

void encode_value(std::string& out, const Value& v) {
  out.push_back(static_cast<char>(type_of(v)));
  switch (type_of(v)) {
    case ValueType::kDouble: enc::put_fixed64(out, std::bit_cast<std::uint64_t>(std::get<double>(v))); break;
    case ValueType::kInt: enc::put_varint(out, enc::zigzag(std::get<std::int64_t>(v))); break;
    case ValueType::kBool: out.push_back(std::get<bool>(v) ? 1 : 0); break;
    case ValueType::kString: {
      const auto& s = std::get<std::string>(v);
      enc::put_varint(out, s.size());
      out.append(s);
      break;
    }
  }
}

std::optional<Value> decode_value(std::string_view& in) {
  enc::Reader r(in);
  auto type = r.u8();
  if (!type) return std::nullopt;
  std::optional<Value> out;
  switch (static_cast<ValueType>(*type)) {
    case ValueType::kDouble:
      if (auto bits = r.fixed64()) out = std::bit_cast<double>(*bits);
      break;
    case ValueType::kInt:
      if (auto z = r.varint()) out = enc::unzigzag(*z);
      break;
    case ValueType::kBool:
      if (auto b = r.u8()) out = *b != 0;
      break;
    case ValueType::kString:
      if (auto n = r.varint())
        if (auto s = r.bytes(*n)) out = std::string(*s);
      break;
  }
  if (out) in = in.substr(in.size() - r.remaining());
  return out;
}

std::string Partial::encode() const {
  std::string out;
  enc::put_varint(out, count);
  enc::put_varint(out, numeric);
  enc::put_fixed64(out, std::bit_cast<std::uint64_t>(sum));
  enc::put_fixed64(out, std::bit_cast<std::uint64_t>(min));
  enc::put_fixed64(out, std::bit_cast<std::uint64_t>(max));
  enc::put_varint(out, enc::zigzag(first_ts));
  enc::put_varint(out, enc::zigzag(last_ts));
  encode_value(out, first);
  encode_value(out, last);
  return out;
}

std::optional<Partial> Partial::decode(std::string_view bytes) {
  enc::Reader r(bytes);
  Partial p;
  auto count = r.varint(), numeric = r.varint();
  auto sum = r.fixed64(), min = r.fixed64(), max = r.fixed64();
  auto first_ts = r.varint(), last_ts = r.varint();
  if (!count || !numeric || !sum || !min || !max || !first_ts || !last_ts) return std::nullopt;
  p.count = *count;
  p.numeric = *numeric;
  p.sum = std::bit_cast<double>(*sum);
  p.min = std::bit_cast<double>(*min);
  p.max = std::bit_cast<double>(*max);
  p.first_ts = enc::unzigzag(*first_ts);
  p.last_ts = enc::unzigzag(*last_ts);
  std::string_view rest = bytes.substr(bytes.size() - r.remaining());
  auto first = decode_value(rest);
  if (!first) return std::nullopt;
  auto last = decode_value(rest);
  if (!last) return std::nullopt;
  p.first = std::move(*first);
  p.last = std::move(*last);
  return p;
}

}  // namespace kaiwu::tsdb

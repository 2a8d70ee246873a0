#include "tsdb/rollup.hpp"

#include <bit>

#include "tsdb/codec.hpp"
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

namespace {

void append_typed(ChunkData& c, std::int64_t ts, const Value& v) {
  c.ts.push_back(ts);
  switch (c.type) {
    case ValueType::kDouble: c.f64.push_back(as_number(v).value_or(0)); break;
    case ValueType::kInt:
      c.i64.push_back(type_of(v) == ValueType::kInt ? std::get<std::int64_t>(v)
                                                     : static_cast<std::int64_t>(as_number(v).value_or(0)));
      break;
    case ValueType::kBool: c.b.push_back(as_number(v).value_or(0) != 0 ? 1 : 0); break;
    case ValueType::kString: c.str.push_back(type_of(v) == ValueType::kString ? std::get<std::string>(v) : std::string()); break;
  }
}

void put_column(std::string& out, const ChunkData& c) {
  auto bytes = encode_chunk(c);
  std::string b = bytes ? std::move(*bytes) : std::string();
  enc::put_varint(out, b.size());
  out += b;
}

}  // namespace

std::string encode_minute_block(const std::map<std::int64_t, Partial>& buckets, ValueType type) {
  ChunkData count{ValueType::kInt}, numeric{ValueType::kInt}, first_off{ValueType::kInt}, last_off{ValueType::kInt};
  ChunkData sum{ValueType::kDouble}, min{ValueType::kDouble}, max{ValueType::kDouble};
  ChunkData first{type}, last{type};
  for (const auto& [bucket, p] : buckets) {
    if (p.count == 0) continue;
    count.ts.push_back(bucket);
    count.i64.push_back(static_cast<std::int64_t>(p.count));
    numeric.ts.push_back(bucket);
    numeric.i64.push_back(static_cast<std::int64_t>(p.count - p.numeric));
    first_off.ts.push_back(bucket);
    first_off.i64.push_back(p.first_ts - bucket);
    last_off.ts.push_back(bucket);
    last_off.i64.push_back(p.last_ts - bucket);
    for (auto [col, v] : {std::pair{&sum, p.sum}, std::pair{&min, p.min}, std::pair{&max, p.max}}) {
      col->ts.push_back(bucket);
      col->f64.push_back(v);
    }
    append_typed(first, bucket, p.first);
    append_typed(last, bucket, p.last);
  }
  std::string out;
  out.push_back(1);  // format version
  for (const ChunkData* c : {&count, &numeric, &first_off, &last_off, &sum, &min, &max, &first, &last}) put_column(out, *c);
  return out;
}

Result<std::map<std::int64_t, Partial>> decode_minute_block(std::string_view bytes) {
  auto bad = [] { return fail(Errc::kCorruption, "rollup block is damaged"); };
  if (bytes.empty() || bytes[0] != 1) return bad();
  enc::Reader r(bytes.substr(1));
  ChunkData cols[9];
  for (auto& c : cols) {
    auto n = r.varint();
    if (!n) return bad();
    auto b = r.bytes(*n);
    if (!b) return bad();
    c = KAIWU_TRY(decode_chunk(*b));
  }
  std::size_t n = cols[0].size();
  for (const auto& c : cols)
    if (c.size() != n) return bad();
  std::map<std::int64_t, Partial> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t bucket = cols[0].ts[i];
    Partial p;
    p.count = static_cast<std::uint64_t>(cols[0].i64[i]);
    p.numeric = p.count - static_cast<std::uint64_t>(cols[1].i64[i]);
    p.first_ts = bucket + cols[2].i64[i];
    p.last_ts = bucket + cols[3].i64[i];
    p.sum = cols[4].f64[i];
    p.min = cols[5].f64[i];
    p.max = cols[6].f64[i];
    p.first = value_at(cols[7], i);
    p.last = value_at(cols[8], i);
    out.emplace(bucket, std::move(p));
  }
  return out;
}

}  // namespace kaiwu::tsdb

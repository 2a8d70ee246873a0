// Chunk framing (header, timestamp block, value block) and the bool and string value blocks.
//
// Chunk, version 1:
//   0xB1                      format/version byte
//   type | codec << 4         ValueType in the low nibble, DoubleCodec (0 unless double) high
//   varint count              ≤ 2^24
//   varint zigzag(first_ts)   \ only when count > 0
//   varint last_ts - first_ts /
//   timestamp block           (codec_timestamps.cpp; only when count > 1)
//   value block               to the end (codec_doubles.cpp, codec_intseq.cpp, below)
#include "tsdb/codec.hpp"

#include <limits>
#include <unordered_map>

#include "tsdb/codec_internal.hpp"

namespace kaiwu::tsdb {
namespace {

using codec_detail::ByteReader;
using codec_detail::corrupt;
using codec_detail::kMaxChunkSamples;

constexpr std::uint8_t kChunkFormatV1 = 0xB1;
constexpr std::uint8_t kMaxValueType = static_cast<std::uint8_t>(ValueType::kString);
constexpr std::uint8_t kMaxDoubleCodec = static_cast<std::uint8_t>(DoubleCodec::kShuffleZstd);
// Decoded strings of one chunk may not exceed this in total (guards against small chunks that
// reference a long dictionary entry millions of times); encode_chunk enforces it too.
constexpr std::uint64_t kMaxStringBytes = std::uint64_t{256} << 20;

std::unexpected<Error> invalid(std::string_view what) {
  return fail(Errc::kInvalidArgument, "tsdb chunk: " + std::string(what));
}

std::size_t column_size(const ChunkData& c, ValueType type) {
  switch (type) {
    case ValueType::kDouble:
      return c.f64.size();
    case ValueType::kInt:
      return c.i64.size();
    case ValueType::kBool:
      return c.b.size();
    case ValueType::kString:
      return c.str.size();
  }
  return 0;
}

Status validate(const ChunkData& c) {
  if (static_cast<std::uint8_t>(c.type) > kMaxValueType) return invalid("unknown value type");
  const std::size_t n = c.ts.size();
  if (n > kMaxChunkSamples) return invalid("more than 2^24 samples");
  for (std::uint8_t t = 0; t <= kMaxValueType; ++t) {
    const auto type = static_cast<ValueType>(t);
    const std::size_t expected = type == c.type ? n : 0;
    if (column_size(c, type) != expected) return invalid("value column size does not match");
  }
  for (std::size_t i = 1; i < n; ++i) {
    if (c.ts[i] <= c.ts[i - 1]) return invalid("timestamps not strictly increasing");
  }
  for (const std::uint8_t v : c.b) {
    if (v > 1) return invalid("bool value not 0 or 1");
  }
  std::uint64_t string_bytes = 0;
  for (const auto& s : c.str) string_bytes += s.size();
  if (string_bytes > kMaxStringBytes) return invalid("strings larger than 256 MiB in total");
  return ok();
}

Result<ChunkInfo> read_header(ByteReader& in) {
  const auto format = in.u8();
  const auto kinds = in.u8();
  if (!format || !kinds) return corrupt("header truncated");
  if (*format != kChunkFormatV1) return corrupt("unknown format byte");
  ChunkInfo info;
  const std::uint8_t type = *kinds & 0x0f;
  const std::uint8_t codec = *kinds >> 4;
  if (type > kMaxValueType) return corrupt("unknown value type");
  if (codec > kMaxDoubleCodec) return corrupt("unknown double codec");
  info.type = static_cast<ValueType>(type);
  info.double_codec = static_cast<DoubleCodec>(codec);
  if (info.type != ValueType::kDouble && info.double_codec != DoubleCodec::kRaw) {
    return corrupt("double codec set for a non-double chunk");
  }
  const auto count = in.varint();
  if (!count || *count > kMaxChunkSamples) return corrupt("bad sample count");
  info.count = static_cast<std::uint32_t>(*count);
  if (info.count == 0) return info;
  const auto first = in.varint();
  const auto span = in.varint();
  if (!first || !span) return corrupt("header truncated");
  info.first_ts = codec_detail::zigzag_decode(*first);
  const auto first_u = static_cast<std::uint64_t>(info.first_ts);
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (*span > kMax - first_u) return corrupt("last timestamp out of range");
  if (*span < info.count - 1u) return corrupt("timestamp span shorter than count");
  if (info.count == 1 && *span != 0) return corrupt("single sample with a time span");
  info.last_ts = static_cast<std::int64_t>(first_u + *span);
  return info;
}

}  // namespace

namespace codec_detail {

void encode_bools(std::span<const std::uint8_t> values, std::string& out) {
  if (values.empty()) return;
  out.push_back(static_cast<char>(values[0]));
  std::uint64_t run = 1;
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i] == values[i - 1]) {
      ++run;
      continue;
    }
    put_varint(out, run);
    run = 1;
  }
  put_varint(out, run);
}

Result<std::vector<std::uint8_t>> decode_bools(std::string_view bytes, std::size_t count) {
  std::vector<std::uint8_t> out;
  ByteReader in(bytes);
  if (count == 0) {
    if (!in.at_end()) return corrupt("trailing bytes after bool block");
    return out;
  }
  const auto first = in.u8();
  if (!first || *first > 1) return corrupt("bad bool block");
  out.reserve(count);
  std::uint8_t v = *first;
  while (out.size() < count) {
    const auto run = in.varint();
    if (!run || *run == 0 || *run > count - out.size()) return corrupt("bad bool run length");
    out.insert(out.end(), static_cast<std::size_t>(*run), v);
    v ^= 1;
  }
  if (!in.at_end()) return corrupt("trailing bytes after bool block");
  return out;
}

void encode_strings(std::span<const std::string> values, std::string& out) {
  if (values.empty()) return;
  std::unordered_map<std::string_view, std::int64_t> index;
  std::vector<std::string_view> dict;
  std::vector<std::int64_t> indices;
  indices.reserve(values.size());
  for (const auto& s : values) {
    const auto [it, inserted] = index.try_emplace(s, static_cast<std::int64_t>(dict.size()));
    if (inserted) dict.push_back(s);
    indices.push_back(it->second);
  }
  put_varint(out, dict.size());
  for (const auto s : dict) {
    put_varint(out, s.size());
    out += s;
  }
  encode_int_seq(indices, ZstdUse::kIfSmaller, out);
}

Result<std::vector<std::string>> decode_strings(std::string_view bytes, std::size_t count) {
  std::vector<std::string> out;
  if (count == 0) {
    if (!bytes.empty()) return corrupt("trailing bytes after string block");
    return out;
  }
  ByteReader in(bytes);
  const auto n_dict = in.varint();
  if (!n_dict || *n_dict == 0 || *n_dict > count || *n_dict > in.remaining()) {
    return corrupt("bad string dictionary size");
  }
  std::vector<std::string_view> dict(static_cast<std::size_t>(*n_dict));
  for (auto& entry : dict) {
    const auto len = in.varint();
    if (!len) return corrupt("string dictionary truncated");
    const auto s = in.bytes(*len);
    if (!s) return corrupt("string dictionary truncated");
    entry = *s;
  }
  auto indices = decode_int_seq(in.rest(), count);
  if (!indices) return std::unexpected(indices.error());
  std::uint64_t total = 0;
  for (const std::int64_t i : *indices) {
    if (i < 0 || static_cast<std::uint64_t>(i) >= dict.size()) return corrupt("bad string index");
    total += dict[static_cast<std::size_t>(i)].size();
  }
  if (total > kMaxStringBytes) return corrupt("strings larger than 256 MiB in total");
  out.reserve(count);
  for (const std::int64_t i : *indices) out.emplace_back(dict[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace codec_detail

Result<std::string> encode_chunk(const ChunkData& chunk) {
  KAIWU_TRY_STATUS(validate(chunk));
  const std::size_t n = chunk.ts.size();
  std::string values;
  DoubleCodec codec = DoubleCodec::kRaw;
  switch (chunk.type) {
    case ValueType::kDouble: {
      auto encoded = codec_detail::encode_double_column(chunk.f64);
      codec = encoded.codec;
      values = std::move(encoded.bytes);
      break;
    }
    case ValueType::kInt:
      codec_detail::encode_int_seq(chunk.i64, codec_detail::ZstdUse::kIfSmaller, values);
      break;
    case ValueType::kBool:
      codec_detail::encode_bools(chunk.b, values);
      break;
    case ValueType::kString:
      codec_detail::encode_strings(chunk.str, values);
      break;
  }
  std::string out;
  out.push_back(static_cast<char>(kChunkFormatV1));
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(chunk.type) |
                                  static_cast<std::uint8_t>(codec) << 4));
  codec_detail::put_varint(out, n);
  if (n == 0) return out;
  codec_detail::put_varint(out, codec_detail::zigzag_encode(chunk.ts.front()));
  codec_detail::put_varint(out, static_cast<std::uint64_t>(chunk.ts.back()) -
                                    static_cast<std::uint64_t>(chunk.ts.front()));
  codec_detail::encode_timestamps(chunk.ts, out);
  out += values;
  return out;
}

Result<ChunkInfo> chunk_info(std::string_view bytes) {
  ByteReader in(bytes);
  return read_header(in);
}

Result<ChunkData> decode_chunk(std::string_view bytes) {
  ByteReader in(bytes);
  const ChunkInfo info = KAIWU_TRY(read_header(in));
  ChunkData out;
  out.type = info.type;
  out.ts = KAIWU_TRY(codec_detail::decode_timestamps(in, info.count, info.first_ts, info.last_ts));
  const std::string_view rest = in.rest();
  if (info.count == 0) {
    if (!rest.empty()) return corrupt("trailing bytes after empty chunk");
    return out;
  }
  switch (info.type) {
    case ValueType::kDouble:
      out.f64 = KAIWU_TRY(codec_detail::decode_double_column(rest, info.count, info.double_codec));
      break;
    case ValueType::kInt:
      out.i64 = KAIWU_TRY(codec_detail::decode_int_seq(rest, info.count));
      break;
    case ValueType::kBool:
      out.b = KAIWU_TRY(codec_detail::decode_bools(rest, info.count));
      break;
    case ValueType::kString:
      out.str = KAIWU_TRY(codec_detail::decode_strings(rest, info.count));
      break;
  }
  return out;
}

void append_value(ChunkData& c, std::int64_t ts, const Value& v) {
  c.ts.push_back(ts);
  switch (c.type) {
    case ValueType::kDouble: c.f64.push_back(std::get<double>(v)); break;
    case ValueType::kInt: c.i64.push_back(std::get<std::int64_t>(v)); break;
    case ValueType::kBool: c.b.push_back(std::get<bool>(v) ? 1 : 0); break;
    case ValueType::kString: c.str.push_back(std::get<std::string>(v)); break;
  }
}

Value value_at(const ChunkData& c, std::size_t i) {
  switch (c.type) {
    case ValueType::kDouble: return c.f64[i];
    case ValueType::kInt: return c.i64[i];
    case ValueType::kBool: return c.b[i] != 0;
    case ValueType::kString: return c.str[i];
  }
  return 0.0;
}

}  // namespace kaiwu::tsdb

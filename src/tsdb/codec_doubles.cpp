// Double codecs: Gorilla XOR, decimal mantissas with exceptions, byte-shuffled bits under zstd,
// raw bits; encode_double_column keeps the smallest. Every codec reproduces every value's bits.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <optional>

#include "tsdb/codec.hpp"
#include "tsdb/codec_internal.hpp"

namespace kaiwu::tsdb {
namespace {

using codec_detail::BitReader;
using codec_detail::BitWriter;
using codec_detail::ByteReader;
using codec_detail::corrupt;

std::uint64_t bits_of(double v) { return std::bit_cast<std::uint64_t>(v); }
double from_bits(std::uint64_t b) { return std::bit_cast<double>(b); }

// --- Gorilla XOR (Pelkonen et al., VLDB 2015, §4.1.2) ---------------------------------------
// First value: 64 bits. Then per value, XOR with the previous one:
//   '0'                       XOR is zero;
//   '10' + meaningful bits    the XOR fits the previous window of leading/trailing zeros;
//   '11' + 5 bits leading zeros (capped at 31) + 6 bits meaningful length (64 stored as 0, as
//        in Prometheus) + meaningful bits; this becomes the window.
constexpr unsigned kLeadingBits = 5;
constexpr unsigned kMaxLeading = (1u << kLeadingBits) - 1;
constexpr unsigned kLengthBits = 6;

// --- Decimal ---------------------------------------------------------------------------------
// Block: exponent byte e (0..15); varint exception count; per exception the gap to the previous
// exception position (first: its position) and the raw 64 bits little-endian; then the mantissas
// of the other values, in order, as an integer sequence block. Value = (double)m / 10^e, where
// every power of ten up to 1e15 is exact and the division is correctly rounded, so encoder and
// decoder agree bit for bit.
constexpr std::array<double, 16> kPow10 = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr unsigned kMaxExponent = kPow10.size() - 1;
constexpr std::int64_t kMantissaLimit = std::int64_t{1} << 53;  // |m| < 2^53: exact as double
// Decimal coding is not used when more than 1 in kMaxExceptionRatio values are exceptions.
constexpr std::size_t kMaxExceptionRatio = 10;
constexpr std::size_t kExceptionMinBytes = 9;  // 1-byte gap + 8 bytes

double decimal_value(std::int64_t m, unsigned e) { return static_cast<double>(m) / kPow10[e]; }

// The mantissa m with decimal_value(m, e) == v bit for bit, if there is one.
std::optional<std::int64_t> mantissa_at(double v, unsigned e) {
  const double scaled = v * kPow10[e];
  if (!(std::fabs(scaled) < static_cast<double>(kMantissaLimit))) return std::nullopt;
  const std::int64_t m = std::llround(scaled);
  if (m >= kMantissaLimit || m <= -kMantissaLimit) return std::nullopt;
  if (bits_of(decimal_value(m, e)) != bits_of(v)) return std::nullopt;
  return m;
}

// Smallest exponent at which v is exactly decimal, or -1 (NaN, ±Inf, -0.0, too many digits).
int min_exponent(double v) {
  for (unsigned e = 0; e <= kMaxExponent; ++e) {
    if (!(std::fabs(v * kPow10[e]) < static_cast<double>(kMantissaLimit))) return -1;
    if (mantissa_at(v, e)) return static_cast<int>(e);
  }
  return -1;
}

struct DecimalPlan {
  unsigned exponent = 0;
  std::vector<std::size_t> exceptions;  // positions, increasing
  std::vector<std::int64_t> mantissas;  // of the other positions, in order
  std::size_t estimated_size = 0;
};

bool too_many_exceptions(std::size_t exceptions, std::size_t n) {
  return exceptions * kMaxExceptionRatio > n;
}

std::size_t exceptions_size(std::span<const std::size_t> positions) {
  std::size_t size = codec_detail::varint_size(positions.size());
  std::size_t next = 0;
  for (const std::size_t p : positions) {
    size += codec_detail::varint_size(p - next) + 8;
    next = p + 1;
  }
  return size;
}

DecimalPlan plan_at(std::span<const double> values, std::span<const int> min_exp, unsigned e) {
  DecimalPlan plan{.exponent = e, .exceptions = {}, .mantissas = {}, .estimated_size = 0};
  plan.mantissas.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto m = min_exp[i] >= 0 && static_cast<unsigned>(min_exp[i]) <= e
                       ? mantissa_at(values[i], e)
                       : std::nullopt;
    if (m) {
      plan.mantissas.push_back(*m);
    } else {
      plan.exceptions.push_back(i);
    }
  }
  plan.estimated_size =
      1 + exceptions_size(plan.exceptions) + codec_detail::int_seq_plain_size(plan.mantissas);
  return plan;
}

// Tries every exponent at which some value first becomes exact and at most ~10% of the values
// are exceptions; keeps the smallest. nullopt when decimal coding does not apply.
std::optional<DecimalPlan> plan_decimal(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<int> min_exp(n);
  std::array<std::size_t, kMaxExponent + 1> hist{};
  std::size_t never = 0;
  for (std::size_t i = 0; i < n; ++i) {
    min_exp[i] = min_exponent(values[i]);
    if (min_exp[i] < 0) {
      if (too_many_exceptions(++never, n)) return std::nullopt;
      continue;
    }
    ++hist[static_cast<std::size_t>(min_exp[i])];
  }
  std::optional<DecimalPlan> best;
  std::size_t exact = 0;
  for (unsigned e = 0; e <= kMaxExponent; ++e) {
    exact += hist[e];
    if (hist[e] == 0 && !(n == 0 && e == 0)) continue;
    if (too_many_exceptions(n - exact, n)) continue;
    DecimalPlan plan = plan_at(values, min_exp, e);
    if (too_many_exceptions(plan.exceptions.size(), n)) continue;
    if (!best || plan.estimated_size < best->estimated_size) best = std::move(plan);
  }
  return best;
}

std::string emit_decimal(const DecimalPlan& plan, std::span<const double> values, bool zstd) {
  std::string out;
  out.push_back(static_cast<char>(plan.exponent));
  codec_detail::put_varint(out, plan.exceptions.size());
  std::size_t next = 0;
  for (const std::size_t p : plan.exceptions) {
    codec_detail::put_varint(out, p - next);
    codec_detail::put_u64le(out, bits_of(values[p]));
    next = p + 1;
  }
  codec_detail::encode_int_seq(
      plan.mantissas, zstd ? codec_detail::ZstdUse::kAlways : codec_detail::ZstdUse::kNever, out);
  return out;
}

struct DecodedDecimal {
  std::vector<double> values;
  bool zstd = false;
};

Result<DecodedDecimal> decode_decimal(std::string_view bytes, std::size_t count) {
  if (count > codec_detail::kMaxChunkSamples) return corrupt("count too large");
  ByteReader in(bytes);
  const auto exponent = in.u8();
  if (!exponent || *exponent > kMaxExponent) return corrupt("bad decimal exponent");
  const auto n_exc = in.varint();
  if (!n_exc || *n_exc > count || *n_exc > in.remaining() / kExceptionMinBytes) {
    return corrupt("bad decimal exception count");
  }
  std::vector<std::size_t> positions(*n_exc);
  std::vector<std::uint64_t> raw(*n_exc);
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const auto gap = in.varint();
    const auto bits = in.u64le();
    if (!gap || !bits) return corrupt("decimal exceptions truncated");
    if (*gap >= count - next) return corrupt("decimal exception position out of range");
    positions[i] = static_cast<std::size_t>(next + *gap);
    raw[i] = *bits;
    next = positions[i] + 1;
  }
  const std::string_view mantissa_block = in.rest();
  auto mantissas = codec_detail::decode_int_seq(mantissa_block, count - positions.size());
  if (!mantissas) return std::unexpected(mantissas.error());

  DecodedDecimal out{.values = std::vector<double>(count),
                     .zstd = codec_detail::int_seq_uses_zstd(mantissa_block)};
  std::size_t exc = 0;
  std::size_t mant = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (exc < positions.size() && positions[exc] == i) {
      out.values[i] = from_bits(raw[exc++]);
      continue;
    }
    const std::int64_t m = (*mantissas)[mant++];
    if (m >= kMantissaLimit || m <= -kMantissaLimit) return corrupt("decimal mantissa too large");
    out.values[i] = decimal_value(m, *exponent);
  }
  return out;
}

// --- Byte-shuffled + zstd --------------------------------------------------------------------
// Block: flags byte (bit 0: 4-byte float32 words, else 8-byte double words; bit 1: each word
// XORed with the previous word), then one zstd frame of count * width bytes: byte plane k
// (k = 0 least significant) of every word, in order.
constexpr std::uint8_t kShuffleFloat32 = 0x01;
constexpr std::uint8_t kShuffleXor = 0x02;

bool exactly_float(double v) {
  if (std::isnan(v)) return false;  // float conversion need not keep a NaN's payload
  if (!std::isinf(v) && !(std::fabs(v) <= std::numeric_limits<float>::max())) return false;
  return bits_of(static_cast<double>(static_cast<float>(v))) == bits_of(v);
}

std::string shuffle(std::span<const double> values, bool narrow, bool xor_previous) {
  const std::size_t n = values.size();
  const std::size_t width = narrow ? 4 : 8;
  std::string planes(n * width, '\0');
  std::uint64_t prev = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t word =
        narrow ? std::bit_cast<std::uint32_t>(static_cast<float>(values[i])) : bits_of(values[i]);
    const std::uint64_t w = xor_previous ? word ^ prev : word;
    prev = word;
    for (std::size_t k = 0; k < width; ++k) planes[k * n + i] = static_cast<char>(w >> (8 * k));
  }
  return planes;
}

// --- Raw -------------------------------------------------------------------------------------

std::string encode_doubles_raw(std::span<const double> values) {
  std::string out;
  out.reserve(values.size() * 8);
  for (const double v : values) codec_detail::put_u64le(out, bits_of(v));
  return out;
}

Result<std::vector<double>> decode_doubles_raw(std::string_view bytes, std::size_t count) {
  if (bytes.size() / 8 != count || bytes.size() % 8 != 0) return corrupt("raw block size");
  ByteReader in(bytes);
  std::vector<double> out(count);
  for (double& v : out) v = from_bits(*in.u64le());
  return out;
}

}  // namespace

std::string encode_doubles_gorilla(std::span<const double> values) {
  std::string out;
  if (values.empty()) return out;
  BitWriter w(out);
  std::uint64_t prev = bits_of(values[0]);
  w.write(prev, 64);
  bool have_window = false;
  unsigned window_leading = 0;
  unsigned window_trailing = 0;
  for (const double v : values.subspan(1)) {
    const std::uint64_t cur = bits_of(v);
    const std::uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.write(0b0, 1);
      continue;
    }
    const unsigned leading = std::min(static_cast<unsigned>(std::countl_zero(x)), kMaxLeading);
    const auto trailing = static_cast<unsigned>(std::countr_zero(x));
    if (have_window && leading >= window_leading && trailing >= window_trailing) {
      w.write(0b10, 2);
      w.write(x >> window_trailing, 64 - window_leading - window_trailing);
      continue;
    }
    const unsigned meaningful = 64 - leading - trailing;
    w.write(0b11, 2);
    w.write(leading, kLeadingBits);
    w.write(meaningful & 63, kLengthBits);
    w.write(x >> trailing, meaningful);
    have_window = true;
    window_leading = leading;
    window_trailing = trailing;
  }
  w.finish();
  return out;
}

Result<std::vector<double>> decode_doubles_gorilla(std::string_view bytes, std::size_t count) {
  if (count > codec_detail::kMaxChunkSamples) return corrupt("count too large");
  std::vector<double> out;
  if (count == 0) {
    if (!bytes.empty()) return corrupt("trailing bytes after gorilla block");
    return out;
  }
  BitReader r(bytes);
  if (r.bits_left() < 64 || count - 1 > r.bits_left() - 64) return corrupt("gorilla block short");
  out.reserve(count);
  std::uint64_t prev = *r.read(64);
  out.push_back(from_bits(prev));
  bool have_window = false;
  unsigned window_leading = 0;
  unsigned window_trailing = 0;
  while (out.size() < count) {
    const auto changed = r.read(1);
    if (!changed) return corrupt("gorilla block truncated");
    if (*changed == 0) {
      out.push_back(from_bits(prev));
      continue;
    }
    const auto new_window = r.read(1);
    if (!new_window) return corrupt("gorilla block truncated");
    if (*new_window == 1) {
      const auto leading = r.read(kLeadingBits);
      const auto length = r.read(kLengthBits);
      if (!leading || !length) return corrupt("gorilla block truncated");
      const auto meaningful = static_cast<unsigned>(*length == 0 ? 64 : *length);
      if (*leading + meaningful > 64) return corrupt("gorilla window out of range");
      window_leading = static_cast<unsigned>(*leading);
      window_trailing = 64 - window_leading - meaningful;
      have_window = true;
    } else if (!have_window) {
      return corrupt("gorilla window used before set");
    }
    const auto x = r.read(64 - window_leading - window_trailing);
    if (!x) return corrupt("gorilla block truncated");
    prev ^= *x << window_trailing;
    out.push_back(from_bits(prev));
  }
  if (r.bytes_used() != bytes.size()) return corrupt("trailing bytes after gorilla block");
  return out;
}

std::string encode_doubles_decimal(std::span<const double> values, bool zstd) {
  const auto plan = plan_decimal(values);
  if (!plan) return {};
  return emit_decimal(*plan, values, zstd);
}

Result<std::vector<double>> decode_doubles_decimal(std::string_view bytes, std::size_t count) {
  auto decoded = decode_decimal(bytes, count);
  if (!decoded) return std::unexpected(decoded.error());
  return std::move(decoded->values);
}

std::string encode_doubles_shuffled(std::span<const double> values) {
  const bool narrow = std::all_of(values.begin(), values.end(), exactly_float);
  std::string best;
  for (const bool xor_previous : {false, true}) {
    std::string frame = codec_detail::zstd_compress(shuffle(values, narrow, xor_previous));
    if (frame.empty() || (!best.empty() && frame.size() + 1 >= best.size())) continue;
    best.clear();
    best.push_back(
        static_cast<char>((narrow ? kShuffleFloat32 : 0) | (xor_previous ? kShuffleXor : 0)));
    best += frame;
  }
  return best;
}

Result<std::vector<double>> decode_doubles_shuffled(std::string_view bytes, std::size_t count) {
  if (count > codec_detail::kMaxChunkSamples) return corrupt("count too large");
  ByteReader in(bytes);
  const auto flags = in.u8();
  if (!flags || (*flags & ~(kShuffleFloat32 | kShuffleXor)) != 0) {
    return corrupt("bad shuffled block flags");
  }
  const bool narrow = (*flags & kShuffleFloat32) != 0;
  const std::size_t width = narrow ? 4 : 8;
  const std::string planes = KAIWU_TRY(codec_detail::zstd_decompress(in.rest(), count * width));
  if (planes.size() != count * width) return corrupt("shuffled block size");
  std::vector<double> out(count);
  std::uint64_t prev = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t w = 0;
    for (std::size_t k = 0; k < width; ++k) {
      w |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(planes[k * count + i])) << (8 * k);
    }
    if ((*flags & kShuffleXor) != 0) w ^= prev;
    prev = w;
    out[i] = narrow ? static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(w)))
                    : from_bits(w);
  }
  return out;
}

namespace codec_detail {

EncodedDoubles encode_double_column(std::span<const double> values) {
  EncodedDoubles best{.codec = DoubleCodec::kRaw, .bytes = encode_doubles_raw(values)};
  auto consider = [&](DoubleCodec codec, std::string bytes) {
    if (bytes.size() < best.bytes.size()) {
      best = EncodedDoubles{.codec = codec, .bytes = std::move(bytes)};
    }
  };
  if (const auto plan = plan_decimal(values)) {
    consider(DoubleCodec::kDecimal, emit_decimal(*plan, values, false));
    consider(DoubleCodec::kDecimalZstd, emit_decimal(*plan, values, true));
  }
  // Gorilla needs at least 64 bits plus one per further value.
  const std::size_t gorilla_floor = values.empty() ? 0 : 8 + (values.size() - 1) / 8;
  if (best.bytes.size() > gorilla_floor) {
    consider(DoubleCodec::kGorilla, encode_doubles_gorilla(values));
  }
  // Byte planes under zstd hardly ever get below a byte per value; skip the two compressions
  // when another codec already did.
  if (best.bytes.size() > values.size()) {
    consider(DoubleCodec::kShuffleZstd, encode_doubles_shuffled(values));
  }
  return best;
}

Result<std::vector<double>> decode_double_column(std::string_view bytes, std::size_t count,
                                                 DoubleCodec codec) {
  switch (codec) {
    case DoubleCodec::kRaw:
      return decode_doubles_raw(bytes, count);
    case DoubleCodec::kGorilla:
      return decode_doubles_gorilla(bytes, count);
    case DoubleCodec::kDecimal:
    case DoubleCodec::kDecimalZstd: {
      auto decoded = decode_decimal(bytes, count);
      if (!decoded) return std::unexpected(decoded.error());
      if (decoded->zstd != (codec == DoubleCodec::kDecimalZstd)) {
        return corrupt("decimal block does not match the header's codec");
      }
      return std::move(decoded->values);
    }
    case DoubleCodec::kShuffleZstd:
      return decode_doubles_shuffled(bytes, count);
  }
  return corrupt("unknown double codec");
}

}  // namespace codec_detail
}  // namespace kaiwu::tsdb

// Private to the tsdb chunk codecs: the blocks a chunk is made of, shared between codec*.cpp.
// Every decoder reads only its given input and returns kCorruption on anything malformed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tsdb/bitstream.hpp"
#include "tsdb/codec.hpp"

namespace kaiwu::tsdb::codec_detail {

// Upper bound on the samples of one chunk; decoders reject larger counts before allocating.
constexpr std::uint64_t kMaxChunkSamples = std::uint64_t{1} << 24;

constexpr int kZstdLevel = 3;

inline std::unexpected<Error> corrupt(std::string_view what) {
  return fail(Errc::kCorruption, "tsdb chunk: " + std::string(what));
}

// One zstd frame (level kZstdLevel) with its content size; empty only if zstd fails.
std::string zstd_compress(std::string_view in);
// Decompresses exactly one frame filling all of `in`, whose content size is at most max_size.
Result<std::string> zstd_decompress(std::string_view in, std::size_t max_size);

// Timestamp block (ts[0] and ts.back() live in the chunk header; nothing is written for fewer
// than two samples). Precondition: ts strictly increasing.
//   0x00                          every delta equal: delta = (last - first) / (count - 1)
//   0x01 w0 w1 w2 w3 varint(d1)   then, for i >= 2, z = zigzag(delta_i - delta_{i-1}) as a
//                                 prefix-coded bucket: '0'+w0, '10'+w1, '110'+w2, '1110'+w3,
//                                 '1111'+64 bits (Gorilla §4.1.1 with widths chosen per chunk
//                                 to minimise size), padded to a byte;
//   0x02 w0 w1 w2 w3 varint(d1)   as 0x01, the bits as varint(length) + one zstd frame
//        varint(len) frame        (when smaller, e.g. a slowly drifting clock);
//   0x03 varint(period)           offsets of ts[1..] from ts[0] + i * period (period: the
//        varint(len) int-seq      median delta) as an integer sequence block of len bytes.
// The smaller of 0x01/0x02 and 0x03 is written.
void encode_timestamps(std::span<const std::int64_t> ts, std::string& out);
// Consumes the block from `in`; the result has `count` timestamps from `first` to `last`.
Result<std::vector<std::int64_t>> decode_timestamps(ByteReader& in, std::size_t count,
                                                    std::int64_t first, std::int64_t last);

// Integer sequence block, always the tail of its input:
//   flags: bits 0-1 order (0 values, 1 deltas, 2 delta-of-deltas), bit 2 layout
//          (0 = frame-of-reference bit-packing in blocks of 128: width byte (bit 7: base as
//          the previous block's, else a zigzag varint base follows), ceil(len*width/8) bytes;
//          1 = zigzag varints), bit 3 = the rest is one zstd frame.
//   head: the first min(order, n) values of the lower orders, zigzag varints.
//   residuals in the chosen layout. All arithmetic wraps modulo 2^64.
enum class ZstdUse : std::uint8_t { kNever, kAlways, kIfSmaller };
void encode_int_seq(std::span<const std::int64_t> values, ZstdUse zstd, std::string& out);
// Size encode_int_seq(values, kNever, …) would append, without encoding.
std::size_t int_seq_plain_size(std::span<const std::int64_t> values);
// Decodes exactly `count` values from all of `bytes`.
Result<std::vector<std::int64_t>> decode_int_seq(std::string_view bytes, std::size_t count);
bool int_seq_uses_zstd(std::string_view bytes);

// Double column: every applicable codec is tried and the smallest kept.
struct EncodedDoubles {
  DoubleCodec codec = DoubleCodec::kRaw;
  std::string bytes;
};
EncodedDoubles encode_double_column(std::span<const double> values);
// Decodes exactly `count` values from all of `bytes`, which must be in `codec`.
Result<std::vector<double>> decode_double_column(std::string_view bytes, std::size_t count,
                                                 DoubleCodec codec);

// Bool block: first value byte (0/1), then the length of every run as a varint.
void encode_bools(std::span<const std::uint8_t> values, std::string& out);
Result<std::vector<std::uint8_t>> decode_bools(std::string_view bytes, std::size_t count);

// String block: varint dictionary size, each distinct string (varint length + bytes) in order of
// first use, then the indices as an integer sequence block.
void encode_strings(std::span<const std::string> values, std::string& out);
Result<std::vector<std::string>> decode_strings(std::string_view bytes, std::size_t count);

}  // namespace kaiwu::tsdb::codec_detail

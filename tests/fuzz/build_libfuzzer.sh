#!/bin/sh
# Builds the libFuzzer targets of tests/fuzz with clang and ASan/UBSan (libFuzzer needs clang;
# the project builds with g++). libstdc++ 12 shows std::expected only when __cpp_concepts >=
# 202002L; clang 16 implements what it needs (P0848) but still reports 201907L, hence the
# override below; clang 14 cannot. Debian: apt-get install clang-16 libclang-rt-16-dev. Usage:
#   tests/fuzz/build_libfuzzer.sh [out dir]                       # default: build-fuzz
#   build-fuzz/fuzz_chunk -max_total_time=60 /tmp/chunk-corpus tests/fuzz/corpus/chunk
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-build-fuzz}
cxx=${CXX:-clang++-16}
mkdir -p "$out"
# shellcheck disable=SC2046
"$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
  -I"$root/src" "$root"/src/tsdb/codec*.cpp "$root/tests/fuzz/fuzz_chunk.cpp" \
  $(pkg-config --cflags --libs libzstd) -o "$out/fuzz_chunk"
echo "built $out/fuzz_chunk"
# shellcheck disable=SC2046
"$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
  -I"$root/src" "$root"/src/mqtt/decode.cpp "$root"/src/mqtt/decode_connect.cpp "$root"/src/mqtt/encode.cpp \
  "$root"/src/mqtt/properties.cpp "$root"/src/mqtt/reason.cpp "$root"/src/mqtt/topic.cpp "$root"/src/mqtt/wire.cpp \
  "$root"/src/core/errc.cpp "$root/tests/fuzz/fuzz_mqtt.cpp" -o "$out/fuzz_mqtt"
echo "built $out/fuzz_mqtt"
# The ingest decoders need only their own sources, the JSON parser, Errc, and Boost.JSON's
# implementation (compiled once by src/core/json.cpp; Boost 1.81 headers from /usr/include).
for t in telemetry_json line_protocol; do
  "$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
    -I"$root/src" "$root"/src/ingest/*.cpp "$root"/src/core/json_parse.cpp "$root"/src/core/json.cpp \
    "$root"/src/core/errc.cpp "$root/tests/fuzz/fuzz_$t.cpp" -o "$out/fuzz_$t"
  echo "built $out/fuzz_$t"
done
# Modbus: the codec, point planning and the register map (no asio), with fmt.
# shellcheck disable=SC2046
"$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
  -I"$root/src" "$root"/src/drivers/modbus/codec.cpp "$root"/src/drivers/modbus/points.cpp \
  "$root"/src/drivers/modbus/register_map.cpp "$root"/src/drivers/point.cpp \
  "$root/tests/fuzz/fuzz_modbus.cpp" $(pkg-config --cflags --libs fmt) -o "$out/fuzz_modbus"
echo "built $out/fuzz_modbus"
# The DL/T 645 and HJ 212 codecs need their own sources, Errc and fmt.
for t in dlt645 hj212; do
  srcs="$root/src/drivers/$t/codec.cpp"
  [ "$t" = dlt645 ] && srcs="$srcs $root/src/drivers/dlt645/data_ids.cpp"
  # shellcheck disable=SC2086
  "$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
    -I"$root/src" $srcs "$root"/src/core/errc.cpp "$root/tests/fuzz/fuzz_$t.cpp" -lfmt -o "$out/fuzz_$t"
  echo "built $out/fuzz_$t"
done
# The bus message codec (NATS message bodies): its own sources, messages, Errc and fmt.
"$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
  -I"$root/src" "$root"/src/bus/codec.cpp "$root"/src/bus/messages.cpp "$root"/src/core/errc.cpp \
  "$root/tests/fuzz/fuzz_bus_codec.cpp" -lfmt -o "$out/fuzz_bus_codec"
echo "built $out/fuzz_bus_codec"
# The OPC UA codec: UA Binary, framing, secure channel (OpenSSL), services and value mapping.
# shellcheck disable=SC2046
"$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
  -I"$root/src" "$root"/src/drivers/opcua/binary.cpp "$root"/src/drivers/opcua/types.cpp \
  "$root"/src/drivers/opcua/messages.cpp "$root"/src/drivers/opcua/services.cpp \
  "$root"/src/drivers/opcua/secure_channel.cpp "$root"/src/drivers/opcua/crypto.cpp \
  "$root"/src/drivers/opcua/values.cpp "$root"/src/core/errc.cpp "$root/tests/fuzz/fuzz_opcua.cpp" \
  $(pkg-config --cflags --libs fmt libcrypto) -o "$out/fuzz_opcua"
echo "built $out/fuzz_opcua"
# The workflow expression language of industrial models: its own source, Errc and fmt.
"$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
  -I"$root/src" "$root"/src/models/expr.cpp "$root"/src/core/errc.cpp "$root/tests/fuzz/fuzz_model_expr.cpp" \
  -lfmt -o "$out/fuzz_model_expr"
echo "built $out/fuzz_model_expr"
"$cxx" -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
  -I"$root/src" "$root"/src/cluster/envelope.cpp "$root"/src/mqtt/decode.cpp "$root"/src/mqtt/decode_connect.cpp \
  "$root"/src/mqtt/encode.cpp "$root"/src/mqtt/properties.cpp "$root"/src/mqtt/reason.cpp "$root"/src/mqtt/topic.cpp \
  "$root"/src/mqtt/wire.cpp "$root"/src/core/errc.cpp "$root/tests/fuzz/fuzz_cluster.cpp" -o "$out/fuzz_cluster"
echo "built $out/fuzz_cluster"

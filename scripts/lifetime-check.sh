#!/usr/bin/env bash
# Lifetime lint: clang's -Wdangling family (a std::string_view / span / pointer bound to a temporary
# that dies at the end of the full-expression, e.g. `std::string_view v = s.substr(1);` with s a
# std::string) over every TU of src/, using the build's compile_commands.json.
# g++ 12 has no such warning and clang-tidy-14's bugprone-dangling-handle misses libstdc++'s
# string -> string_view conversion operator; clang's -Wdangling-gsl catches it.
#   scripts/lifetime-check.sh [build-dir] [file...]     (default build-dir: build)
# Needs clang-19 (Debian bookworm: apt-get install clang-19); older clangs get __cpp_concepts raised
# so libstdc++ 12's <expected> is visible to them. Exit 1 on a finding, 2 when a TU did not parse.
set -euo pipefail
BUILD_DIR=${1:-build}
shift || true
CLANG=${CLANG:-$(command -v clang++-19 || command -v clang++-16 || echo clang++)}
[ -f "$BUILD_DIR/compile_commands.json" ] || { echo "no $BUILD_DIR/compile_commands.json (configure first)" >&2; exit 2; }
exec /usr/bin/python3 - "$BUILD_DIR/compile_commands.json" "$CLANG" "$@" <<'EOF'
import json, os, shlex, subprocess, sys
db, clang, only = sys.argv[1], sys.argv[2], [os.path.abspath(f) for f in sys.argv[3:]]
keep = ("-D", "-I", "-isystem", "-std=")
found = failed = 0
for e in json.load(open(db)):
    f = e["file"]
    if "/src/" not in f or (only and f not in only):
        continue
    args = shlex.split(e["command"])
    flags, i = [], 1
    while i < len(args):
        a = args[i]
        if a in ("-isystem", "-I", "-D"):
            flags += [a, args[i + 1]]; i += 2; continue
        if a.startswith(keep):
            flags.append("-std=c++2b" if a == "-std=c++23" else a)
        i += 1
    if "19" not in os.path.basename(clang):
        flags += ["-Wno-macro-redefined", "-D__cpp_concepts=202002L"]
    cmd = [clang, "-fsyntax-only", *flags, "-Wno-everything", "-Wdangling", "-Wdangling-gsl",
           "-Wreturn-stack-address", f]
    r = subprocess.run(cmd, cwd=e["directory"], capture_output=True, text=True)
    if r.returncode != 0:
        failed += 1
        print(f"== {f}: clang could not parse it (skipped)\n" + r.stderr[:2000])
    elif "warning:" in r.stderr:
        found += r.stderr.count("warning:")
        print(r.stderr, end="")
sys.stdout.flush()
print(f"lifetime-check: {found} finding(s), {failed} TU(s) not parsed", file=sys.stderr)
sys.exit(1 if found else 2 if failed else 0)
EOF

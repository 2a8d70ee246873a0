// The Lua 5.4 sandbox for rule scripts. `lua_State*` never leaves this module.
//
// Each invocation runs the script's cached compiled chunk in a fresh environment table that holds
// only the documented API (README.md): safe base functions, read-only `string`, `math`, `table`,
// `utf8`, `coroutine` and a small `os` (time/clock/date/difftime), `msg`, `metadata`, `now()`
// and the helpers `round`, `clamp`, `avg`. There is no io, os.execute, load, dofile, require,
// package, debug, collectgarbage, string.dump, rawset/rawget, print; getmetatable("") is
// locked; metatables with __gc are refused (a finaliser would run outside any limit).
//
// Limits per invocation: Lua instructions (count hook), bytes allocated beyond what the state
// held before the call (accounting lua_Alloc), wall time (checked by the hook). Once a limit is
// hit the invocation is aborted: pcall/xpcall/coroutine.resume cannot swallow it. String
// patterns (find/match/gmatch/gsub) are limited to 4 KiB subjects, 128-byte patterns and two
// of the quantifiers * + - (C code cannot be interrupted); plain find has no limit.
//
// Errors: kInvalidArgument "line N: …" for syntax and runtime errors and wrong return types,
// kResourceExhausted "line N: … limit exceeded" for the limits. Nothing is thrown.
//
// Not thread-safe: one Sandbox per thread. Compiled chunks are cached by name (give each
// script its own); a different source under a name (a new version) compiles once and replaces it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "rules/message.hpp"

namespace kaiwu::rules {

struct SandboxLimits {
  std::uint64_t instructions = 1'000'000;
  std::size_t memory_bytes = 8u << 20;
  std::chrono::milliseconds wall_time{200};
};

// Functions an embedding module offers to scripts run by Sandbox::run_function, as the table
// `kaiwu`: the name "telemetry.latest" becomes kaiwu.telemetry.latest(...). A host function gets
// its Lua arguments as the text of a JSON array (tables with keys 1..n become arrays, other
// tables objects with string keys, nil null; functions and userdata are refused) and returns
// JSON text, converted back to a Lua value. A failed host function raises a Lua error
// "<name>: <message>" in the script (pcall may catch it). Host functions run on the sandbox's
// thread inside the invocation's wall-time limit.
using HostFunction = std::function<Result<std::string>(std::string_view args_json)>;
using HostApi = std::map<std::string, HostFunction>;

class Sandbox {
 public:
  using Clock = std::function<std::int64_t()>;  // ms since the epoch, for now()

  explicit Sandbox(SandboxLimits limits = {}, Clock clock = {});
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Compiles without running: kInvalidArgument "line N: …" on a syntax error.
  static Status check_syntax(std::string_view source);

  // Runs a filter script: it must return a boolean.
  Result<bool> run_filter(const std::string& name, const std::string& source, const Message& msg);
  // Runs a transform script: it returns a table with any of data, metadata, ts (typically the
  // msg table it was given, changed); the result is msg with those fields replaced. nil drops
  // nothing: it is an error, so a forgotten `return msg` is visible.
  Result<Message> run_transform(const std::string& name, const std::string& source,
                                const Message& msg);

  // Runs `source` (which defines global functions) in a fresh environment holding the
  // documented API plus `kaiwu` (the host functions), then calls its global `function` with
  // two arguments: input_json and context_json converted to Lua values. Returns the function's
  // result as JSON text ("null" for nil). Errors: kNotFound "script defines no function 'f'";
  // kInvalidArgument for script errors and results that are not JSON-representable (functions,
  // NaN, tables nested deeper than 32); kResourceExhausted for the limits.
  Result<std::string> run_function(const std::string& name, const std::string& source,
                                   const std::string& function, const std::string& input_json,
                                   const std::string& context_json, const HostApi& host);

  std::size_t cached_chunks() const;
  std::size_t memory_in_use() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace kaiwu::rules

// Internal to the sandbox (sandbox.cpp, sandbox_env.cpp): the state behind a Sandbox and the
// pieces that build its environment. Never included outside rules/.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>

#include "rules/sandbox.hpp"

struct lua_State;
struct lua_Debug;
using lua_Alloc = void* (*)(void*, void*, std::size_t, std::size_t);

namespace kaiwu::rules::detail {

inline constexpr int kHookInterval = 1000;  // instructions between two count-hook calls

struct SandboxState {
  lua_State* L = nullptr;
  SandboxLimits limits;
  Sandbox::Clock clock;
  // Allocation accounting (the lua_Alloc's ud is this object).
  std::size_t used = 0;
  std::size_t limit = std::numeric_limits<std::size_t>::max();
  // The invocation in progress.
  bool running = false;
  bool aborted = false;
  int abort_line = -1;
  std::string abort_message;
  std::uint64_t executed = 0;
  std::chrono::steady_clock::time_point deadline;
  // Registry reference of the metatable of every environment ({__index = template}).
  int env_meta_ref = 0;
  // name → the source and the registry reference of its compiled chunk.
  struct Chunk {
    std::string source;
    int ref = 0;
  };
  std::unordered_map<std::string, Chunk> chunks;
};

SandboxState* state_of(lua_State* L);
lua_Alloc account_alloc_entry();
void count_hook(lua_State* L, lua_Debug* ar);
// Called by the guarded pcall/xpcall/coroutine.resume after the wrapped call: raises again
// when the invocation was aborted by a limit.
int reraise_if_aborted(lua_State* L);
// Builds the read-only template environment and locks the string metatable.
void build_environment(SandboxState& s);
// Pushes the compiled chunk cached under name (compiling source when needed).
Status push_chunk(SandboxState& s, const std::string& name, const std::string& source);
// Pushes a fresh environment table (misses fall through to the read-only template, _G is
// itself); returns its stack index.
int push_environment(SandboxState& s);
// lua_pcall of the function below its nargs arguments under the invocation limits. On failure
// the stack is cleared and the error is kInvalidArgument "line N: …" or kResourceExhausted.
Status call_limited(SandboxState& s, int nargs, int nresults);
// Sandbox::run_function (sandbox_host.cpp).
Result<std::string> run_function(SandboxState& s, const std::string& name, const std::string& source,
                                 const std::string& function, const std::string& input_json,
                                 const std::string& context_json, const HostApi& host);

}  // namespace kaiwu::rules::detail

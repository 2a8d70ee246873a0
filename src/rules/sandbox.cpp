#include "rules/sandbox.hpp"

#include <fmt/format.h>
#include <lua5.4/lua.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>

#include "rules/sandbox_internal.hpp"

namespace kaiwu::rules {

using detail::SandboxState;

struct Sandbox::State : SandboxState {};

namespace detail {

SandboxState* state_of(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<SandboxState*>(ud);
}

namespace {

constexpr std::size_t kMaxCachedChunks = 512;
constexpr std::size_t kAbortSlackBytes = 64u << 10;  // lets the error message be built

void* account_alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize) {
  auto* s = static_cast<SandboxState*>(ud);
  const std::size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    s->used -= old;
    return nullptr;
  }
  if (nsize > old && s->used + (nsize - old) > s->limit) {
    if (s->running && !s->aborted) {
      s->aborted = true;
      s->abort_message = fmt::format("memory limit exceeded ({} bytes)", s->limits.memory_bytes);
      s->limit += kAbortSlackBytes;
    }
    return nullptr;
  }
  void* p = std::realloc(ptr, nsize);
  if (!p) return nullptr;
  s->used = s->used - old + nsize;
  return p;
}

[[noreturn]] void raise_abort(lua_State* L, lua_Debug* ar) {
  SandboxState* s = state_of(L);
  lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);  // every instruction until the call unwinds
  int line = -1;
  if (ar && lua_getinfo(L, "Sl", ar)) line = ar->currentline;
  if (s->abort_line < 0) s->abort_line = line;
  lua_pushstring(L, s->abort_message.c_str());
  lua_error(L);
  std::abort();  // lua_error does not return
}

}  // namespace

void count_hook(lua_State* L, lua_Debug* ar) {
  SandboxState* s = state_of(L);
  if (!s->running) return;
  s->executed += kHookInterval;
  if (!s->aborted) {
    if (s->executed > s->limits.instructions) {
      s->aborted = true;
      s->abort_message = fmt::format("instruction limit exceeded ({})", s->limits.instructions);
    } else if (std::chrono::steady_clock::now() > s->deadline) {
      s->aborted = true;
      s->abort_message =
          fmt::format("time limit exceeded ({} ms)", s->limits.wall_time.count());
    } else {
      return;
    }
  }
  raise_abort(L, ar);
}

int reraise_if_aborted(lua_State* L) {
  SandboxState* s = state_of(L);
  if (!s->aborted) return 0;
  lua_pushstring(L, s->abort_message.c_str());
  return lua_error(L);
}

}  // namespace detail

namespace {

using detail::state_of;

// "script:12: boom" → line 12, "boom".
Error script_error(Errc code, std::string_view text, int fallback_line = -1) {
  int line = fallback_line;
  std::string_view rest = text;
  constexpr std::string_view kChunk = "script:";
  if (rest.starts_with(kChunk)) {
    std::string_view tail = rest.substr(kChunk.size());
    std::size_t i = 0;
    int n = 0;
    while (i < tail.size() && tail[i] >= '0' && tail[i] <= '9' && i < 9) n = n * 10 + (tail[i++] - '0');
    if (i > 0 && i < tail.size() && tail[i] == ':') {
      line = n;
      rest = tail.substr(i + 1);
      if (rest.starts_with(' ')) rest.remove_prefix(1);
    }
  }
  if (line < 0) return Error{code, std::string(rest)};
  return Error{code, fmt::format("line {}: {}", line, rest)};
}

std::string error_text(lua_State* L, int idx) {
  if (lua_type(L, idx) == LUA_TSTRING) return lua_tostring(L, idx);
  return fmt::format("error object is a {} value", luaL_typename(L, idx));
}

void push_value(lua_State* L, const Value& v) {
  std::visit(
      [L](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, double>) lua_pushnumber(L, x);
        else if constexpr (std::is_same_v<T, std::int64_t>) lua_pushinteger(L, x);
        else if constexpr (std::is_same_v<T, bool>) lua_pushboolean(L, x);
        else lua_pushlstring(L, x.data(), x.size());
      },
      v);
}

void set_string(lua_State* L, const char* key, const std::string& v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, key);
}

// Pushes the msg table; its metadata table is also left in the registry-free stack slot below.
void push_message(lua_State* L, const Message& m) {
  lua_createtable(L, 0, 8);
  set_string(L, "deviceId", m.device_id);
  set_string(L, "deviceName", m.device_name);
  set_string(L, "profileId", m.profile_id);
  lua_pushstring(L, std::string(message_type_name(m.type)).c_str());
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, m.ts);
  lua_setfield(L, -2, "ts");
  lua_createtable(L, 0, static_cast<int>(m.data.size()));
  for (const auto& [k, v] : m.data) {
    push_value(L, v);
    lua_setfield(L, -2, k.c_str());
  }
  lua_setfield(L, -2, "data");
  lua_createtable(L, 0, static_cast<int>(m.metadata.size()));
  for (const auto& [k, v] : m.metadata) set_string(L, k.c_str(), v);
  lua_setfield(L, -2, "metadata");
}

Result<Value> read_value(lua_State* L, int idx, std::string_view where) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) return Value{static_cast<std::int64_t>(lua_tointeger(L, idx))};
      return Value{lua_tonumber(L, idx)};
    case LUA_TBOOLEAN: return Value{lua_toboolean(L, idx) != 0};
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* p = lua_tolstring(L, idx, &n);
      return Value{std::string(p, n)};
    }
    default:
      return fail(Errc::kInvalidArgument,
                  fmt::format("{}: unsupported value type {}", where, luaL_typename(L, idx)));
  }
}

// Reads table field `name` of the table at idx without metamethods, leaving it on the stack.
int raw_field(lua_State* L, int idx, const char* name) {
  lua_pushstring(L, name);
  return lua_rawget(L, idx);
}

Status read_data(lua_State* L, int idx, Message& out) {
  std::map<std::string, Value> data;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return fail(Errc::kInvalidArgument, "transform result: data keys must be strings");
    }
    std::string key = lua_tostring(L, -2);
    auto v = read_value(L, -1, "transform result: data." + key);
    lua_pop(L, 1);
    if (!v) {
      lua_pop(L, 1);
      return std::unexpected(v.error());
    }
    data.emplace(std::move(key), std::move(*v));
  }
  out.data = std::move(data);
  return ok();
}

Status read_metadata(lua_State* L, int idx, Message& out) {
  std::map<std::string, std::string> md;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return fail(Errc::kInvalidArgument, "transform result: metadata keys must be strings");
    }
    std::string key = lua_tostring(L, -2);
    const int t = lua_type(L, -1);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
      std::size_t n = 0;
      const char* p = lua_tolstring(L, -1, &n);  // converts a number in place: a copy of the value
      md.emplace(key, std::string(p, n));
    } else if (t == LUA_TBOOLEAN) {
      md.emplace(key, lua_toboolean(L, -1) ? "true" : "false");
    } else {
      lua_pop(L, 2);
      return fail(Errc::kInvalidArgument,
                  fmt::format("transform result: metadata.{} must be a string", key));
    }
    lua_pop(L, 1);
  }
  out.metadata = std::move(md);
  return ok();
}

Status read_transform(lua_State* L, int idx, Message& out) {
  if (lua_type(L, idx) != LUA_TTABLE) {
    return fail(Errc::kInvalidArgument,
                fmt::format("transform script must return a table (the msg), got {}",
                            luaL_typename(L, idx)));
  }
  const int data_type = raw_field(L, idx, "data");
  if (data_type == LUA_TTABLE) {
    KAIWU_TRY_STATUS(read_data(L, lua_gettop(L), out));
  } else if (data_type != LUA_TNIL) {
    return fail(Errc::kInvalidArgument, "transform result: data must be a table");
  }
  lua_pop(L, 1);
  const int md_type = raw_field(L, idx, "metadata");
  if (md_type == LUA_TTABLE) {
    KAIWU_TRY_STATUS(read_metadata(L, lua_gettop(L), out));
  } else if (md_type != LUA_TNIL) {
    return fail(Errc::kInvalidArgument, "transform result: metadata must be a table");
  }
  lua_pop(L, 1);
  if (raw_field(L, idx, "ts") == LUA_TNUMBER) {
    lua_Integer ts = 0;
    if (!lua_isinteger(L, -1)) {
      const double d = lua_tonumber(L, -1);
      if (!std::isfinite(d) || std::abs(d) > 9e15)
        return fail(Errc::kInvalidArgument, "transform result: ts out of range");
      ts = static_cast<lua_Integer>(d);
    } else {
      ts = lua_tointeger(L, -1);
    }
    out.ts = ts;
  }
  lua_pop(L, 1);
  return ok();
}

}  // namespace

Sandbox::Sandbox(SandboxLimits limits, Clock clock) : state_(std::make_unique<State>()) {
  state_->limits = limits;
  state_->clock = clock ? std::move(clock) : [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  state_->L = lua_newstate(detail::account_alloc_entry(), state_.get());
  if (!state_->L) std::abort();  // out of memory at start-up
  lua_sethook(state_->L, detail::count_hook, LUA_MASKCOUNT, detail::kHookInterval);
  detail::build_environment(*state_);
}

Sandbox::~Sandbox() {
  if (state_ && state_->L) lua_close(state_->L);
}

std::size_t Sandbox::cached_chunks() const { return state_->chunks.size(); }
std::size_t Sandbox::memory_in_use() const { return state_->used; }

Status Sandbox::check_syntax(std::string_view source) {
  lua_State* L = luaL_newstate();
  if (!L) return fail(Errc::kResourceExhausted, "cannot create a Lua state");
  const int rc = luaL_loadbufferx(L, source.data(), source.size(), "=script", "t");
  Status out = ok();
  if (rc != LUA_OK) out = std::unexpected(script_error(Errc::kInvalidArgument, error_text(L, -1)));
  lua_close(L);
  return out;
}

namespace detail {

lua_Alloc account_alloc_entry() { return account_alloc; }

// Pushes the compiled chunk cached under name, compiling it when there is none or its source
// changed (a new script version replaces the old one).
Status push_chunk(SandboxState& s, const std::string& name, const std::string& source) {
  lua_State* L = s.L;
  auto it = s.chunks.find(name);
  if (it != s.chunks.end() && it->second.source == source) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, it->second.ref);
    return ok();
  }
  if (it != s.chunks.end()) {
    luaL_unref(L, LUA_REGISTRYINDEX, it->second.ref);
    s.chunks.erase(it);
  }
  if (s.chunks.size() >= kMaxCachedChunks) {
    for (const auto& [k, chunk] : s.chunks) luaL_unref(L, LUA_REGISTRYINDEX, chunk.ref);
    s.chunks.clear();
  }
  const int rc = luaL_loadbufferx(L, source.data(), source.size(), "=script", "t");
  if (rc != LUA_OK) {
    Error e = script_error(Errc::kInvalidArgument, error_text(L, -1));
    lua_pop(L, 1);
    return std::unexpected(std::move(e));
  }
  lua_pushvalue(L, -1);
  s.chunks.emplace(name, SandboxState::Chunk{source, luaL_ref(L, LUA_REGISTRYINDEX)});
  return ok();
}

int push_environment(SandboxState& s) {
  lua_State* L = s.L;
  lua_createtable(L, 0, 4);
  const int env = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s.env_meta_ref);
  lua_setmetatable(L, env);
  lua_pushvalue(L, env);
  lua_setfield(L, env, "_G");
  return env;
}

// Runs the chunk on top of the stack in a fresh environment holding msg; leaves one result.
Status invoke(SandboxState& s, const Message& msg) {
  lua_State* L = s.L;
  const int env = push_environment(s);
  push_message(L, msg);
  lua_getfield(L, -1, "metadata");
  lua_setfield(L, env, "metadata");
  lua_setfield(L, env, "msg");
  lua_setupvalue(L, env - 1, 1);  // the chunk's _ENV; pops env
  return call_limited(s, 0, 1);
}

Status call_limited(SandboxState& s, int nargs, int nresults) {
  lua_State* L = s.L;
  s.running = true;
  s.aborted = false;
  s.abort_line = -1;
  s.abort_message.clear();
  s.executed = 0;
  s.deadline = std::chrono::steady_clock::now() + s.limits.wall_time;
  s.limit = s.used + s.limits.memory_bytes;
  const int rc = lua_pcall(L, nargs, nresults, 0);
  s.running = false;
  s.limit = std::numeric_limits<std::size_t>::max();
  lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInterval);
  if (s.aborted) {
    lua_settop(L, 0);
    Error e = script_error(Errc::kResourceExhausted, s.abort_message, s.abort_line);
    return std::unexpected(std::move(e));
  }
  if (rc != LUA_OK) {
    Error e = script_error(rc == LUA_ERRMEM ? Errc::kResourceExhausted : Errc::kInvalidArgument,
                           error_text(L, -1));
    lua_settop(L, 0);
    return std::unexpected(std::move(e));
  }
  return ok();
}

}  // namespace detail

Result<bool> Sandbox::run_filter(const std::string& name, const std::string& source,
                                 const Message& msg) {
  lua_State* L = state_->L;
  KAIWU_TRY_STATUS(detail::push_chunk(*state_, name, source));
  KAIWU_TRY_STATUS(detail::invoke(*state_, msg));
  const int t = lua_type(L, -1);
  const bool value = lua_toboolean(L, -1) != 0;
  lua_settop(L, 0);
  if (t != LUA_TBOOLEAN) {
    return fail(Errc::kInvalidArgument,
                fmt::format("filter script must return a boolean, got {}", lua_typename(L, t)));
  }
  return value;
}

Result<Message> Sandbox::run_transform(const std::string& name, const std::string& source,
                                       const Message& msg) {
  lua_State* L = state_->L;
  KAIWU_TRY_STATUS(detail::push_chunk(*state_, name, source));
  KAIWU_TRY_STATUS(detail::invoke(*state_, msg));
  Message out = msg;
  auto st = read_transform(L, lua_gettop(L), out);
  lua_settop(L, 0);
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<std::string> Sandbox::run_function(const std::string& name, const std::string& source,
                                          const std::string& function, const std::string& input_json,
                                          const std::string& context_json, const HostApi& host) {
  return detail::run_function(*state_, name, source, function, input_json, context_json, host);
}

}  // namespace kaiwu::rules

// Sandbox::run_model and Sandbox::run_ode: model scripts (models/) in the same sandbox and
// limits as rule scripts, with JSON in and out instead of a message.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <lua5.4/lua.hpp>

#include <cmath>
#include <limits>

#include "rules/sandbox.hpp"
#include "rules/sandbox_internal.hpp"

namespace kaiwu::rules {

namespace json = boost::json;
using detail::SandboxState;

namespace {

constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxItems = 1'000'000;

Status push_json(lua_State* L, const json::value& v, int depth) {
  if (depth > kMaxDepth) return fail(Errc::kInvalidArgument, "model input nested too deeply");
  if (!lua_checkstack(L, 4)) return fail(Errc::kResourceExhausted, "Lua stack exhausted");
  switch (v.kind()) {
    case json::kind::null: lua_pushnil(L); break;
    case json::kind::bool_: lua_pushboolean(L, v.get_bool()); break;
    case json::kind::int64: lua_pushinteger(L, v.get_int64()); break;
    case json::kind::uint64: lua_pushnumber(L, static_cast<double>(v.get_uint64())); break;
    case json::kind::double_: lua_pushnumber(L, v.get_double()); break;
    case json::kind::string: lua_pushlstring(L, v.get_string().data(), v.get_string().size()); break;
    case json::kind::array: {
      const auto& a = v.get_array();
      lua_createtable(L, static_cast<int>(std::min<std::size_t>(a.size(), kMaxItems)), 0);
      for (std::size_t i = 0; i < a.size(); ++i) {
        KAIWU_TRY_STATUS(push_json(L, a[i], depth + 1));
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      break;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      lua_createtable(L, 0, static_cast<int>(o.size()));
      for (const auto& [k, x] : o) {
        KAIWU_TRY_STATUS(push_json(L, x, depth + 1));
        lua_setfield(L, -2, std::string(k).c_str());
      }
      break;
    }
  }
  return ok();
}

Result<json::value> read_json(lua_State* L, int idx, const std::string& where, int depth);

Result<json::value> read_table(lua_State* L, int idx, const std::string& where, int depth) {
  if (depth > kMaxDepth) return fail(Errc::kInvalidArgument, where + ": nested too deeply");
  if (!lua_checkstack(L, 4)) return fail(Errc::kResourceExhausted, "Lua stack exhausted");
  const lua_Unsigned n = lua_rawlen(L, idx);
  if (n > 0) {  // a sequence: 1..n, nothing else
    if (n > kMaxItems) return fail(Errc::kInvalidArgument, where + ": more than 1000000 items");
    json::array a;
    a.reserve(n);
    for (lua_Unsigned i = 1; i <= n; ++i) {
      lua_rawgeti(L, idx, static_cast<lua_Integer>(i));
      auto v = read_json(L, lua_gettop(L), fmt::format("{}[{}]", where, i), depth + 1);
      lua_pop(L, 1);
      if (!v) return std::unexpected(v.error());
      a.push_back(std::move(*v));
    }
    return json::value(std::move(a));
  }
  json::object o;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return fail(Errc::kInvalidArgument, where + ": table keys must be strings (or a sequence 1..n)");
    }
    std::string key = lua_tostring(L, -2);
    auto v = read_json(L, lua_gettop(L), where.empty() ? key : where + "." + key, depth + 1);
    lua_pop(L, 1);
    if (!v) {
      lua_pop(L, 1);
      return std::unexpected(v.error());
    }
    o[key] = std::move(*v);
  }
  return json::value(std::move(o));
}

Result<json::value> read_json(lua_State* L, int idx, const std::string& where, int depth) {
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER: {
      if (lua_isinteger(L, idx)) return json::value(static_cast<std::int64_t>(lua_tointeger(L, idx)));
      const double d = lua_tonumber(L, idx);
      if (!std::isfinite(d)) return fail(Errc::kInvalidArgument, where + ": is not a finite number");
      return json::value(d);
    }
    case LUA_TBOOLEAN: return json::value(lua_toboolean(L, idx) != 0);
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* p = lua_tolstring(L, idx, &n);
      return json::value(json::string(p, n));
    }
    case LUA_TTABLE: return read_table(L, idx, where, depth);
    default:
      return fail(Errc::kInvalidArgument, fmt::format("{}: unsupported value type {}", where, luaL_typename(L, idx)));
  }
}

// Clears the stack when the invocation ends, however it ends.
class StackGuard {
 public:
  explicit StackGuard(lua_State* L) : L_(L) {}
  ~StackGuard() { lua_settop(L_, 0); }
  StackGuard(const StackGuard&) = delete;
  StackGuard& operator=(const StackGuard&) = delete;

 private:
  lua_State* L_;
};

// Arms the limits of one invocation and disarms them when destroyed (or on disarm()). Everything
// that allocates outside a protected call (building tables, setting globals) happens before
// arming, so a limit can only be hit inside lua_pcall, never in an unprotected API call.
class Armed {
 public:
  explicit Armed(SandboxState& s) : s_(s) { detail::arm_limits(s); }
  ~Armed() { disarm(); }
  void disarm() {
    if (s_.running) detail::disarm_limits(s_);
  }
  Armed(const Armed&) = delete;
  Armed& operator=(const Armed&) = delete;

 private:
  SandboxState& s_;
};

// Pushes the chunk with a fresh environment holding globals; leaves the chunk on the stack
// and the environment at the returned index.
Result<int> prepare(SandboxState& s, const std::string& name, const std::string& source,
                    const json::object& globals) {
  lua_State* L = s.L;
  KAIWU_TRY_STATUS(detail::push_chunk(s, name, source));
  const int chunk = lua_gettop(L);
  const int env = detail::push_environment(s);
  for (const auto& [k, v] : globals) {
    KAIWU_TRY_STATUS(push_json(L, v, 0));
    lua_setfield(L, env, std::string(k).c_str());
  }
  lua_pushvalue(L, env);
  lua_setupvalue(L, chunk, 1);  // the chunk's _ENV
  lua_insert(L, chunk);         // env below the chunk
  return chunk;                 // env index; the chunk is on top
}

}  // namespace

Result<json::object> Sandbox::run_model(const std::string& name, const std::string& source,
                                        const json::object& globals) {
  SandboxState& s = *state_;
  lua_State* L = s.L;
  StackGuard clean(L);
  KAIWU_TRY(prepare(s, name, source, globals));
  Armed armed(s);
  const int rc = lua_pcall(L, 0, 1, 0);
  armed.disarm();
  if (rc != LUA_OK || s.aborted) {
    const std::string text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error";
    return std::unexpected(detail::script_error_of(s, rc, text));
  }
  if (lua_type(L, -1) != LUA_TTABLE)
    return fail(Errc::kInvalidArgument,
                fmt::format("model script must return a table of outputs, got {}", luaL_typename(L, -1)));
  auto out = KAIWU_TRY(read_table(L, lua_gettop(L), "", 0));
  if (!out.is_object()) return fail(Errc::kInvalidArgument, "model script must return a table with named outputs");
  return std::move(out.get_object());
}

Status Sandbox::run_ode(const std::string& name, const std::string& source, const json::object& globals,
                        const std::string& fn, const std::function<Status(const LuaDerivative&)>& drive) {
  SandboxState& s = *state_;
  lua_State* L = s.L;
  StackGuard clean(L);
  const int env = KAIWU_TRY(prepare(s, name, source, globals));  // stack: env, chunk
  lua_getfield(L, env, "params");
  // y is one table, sized once and refilled in place: calls allocate nothing outside pcall.
  lua_createtable(L, 16, 0);
  lua_pushlstring(L, fn.data(), fn.size());
  if (!lua_checkstack(L, 8)) return fail(Errc::kResourceExhausted, "Lua stack exhausted");
  lua_rotate(L, env + 1, -1);  // env, params, y, fn name, chunk
  const int params = env + 1;
  const int ytable = env + 2;
  const int fn_name = env + 3;
  Armed armed(s);
  const int rc = lua_pcall(L, 0, 0, 0);
  if (rc != LUA_OK || s.aborted) {
    const std::string text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error";
    return std::unexpected(detail::script_error_of(s, rc, text));
  }
  lua_pushvalue(L, fn_name);
  if (lua_rawget(L, env) != LUA_TFUNCTION)
    return fail(Errc::kInvalidArgument, fmt::format("the script must define a function {}(t, y, params)", fn));
  const int func = lua_gettop(L);
  LuaDerivative call = [&](double t, std::span<const double> y, std::span<double> dy) -> Status {
    if (y.size() > 16) return fail(Errc::kInvalidArgument, "at most 16 state variables");
    for (std::size_t i = 0; i < y.size(); ++i) {
      lua_pushnumber(L, y[i]);
      lua_rawseti(L, ytable, static_cast<lua_Integer>(i + 1));
    }
    lua_pushvalue(L, func);
    lua_pushnumber(L, t);
    lua_pushvalue(L, ytable);
    lua_pushvalue(L, params);
    const int r = lua_pcall(L, 3, 1, 0);
    if (r != LUA_OK || s.aborted) {
      const std::string text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error";
      lua_settop(L, func);
      return std::unexpected(detail::script_error_of(s, r, text));
    }
    const bool shaped = lua_type(L, -1) == LUA_TTABLE && lua_rawlen(L, -1) == y.size();
    if (!shaped) {
      lua_settop(L, func);
      return fail(Errc::kInvalidArgument, fmt::format("{} must return an array of {} numbers", fn, y.size()));
    }
    for (std::size_t i = 0; i < y.size(); ++i) {
      lua_rawgeti(L, -1, static_cast<lua_Integer>(i + 1));
      int isnum = 0;
      dy[i] = lua_tonumberx(L, -1, &isnum);
      lua_pop(L, 1);
      if (!isnum) {
        lua_settop(L, func);
        return fail(Errc::kInvalidArgument, fmt::format("{} returned a non-number at index {}", fn, i + 1));
      }
    }
    lua_settop(L, func);
    return ok();
  };
  return drive(call);
}

}  // namespace kaiwu::rules

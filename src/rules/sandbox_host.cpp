// Sandbox::run_function: scripts that define functions, called with JSON values, with a table of
// host functions (`kaiwu`) supplied by the embedding module (apps/). Lua values cross the
// boundary only as JSON text, so no lua_State leaves rules/.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <lua5.4/lua.hpp>

#include <cmath>

#include "core/json_parse.hpp"
#include "rules/sandbox_internal.hpp"

namespace kaiwu::rules::detail {
namespace {

namespace json = boost::json;

constexpr int kMaxDepth = 32;

Result<json::value> to_json(lua_State* L, int idx, int depth);

Result<json::value> table_to_json(lua_State* L, int idx, int depth) {
  if (depth > kMaxDepth) return fail(Errc::kInvalidArgument, "table nested deeper than 32 levels");
  idx = lua_absindex(L, idx);
  const auto n = static_cast<std::size_t>(lua_rawlen(L, idx));
  std::size_t count = 0;
  bool all_strings = true;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    ++count;
    if (lua_type(L, -2) != LUA_TSTRING) all_strings = false;
    lua_pop(L, 1);
  }
  if (n > 0 && count == n) {
    json::array a;
    a.reserve(n);
    for (std::size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, idx, static_cast<lua_Integer>(i));
      auto v = to_json(L, -1, depth + 1);
      lua_pop(L, 1);
      if (!v) return v;
      a.push_back(std::move(*v));
    }
    return a;
  }
  if (!all_strings) return fail(Errc::kInvalidArgument, "table mixes array items and non-string keys");
  json::object o;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    std::size_t len = 0;
    const char* k = lua_tolstring(L, -2, &len);
    std::string key(k, len);
    auto v = to_json(L, -1, depth + 1);
    lua_pop(L, 1);
    if (!v) {
      lua_pop(L, 1);
      return v;
    }
    o[key] = std::move(*v);
  }
  return o;
}

Result<json::value> to_json(lua_State* L, int idx, int depth) {
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return json::value(nullptr);
    case LUA_TBOOLEAN: return json::value(lua_toboolean(L, idx) != 0);
    case LUA_TNUMBER: {
      if (lua_isinteger(L, idx)) return json::value(static_cast<std::int64_t>(lua_tointeger(L, idx)));
      const double d = lua_tonumber(L, idx);
      if (!std::isfinite(d)) return fail(Errc::kInvalidArgument, "number is not finite");
      return json::value(d);
    }
    case LUA_TSTRING: {
      std::size_t len = 0;
      const char* p = lua_tolstring(L, idx, &len);
      return json::value(json::string_view(p, len));
    }
    case LUA_TTABLE: return table_to_json(L, idx, depth);
    default:
      return fail(Errc::kInvalidArgument,
                  fmt::format("a {} value cannot leave the sandbox", luaL_typename(L, idx)));
  }
}

void push_json(lua_State* L, const json::value& v, int depth) {
  luaL_checkstack(L, 4, "nesting");
  switch (v.kind()) {
    case json::kind::null: lua_pushnil(L); return;
    case json::kind::bool_: lua_pushboolean(L, v.get_bool()); return;
    case json::kind::int64: lua_pushinteger(L, v.get_int64()); return;
    case json::kind::uint64: lua_pushnumber(L, static_cast<double>(v.get_uint64())); return;
    case json::kind::double_: lua_pushnumber(L, v.get_double()); return;
    case json::kind::string: lua_pushlstring(L, v.get_string().data(), v.get_string().size()); return;
    case json::kind::array: {
      const auto& a = v.get_array();
      lua_createtable(L, static_cast<int>(a.size()), 0);
      lua_Integer i = 1;
      for (const auto& item : a) {
        if (depth < kMaxDepth) push_json(L, item, depth + 1);
        else lua_pushnil(L);
        lua_rawseti(L, -2, i++);
      }
      return;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      lua_createtable(L, 0, static_cast<int>(o.size()));
      for (const auto& [k, item] : o) {
        lua_pushlstring(L, k.data(), k.size());
        if (depth < kMaxDepth) push_json(L, item, depth + 1);
        else lua_pushnil(L);
        lua_rawset(L, -3);
      }
      return;
    }
  }
}

// Does the host call; every C++ object is gone when it returns. Returns the number of results
// pushed, or -1 with the error message pushed.
int call_host(lua_State* L, const HostFunction& fn, const char* name) {
  const int n = lua_gettop(L);
  json::array args;
  for (int i = 1; i <= n; ++i) {
    auto v = to_json(L, i, 0);
    if (!v) {
      lua_pushstring(L, fmt::format("{}: argument {}: {}", name, i, v.error().message).c_str());
      return -1;
    }
    args.push_back(std::move(*v));
  }
  auto result = fn(json::serialize(args));
  if (!result) {
    lua_pushstring(L, fmt::format("{}: {}", name, result.error().message).c_str());
    return -1;
  }
  auto parsed = parse_json(*result);
  if (!parsed) {
    lua_pushstring(L, fmt::format("{}: bad host result: {}", name, parsed.error().message).c_str());
    return -1;
  }
  push_json(L, *parsed, 0);
  return 1;
}

int host_entry(lua_State* L) {
  const auto* fn = static_cast<const HostFunction*>(lua_touserdata(L, lua_upvalueindex(1)));
  const char* name = lua_tostring(L, lua_upvalueindex(2));
  const int pushed = call_host(L, *fn, name);
  if (pushed < 0) return lua_error(L);
  return pushed;
}

// kaiwu = { telemetry = { latest = <closure> }, log = <closure>, … }; left on the stack.
void push_host_table(lua_State* L, const HostApi& host) {
  lua_newtable(L);
  const int root = lua_gettop(L);
  for (const auto& [name, fn] : host) {
    lua_pushvalue(L, root);
    std::string_view rest = name;
    for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
      const std::string part(rest.substr(0, dot));
      if (lua_getfield(L, -1, part.c_str()) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, part.c_str());
      }
      lua_remove(L, -2);
      rest.remove_prefix(dot + 1);
    }
    lua_pushlightuserdata(L, const_cast<HostFunction*>(&fn));
    lua_pushstring(L, name.c_str());
    lua_pushcclosure(L, host_entry, 2);
    lua_setfield(L, -2, std::string(rest).c_str());
    lua_pop(L, 1);
  }
}

}  // namespace

Result<std::string> run_function(SandboxState& s, const std::string& name, const std::string& source,
                                 const std::string& function, const std::string& input_json,
                                 const std::string& context_json, const HostApi& host) {
  auto input = KAIWU_TRY(parse_json(input_json));
  auto context = KAIWU_TRY(parse_json(context_json));
  lua_State* L = s.L;
  lua_settop(L, 0);
  KAIWU_TRY_STATUS(push_chunk(s, name, source));
  const int env = push_environment(s);
  push_host_table(L, host);
  lua_setfield(L, env, "kaiwu");
  lua_pushvalue(L, env);
  lua_setupvalue(L, env - 1, 1);  // the chunk's _ENV
  lua_insert(L, 1);               // env below the chunk
  KAIWU_TRY_STATUS(call_limited(s, 0, 0));
  lua_pushlstring(L, function.data(), function.size());
  if (lua_rawget(L, 1) != LUA_TFUNCTION) {  // defined by the script, not the template
    lua_settop(L, 0);
    return fail(Errc::kNotFound, fmt::format("script defines no function '{}'", function));
  }
  push_json(L, input, 0);
  push_json(L, context, 0);
  KAIWU_TRY_STATUS(call_limited(s, 2, 1));
  auto out = to_json(L, -1, 0);
  lua_settop(L, 0);
  if (!out) return fail(Errc::kInvalidArgument, "function result: " + out.error().message);
  return json::serialize(*out);
}

}  // namespace kaiwu::rules::detail

// The sandbox's environment: what a script can name, and nothing else.
#include <lua5.4/lua.hpp>

#include <array>
#include <cmath>
#include <string_view>

#include "rules/sandbox_internal.hpp"

namespace kaiwu::rules::detail {
namespace {

// Base functions a script may call. Not: load, loadstring, dofile, loadfile, require,
// collectgarbage, rawset, rawget, print, warn, setmetatable (guarded below), pcall/xpcall (guarded).
constexpr std::array<const char*, 13> kBaseFunctions{
    "assert", "error", "ipairs", "next", "pairs", "select", "tonumber", "tostring", "type",
    "rawequal", "rawlen", "getmetatable", "_VERSION"};

constexpr std::array<const char*, 16> kStringFunctions{
    "byte", "char", "format", "len", "lower", "upper", "rep", "reverse", "sub", "pack", "packsize",
    "unpack", "find", "match", "gmatch", "gsub"};
constexpr std::array<const char*, 4> kOsFunctions{"time", "clock", "date", "difftime"};

// Worst-case work of Lua's backtracking matcher grows like len^(quantifiers + 1).
constexpr double kMaxPatternWork = 1e8;
constexpr std::size_t kMaxPatternBytes = 128;

int read_only_newindex(lua_State* L) { return luaL_error(L, "attempt to modify a read-only table"); }

// Calls upvalue 1 with the arguments, then raises again if a limit aborted the invocation.
int guarded_call(lua_State* L) {
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  reraise_if_aborted(L);
  return lua_gettop(L);
}

int quantifiers(std::string_view p) {
  int q = 0;
  bool in_set = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '%') {
      ++i;
      continue;
    }
    if (in_set) {
      if (c == ']') in_set = false;
      continue;
    }
    if (c == '[') {
      in_set = true;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;
      continue;
    }
    if (c == '*' || c == '+' || c == '-') ++q;
  }
  return q;
}

// string.find/match/gmatch/gsub (upvalue 1) with a bound on the matcher's worst case.
int guarded_pattern(lua_State* L) {
  const bool plain = lua_gettop(L) >= 4 && lua_toboolean(L, 4) && lua_tointeger(L, lua_upvalueindex(2)) == 1;
  if (!plain && lua_type(L, 1) == LUA_TSTRING && lua_type(L, 2) == LUA_TSTRING) {
    std::size_t len = 0;
    std::size_t plen = 0;
    lua_tolstring(L, 1, &len);
    const char* pat = lua_tolstring(L, 2, &plen);
    const int q = quantifiers(std::string_view(pat, plen));
    if (plen > kMaxPatternBytes ||
        std::pow(static_cast<double>(len) + 1, q + 1) > kMaxPatternWork) {
      return luaL_error(L,
                        "pattern too costly for the sandbox (subject %d bytes, %d quantifiers; "
                        "use plain find or shorter input)",
                        static_cast<int>(len), q);
    }
  }
  return guarded_call(L);
}

int safe_setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed");
    lua_pop(L, 1);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int now_ms(lua_State* L) {
  lua_pushinteger(L, state_of(L)->clock());
  return 1;
}

int round_to(lua_State* L) {
  const double x = luaL_checknumber(L, 1);
  const lua_Integer digits = luaL_optinteger(L, 2, 0);
  if (digits < 0 || digits > 15) return luaL_argerror(L, 2, "digits must be 0..15");
  const double scale = std::pow(10.0, static_cast<double>(digits));
  const double r = std::round(x * scale) / scale;
  if (digits == 0 && std::abs(r) < 9e15) lua_pushinteger(L, static_cast<lua_Integer>(r));
  else lua_pushnumber(L, r);
  return 1;
}

int clamp(lua_State* L) {
  const double x = luaL_checknumber(L, 1);
  const double lo = luaL_checknumber(L, 2);
  const double hi = luaL_checknumber(L, 3);
  if (lo > hi) return luaL_argerror(L, 2, "lo must not exceed hi");
  lua_pushnumber(L, x < lo ? lo : (x > hi ? hi : x));
  return 1;
}

int avg(lua_State* L) {
  const int n = lua_gettop(L);
  if (n == 0) return luaL_error(L, "avg needs at least one number");
  double sum = 0;
  for (int i = 1; i <= n; ++i) sum += luaL_checknumber(L, i);
  lua_pushnumber(L, sum / n);
  return 1;
}

// Pushes a read-only proxy of the table at idx: reads fall through, writes fail, and
// getmetatable returns false.
void push_read_only(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_newtable(L);
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, read_only_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

// Copies the named fields of the library table at lib into a new table, wrapping the pattern
// functions. Leaves the copy on the stack.
template <std::size_t N>
void copy_library(lua_State* L, int lib, const std::array<const char*, N>& names, bool string_lib) {
  lib = lua_absindex(L, lib);
  lua_newtable(L);
  for (const char* name : names) {
    lua_getfield(L, lib, name);
    const std::string_view n(name);
    if (string_lib && (n == "find" || n == "match" || n == "gmatch" || n == "gsub")) {
      lua_pushinteger(L, n == "find" ? 1 : 0);
      lua_pushcclosure(L, guarded_pattern, 2);
    }
    lua_setfield(L, -2, name);
  }
}

void copy_all(lua_State* L, int from) {
  from = lua_absindex(L, from);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, from) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

void open(lua_State* L, const char* name, lua_CFunction f) {
  luaL_requiref(L, name, f, 0);  // leaves the library table; not in the state's globals
}

}  // namespace

void build_environment(SandboxState& s) {
  lua_State* L = s.L;
  lua_newtable(L);
  const int tmpl = lua_gettop(L);

  open(L, "_G", luaopen_base);
  const int base = lua_gettop(L);
  for (const char* name : kBaseFunctions) {
    lua_getfield(L, base, name);
    lua_setfield(L, tmpl, name);
  }
  for (const char* name : {"pcall", "xpcall"}) {
    lua_getfield(L, base, name);
    lua_pushcclosure(L, guarded_call, 1);
    lua_setfield(L, tmpl, name);
  }
  lua_getfield(L, base, "setmetatable");
  lua_pushcclosure(L, safe_setmetatable, 1);
  lua_setfield(L, tmpl, "setmetatable");

  open(L, LUA_STRLIBNAME, luaopen_string);
  copy_library(L, -1, kStringFunctions, true);
  const int safe_string = lua_gettop(L);
  push_read_only(L, safe_string);
  lua_setfield(L, tmpl, "string");
  // Method calls on strings ("x"):upper() go through the string metatable: point it at the
  // safe copy and lock it, so getmetatable("").__index reaches nothing else.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  push_read_only(L, safe_string);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);

  open(L, LUA_MATHLIBNAME, luaopen_math);
  copy_all(L, -1);
  push_read_only(L, -1);
  lua_setfield(L, tmpl, "math");
  open(L, LUA_TABLIBNAME, luaopen_table);
  copy_all(L, -1);
  push_read_only(L, -1);
  lua_setfield(L, tmpl, "table");
  lua_getfield(L, -1, "unpack");
  lua_setfield(L, tmpl, "unpack");
  open(L, LUA_UTF8LIBNAME, luaopen_utf8);
  copy_all(L, -1);
  push_read_only(L, -1);
  lua_setfield(L, tmpl, "utf8");
  open(L, LUA_COLIBNAME, luaopen_coroutine);
  copy_all(L, -1);
  const int co = lua_gettop(L);
  lua_getfield(L, co, "resume");
  lua_pushcclosure(L, guarded_call, 1);
  lua_setfield(L, co, "resume");
  push_read_only(L, co);
  lua_setfield(L, tmpl, "coroutine");
  open(L, LUA_OSLIBNAME, luaopen_os);
  copy_library(L, -1, kOsFunctions, false);
  push_read_only(L, -1);
  lua_setfield(L, tmpl, "os");

  lua_pushcfunction(L, now_ms);
  lua_setfield(L, tmpl, "now");
  lua_pushcfunction(L, round_to);
  lua_setfield(L, tmpl, "round");
  lua_pushcfunction(L, clamp);
  lua_setfield(L, tmpl, "clamp");
  lua_pushcfunction(L, avg);
  lua_setfield(L, tmpl, "avg");

  // Every environment's metatable: misses read the template; the metatable itself is hidden.
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, tmpl);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  s.env_meta_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
}

}  // namespace kaiwu::rules::detail

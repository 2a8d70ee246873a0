// Internal to apps/: the argument helpers and the permission check shared by the host API's
// source files (host_api.cpp, host_api_data.cpp, host_api_io.cpp).
#pragma once

#include <boost/json.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "apps/host_api.hpp"

namespace kaiwu::apps::host {
namespace json = boost::json;

using Args = json::array;
using HostResult = Result<std::string>;

inline Status require(RunContext& ctx, Permission p) {
  if (ctx.manifest.allows(p)) return ok();
  std::string message = fmt::format("permission denied: app {} does not declare '{}' in its manifest",
                                    ctx.manifest.id, permission_name(p));
  if (ctx.denied.empty()) ctx.denied = message;
  return fail(Errc::kPermissionDenied, std::move(message));
}

inline Result<std::string> arg_string(const Args& a, std::size_t i, std::string_view what) {
  if (i >= a.size() || !a[i].is_string() || a[i].get_string().empty())
    return fail(Errc::kInvalidArgument, fmt::format("argument {} ({}) must be a non-empty string", i + 1, what));
  return std::string(a[i].get_string());
}

inline Result<std::int64_t> arg_int(const Args& a, std::size_t i, std::string_view what, std::int64_t fallback) {
  if (i >= a.size() || a[i].is_null()) return fallback;
  if (a[i].is_int64()) return a[i].get_int64();
  if (a[i].is_double()) return static_cast<std::int64_t>(a[i].get_double());
  return fail(Errc::kInvalidArgument, fmt::format("argument {} ({}) must be an integer", i + 1, what));
}

// A string or an array of strings (empty: all keys).
inline Result<std::vector<std::string>> arg_keys(const Args& a, std::size_t i) {
  std::vector<std::string> keys;
  if (i >= a.size() || a[i].is_null()) return keys;
  if (a[i].is_string()) {
    keys.emplace_back(a[i].get_string());
    return keys;
  }
  if (a[i].is_object() && a[i].get_object().empty()) return keys;  // {} from an empty Lua table
  if (!a[i].is_array()) return fail(Errc::kInvalidArgument, fmt::format("argument {} (keys) must be a string or a list", i + 1));
  for (const auto& k : a[i].get_array()) {
    if (!k.is_string()) return fail(Errc::kInvalidArgument, fmt::format("argument {} (keys) must hold strings", i + 1));
    keys.emplace_back(k.get_string());
  }
  return keys;
}

inline json::value to_json(const tsdb::Value& v) {
  return std::visit([](const auto& x) { return json::value(x); }, v);
}

// The device, if it belongs to the subscribing enterprise.
inline Result<model::Device> device(RunContext& ctx, const Args& a) {
  auto id = KAIWU_TRY(arg_string(a, 0, "device id"));
  return ctx.meta.get_device(ctx.scope, id);
}

// The host functions of host_api_data.cpp and host_api_io.cpp, as make_host_api registers them.
using Fn = HostResult (*)(RunContext&, const Args&);
struct Entry {
  const char* name;
  Fn fn;
};
std::vector<Entry> data_functions();  // now, telemetry.aggregate, store.*, models.invoke
std::vector<Entry> io_functions();    // files.xlsx, http.request

}  // namespace kaiwu::apps::host

// Reading a node's params with errors that name the field. Internal to rules/.
#pragma once

#include <boost/json.hpp>
#include <fmt/format.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::rules::detail {

class Params {
 public:
  explicit Params(const boost::json::object& o) : o_(o) {}

  // Unknown keys are refused so typos do not pass silently.
  Status only(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, _] : o_) {
      bool found = false;
      for (auto a : allowed) found = found || a == std::string_view(k);
      if (!found) return bad(k, "unknown parameter");
    }
    return ok();
  }

  bool has(std::string_view key) const { return o_.contains(key); }
  const boost::json::value* raw(std::string_view key) const { return o_.if_contains(key); }

  Result<std::string> str(std::string_view key, bool required, std::size_t max_len = 256) const {
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) {
      if (required) return bad(key, "is required");
      return std::string();
    }
    if (!v->is_string()) return bad(key, "must be a string");
    if (required && v->as_string().empty()) return bad(key, "must not be empty");
    if (v->as_string().size() > max_len) return bad(key, fmt::format("must be at most {} bytes", max_len));
    return std::string(v->as_string());
  }

  Result<std::optional<double>> number(std::string_view key, bool required) const {
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) {
      if (required) return bad(key, "is required");
      return std::optional<double>();
    }
    if (!v->is_number()) return bad(key, "must be a number");
    return std::optional<double>(v->to_number<double>());
  }

  Result<std::int64_t> integer(std::string_view key, std::int64_t def, std::int64_t min,
                               std::int64_t max) const {
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return def;
    std::int64_t x = 0;
    if (v->is_int64()) x = v->as_int64();
    else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(max)) x = static_cast<std::int64_t>(v->as_uint64());
    else return bad(key, fmt::format("must be an integer from {} to {}", min, max));
    if (x < min || x > max) return bad(key, fmt::format("must be an integer from {} to {}", min, max));
    return x;
  }

  Result<bool> boolean(std::string_view key, bool def) const {
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return def;
    if (!v->is_bool()) return bad(key, "must be true or false");
    return v->as_bool();
  }

  Result<std::vector<std::string>> str_list(std::string_view key, std::size_t max_items = 1000) const {
    std::vector<std::string> out;
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return out;
    if (!v->is_array()) return bad(key, "must be a list of strings");
    if (v->as_array().size() > max_items) return bad(key, fmt::format("at most {} entries", max_items));
    for (const auto& x : v->as_array()) {
      if (!x.is_string() || x.as_string().empty() || x.as_string().size() > 256)
        return bad(key, "must be a list of non-empty strings");
      out.emplace_back(x.as_string());
    }
    return out;
  }

  static std::unexpected<Error> bad(std::string_view key, std::string_view why) {
    return fail(Errc::kInvalidArgument, fmt::format("params.{}: {}", key, why));
  }

 private:
  const boost::json::object& o_;
};

}  // namespace kaiwu::rules::detail

// JSON in and out of the REST API: strict body readers whose errors name the field, entity
// serialisers (camelCase), and pagination parameters.
#pragma once

#include <boost/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/message.hpp"
#include "meta/store.hpp"
#include "model/entities.hpp"
#include "tsdb/types.hpp"

namespace kaiwu::api {
namespace json = boost::json;

// A JSON object body. Unknown fields are rejected, so typos do not pass silently.
class Body {
 public:
  static Result<Body> parse(std::string_view text, std::initializer_list<std::string_view> allowed);

  bool has(std::string_view key) const { return obj_.contains(key); }
  const json::object& object() const { return obj_; }

  // Absent → nullopt; present with the wrong type or out of bounds → kInvalidArgument.
  Result<std::optional<std::string>> str(std::string_view key, std::size_t max_len = 256) const;
  Result<std::string> required_str(std::string_view key, std::size_t max_len = 256) const;
  Result<std::optional<bool>> boolean(std::string_view key) const;
  Result<std::optional<double>> number(std::string_view key) const;
  Result<std::optional<std::int64_t>> integer(std::string_view key) const;

 private:
  json::object obj_;
};

std::unexpected<Error> invalid(std::string_view field, std::string_view why);

// ?limit=&cursor=&offset=
Result<meta::Page> page_params(const http::Request& req);
// Optional boolean query parameter ("true"/"false").
Result<std::optional<bool>> bool_param(const http::Request& req, std::string_view name);

json::object to_json(const model::Tenant& t);
json::object to_json(const model::Park& p);
json::object to_json(const model::Enterprise& e);
json::object to_json(const model::User& u);
json::object to_json(const model::ApiKey& k);
// The provision secret only with_secret (for those who may edit the profile).
json::object to_json(const model::DeviceProfile& p, bool with_secret);
json::object to_json(const model::Device& d, bool with_token);
json::object to_json(const model::AuditEntry& a);

http::Response json_response(unsigned status, const json::value& v);

// A telemetry value as JSON (non-finite doubles as null: JSON has no NaN/Inf).
json::value telemetry_value_json(const tsdb::Value& v);

// {"items":[…],"next":cursor|null}
template <typename T, typename F>
http::Response list_response(const meta::PageOf<T>& page, F&& serialise) {
  json::array items;
  items.reserve(page.items.size());
  for (const auto& item : page.items) items.push_back(serialise(item));
  json::object out{{"items", std::move(items)}};
  out["next"] = page.next.empty() ? json::value(nullptr) : json::value(page.next);
  return json_response(200, out);
}

// JSON Schema helpers for the OpenAPI document.
json::value schema_object(std::initializer_list<std::pair<std::string_view, std::string_view>> props,
                          std::initializer_list<std::string_view> required = {});
json::value schema_list(const json::value& item);

}  // namespace kaiwu::api

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "model/entities.hpp"

namespace kaiwu::model {
namespace json = boost::json;

namespace {

const std::set<std::string, std::less<>> kTypes = {"int",  "float", "double", "bool",  "string",
                                                   "enum", "date",  "struct", "array"};

Status error_at(const std::string& path, const std::string& what) {
  return fail(Errc::kInvalidArgument, "thingModel" + path + ": " + what);
}

// An identifier is what telemetry keys, RPC methods and Lua see: ASCII, no spaces.
bool valid_identifier(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  if (!(std::isalpha(static_cast<unsigned char>(id[0])) || id[0] == '_')) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Result<std::string> string_field(const json::object& o, std::string_view key,
                                 const std::string& path, bool required) {
  auto* v = o.if_contains(key);
  if (!v) {
    if (required) return std::unexpected(error_at(path, "\"" + std::string(key) + "\" is required").error());
    return std::string{};
  }
  if (!v->is_string())
    return std::unexpected(error_at(path + "." + std::string(key), "must be a string").error());
  return std::string(v->as_string());
}

// A data definition shared by properties and event/service parameters.
Status check_data(const json::object& o, const std::string& path) {
  auto id = KAIWU_TRY(string_field(o, "identifier", path, true));
  if (!valid_identifier(id))
    return error_at(path + ".identifier",
                    "\"" + id + "\" must start with a letter or _ and use letters, digits, _ . -");
  KAIWU_TRY_STATUS(string_field(o, "name", path, false));
  auto type = KAIWU_TRY(string_field(o, "type", path, true));
  if (!kTypes.contains(type))
    return error_at(path + ".type", "\"" + type +
                                        "\" is not one of int, float, double, bool, string, "
                                        "enum, date, struct, array");
  KAIWU_TRY_STATUS(string_field(o, "unit", path, false));
  const json::value* min = o.if_contains("min");
  const json::value* max = o.if_contains("max");
  for (auto [name, v] : {std::pair{"min", min}, std::pair{"max", max}}) {
    if (!v) continue;
    if (!v->is_number()) return error_at(path + "." + name, "must be a number");
    if (type != "int" && type != "float" && type != "double")
      return error_at(path + "." + name, "only numeric types have a range");
  }
  if (min && max && min->to_number<double>() > max->to_number<double>())
    return error_at(path + ".min", "must not exceed max");
  if (type == "enum") {
    auto* values = o.if_contains("values");
    if (!values || !values->is_object() || values->as_object().empty())
      return error_at(path + ".values", "an enum needs an object of value → label");
  }
  return ok();
}

Status check_params(const json::object& o, std::string_view key, const std::string& path) {
  auto* v = o.if_contains(key);
  if (!v) return ok();
  if (!v->is_array()) return error_at(path + "." + std::string(key), "must be an array");
  std::set<std::string> seen;
  size_t i = 0;
  for (const auto& p : v->as_array()) {
    std::string ppath = path + "." + std::string(key) + "[" + std::to_string(i++) + "]";
    if (!p.is_object()) return error_at(ppath, "must be an object");
    KAIWU_TRY_STATUS(check_data(p.as_object(), ppath));
    std::string id(p.as_object().at("identifier").as_string());
    if (!seen.insert(id).second) return error_at(ppath, "duplicate identifier \"" + id + "\"");
  }
  return ok();
}

Status check_section(const json::object& root, std::string_view section,
                     std::set<std::string>& identifiers) {
  auto* v = root.if_contains(section);
  if (!v) return ok();
  std::string path = "." + std::string(section);
  if (!v->is_array()) return error_at(path, "must be an array");
  size_t i = 0;
  for (const auto& item : v->as_array()) {
    std::string ipath = path + "[" + std::to_string(i++) + "]";
    if (!item.is_object()) return error_at(ipath, "must be an object");
    const auto& o = item.as_object();
    if (section == "properties") {
      KAIWU_TRY_STATUS(check_data(o, ipath));
      auto access = KAIWU_TRY(string_field(o, "access", ipath, false));
      if (!access.empty() && access != "r" && access != "rw" && access != "w")
        return error_at(ipath + ".access", "\"" + access + "\" is not one of r, rw, w");
    } else {
      auto id = KAIWU_TRY(string_field(o, "identifier", ipath, true));
      if (!valid_identifier(id))
        return error_at(ipath + ".identifier", "\"" + id + "\" is not a valid identifier");
      KAIWU_TRY_STATUS(string_field(o, "name", ipath, false));
      if (section == "events") {
        auto type = KAIWU_TRY(string_field(o, "type", ipath, false));
        if (!type.empty() && type != "info" && type != "alert" && type != "fault")
          return error_at(ipath + ".type", "\"" + type + "\" is not one of info, alert, fault");
        KAIWU_TRY_STATUS(check_params(o, "outputs", ipath));
      } else {
        auto call = KAIWU_TRY(string_field(o, "callType", ipath, false));
        if (!call.empty() && call != "sync" && call != "async")
          return error_at(ipath + ".callType", "\"" + call + "\" is not one of sync, async");
        KAIWU_TRY_STATUS(check_params(o, "inputs", ipath));
        KAIWU_TRY_STATUS(check_params(o, "outputs", ipath));
      }
    }
    std::string id(o.at("identifier").as_string());
    if (!identifiers.insert(std::string(section) + ":" + id).second)
      return error_at(ipath, "duplicate identifier \"" + id + "\"");
  }
  return ok();
}

}  // namespace

Result<std::string> validate_thing_model(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return fail(Errc::kInvalidArgument, "thingModel: not valid JSON (" + ec.message() + ")");
  if (!v.is_object()) return fail(Errc::kInvalidArgument, "thingModel: must be a JSON object");
  const auto& root = v.as_object();
  for (const auto& [key, value] : root) {
    if (key != "properties" && key != "events" && key != "services")
      return fail(Errc::kInvalidArgument, "thingModel." + std::string(key) +
                                              ": unknown section (properties, events, services)");
  }
  std::set<std::string> identifiers;
  for (std::string_view s : {"properties", "events", "services"})
    KAIWU_TRY_STATUS(check_section(root, s, identifiers));
  json::object normal;
  for (std::string_view s : {"properties", "events", "services"})
    normal[s] = root.contains(s) ? root.at(s) : json::array();
  return json::serialize(normal);
}

}  // namespace kaiwu::model

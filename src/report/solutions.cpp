#include "report/solutions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "apps/manifest.hpp"
#include "model/entities.hpp"

namespace kaiwu::report {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxMembers = 100;
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTechnologies{{
    {"5g", "5G"}, {"bigdata", "大数据"}, {"ai", "人工智能"}, {"digitaltwin", "数字孪生"},
    {"blockchain", "区块链"}, {"arvr", "AR/VR"}}};

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

Status invalid(std::string_view field, std::string_view why) {
  return fail(Errc::kInvalidArgument, fmt::format("{}: {}", field, why));
}

Result<std::string> text(const json::value& v, std::string_view field, std::size_t max, bool required) {
  if (!v.is_string()) return std::unexpected(invalid(field, "must be a string").error());
  std::string s(v.as_string());
  if (s.size() > max) return std::unexpected(invalid(field, fmt::format("at most {} bytes", max)).error());
  if (required && s.empty()) return std::unexpected(invalid(field, "must not be empty").error());
  return s;
}

// A list of distinct strings, each accepted by `ok` (which says why not).
template <typename Check>
Result<std::vector<std::string>> list(const json::value& v, std::string_view field, Check&& check) {
  if (!v.is_array()) return std::unexpected(invalid(field, "must be an array of strings").error());
  const auto& a = v.as_array();
  if (a.size() > kMaxMembers)
    return std::unexpected(invalid(field, fmt::format("at most {} entries", kMaxMembers)).error());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto at = fmt::format("{}[{}]", field, i);
    if (!a[i].is_string() || a[i].as_string().empty() || a[i].as_string().size() > 128)
      return std::unexpected(invalid(at, "must be a non-empty string of at most 128 bytes").error());
    std::string s(a[i].as_string());
    if (auto why = check(s); !why.empty()) return std::unexpected(invalid(at, why).error());
    if (std::find(out.begin(), out.end(), s) != out.end())
      return std::unexpected(invalid(at, fmt::format("\"{}\" is listed twice", s)).error());
    out.push_back(std::move(s));
  }
  return out;
}

std::string any_id(const std::string&) { return {}; }

}  // namespace

const std::vector<std::string>& technologies() {
  static const std::vector<std::string> codes = [] {
    std::vector<std::string> v;
    for (const auto& [code, label] : kTechnologies) v.emplace_back(code);
    return v;
  }();
  return codes;
}

std::string_view technology_label_zh(std::string_view code) {
  for (const auto& [c, label] : kTechnologies)
    if (c == code) return label;
  return code;
}

json::object solution_to_json(const Solution& s) {
  return json::object{{"id", s.id},
                      {"nameZh", s.name_zh},
                      {"nameEn", s.name_en},
                      {"descriptionZh", s.description_zh},
                      {"descriptionEn", s.description_en},
                      {"industries", to_array(s.industries)},
                      {"domains", to_array(s.domains)},
                      {"appIds", to_array(s.app_ids)},
                      {"modelIds", to_array(s.model_ids)},
                      {"profileIds", to_array(s.profile_ids)},
                      {"technologies", to_array(s.technologies)},
                      {"cases", s.cases},
                      {"createdBy", s.created_by},
                      {"createdMs", s.created_ms},
                      {"updatedMs", s.updated_ms}};
}

Status solution_from_json(const json::object& body, Solution& into, bool creating) {
  static constexpr std::array<std::string_view, 12> kFields{
      "id", "nameZh", "nameEn", "descriptionZh", "descriptionEn", "industries", "domains", "appIds", "modelIds",
      "profileIds", "technologies", "cases"};
  for (const auto& [k, v] : body)
    if (std::find(kFields.begin(), kFields.end(), std::string_view(k)) == kFields.end())
      return invalid(k, "unknown field");
  if (const auto* v = body.if_contains("id")) {
    if (!creating) return invalid("id", "cannot be changed");
    into.id = KAIWU_TRY(text(*v, "id", 64, true));
    const bool ok_chars = std::all_of(into.id.begin(), into.id.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
    if (!ok_chars) return invalid("id", "only a-z, 0-9, '-', '_' and '.'");
  }
  for (auto [field, target] : {std::pair{"nameZh", &into.name_zh}, std::pair{"nameEn", &into.name_en}}) {
    if (const auto* v = body.if_contains(field)) *target = KAIWU_TRY(text(*v, field, 200, true));
    else if (creating) return invalid(field, "is required");
  }
  if (const auto* v = body.if_contains("descriptionZh")) into.description_zh = KAIWU_TRY(text(*v, "descriptionZh", 4000, false));
  if (const auto* v = body.if_contains("descriptionEn")) into.description_en = KAIWU_TRY(text(*v, "descriptionEn", 4000, false));
  if (const auto* v = body.if_contains("industries"))
    into.industries = KAIWU_TRY(list(*v, "industries", [](const std::string& s) -> std::string {
      return model::is_industry(s) ? "" : fmt::format("\"{}\" is not one of the form's 22 industries", s);
    }));
  if (const auto* v = body.if_contains("domains"))
    into.domains = KAIWU_TRY(list(*v, "domains", [](const std::string& s) -> std::string {
      return apps::parse_domain(s) ? "" : fmt::format("\"{}\" is not one of the nine APP domains", s);
    }));
  if (const auto* v = body.if_contains("technologies"))
    into.technologies = KAIWU_TRY(list(*v, "technologies", [](const std::string& s) -> std::string {
      const auto& t = technologies();
      return std::find(t.begin(), t.end(), s) != t.end()
                 ? ""
                 : fmt::format("\"{}\" is not one of 5g, bigdata, ai, digitaltwin, blockchain, arvr", s);
    }));
  if (const auto* v = body.if_contains("appIds")) into.app_ids = KAIWU_TRY(list(*v, "appIds", any_id));
  if (const auto* v = body.if_contains("modelIds")) into.model_ids = KAIWU_TRY(list(*v, "modelIds", any_id));
  if (const auto* v = body.if_contains("profileIds")) into.profile_ids = KAIWU_TRY(list(*v, "profileIds", any_id));
  if (const auto* v = body.if_contains("cases")) {
    if (!v->is_int64() && !v->is_uint64()) return invalid("cases", "must be a whole number");
    const auto n = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(std::min<std::uint64_t>(v->as_uint64(), 1u << 31));
    if (n < 0 || n > 1'000'000) return invalid("cases", "must be between 0 and 1000000");
    into.cases = n;
  }
  if (creating && into.industries.empty()) return invalid("industries", "name at least one industry");
  if (creating && into.domains.empty()) return invalid("domains", "name at least one APP domain");
  return ok();
}

Status check_references(const Solution& s, ReferenceChecker& refs) {
  for (std::size_t i = 0; i < s.app_ids.size(); ++i)
    if (!refs.app_exists(s.app_ids[i])) return invalid(fmt::format("appIds[{}]", i), "no APP " + s.app_ids[i]);
  for (std::size_t i = 0; i < s.model_ids.size(); ++i)
    if (!refs.model_exists(s.model_ids[i]))
      return invalid(fmt::format("modelIds[{}]", i), "no model " + s.model_ids[i]);
  for (std::size_t i = 0; i < s.profile_ids.size(); ++i)
    if (!refs.profile_exists(s.profile_ids[i]))
      return invalid(fmt::format("profileIds[{}]", i), "no device profile " + s.profile_ids[i]);
  return ok();
}

}  // namespace kaiwu::report

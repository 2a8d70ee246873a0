#include "model/entities.hpp"

#include <algorithm>
#include <cctype>
#include <array>

namespace kaiwu::model {

namespace {
constexpr std::array<std::pair<Role, std::string_view>, 7> kRoles{{
    {Role::kPlatformAdmin, "platform-admin"},
    {Role::kTenantAdmin, "tenant-admin"},
    {Role::kParkAdmin, "park-admin"},
    {Role::kEnterpriseAdmin, "enterprise-admin"},
    {Role::kEngineer, "engineer"},
    {Role::kViewer, "viewer"},
    {Role::kDeveloper, "developer"},
}};

struct CategoryInfo {
  Category category;
  std::string_view name;
  std::string_view zh;
};
constexpr std::array<CategoryInfo, 4> kCategories{{
    {Category::kRunning, "running", "运行设备"},
    {Category::kProcessing, "processing", "加工设备"},
    {Category::kMobile, "mobile", "行走设备"},
    {Category::kOther, "other", "其它"},
}};
constexpr std::array<std::pair<ProvisionMode, std::string_view>, 3> kProvisionModes{{
    {ProvisionMode::kDisabled, "disabled"},
    {ProvisionMode::kAllowCreate, "allow-create"},
    {ProvisionMode::kCheckPreProvisioned, "check-pre-provisioned"},
}};
}  // namespace

Status check_access_token(std::string_view token) {
  if (token.size() < 8 || token.size() > 64) return fail(Errc::kInvalidArgument, "accessToken must be 8..64 characters");
  for (char c : token)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return fail(Errc::kInvalidArgument, "accessToken may contain only letters, digits, _ and -");
  return ok();
}

std::string_view provision_mode_name(ProvisionMode m) { return kProvisionModes[static_cast<std::size_t>(m)].second; }

std::optional<ProvisionMode> parse_provision_mode(std::string_view s) {
  for (const auto& [mode, name] : kProvisionModes)
    if (name == s) return mode;
  return std::nullopt;
}

std::string_view role_name(Role r) {
  for (const auto& [role, name] : kRoles)
    if (role == r) return name;
  return "viewer";
}

std::optional<Role> parse_role(std::string_view s) {
  for (const auto& [role, name] : kRoles)
    if (name == s) return role;
  return std::nullopt;
}

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles = [] {
    std::vector<Role> r;
    for (const auto& [role, name] : kRoles) r.push_back(role);
    return r;
  }();
  return roles;
}

std::string_view category_name(Category c) {
  for (const auto& info : kCategories)
    if (info.category == c) return info.name;
  return "other";
}

std::string_view category_label_zh(Category c) {
  for (const auto& info : kCategories)
    if (info.category == c) return info.zh;
  return "其它";
}

std::optional<Category> parse_category(std::string_view s) {
  for (const auto& info : kCategories)
    if (info.name == s) return info.category;
  return std::nullopt;
}

const std::vector<std::string>& industries() {
  // MIIT 2022 双跨 application form, annex 2 (the 22 industries, spelled as the form does).
  static const std::vector<std::string> list = {
      "煤炭/黑色金属矿开采/石油天然气开采", "黑色金属", "有色金属", "石化化工", "建材", "医药",
      "纺织", "家电", "食品", "烟草", "轻工", "机械", "汽车", "航空/航天", "船舶", "轨道交通",
      "电子", "电力", "热力和燃气", "建筑业", "农业", "服务业"};
  return list;
}

bool is_industry(std::string_view s) {
  const auto& list = industries();
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool is_park_level(std::string_view s) {
  return s == "national" || s == "provincial" || s == "municipal" || s == "other";
}

std::string_view attribute_scope_name(AttributeScope s) {
  switch (s) {
    case AttributeScope::kClient: return "client";
    case AttributeScope::kShared: return "shared";
    case AttributeScope::kServer: return "server";
  }
  return "client";
}

std::optional<AttributeScope> parse_attribute_scope(std::string_view s) {
  for (auto a : {AttributeScope::kClient, AttributeScope::kShared, AttributeScope::kServer})
    if (attribute_scope_name(a) == s) return a;
  return std::nullopt;
}

const std::vector<std::string>& protocols() {
  static const std::vector<std::string> list = {
      "mqtt",  "http",    "modbus-tcp", "modbus-rtu", "opcua", "dlt645", "hj212",
      "influx", "sparkplug", "s7",      "bacnet",     "iec104", "other"};
  return list;
}

bool is_protocol(std::string_view s) {
  const auto& list = protocols();
  return std::find(list.begin(), list.end(), s) != list.end();
}

namespace {
// GB 32100-2015 §4: the code's alphabet (no I, O, S, V, Z).
constexpr std::string_view kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
// GB 32100-2015 §5: weights W_i = 3^(i-1) mod 31.
constexpr std::array<int, 17> kCreditWeights{1,  3,  9,  27, 19, 26, 16, 17, 20,
                                             29, 25, 13, 8,  24, 10, 30, 28};
}  // namespace

std::optional<char> credit_code_check_char(std::string_view first17) {
  if (first17.size() < 17) return std::nullopt;
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    auto pos = kCreditAlphabet.find(first17[i]);
    if (pos == std::string_view::npos) return std::nullopt;
    sum += static_cast<int>(pos) * kCreditWeights[i];
  }
  int check = (31 - sum % 31) % 31;
  return kCreditAlphabet[static_cast<size_t>(check)];
}

Status validate_credit_code(std::string_view code) {
  if (code.size() != 18)
    return fail(Errc::kInvalidArgument, "creditCode: must be 18 characters, got " +
                                            std::to_string(code.size()));
  for (size_t i = 0; i < code.size(); ++i) {
    if (kCreditAlphabet.find(code[i]) == std::string_view::npos) {
      // Quoting one byte of a multi-byte character would put invalid UTF-8 in the message.
      bool ascii = static_cast<unsigned char>(code[i]) < 0x80;
      std::string shown = ascii ? " ('" + std::string(1, code[i]) + "')" : " (not ASCII)";
      return fail(Errc::kInvalidArgument, "creditCode: character " + std::to_string(i + 1) +
                                              shown +
                                              " is not allowed (digits and uppercase letters "
                                              "except I, O, S, V, Z)");
    }
  }
  // Characters 3-8: the administrative division code of the registering authority.
  for (size_t i = 2; i < 8; ++i)
    if (code[i] < '0' || code[i] > '9')
      return fail(Errc::kInvalidArgument,
                  "creditCode: characters 3-8 must be the digits of a region code");
  char expected = *credit_code_check_char(code);
  if (code[17] != expected)
    return fail(Errc::kInvalidArgument, "creditCode: check character is '" +
                                            std::string(1, code[17]) + "', expected '" +
                                            std::string(1, expected) + "'");
  return ok();
}

}  // namespace kaiwu::model

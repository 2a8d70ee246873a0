#include "apps/manifest.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/json_parse.hpp"
#include "model/alarm.hpp"

namespace kaiwu::apps {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 9> kDomainNames{
    "safety", "energy_carbon", "quality", "supply_chain", "rnd", "production", "operations", "warehousing",
    "maintenance"};
constexpr std::array<std::string_view, 9> kDomainLabels{"安全生产", "节能减排", "质量管控", "供应链管理", "研发设计",
                                                        "生产制造", "运营管理", "仓储物流", "运维服务"};
constexpr std::array<std::string_view, kPermissionCount> kPermissionNames{
    "telemetry:read", "telemetry:write", "attributes:read", "alarms:read",
    "alarms:write",   "devices:read",    "rpc:call",        "http:outbound",
    "storage",        "models:invoke",   "files:write"};
constexpr std::size_t kMaxFunctions = 64;
constexpr std::size_t kMaxTriggers = 64;
constexpr std::int64_t kMinIntervalMs = 1000;

bool valid_id(std::string_view s) {
  if (s.size() < 2 || s.size() > 63) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(i > 0 && c == '-')) return false;
  }
  return true;
}

bool valid_lua_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Collects problems with their JSON pointers.
class Checker {
 public:
  void add(std::string_view pointer, std::string_view what) {
    problems_.push_back(fmt::format("manifest.json {}: {}", pointer.empty() ? "/" : pointer, what));
  }
  bool ok() const { return problems_.empty(); }
  std::string joined() const { return fmt::format("{}", fmt::join(problems_, "; ")); }

  // A string member: absent → nullopt (and a problem when required).
  std::optional<std::string> str(const json::object& o, std::string_view ptr, std::string_view key,
                                 bool required, std::size_t max_len = 256) {
    const auto* v = o.if_contains(key);
    const std::string at = fmt::format("{}/{}", ptr, key);
    if (!v) {
      if (required) add(at, "is required");
      return std::nullopt;
    }
    if (!v->is_string()) {
      add(at, "must be a string");
      return std::nullopt;
    }
    std::string s(v->get_string());
    if (s.size() > max_len) {
      add(at, fmt::format("is longer than {} bytes", max_len));
      return std::nullopt;
    }
    if (required && s.empty()) add(at, "must not be empty");
    return s;
  }
  const json::array* arr(const json::object& o, std::string_view ptr, std::string_view key, bool required) {
    const auto* v = o.if_contains(key);
    if (!v) {
      if (required) add(fmt::format("{}/{}", ptr, key), "is required");
      return nullptr;
    }
    if (!v->is_array()) {
      add(fmt::format("{}/{}", ptr, key), "must be an array");
      return nullptr;
    }
    return &v->get_array();
  }
  void unknown_keys(const json::object& o, std::string_view ptr, std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : o) {
      if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
        add(fmt::format("{}/{}", ptr, std::string_view(k)), "unknown field");
    }
  }

 private:
  std::vector<std::string> problems_;
};

// "manifest.json:3:14: …" for a syntax error.
std::string syntax_error(std::string_view text) {
  json::stream_parser p;
  boost::system::error_code ec;
  std::size_t consumed = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (!ec) consumed = text.size();
  std::size_t line = 1;
  std::size_t col = 1;
  for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("manifest.json:{}:{}: malformed JSON ({})", line, col, ec ? ec.message() : "unexpected end");
}

void read_names(Checker& c, const json::object& o, Manifest& m) {
  const auto* v = o.if_contains("name");
  if (!v || !v->is_object()) {
    c.add("/name", v ? "must be an object {\"zh\": …, \"en\": …}" : "is required");
    return;
  }
  const auto& names = v->get_object();
  c.unknown_keys(names, "/name", {"zh", "en"});
  m.name_zh = c.str(names, "/name", "zh", true, 128).value_or("");
  m.name_en = c.str(names, "/name", "en", true, 128).value_or("");
}

void read_description(Checker& c, const json::object& o, Manifest& m) {
  const auto* v = o.if_contains("description");
  if (v && v->is_object()) {
    const auto& d = v->get_object();
    c.unknown_keys(d, "/description", {"zh", "en"});
    m.description_zh = c.str(d, "/description", "zh", true, 4096).value_or("");
    m.description_en = c.str(d, "/description", "en", true, 4096).value_or("");
    return;
  }
  if (v && !v->is_string()) {
    c.add("/description", "must be a string or an object {\"zh\": …, \"en\": …}");
    return;
  }
  m.description_zh = m.description_en = c.str(o, "", "description", false, 4096).value_or("");
}

void read_permissions(Checker& c, const json::object& o, Manifest& m) {
  const auto* a = c.arr(o, "", "permissions", false);
  if (!a) return;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string at = fmt::format("/permissions/{}", i);
    const auto& v = (*a)[i];
    auto p = v.is_string() ? parse_permission(v.get_string()) : std::nullopt;
    if (!p) {
      c.add(at, fmt::format("must be one of {}", fmt::join(kPermissionNames, ", ")));
      continue;
    }
    if (m.allows(*p)) c.add(at, "is listed twice");
    else m.permissions.push_back(*p);
  }
}

void read_functions(Checker& c, const json::object& o, Manifest& m) {
  const auto* a = c.arr(o, "", "functions", true);
  if (!a) return;
  if (a->empty()) c.add("/functions", "must declare at least one function");
  if (a->size() > kMaxFunctions) c.add("/functions", fmt::format("more than {} functions", kMaxFunctions));
  for (std::size_t i = 0; i < a->size() && i < kMaxFunctions; ++i) {
    const std::string at = fmt::format("/functions/{}", i);
    if (!(*a)[i].is_object()) {
      c.add(at, "must be an object");
      continue;
    }
    const auto& f = (*a)[i].get_object();
    c.unknown_keys(f, at, {"name", "description", "input"});
    Function fn;
    fn.name = c.str(f, at, "name", true, 64).value_or("");
    if (!fn.name.empty() && !valid_lua_name(fn.name))
      c.add(at + "/name", "must be a Lua identifier ([A-Za-z_][A-Za-z0-9_]*)");
    if (!fn.name.empty() && m.function(fn.name)) c.add(at + "/name", "is declared twice");
    fn.description = c.str(f, at, "description", false, 2048).value_or("");
    if (const auto* in = f.if_contains("input")) {
      if (!in->is_object()) c.add(at + "/input", "must be a JSON Schema object");
      else fn.input_schema_json = json::serialize(*in);
    }
    m.functions.push_back(std::move(fn));
  }
}

bool valid_cron_field(std::string_view f, int lo, int hi) {
  auto number = [&](std::string_view s, int& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out >= lo && out <= hi;
  };
  if (f == "*") return true;
  if (f.starts_with("*/")) {
    int step = 0;
    return number(f.substr(2), step) && step > 0;
  }
  while (!f.empty()) {
    const auto comma = f.find(',');
    std::string_view part = f.substr(0, comma);
    const auto dash = part.find('-');
    int a = 0;
    int b = 0;
    if (dash == std::string_view::npos) {
      if (!number(part, a)) return false;
    } else if (!number(part.substr(0, dash), a) || !number(part.substr(dash + 1), b) || a > b) {
      return false;
    }
    if (comma == std::string_view::npos) break;
    f.remove_prefix(comma + 1);
  }
  return true;
}

void read_schedule(Checker& c, const json::object& t, const std::string& at, Trigger& tr) {
  const auto* iv = t.if_contains("intervalMs");
  tr.cron = c.str(t, at, "cron", false, 128).value_or("");
  if (iv && !tr.cron.empty()) c.add(at, "give intervalMs or cron, not both");
  if (iv) {
    if (!iv->is_int64() || iv->get_int64() < kMinIntervalMs || iv->get_int64() > 86'400'000LL * 31)
      c.add(at + "/intervalMs", fmt::format("must be an integer in {}..2678400000", kMinIntervalMs));
    else tr.interval_ms = iv->get_int64();
  } else if (tr.cron.empty()) {
    c.add(at, "a schedule trigger needs intervalMs or cron");
  } else {
    std::vector<std::string_view> fields;
    std::string_view rest = tr.cron;
    while (!rest.empty()) {
      const auto sp = rest.find(' ');
      if (sp != 0) fields.push_back(rest.substr(0, sp));
      if (sp == std::string_view::npos) break;
      rest.remove_prefix(sp + 1);
    }
    constexpr std::array<std::pair<int, int>, 5> kRanges{{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 6}}};
    bool good = fields.size() == 5;
    for (std::size_t i = 0; good && i < 5; ++i) good = valid_cron_field(fields[i], kRanges[i].first, kRanges[i].second);
    if (!good) c.add(at + "/cron", "must be five fields: minute hour day month weekday (*, */n, a, a-b, a,b)");
  }
}

void read_trigger(Checker& c, const json::object& t, const std::string& at, Manifest& m) {
  c.unknown_keys(t, at,
                 {"type", "function", "intervalMs", "cron", "profileId", "keys", "alarmType", "minSeverity"});
  Trigger tr;
  const auto type = c.str(t, at, "type", true, 32).value_or("");
  if (type == "schedule") tr.type = TriggerType::kSchedule;
  else if (type == "telemetry") tr.type = TriggerType::kTelemetry;
  else if (type == "alarm") tr.type = TriggerType::kAlarm;
  else if (type == "http") tr.type = TriggerType::kHttp;
  else if (!type.empty()) c.add(at + "/type", "must be one of schedule, telemetry, alarm, http");
  tr.function = c.str(t, at, "function", true, 64).value_or("");
  if (!tr.function.empty() && !m.function(tr.function)) c.add(at + "/function", "names no declared function");
  if (tr.type == TriggerType::kSchedule && type == "schedule") read_schedule(c, t, at, tr);
  if (tr.type == TriggerType::kTelemetry) {
    tr.profile_id = c.str(t, at, "profileId", false, 64).value_or("");
    if (const auto* keys = c.arr(t, at, "keys", false)) {
      for (std::size_t k = 0; k < keys->size(); ++k) {
        if (!(*keys)[k].is_string() || (*keys)[k].get_string().empty())
          c.add(fmt::format("{}/keys/{}", at, k), "must be a non-empty string");
        else tr.keys.emplace_back((*keys)[k].get_string());
      }
    }
  }
  if (tr.type == TriggerType::kAlarm) {
    tr.alarm_type = c.str(t, at, "alarmType", false, 128).value_or("");
    tr.min_severity = c.str(t, at, "minSeverity", false, 16).value_or("");
    if (!tr.min_severity.empty() && !model::parse_alarm_severity(tr.min_severity))
      c.add(at + "/minSeverity", "must be one of critical, major, minor, warning");
  }
  m.triggers.push_back(std::move(tr));
}

void read_triggers(Checker& c, const json::object& o, Manifest& m) {
  const auto* a = c.arr(o, "", "triggers", false);
  if (!a) return;
  if (a->size() > kMaxTriggers) c.add("/triggers", fmt::format("more than {} triggers", kMaxTriggers));
  for (std::size_t i = 0; i < a->size() && i < kMaxTriggers; ++i) {
    const std::string at = fmt::format("/triggers/{}", i);
    if (!(*a)[i].is_object()) c.add(at, "must be an object");
    else read_trigger(c, (*a)[i].get_object(), at, m);
  }
}

void read_plans(Checker& c, const json::object& o, Manifest& m) {
  const auto* a = c.arr(o, "", "plans", false);
  if (!a || a->empty()) {
    if (a) c.add("/plans", "must list at least one plan (or be left out for a free plan)");
    m.plans.push_back(Plan{"free", PlanType::kFree, 0});
    return;
  }
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string at = fmt::format("/plans/{}", i);
    if (!(*a)[i].is_object()) {
      c.add(at, "must be an object");
      continue;
    }
    const auto& p = (*a)[i].get_object();
    c.unknown_keys(p, at, {"id", "type", "price"});
    Plan plan;
    plan.id = c.str(p, at, "id", true, 32).value_or("");
    if (!plan.id.empty() && !valid_lua_name(plan.id)) c.add(at + "/id", "must be [A-Za-z0-9_]");
    for (const auto& other : m.plans)
      if (other.id == plan.id) c.add(at + "/id", "is declared twice");
    const auto type = c.str(p, at, "type", true, 16).value_or("");
    if (type == "free") plan.type = PlanType::kFree;
    else if (type == "monthly") plan.type = PlanType::kMonthly;
    else if (type == "per_call") plan.type = PlanType::kPerCall;
    else if (!type.empty()) c.add(at + "/type", "must be one of free, monthly, per_call");
    if (const auto* price = p.if_contains("price")) {
      if (!price->is_number() || price->to_number<double>() < 0 || !std::isfinite(price->to_number<double>()))
        c.add(at + "/price", "must be a non-negative number");
      else plan.price = price->to_number<double>();
    }
    if (plan.type != PlanType::kFree && plan.price <= 0) c.add(at + "/price", "a paid plan needs a price > 0");
    if (plan.type == PlanType::kFree && plan.price != 0) c.add(at + "/price", "a free plan has no price");
    m.plans.push_back(std::move(plan));
  }
}

// "host:port" entries: a host name or IPv4 address and a port 1..65535.
void read_http_hosts(Checker& c, const json::object& o, Manifest& m) {
  const auto* a = c.arr(o, "", "httpHosts", false);
  if (!a) return;
  if (!m.allows(Permission::kHttpOutbound)) c.add("/httpHosts", "needs the permission http:outbound");
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string at = fmt::format("/httpHosts/{}", i);
    const auto& v = (*a)[i];
    const std::string_view s = v.is_string() ? std::string_view(v.get_string()) : std::string_view{};
    const auto colon = s.rfind(':');
    int port = 0;
    const bool port_ok = colon != std::string_view::npos &&
                         std::from_chars(s.data() + colon + 1, s.data() + s.size(), port).ptr == s.data() + s.size() &&
                         port >= 1 && port <= 65535;
    const auto host = s.substr(0, colon == std::string_view::npos ? 0 : colon);
    const bool host_ok = !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
    });
    if (!port_ok || !host_ok) {
      c.add(at, "must be \"host:port\" (a host name or IPv4 address and a port 1..65535)");
      continue;
    }
    std::string lower(s);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    m.http_hosts.push_back(std::move(lower));
  }
}

void read_enums(Checker& c, const json::object& o, Manifest& m) {
  if (auto d = c.str(o, "", "domain", true, 32); d && !d->empty()) {
    if (auto parsed = parse_domain(*d)) m.domain = *parsed;
    else c.add("/domain", fmt::format("must be one of {}", fmt::join(kDomainNames, ", ")));
  }
  if (auto s = c.str(o, "", "origin", true, 32); s && !s->empty()) {
    if (*s == "self_built") m.origin = Origin::kSelfBuilt;
    else if (*s == "partner") m.origin = Origin::kPartner;
    else c.add("/origin", "must be self_built or partner");
  }
  if (auto s = c.str(o, "", "form", true, 32); s && !s->empty()) {
    if (*s == "built_on_platform") m.form = Form::kBuiltOnPlatform;
    else if (*s == "cloudified_legacy") m.form = Form::kCloudifiedLegacy;
    else c.add("/form", "must be built_on_platform or cloudified_legacy");
  }
}

}  // namespace

std::string_view domain_name(Domain d) { return kDomainNames[static_cast<std::size_t>(d)]; }
std::string_view domain_label_zh(Domain d) { return kDomainLabels[static_cast<std::size_t>(d)]; }
std::optional<Domain> parse_domain(std::string_view s) {
  for (std::size_t i = 0; i < kDomainNames.size(); ++i)
    if (kDomainNames[i] == s) return static_cast<Domain>(i);
  return std::nullopt;
}
std::string_view origin_name(Origin o) { return o == Origin::kSelfBuilt ? "self_built" : "partner"; }
std::string_view form_name(Form f) { return f == Form::kBuiltOnPlatform ? "built_on_platform" : "cloudified_legacy"; }
std::string_view permission_name(Permission p) { return kPermissionNames[static_cast<std::size_t>(p)]; }
std::optional<Permission> parse_permission(std::string_view s) {
  for (std::size_t i = 0; i < kPermissionNames.size(); ++i)
    if (kPermissionNames[i] == s) return static_cast<Permission>(i);
  return std::nullopt;
}
std::string_view trigger_type_name(TriggerType t) {
  constexpr std::array<std::string_view, 4> kNames{"schedule", "telemetry", "alarm", "http"};
  return kNames[static_cast<std::size_t>(t)];
}
std::string_view plan_type_name(PlanType t) {
  constexpr std::array<std::string_view, 3> kNames{"free", "monthly", "per_call"};
  return kNames[static_cast<std::size_t>(t)];
}

bool Manifest::allows(Permission p) const {
  return std::find(permissions.begin(), permissions.end(), p) != permissions.end();
}
const Function* Manifest::function(std::string_view n) const {
  for (const auto& f : functions)
    if (f.name == n) return &f;
  return nullptr;
}
bool Manifest::http_host_allowed(std::string_view host_port) const {
  std::string lower(host_port);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return std::find(http_hosts.begin(), http_hosts.end(), lower) != http_hosts.end();
}
bool Manifest::http_callable(std::string_view fn) const {
  return std::any_of(triggers.begin(), triggers.end(),
                     [&](const Trigger& t) { return t.type == TriggerType::kHttp && t.function == fn; });
}

Result<Manifest> parse_manifest(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed) return fail(Errc::kInvalidArgument, syntax_error(text));
  Checker c;
  if (!parsed->is_object()) return fail(Errc::kInvalidArgument, "manifest.json /: must be a JSON object");
  const auto& o = parsed->get_object();
  c.unknown_keys(o, "", {"id", "version", "name", "description", "domain", "publisher", "origin", "form",
                         "permissions", "functions", "triggers", "code", "ui", "plans", "httpHosts"});
  Manifest m;
  m.id = c.str(o, "", "id", true, 63).value_or("");
  if (!m.id.empty() && !valid_id(m.id)) c.add("/id", "must be 2..63 of [a-z0-9-], starting with a letter or digit");
  if (m.id == "packages" || m.id == "publishers" || m.id == "reviews") c.add("/id", "is reserved");
  m.version = c.str(o, "", "version", true, 64).value_or("");
  if (!m.version.empty() && !valid_semver(m.version)) c.add("/version", "must be a semantic version like 1.2.0");
  read_names(c, o, m);
  read_description(c, o, m);
  read_enums(c, o, m);
  m.publisher = c.str(o, "", "publisher", true, 63).value_or("");
  if (!m.publisher.empty() && !valid_id(m.publisher)) c.add("/publisher", "must be 2..63 of [a-z0-9-]");
  read_permissions(c, o, m);
  read_functions(c, o, m);
  read_triggers(c, o, m);
  read_plans(c, o, m);
  read_http_hosts(c, o, m);
  if (auto code = c.str(o, "", "code", false, 128)) m.code = *code;
  if (!m.code.ends_with(".lua")) c.add("/code", "must name a .lua file of the package");
  if (const auto* ui = o.if_contains("ui")) {
    if (!ui->is_object()) {
      c.add("/ui", "must be an object {\"entry\": \"ui/index.html\"}");
    } else {
      c.unknown_keys(ui->get_object(), "/ui", {"entry"});
      m.ui_entry = c.str(ui->get_object(), "/ui", "entry", true, 128).value_or("");
      if (!m.ui_entry.empty() && !m.ui_entry.starts_with("ui/")) c.add("/ui/entry", "must be a file under ui/");
    }
  }
  if (!c.ok()) return fail(Errc::kInvalidArgument, c.joined());
  return m;
}

namespace {

// MAJOR.MINOR.PATCH numbers without leading zeros; pre-release and build identifiers of
// [0-9A-Za-z-] (semver 2.0.0 §2, §9, §10).
bool numeric_part(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}
bool identifiers(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    const auto part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty()) return false;
    for (char ch : part)
      if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-')) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

struct Semver {
  std::array<long, 3> core{};
  std::string_view pre;
};

std::optional<Semver> split(std::string_view v) {
  Semver out;
  if (auto plus = v.find('+'); plus != std::string_view::npos) {
    if (!identifiers(v.substr(plus + 1))) return std::nullopt;
    v = v.substr(0, plus);
  }
  if (auto dash = v.find('-'); dash != std::string_view::npos) {
    out.pre = v.substr(dash + 1);
    if (!identifiers(out.pre)) return std::nullopt;
    v = v.substr(0, dash);
  }
  for (int i = 0; i < 3; ++i) {
    const auto dot = v.find('.');
    if ((i < 2) == (dot == std::string_view::npos)) return std::nullopt;
    const auto part = v.substr(0, dot);
    if (!numeric_part(part)) return std::nullopt;
    std::from_chars(part.data(), part.data() + part.size(), out.core[static_cast<std::size_t>(i)]);
    v = dot == std::string_view::npos ? std::string_view{} : v.substr(dot + 1);
  }
  return out;
}

}  // namespace

bool valid_semver(std::string_view v) { return split(v).has_value(); }

int compare_semver(std::string_view a, std::string_view b) {
  auto x = split(a);
  auto y = split(b);
  if (!x || !y) return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  for (std::size_t i = 0; i < 3; ++i)
    if (x->core[i] != y->core[i]) return x->core[i] < y->core[i] ? -1 : 1;
  if (x->pre.empty() != y->pre.empty()) return x->pre.empty() ? 1 : -1;  // §11.3: 1.0.0-a < 1.0.0
  const int c = x->pre.compare(y->pre);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string manifest_json(const Manifest& m) {
  json::array perms;
  for (auto p : m.permissions) perms.emplace_back(permission_name(p));
  json::array fns;
  for (const auto& f : m.functions) {
    auto schema = parse_json(f.input_schema_json);
    fns.push_back(json::object{{"name", f.name},
                               {"description", f.description},
                               {"input", schema ? *schema : json::value(json::object{})}});
  }
  json::array trs;
  for (const auto& t : m.triggers) {
    json::object o{{"type", trigger_type_name(t.type)}, {"function", t.function}};
    if (t.interval_ms) o["intervalMs"] = t.interval_ms;
    if (!t.cron.empty()) o["cron"] = t.cron;
    if (!t.profile_id.empty()) o["profileId"] = t.profile_id;
    if (!t.keys.empty()) {
      json::array keys;
      for (const auto& k : t.keys) keys.emplace_back(k);
      o["keys"] = std::move(keys);
    }
    if (!t.alarm_type.empty()) o["alarmType"] = t.alarm_type;
    if (!t.min_severity.empty()) o["minSeverity"] = t.min_severity;
    trs.push_back(std::move(o));
  }
  json::array plans;
  for (const auto& p : m.plans)
    plans.push_back(json::object{{"id", p.id}, {"type", plan_type_name(p.type)}, {"price", p.price}});
  json::object o{{"id", m.id},
                 {"version", m.version},
                 {"name", json::object{{"zh", m.name_zh}, {"en", m.name_en}}},
                 {"description", json::object{{"zh", m.description_zh}, {"en", m.description_en}}},
                 {"domain", domain_name(m.domain)},
                 {"domainLabel", domain_label_zh(m.domain)},
                 {"publisher", m.publisher},
                 {"origin", origin_name(m.origin)},
                 {"form", form_name(m.form)},
                 {"permissions", std::move(perms)},
                 {"functions", std::move(fns)},
                 {"triggers", std::move(trs)},
                 {"code", m.code},
                 {"plans", std::move(plans)}};
  if (!m.ui_entry.empty()) o["ui"] = json::object{{"entry", m.ui_entry}};
  if (!m.http_hosts.empty()) {
    json::array hosts;
    for (const auto& h : m.http_hosts) hosts.emplace_back(h);
    o["httpHosts"] = std::move(hosts);
  }
  return json::serialize(o);
}

}  // namespace kaiwu::apps

#include "models/manifest.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <set>

#include "models/builtins.hpp"
#include "rules/sandbox.hpp"

namespace kaiwu::models {
namespace json = boost::json;

std::string_view model_type_name(ModelType t) {
  switch (t) {
    case ModelType::kResearchSimulation: return "research_simulation";
    case ModelType::kBusinessProcess: return "business_process";
    case ModelType::kMechanism: return "mechanism";
    case ModelType::kDataAlgorithm: return "data_algorithm";
  }
  return "data_algorithm";
}

std::string_view model_type_label_zh(ModelType t) {
  switch (t) {
    case ModelType::kResearchSimulation: return "研发仿真";
    case ModelType::kBusinessProcess: return "业务流程";
    case ModelType::kMechanism: return "行业机理";
    case ModelType::kDataAlgorithm: return "数据算法";
  }
  return "数据算法";
}

std::optional<ModelType> parse_model_type(std::string_view s) {
  for (auto t : kAllModelTypes)
    if (model_type_name(t) == s) return t;
  return std::nullopt;
}

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::kNumber: return "number";
    case ValueType::kSeries: return "series";
    case ValueType::kString: return "string";
    case ValueType::kBool: return "bool";
  }
  return "number";
}

namespace {

std::optional<ValueType> parse_value_type(std::string_view s) {
  for (auto t : {ValueType::kNumber, ValueType::kSeries, ValueType::kString, ValueType::kBool})
    if (value_type_name(t) == s) return t;
  return std::nullopt;
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<Semver> parse_semver(std::string_view s) {
  if (s.size() > 64) return std::nullopt;
  Semver v;
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    v.prerelease = std::string(s.substr(dash + 1));
    if (v.prerelease.empty()) return std::nullopt;
    for (char c : v.prerelease)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return std::nullopt;
    s = s.substr(0, dash);
  }
  const auto d1 = s.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : s.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  if (!parse_int(s.substr(0, d1), v.major) || !parse_int(s.substr(d1 + 1, d2 - d1 - 1), v.minor) ||
      !parse_int(s.substr(d2 + 1), v.patch))
    return std::nullopt;
  return v;
}

int compare_semver(const Semver& a, const Semver& b) {
  for (auto [x, y] : {std::pair{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}})
    if (x != y) return x < y ? -1 : 1;
  if (a.prerelease == b.prerelease) return 0;
  if (a.prerelease.empty()) return 1;
  if (b.prerelease.empty()) return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

Result<Value> value_from_json(const json::value& v, std::string_view where) {
  if (v.is_bool()) return Value{v.get_bool()};
  if (v.is_number()) {
    const double d = v.to_number<double>();
    if (!std::isfinite(d)) return fail(Errc::kInvalidArgument, fmt::format("{}: must be a finite number", where));
    return Value{d};
  }
  if (v.is_string()) return Value{std::string(v.get_string())};
  if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.size() > kMaxSeriesValues)
      return fail(Errc::kInvalidArgument, fmt::format("{}: more than {} values", where, kMaxSeriesValues));
    std::vector<double> out;
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_number())
        return fail(Errc::kInvalidArgument, fmt::format("{}[{}]: must be a number", where, i));
      out.push_back(a[i].to_number<double>());
    }
    return Value{std::move(out)};
  }
  return fail(Errc::kInvalidArgument,
              fmt::format("{}: must be a number, an array of numbers, a string or a boolean", where));
}

json::value value_to_json(const Value& v) {
  return std::visit(
      [](const auto& x) -> json::value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<double>>) {
          json::array a;
          a.reserve(x.size());
          for (double d : x) a.emplace_back(d);
          return a;
        } else if constexpr (std::is_same_v<T, std::string>) {
          return json::value(x);
        } else {
          return json::value(x);
        }
      },
      v);
}

namespace {

bool matches(const Value& v, ValueType t) {
  switch (t) {
    case ValueType::kNumber: return std::holds_alternative<double>(v);
    case ValueType::kSeries: return std::holds_alternative<std::vector<double>>(v);
    case ValueType::kString: return std::holds_alternative<std::string>(v);
    case ValueType::kBool: return std::holds_alternative<bool>(v);
  }
  return false;
}

std::string_view expected_text(ValueType t) {
  switch (t) {
    case ValueType::kNumber: return "must be a number";
    case ValueType::kSeries: return "must be an array of numbers";
    case ValueType::kString: return "must be a string";
    case ValueType::kBool: return "must be a boolean";
  }
  return "has the wrong type";
}

// Collects "<pointer>: why" problems while walking the manifest.
class Checker {
 public:

  void problem(const std::string& at, std::string_view why) { problems_.push_back(fmt::format("{}: {}", at, why)); }
  void raw(std::string text) { problems_.push_back(std::move(text)); }
  const std::vector<std::string>& problems() const { return problems_; }

  std::string text(const json::object& o, std::string_view key, const std::string& at, bool required,
                   std::size_t max_len) {
    auto* v = o.if_contains(key);
    const std::string here = at + "/" + std::string(key);
    if (!v) {
      if (required) problem(here, "is required");
      return {};
    }
    if (!v->is_string()) {
      problem(here, "must be a string");
      return {};
    }
    if (v->get_string().size() > max_len) problem(here, fmt::format("is longer than {} characters", max_len));
    if (required && v->get_string().empty()) problem(here, "must not be empty");
    return std::string(v->get_string());
  }

  std::vector<std::string> strings(const json::object& o, std::string_view key, const std::string& at) {
    std::vector<std::string> out;
    auto* v = o.if_contains(key);
    if (!v) return out;
    const std::string here = at + "/" + std::string(key);
    if (!v->is_array() || v->get_array().size() > 64) {
      problem(here, "must be an array of at most 64 strings");
      return out;
    }
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const auto& s = v->get_array()[i];
      if (!s.is_string() || s.get_string().empty() || s.get_string().size() > 64)
        problem(fmt::format("{}/{}", here, i), "must be a non-empty string of at most 64 characters");
      else
        out.emplace_back(s.get_string());
    }
    return out;
  }

  const json::object* object(const json::object& o, std::string_view key, const std::string& at, bool required) {
    auto* v = o.if_contains(key);
    if (!v) {
      if (required) problem(at + "/" + std::string(key), "is required");
      return nullptr;
    }
    if (!v->is_object()) {
      problem(at + "/" + std::string(key), "must be an object");
      return nullptr;
    }
    return &v->get_object();
  }

 private:
  std::vector<std::string> problems_;
};

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) && s[0] != '_') return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

bool valid_id(std::string_view s) {
  if (s.size() < 3 || s.size() > 128) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
          c == '-' || c == '_'))
      return false;
  return std::isalnum(static_cast<unsigned char>(s.front())) && std::isalnum(static_cast<unsigned char>(s.back()));
}

void parse_ports(Checker& c, const json::object& o, std::string_view key, bool inputs, std::vector<Port>& out) {
  const std::string at = "/" + std::string(key);
  auto* v = o.if_contains(key);
  if (!v || !v->is_array()) {
    c.problem(at, "must be an array");
    return;
  }
  const auto& a = v->get_array();
  if (a.size() > 64) c.problem(at, "at most 64 entries");
  if (!inputs && a.empty()) c.problem(at, "a model has at least one output");
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < a.size() && i < 64; ++i) {
    const std::string here = fmt::format("{}/{}", at, i);
    if (!a[i].is_object()) {
      c.problem(here, "must be an object {name, type, unit}");
      continue;
    }
    const auto& p = a[i].get_object();
    Port port;
    port.name = c.text(p, "name", here, true, 64);
    if (!port.name.empty() && !valid_name(port.name))
      c.problem(here + "/name", "must be an identifier (letters, digits, _; not starting with a digit)");
    else if (!port.name.empty() && !seen.insert(port.name).second)
      c.problem(here + "/name", fmt::format("duplicate {} {}", inputs ? "input" : "output", port.name));
    const std::string type = c.text(p, "type", here, true, 16);
    if (auto t = parse_value_type(type)) port.type = *t;
    else if (!type.empty()) c.problem(here + "/type", "must be one of number, series, string, bool");
    port.unit = c.text(p, "unit", here, false, 32);
    port.description = c.text(p, "description", here, false, 1024);
    if (auto* r = p.if_contains("required")) {
      if (!r->is_bool()) c.problem(here + "/required", "must be a boolean");
      else port.required = r->get_bool();
    }
    out.push_back(std::move(port));
  }
}

std::optional<double> number_field(Checker& c, const json::object& p, std::string_view key, const std::string& here) {
  auto* v = p.if_contains(key);
  if (!v) return std::nullopt;
  if (!v->is_number() || !std::isfinite(v->to_number<double>())) {
    c.problem(here + "/" + std::string(key), "must be a number");
    return std::nullopt;
  }
  return v->to_number<double>();
}

Status check_parameter_value(const Parameter& p, const Value& v, std::string_view where);

void parse_parameters(Checker& c, const json::object& o, std::vector<Parameter>& out) {
  auto* v = o.if_contains("parameters");
  if (!v) return;
  if (!v->is_array() || v->get_array().size() > 64) {
    c.problem("/parameters", "must be an array of at most 64 parameters");
    return;
  }
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < v->get_array().size(); ++i) {
    const std::string here = fmt::format("/parameters/{}", i);
    const auto& e = v->get_array()[i];
    if (!e.is_object()) {
      c.problem(here, "must be an object {name, type, unit, default, min, max}");
      continue;
    }
    const auto& p = e.get_object();
    Parameter par;
    par.name = c.text(p, "name", here, true, 64);
    if (!par.name.empty() && !valid_name(par.name)) c.problem(here + "/name", "must be an identifier");
    else if (!par.name.empty() && !seen.insert(par.name).second) c.problem(here + "/name", "duplicate parameter " + par.name);
    const std::string type = c.text(p, "type", here, true, 16);
    if (auto t = parse_value_type(type)) par.type = *t;
    else if (!type.empty()) c.problem(here + "/type", "must be one of number, series, string, bool");
    par.unit = c.text(p, "unit", here, false, 32);
    par.description = c.text(p, "description", here, false, 1024);
    par.min = number_field(c, p, "min", here);
    par.max = number_field(c, p, "max", here);
    if (par.min && par.max && *par.min > *par.max) c.problem(here + "/max", "must not be below min");
    par.options = c.strings(p, "options", here);
    if (auto* d = p.if_contains("default")) {
      auto dv = value_from_json(*d, here + "/default");
      if (!dv) c.problem(here + "/default", "must be a number, an array of numbers, a string or a boolean");
      else if (auto st = check_parameter_value(par, *dv, here + "/default"); !st) c.raw(st.error().message);
      else par.default_value = std::move(*dv);
    }
    out.push_back(std::move(par));
  }
}

void parse_implementation(Checker& c, const json::object& o, Manifest& m) {
  const json::object* impl = c.object(o, "implementation", "", true);
  if (!impl) return;
  const std::string kind = c.text(*impl, "kind", "/implementation", true, 16);
  if (kind == "builtin") {
    m.kind = ImplKind::kBuiltin;
    m.kernel = c.text(*impl, "kernel", "/implementation", true, 64);
    if (!m.kernel.empty() && !find_kernel(m.kernel)) c.problem("/implementation/kernel", "unknown built-in kernel " + m.kernel);
  } else if (kind == "lua") {
    m.kind = ImplKind::kLua;
    m.script = c.text(*impl, "script", "/implementation", true, 256 * 1024);
    if (!m.script.empty()) {
      if (auto st = rules::Sandbox::check_syntax(m.script); !st) c.problem("/implementation/script", st.error().message);
    }
    if (const json::object* ode = c.object(*impl, "ode", "/implementation", false)) {
      m.ode_state = c.strings(*ode, "state", "/implementation/ode");
      if (m.ode_state.empty()) c.problem("/implementation/ode/state", "must name at least one state variable");
    }
  } else if (kind == "workflow") {
    m.kind = ImplKind::kWorkflow;
    if (auto* w = impl->if_contains("workflow")) {
      auto wf = parse_workflow(*w, "/implementation/workflow");
      if (!wf) c.raw(wf.error().message);  // already "<pointer>: why"
      else m.workflow = std::move(*wf);
    } else {
      c.problem("/implementation/workflow", "is required");
    }
  } else if (!kind.empty()) {
    c.problem("/implementation/kind", "must be one of builtin, lua, workflow");
  }
}

// Cross-field checks once everything parsed.
void check_consistency(Checker& c, const Manifest& m) {
  if (m.kind == ImplKind::kLua && !m.ode_state.empty()) {
    for (std::size_t i = 0; i < m.ode_state.size(); ++i) {
      bool found = false;
      for (const auto& in : m.inputs) found = found || (in.name == m.ode_state[i] && in.type == ValueType::kNumber);
      if (!found)
        c.problem(fmt::format("/implementation/ode/state/{}", i),
                  "each state variable needs a number input of the same name (its initial value)");
    }
    for (std::string_view p : {"h", "duration"}) {
      bool found = false;
      for (const auto& par : m.parameters) found = found || (par.name == p && par.type == ValueType::kNumber);
      if (!found) c.problem("/parameters", fmt::format("an ODE model needs a number parameter {}", p));
    }
  }
}

}  // namespace

Result<Manifest> parse_manifest(const json::value& v, std::vector<std::string>* problems) {
  if (!v.is_object()) {
    if (problems) problems->push_back(": the manifest must be a JSON object");
    return fail(Errc::kInvalidArgument, "manifest: must be a JSON object");
  }
  const auto& o = v.get_object();
  Checker c;
  Manifest m;
  static constexpr std::string_view kKnown[] = {"id", "version", "name", "description", "type", "inputs", "outputs",
                                                "parameters", "author", "publisher", "tags", "industries",
                                                "implementation"};
  for (const auto& [k, _] : o) {
    bool known = false;
    for (auto n : kKnown) known = known || n == k;
    if (!known) c.problem("/" + std::string(k), "unknown field");
  }
  m.id = c.text(o, "id", "", true, 128);
  if (!m.id.empty() && !valid_id(m.id))
    c.problem("/id", "must be 3..128 characters of a-z, 0-9, '.', '-', '_' starting and ending alphanumeric");
  m.version = c.text(o, "version", "", true, 64);
  if (auto sv = parse_semver(m.version)) m.semver = *sv;
  else if (!m.version.empty()) c.problem("/version", "must be a semantic version like 1.2.0");
  if (const json::object* name = c.object(o, "name", "", true)) {
    m.name_zh = c.text(*name, "zh", "/name", true, 128);
    m.name_en = c.text(*name, "en", "/name", true, 128);
  }
  if (const json::object* d = c.object(o, "description", "", false)) {
    m.description_zh = c.text(*d, "zh", "/description", false, 4096);
    m.description_en = c.text(*d, "en", "/description", false, 4096);
  }
  const std::string type = c.text(o, "type", "", true, 32);
  if (auto t = parse_model_type(type)) m.type = *t;
  else if (!type.empty())
    c.problem("/type", "must be one of research_simulation, business_process, mechanism, data_algorithm");
  parse_ports(c, o, "inputs", true, m.inputs);
  parse_ports(c, o, "outputs", false, m.outputs);
  parse_parameters(c, o, m.parameters);
  m.author = c.text(o, "author", "", true, 128);
  m.publisher = c.text(o, "publisher", "", false, 128);
  m.tags = c.strings(o, "tags", "");
  m.industries = c.strings(o, "industries", "");
  parse_implementation(c, o, m);
  if (c.problems().empty()) check_consistency(c, m);
  if (!c.problems().empty()) {
    if (problems) *problems = c.problems();
    std::string msg;
    for (const auto& p : c.problems()) msg += (msg.empty() ? "" : "; ") + p;
    return fail(Errc::kInvalidArgument, "manifest: " + msg);
  }
  m.json = v;
  return m;
}

namespace {

Status check_parameter_value(const Parameter& p, const Value& v, std::string_view where) {
  if (!matches(v, p.type)) return fail(Errc::kInvalidArgument, fmt::format("{}: {}", where, expected_text(p.type)));
  auto in_range = [&](double d) -> Status {
    if (p.min && d < *p.min) return fail(Errc::kInvalidArgument, fmt::format("{}: must be ≥ {}", where, *p.min));
    if (p.max && d > *p.max) return fail(Errc::kInvalidArgument, fmt::format("{}: must be ≤ {}", where, *p.max));
    return ok();
  };
  if (auto* d = std::get_if<double>(&v)) return in_range(*d);
  if (auto* s = std::get_if<std::vector<double>>(&v)) {
    for (double d : *s) KAIWU_TRY_STATUS(in_range(d));
  }
  if (auto* s = std::get_if<std::string>(&v); s && !p.options.empty()) {
    for (const auto& o : p.options)
      if (o == *s) return ok();
    std::string list;
    for (const auto& o : p.options) list += (list.empty() ? "" : ", ") + o;
    return fail(Errc::kInvalidArgument, fmt::format("{}: must be one of {}", where, list));
  }
  return ok();
}

}  // namespace

namespace {

template <typename T>
const T* by_name(const std::vector<T>& items, std::string_view name) {
  for (const auto& item : items)
    if (item.name == name) return &item;
  return nullptr;
}

}  // namespace

Result<Values> bind_inputs(const Manifest& m, const Values& given) {
  Values out;
  for (const auto& [name, v] : given) {
    const Port* port = by_name(m.inputs, name);
    if (!port) return fail(Errc::kInvalidArgument, fmt::format("inputs.{}: not an input of this model", name));
    if (!matches(v, port->type))
      return fail(Errc::kInvalidArgument, fmt::format("inputs.{}: {}", name, expected_text(port->type)));
    out.emplace(name, v);
  }
  for (const auto& p : m.inputs)
    if (p.required && !out.contains(p.name))
      return fail(Errc::kInvalidArgument, fmt::format("inputs.{}: is required", p.name));
  return out;
}

Result<Values> bind_parameters(const Manifest& m, const Values& given) {
  Values out;
  for (const auto& [name, v] : given) {
    const Parameter* par = by_name(m.parameters, name);
    if (!par) return fail(Errc::kInvalidArgument, fmt::format("parameters.{}: not a parameter of this model", name));
    KAIWU_TRY_STATUS(check_parameter_value(*par, v, "parameters." + name));
    out.emplace(name, v);
  }
  for (const auto& p : m.parameters) {
    if (out.contains(p.name)) continue;
    if (!p.default_value) return fail(Errc::kInvalidArgument, fmt::format("parameters.{}: is required", p.name));
    out.emplace(p.name, *p.default_value);
  }
  return out;
}

Result<Values> check_outputs(const Manifest& m, Values produced) {
  Values out;
  for (const auto& p : m.outputs) {
    auto it = produced.find(p.name);
    if (it == produced.end()) return fail(Errc::kInvalidArgument, fmt::format("output {}: was not produced", p.name));
    if (!matches(it->second, p.type))
      return fail(Errc::kInvalidArgument, fmt::format("output {}: {}", p.name, expected_text(p.type)));
    if (auto* d = std::get_if<double>(&it->second); d && !std::isfinite(*d))
      return fail(Errc::kInvalidArgument, fmt::format("output {}: is not a finite number", p.name));
    out.emplace(p.name, std::move(it->second));
  }
  return out;
}

}  // namespace kaiwu::models

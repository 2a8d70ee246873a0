#include "edge/config.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "core/json_parse.hpp"

namespace kaiwu::edge {
namespace {

std::optional<std::string> scalar_text(const toml::node& node) {
  if (node.is_string()) return *node.value<std::string>();
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());
  return std::nullopt;
}

// Reads typed values from one TOML table, naming `where` ("edge.toml: [uplink]") in errors.
class Reader {
 public:
  Reader(const toml::table& t, std::string where) : t_(t), where_(std::move(where)) {}

  Status string(std::string_view key, std::string& out, bool required = false) {
    used_.insert(std::string(key));
    const auto* n = t_.get(key);
    if (!n) return required ? missing(key) : ok();
    auto text = scalar_text(*n);
    if (!text) return bad(key, "must be a string");
    out = *text;
    return ok();
  }
  template <typename T>
  Status integer(std::string_view key, T& out, std::int64_t lo, std::int64_t hi, bool required = false) {
    used_.insert(std::string(key));
    const auto* n = t_.get(key);
    if (!n) return required ? missing(key) : ok();
    auto v = n->value<std::int64_t>();
    if (!n->is_integer() || !v || *v < lo || *v > hi)
      return bad(key, fmt::format("must be an integer in {}..{}", lo, hi));
    out = static_cast<T>(*v);
    return ok();
  }
  Status number(std::string_view key, double& out) {
    used_.insert(std::string(key));
    const auto* n = t_.get(key);
    if (!n) return ok();
    if (!n->is_number()) return bad(key, "must be a number");
    out = *n->value<double>();
    return ok();
  }
  Status boolean(std::string_view key, bool& out) {
    used_.insert(std::string(key));
    const auto* n = t_.get(key);
    if (!n) return ok();
    if (!n->is_boolean()) return bad(key, "must be true or false");
    out = *n->value<bool>();
    return ok();
  }
  // Keys not read so far (the caller decides whether they are errors or options).
  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : t_)
      if (!used_.contains(std::string(k.str()))) out.emplace_back(k.str());
    return out;
  }
  std::unexpected<Error> bad(std::string_view key, std::string_view why) const {
    return fail(Errc::kInvalidArgument, fmt::format("{}: {}: {}", where_, key, why));
  }
  std::unexpected<Error> missing(std::string_view key) const {
    return fail(Errc::kInvalidArgument, fmt::format("{}: {}: missing (required)", where_, key));
  }
  const toml::table& table() const { return t_; }

 private:
  const toml::table& t_;
  std::string where_;
  std::set<std::string> used_;
};

Status parse_point(const toml::table& t, const std::string& where, drivers::PointConfig& p) {
  Reader r(t, where);
  KAIWU_TRY_STATUS(r.string("key", p.key, true));
  KAIWU_TRY_STATUS(r.string("address", p.address, true));
  std::string type = "float64", order = "ABCD";
  KAIWU_TRY_STATUS(r.string("type", type));
  KAIWU_TRY_STATUS(r.string("order", order));
  auto dt = drivers::parse_data_type(type);
  if (!dt) return r.bad("type", dt.error().message);
  p.type = *dt;
  auto bo = drivers::parse_byte_order(order);
  if (!bo) return r.bad("order", bo.error().message);
  p.order = *bo;
  KAIWU_TRY_STATUS(r.number("scale", p.scale));
  if (p.scale == 0) return r.bad("scale", "must not be 0");
  KAIWU_TRY_STATUS(r.number("offset", p.offset));
  KAIWU_TRY_STATUS(r.string("unit", p.unit));
  if (t.get("deadband")) {
    double d = 0;
    KAIWU_TRY_STATUS(r.number("deadband", d));
    if (d < 0) return r.bad("deadband", "must not be negative");
    p.deadband = d;
  }
  KAIWU_TRY_STATUS(r.boolean("writable", p.writable));
  KAIWU_TRY_STATUS(r.integer("length", p.length, 0, 65535));
  KAIWU_TRY_STATUS(r.integer("interval_ms", p.interval_ms, 0, 86'400'000));
  if (p.type == drivers::DataType::kString && p.length == 0)
    return r.bad("length", "required for type \"string\" (bytes)");
  if (auto extra = r.unused(); !extra.empty()) return r.bad(extra.front(), "unknown key");
  return ok();
}

Status parse_device(const toml::table& t, const std::string& origin, std::size_t index, DeviceConfig& d) {
  std::string name;
  if (const auto* n = t.get("name"); n && n->is_string()) name = *n->value<std::string>();
  std::string where = name.empty() ? fmt::format("{}: device #{}", origin, index + 1)
                                   : fmt::format("{}: device \"{}\"", origin, name);
  Reader r(t, where);
  KAIWU_TRY_STATUS(r.string("name", d.settings.name, true));
  if (d.settings.name.empty()) return r.bad("name", "must not be empty");
  KAIWU_TRY_STATUS(r.string("driver", d.driver, true));
  KAIWU_TRY_STATUS(r.string("endpoint", d.settings.endpoint));
  KAIWU_TRY_STATUS(r.integer("interval_ms", d.interval_ms, 10, 86'400'000));
  KAIWU_TRY_STATUS(r.string("category", d.category));
  static const std::set<std::string> kCategories{"running", "processing", "mobile", "other"};
  if (!kCategories.contains(d.category)) return r.bad("category", "must be running, processing, mobile or other");
  std::uint32_t timeout_ms = 1000;
  KAIWU_TRY_STATUS(r.integer("timeout_ms", timeout_ms, 1, 600'000));
  d.settings.timeout = std::chrono::milliseconds(timeout_ms);
  KAIWU_TRY_STATUS(r.integer("retries", d.settings.retries, 0, 10));
  KAIWU_TRY_STATUS(r.boolean("subscribe", d.subscribe));
  (void)r.string("point", name);  // marks the key used; read below
  const auto* points = t.get("point");
  if (points && !points->is_array_of_tables()) return r.bad("point", "must be [[device.point]] tables");
  if (points) {
    std::set<std::string> keys;
    std::size_t i = 0;
    for (const auto& node : *points->as_array()) {
      const auto& pt = *node.as_table();
      std::string key;
      if (const auto* k = pt.get("key"); k && k->is_string()) key = *k->value<std::string>();
      std::string pwhere = key.empty() ? fmt::format("{} point #{}", where, i + 1)
                                       : fmt::format("{} point \"{}\"", where, key);
      drivers::PointConfig p;
      KAIWU_TRY_STATUS(parse_point(pt, pwhere, p));
      if (!keys.insert(p.key).second) return fail(Errc::kInvalidArgument, pwhere + ": key: duplicate");
      d.points.push_back(std::move(p));
      ++i;
    }
  }
  // Every other scalar is a protocol option (unit, security, mode, username, meter_address, mn…).
  for (const auto& k : r.unused()) {
    auto text = scalar_text(*t.get(k));
    if (!text) return r.bad(k, "must be a string, number or boolean (protocol option)");
    d.settings.options[k] = *text;
  }
  return ok();
}

// "section.key=value" → the table; the value's TOML type is guessed (integer, float, bool,
// else string); strings are accepted wherever a string is expected.
Status apply_set(toml::table& root, const std::string& set, std::string_view origin) {
  auto eq = set.find('=');
  auto dot = set.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    return fail(Errc::kInvalidArgument, fmt::format("{}: --set \"{}\": expected section.key=value", origin, set));
  std::string section = set.substr(0, dot), key = set.substr(dot + 1, eq - dot - 1), value = set.substr(eq + 1);
  if (section != "uplink" && section != "log")
    return fail(Errc::kInvalidArgument, fmt::format("{}: --set \"{}\": only uplink.* and log.* can be set", origin, set));
  auto* table = root[section].as_table();
  if (!table) {
    root.insert_or_assign(section, toml::table{});
    table = root[section].as_table();
  }
  std::int64_t i = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), i);
  if (ec == std::errc{} && end == value.data() + value.size() && !value.empty())
    table->insert_or_assign(key, i);
  else if (value == "true" || value == "false")
    table->insert_or_assign(key, value == "true");
  else
    table->insert_or_assign(key, value);
  return ok();
}

Status parse_uplink(const toml::table& t, const std::string& origin, UplinkConfig& u) {
  Reader r(t, origin + ": [uplink]");
  KAIWU_TRY_STATUS(r.string("url", u.url, true));
  KAIWU_TRY_STATUS(r.string("token", u.token, true));
  if (u.token.empty()) return r.bad("token", "must not be empty (the gateway device's access token)");
  KAIWU_TRY_STATUS(r.string("buffer_dir", u.buffer_dir));
  KAIWU_TRY_STATUS(r.integer("buffer_max_mb", u.buffer_max_mb, 1, 1'048'576));
  KAIWU_TRY_STATUS(r.integer("keepalive_s", u.keepalive_s, 5, 3600));
  KAIWU_TRY_STATUS(r.integer("max_inflight", u.max_inflight, 1, 65535));
  KAIWU_TRY_STATUS(r.string("ca_file", u.ca_file));
  KAIWU_TRY_STATUS(r.boolean("insecure", u.insecure));
  KAIWU_TRY_STATUS(r.string("client_id", u.client_id));
  if (auto extra = r.unused(); !extra.empty()) return r.bad(extra.front(), "unknown key");
  if (auto st = parse_uplink_url(u); !st) return r.bad("url", st.error().message);
  if (u.client_id.empty()) u.client_id = "kaiwu-edge-" + u.token.substr(0, 8);
  return ok();
}

// Where a converted JSON value goes: appended to an array or set as a table's key.
struct TomlSink {
  toml::array* array = nullptr;
  toml::table* table = nullptr;
  std::string key;
  template <typename T>
  void operator()(T&& value) {
    if (array) array->push_back(std::forward<T>(value));
    else table->insert_or_assign(key, std::forward<T>(value));
  }
};

// A JSON value as the TOML node the file parser reads ("points" becomes "point"), so both
// sources share one set of rules and messages.
Status json_to_toml(const boost::json::value& v, const std::string& where, TomlSink& put) {
  switch (v.kind()) {
    case boost::json::kind::bool_: put(v.get_bool()); return ok();
    case boost::json::kind::int64: put(v.get_int64()); return ok();
    case boost::json::kind::uint64:
      if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) break;
      put(static_cast<std::int64_t>(v.get_uint64()));
      return ok();
    case boost::json::kind::double_: put(v.get_double()); return ok();
    case boost::json::kind::string: put(std::string(v.get_string())); return ok();
    case boost::json::kind::array: {
      toml::array out;
      TomlSink into{&out, nullptr, {}};
      for (const auto& e : v.get_array()) KAIWU_TRY_STATUS(json_to_toml(e, where, into));
      put(std::move(out));
      return ok();
    }
    case boost::json::kind::object: {
      toml::table out;
      TomlSink into{nullptr, &out, {}};
      for (const auto& [k, e] : v.get_object()) {
        into.key = k == "points" ? std::string("point") : std::string(k);
        KAIWU_TRY_STATUS(json_to_toml(e, where, into));
      }
      put(std::move(out));
      return ok();
    }
    case boost::json::kind::null: break;
  }
  return fail(Errc::kInvalidArgument, where + ": null or out-of-range values are not allowed");
}

}  // namespace

Result<RemoteConfig> parse_remote_config(std::string_view json_text, std::string_view origin) {
  auto doc = parse_json(json_text);
  if (!doc) return fail(Errc::kInvalidArgument, fmt::format("{}: {}", origin, doc.error().message));
  if (!doc->is_object()) return fail(Errc::kInvalidArgument, fmt::format("{}: expected a JSON object", origin));
  RemoteConfig out;
  std::string where(origin);
  const auto& o = doc->as_object();
  for (const auto& [k, v] : o)
    if (k != "version" && k != "devices")
      return fail(Errc::kInvalidArgument, fmt::format("{}: unknown key \"{}\" (version, devices)", origin, std::string(k)));
  if (const auto* v = o.if_contains("version")) {
    if (!v->is_int64() || v->get_int64() < 0)
      return fail(Errc::kInvalidArgument, fmt::format("{}: version: must be a non-negative integer", origin));
    out.version = v->get_int64();
    where = fmt::format("{} v{}", origin, *out.version);
  }
  const auto* devices = o.if_contains("devices");
  if (!devices || !devices->is_array())
    return fail(Errc::kInvalidArgument, fmt::format("{}: devices: missing (an array of devices)", where));
  std::set<std::string> names;
  std::size_t i = 0;
  for (const auto& dv : devices->get_array()) {
    if (!dv.is_object())
      return fail(Errc::kInvalidArgument, fmt::format("{}: device #{}: expected a JSON object", where, i + 1));
    if (const auto* pts = dv.get_object().if_contains("points");
        pts && (!pts->is_array() || std::any_of(pts->get_array().begin(), pts->get_array().end(),
                                                 [](const auto& p) { return !p.is_object(); })))
      return fail(Errc::kInvalidArgument, fmt::format("{}: device #{}: points: must be an array of objects", where, i + 1));
    toml::table holder;
    TomlSink into{nullptr, &holder, "device"};
    KAIWU_TRY_STATUS(json_to_toml(dv, fmt::format("{}: device #{}", where, i + 1), into));
    DeviceConfig d;
    KAIWU_TRY_STATUS(parse_device(*holder["device"].as_table(), where, i++, d));
    if (!names.insert(d.settings.name).second)
      return fail(Errc::kInvalidArgument, fmt::format("{}: device \"{}\": name: duplicate", where, d.settings.name));
    out.devices.push_back(std::move(d));
  }
  return out;
}

Status parse_uplink_url(UplinkConfig& u) {
  std::string_view url = u.url;
  if (url.starts_with("mqtt://")) {
    u.tls = false;
    u.port = 1883;
    url.remove_prefix(7);
  } else if (url.starts_with("mqtts://")) {
    u.tls = true;
    u.port = 8883;
    url.remove_prefix(8);
  } else {
    return fail(Errc::kInvalidArgument, fmt::format("\"{}\" must start with mqtt:// or mqtts://", u.url));
  }
  if (auto slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  std::string_view host = url, port_text;
  if (url.starts_with('[')) {  // [v6]:port
    auto close = url.find(']');
    if (close == std::string_view::npos) return fail(Errc::kInvalidArgument, fmt::format("\"{}\": bad host", u.url));
    host = url.substr(1, close - 1);
    if (close + 1 < url.size() && url[close + 1] == ':') port_text = url.substr(close + 2);
  } else if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port_text = url.substr(colon + 1);
  }
  if (!port_text.empty() || url.ends_with(':')) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return fail(Errc::kInvalidArgument, fmt::format("\"{}\": bad port", u.url));
    u.port = static_cast<std::uint16_t>(port);
  }
  url = host;
  if (url.empty()) return fail(Errc::kInvalidArgument, fmt::format("\"{}\": no host", u.url));
  u.host = std::string(url);
  return ok();
}

Result<EdgeConfig> parse_edge_config(std::string_view text, std::string_view origin,
                                     const std::vector<std::string>& sets) {
  EdgeConfig c;
  c.origin = std::string(origin);
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return fail(Errc::kInvalidArgument,
                fmt::format("{}:{}:{}: {}", origin, where.line, where.column, std::string(e.description())));
  }
  for (const auto& s : sets) KAIWU_TRY_STATUS(apply_set(root, s, origin));
  for (const auto& [k, v] : root) {
    if (k == "uplink" || k == "device" || k == "log") continue;
    return fail(Errc::kInvalidArgument, fmt::format("{}: unknown top-level key \"{}\" (uplink, log, device)", origin, k.str()));
  }
  const auto* uplink = root.get_as<toml::table>("uplink");
  if (!uplink) return fail(Errc::kInvalidArgument, fmt::format("{}: [uplink] is missing", origin));
  KAIWU_TRY_STATUS(parse_uplink(*uplink, c.origin, c.uplink));
  if (const auto* log = root.get_as<toml::table>("log")) {
    Reader r(*log, c.origin + ": [log]");
    KAIWU_TRY_STATUS(r.string("level", c.log_level));
    if (auto extra = r.unused(); !extra.empty()) return r.bad(extra.front(), "unknown key");
  }
  const auto* devices = root.get("device");
  if (devices && !devices->is_array_of_tables())
    return fail(Errc::kInvalidArgument, fmt::format("{}: device: must be [[device]] tables", origin));
  if (devices) {
    std::set<std::string> names;
    std::size_t i = 0;
    for (const auto& node : *devices->as_array()) {
      DeviceConfig d;
      KAIWU_TRY_STATUS(parse_device(*node.as_table(), c.origin, i++, d));
      if (!names.insert(d.settings.name).second)
        return fail(Errc::kInvalidArgument, fmt::format("{}: device \"{}\": name: duplicate", origin, d.settings.name));
      c.devices.push_back(std::move(d));
    }
  }
  return c;
}

Result<EdgeConfig> load_edge_config(const std::string& path, const std::vector<std::string>& sets) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kInvalidArgument, fmt::format("{}: cannot read the edge configuration", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_edge_config(ss.str(), path, sets);
}

Status validate_devices(const EdgeConfig& config, const DriverLookup& lookup,
                        drivers::asio::any_io_executor executor) {
  for (const auto& d : config.devices) {
    auto driver = lookup(d.driver, executor);
    if (!driver)
      return fail(Errc::kInvalidArgument,
                  fmt::format("{}: device \"{}\": driver: {}", config.origin, d.settings.name, driver.error().message));
    if (auto st = (*driver)->validate(d.settings, d.points); !st)
      return fail(Errc::kInvalidArgument,
                  fmt::format("{}: device \"{}\": {}", config.origin, d.settings.name, st.error().message));
    if (d.subscribe && !(*driver)->info().can_subscribe)
      return fail(Errc::kInvalidArgument, fmt::format("{}: device \"{}\": subscribe: driver {} cannot push values",
                                                      config.origin, d.settings.name, d.driver));
  }
  return ok();
}

}  // namespace kaiwu::edge

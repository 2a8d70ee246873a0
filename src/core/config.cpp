#include "core/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <optional>
#include <toml++/toml.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

extern char** environ;

namespace kaiwu {
namespace {

using Setter = std::function<Status(Config&, const std::string&)>;
using Getter = std::function<std::string(const Config&)>;

struct Key {
  std::string name;  // "section.key"
  Setter set;
  Getter get;
};

Status bad(const std::string& key, const std::string& value, const std::string& origin,
           const std::string& why) {
  return fail(Errc::kInvalidArgument,
              fmt::format("{}: \"{}\" (from {}) {}", key, value, origin, why));
}

template <typename Int>
Key int_key(std::string name, Int min, Int max,
            std::function<Int&(Config&)> field) {
  Key k;
  k.name = name;
  k.set = [name, min, max, field](Config& c, const std::string& v) -> Status {
    Int out{};
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || p != v.data() + v.size() || out < min || out > max)
      return fail(Errc::kInvalidArgument, fmt::format("is not an integer in {}..{}", min, max));
    field(c) = out;
    return ok();
  };
  k.get = [field](const Config& c) { return std::to_string(field(const_cast<Config&>(c))); };
  return k;
}

Key string_key(std::string name, std::function<std::string&(Config&)> field,
               std::vector<std::string> allowed = {}) {
  Key k;
  k.name = name;
  k.set = [field, allowed](Config& c, const std::string& v) -> Status {
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end())
      return fail(Errc::kInvalidArgument, fmt::format("is not one of {}", fmt::join(allowed, ", ")));
    field(c) = v;
    return ok();
  };
  k.get = [field](const Config& c) { return field(const_cast<Config&>(c)); };
  return k;
}

const std::vector<Key>& schema() {
  static const std::vector<Key> keys = [] {
    std::vector<Key> k;
    k.push_back(string_key("http.address", [](Config& c) -> auto& { return c.http.address; }));
    k.push_back(int_key<std::uint16_t>("http.port", 1, 65535,
                                       [](Config& c) -> auto& { return c.http.port; }));
    k.push_back(int_key<std::uint16_t>("http.tls_port", 1, 65535,
                                       [](Config& c) -> auto& { return c.http.tls_port; }));
    k.push_back(string_key("http.cert", [](Config& c) -> auto& { return c.http.cert; }));
    k.push_back(string_key("http.key", [](Config& c) -> auto& { return c.http.key; }));
    k.push_back(int_key<std::uint64_t>("http.max_body_bytes", 1024, 1ULL << 32,
                                       [](Config& c) -> auto& { return c.http.max_body_bytes; }));
    k.push_back(int_key<std::uint32_t>("http.header_timeout_ms", 100, 600'000,
                                       [](Config& c) -> auto& { return c.http.header_timeout_ms; }));
    k.push_back(int_key<std::uint32_t>("http.idle_timeout_ms", 100, 3'600'000,
                                       [](Config& c) -> auto& { return c.http.idle_timeout_ms; }));
    k.push_back(int_key<std::uint32_t>("http.threads", 1, 256,
                                       [](Config& c) -> auto& { return c.http.threads; }));
    k.push_back(string_key("http.web_root", [](Config& c) -> auto& { return c.http.web_root; }));
    k.push_back(string_key("mqtt.address", [](Config& c) -> auto& { return c.mqtt.address; }));
    k.push_back(int_key<std::uint16_t>("mqtt.port", 1, 65535,
                                       [](Config& c) -> auto& { return c.mqtt.port; }));
    k.push_back(int_key<std::uint16_t>("mqtt.tls_port", 1, 65535,
                                       [](Config& c) -> auto& { return c.mqtt.tls_port; }));
    k.push_back(string_key("mqtt.client_ca", [](Config& c) -> auto& { return c.mqtt.client_ca; }));
    k.push_back(int_key<std::uint32_t>("mqtt.connects_per_minute_per_address", 0, 1'000'000,
                                       [](Config& c) -> auto& { return c.mqtt.connects_per_minute_per_address; }));
    k.push_back(int_key<std::uint32_t>("mqtt.max_packet_bytes", 1024, 256u << 20,
                                       [](Config& c) -> auto& { return c.mqtt.max_packet_bytes; }));
    k.push_back(string_key("storage.durability",
                           [](Config& c) -> auto& { return c.storage.durability; },
                           {"fsync", "batch", "none"}));
    k.push_back(string_key("meta.backend", [](Config& c) -> auto& { return c.meta.backend; },
                           {"sqlite", "postgres"}));
    k.push_back(
        string_key("meta.postgres_url", [](Config& c) -> auto& { return c.meta.postgres_url; }));
    k.push_back(string_key("tsdb.backend", [](Config& c) -> auto& { return c.tsdb.backend; },
                           {"embedded", "clickhouse"}));
    k.push_back(string_key("tsdb.clickhouse_url", [](Config& c) -> auto& { return c.tsdb.clickhouse_url; }));
    k.push_back(string_key("tsdb.clickhouse_database",
                           [](Config& c) -> auto& { return c.tsdb.clickhouse_database; }));
    k.push_back(string_key("log.level", [](Config& c) -> auto& { return c.log.level; },
                           {"trace", "debug", "info", "warn", "error"}));
    k.push_back(string_key("log.format", [](Config& c) -> auto& { return c.log.format; },
                           {"text", "json"}));
    k.push_back(int_key<std::uint32_t>("auth.token_ttl_s", 60, 30 * 86400,
                                       [](Config& c) -> auto& { return c.auth.token_ttl_s; }));
    k.push_back(int_key<std::uint32_t>(
        "auth.login_attempts_per_minute", 1, 10'000,
        [](Config& c) -> auto& { return c.auth.login_attempts_per_minute; }));
    k.push_back(string_key("auth.jwt_key_file", [](Config& c) -> auto& { return c.auth.jwt_key_file; }));
    k.push_back(string_key("apps.trusted_keys", [](Config& c) -> auto& { return c.apps.trusted_keys; }));
    k.push_back(string_key("apps.builtin_dir", [](Config& c) -> auto& { return c.apps.builtin_dir; }));
    k.push_back(string_key("apps.http_outbound", [](Config& c) -> auto& { return c.apps.http_outbound; }, {"off", "on"}));
    k.push_back(string_key("bus.backend", [](Config& c) -> auto& { return c.bus.backend; }, {"inprocess", "nats"}));
    k.push_back(string_key("bus.nats_url", [](Config& c) -> auto& { return c.bus.nats_url; }));
    k.push_back(int_key<std::uint32_t>("bus.replicas", 1, 5, [](Config& c) -> auto& { return c.bus.replicas; }));
    k.push_back(string_key("bus.node_name", [](Config& c) -> auto& { return c.bus.node_name; }));
    k.push_back(string_key("bus.cross_node", [](Config& c) -> auto& { return c.bus.cross_node; }, {"on", "off"}));
    k.push_back(int_key<std::uint32_t>("bus.lease_ms", 1'000, 600'000, [](Config& c) -> auto& { return c.bus.lease_ms; }));
    k.push_back(string_key("smtp.url", [](Config& c) -> auto& { return c.smtp.url; }));
    k.push_back(string_key("smtp.from", [](Config& c) -> auto& { return c.smtp.from; }));
    k.push_back(string_key("smtp.user", [](Config& c) -> auto& { return c.smtp.user; }));
    k.push_back(string_key("smtp.password", [](Config& c) -> auto& { return c.smtp.password; }));
    k.push_back(string_key("portal.public_url", [](Config& c) -> auto& { return c.portal.public_url; }));
    k.push_back(int_key<std::uint32_t>("portal.token_ttl_s", 1, 30 * 86400,
                                       [](Config& c) -> auto& { return c.portal.token_ttl_s; }));
    k.push_back(int_key<std::uint32_t>("portal.resend_interval_s", 0, 86400,
                                       [](Config& c) -> auto& { return c.portal.resend_interval_s; }));
    k.push_back(int_key<std::uint32_t>("portal.sandbox_interval_ms", 100, 3'600'000,
                                       [](Config& c) -> auto& { return c.portal.sandbox_interval_ms; }));
    return k;
  }();
  return keys;
}

const Key* find_key(std::string_view name) {
  for (const auto& k : schema())
    if (k.name == name) return &k;
  return nullptr;
}

std::string env_name(const std::string& key) {
  std::string out = "KAIWU_";
  for (char ch : key) out += ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
  return out;
}

Status apply(Config& c, const std::string& key, const std::string& value,
             const std::string& origin) {
  const Key* k = find_key(key);
  if (!k) return fail(Errc::kInvalidArgument, fmt::format("{}: unknown configuration key (from {})", key, origin));
  auto st = k->set(c, value);
  if (!st) return bad(key, value, origin, st.error().message);
  return ok();
}

// The text of a scalar as the schema's setters read it; nullopt for dates and times, which no
// key takes.
std::optional<std::string> toml_scalar(const toml::node& node) {
  if (node.is_string()) return *node.value<std::string>();
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());
  return std::nullopt;
}

Status apply_file(Config& c, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    // toml++ reports a file it cannot open as a parse error at line 0.
    if (where.line == 0)
      return fail(Errc::kInvalidArgument,
                  fmt::format("{}: cannot read configuration file ({})", path,
                              std::string(e.description())));
    return fail(Errc::kInvalidArgument, fmt::format("{}:{}:{}: {}", path, where.line, where.column,
                                                    std::string(e.description())));
  }
  for (const auto& [section, node] : root) {
    const auto* table = node.as_table();
    if (!table)
      return fail(Errc::kInvalidArgument,
                  fmt::format("{}: top-level key \"{}\" must be a [section]", path, section.str()));
    for (const auto& [name, value] : *table) {
      std::string key = fmt::format("{}.{}", section.str(), name.str());
      auto text = value.is_value() ? toml_scalar(value) : std::nullopt;
      if (!text && find_key(key))
        return fail(Errc::kInvalidArgument,
                    fmt::format("{}: must be a string, integer or boolean (in {})", key, path));
      KAIWU_TRY_STATUS(apply(c, key, text.value_or(""), path));
    }
  }
  return ok();
}

}  // namespace

std::map<std::string, std::string> kaiwu_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("KAIWU_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<Config> load_config(const ConfigSources& sources) {
  Config c;
  if (!sources.file.empty()) KAIWU_TRY_STATUS(apply_file(c, sources.file));
  for (const auto& k : schema()) {
    auto it = sources.env.find(env_name(k.name));
    if (it != sources.env.end())
      KAIWU_TRY_STATUS(apply(c, k.name, it->second, "environment " + it->first));
  }
  for (const auto& s : sources.sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(Errc::kInvalidArgument,
                  fmt::format("--set \"{}\": expected section.key=value", s));
    KAIWU_TRY_STATUS(apply(c, s.substr(0, eq), s.substr(eq + 1), "--set"));
  }
  if (c.http.cert.empty() != c.http.key.empty())
    return fail(Errc::kInvalidArgument, "http.cert and http.key must be set together");
  if (c.meta.backend == "postgres" && c.meta.postgres_url.empty())
    return fail(Errc::kInvalidArgument,
                "meta.postgres_url is required when meta.backend = postgres");
  return c;
}

std::string redact_password(std::string value) {
  // URL form: scheme://user:password@host… (RFC 3986 §3.2.1 userinfo).
  if (auto scheme = value.find("://"); scheme != std::string::npos) {
    auto start = scheme + 3;
    auto end = value.find_first_of("/?#", start);
    if (end == std::string::npos) end = value.size();
    auto at = value.rfind('@', end - 1);  // the last '@' of the authority ends the userinfo
    if (at != std::string::npos && at >= start) {
      auto colon = value.find(':', start);
      if (colon != std::string::npos && colon < at) value.replace(colon + 1, at - colon - 1, "***");
    }
    return value;
  }
  // libpq keyword form: … password=secret … (or password='secret with spaces').
  for (auto pos = value.find("password="); pos != std::string::npos; pos = value.find("password=", pos + 1)) {
    if (pos > 0 && value[pos - 1] != ' ') continue;
    auto begin = pos + 9;
    auto end = begin;
    if (end < value.size() && value[end] == '\'') {
      end = value.find('\'', end + 1);
      end = end == std::string::npos ? value.size() : end + 1;
    } else {
      end = value.find(' ', begin);
      if (end == std::string::npos) end = value.size();
    }
    value.replace(begin, end - begin, "***");
  }
  return value;
}

std::vector<std::pair<std::string, std::string>> describe_config(const Config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : schema()) {
    auto value = k.get(config);
    // Secrets are shown as set or not, never printed; URLs keep everything but their password.
    if (k.name == "smtp.password" && !value.empty()) value = "(set)";
    if (k.name.ends_with("_url") || k.name.ends_with(".url")) value = redact_password(std::move(value));
    out.emplace_back(k.name, std::move(value));
  }
  return out;
}

}  // namespace kaiwu

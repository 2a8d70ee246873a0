// Remote configuration (README.md "Remote configuration"): the gateway device's shared attribute
// edgeConfig replaces the devices of the file without a restart. Everything here runs on the
// edge's executor, except load_saved_remote (in create, before anything runs).
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/json_parse.hpp"
#include "core/ids.hpp"
#include "edge/edge.hpp"
#include "edge/payload.hpp"

namespace kaiwu::edge {

namespace fs = std::filesystem;

namespace {

// Write to a temporary file, fsync, rename over the old one: a crash leaves the old or the new.
Status save_file(const fs::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::kInternal, fmt::format("{}: cannot create: {}", tmp.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail(Errc::kInternal, fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (synced) fs::rename(tmp, path, ec);
  if (!synced || ec) return fail(Errc::kInternal, fmt::format("{}: cannot save: {}", path.string(), ec.message()));
  return ok();
}

std::string origin_of(const std::optional<std::int64_t>& version) {
  return version ? fmt::format("edgeConfig v{}", *version) : std::string("edgeConfig");
}

}  // namespace

void Edge::load_saved_remote() {
  auto path = fs::path(config_.uplink.buffer_dir) / kRemoteConfigFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  auto remote = parse_remote_config(ss.str(), path.string());
  Status st = remote ? Status{} : Status(std::unexpected(remote.error()));
  if (st) {
    EdgeConfig check{path.string(), {}, {}, remote->devices};
    st = validate_devices(check, lookup_, ex_);
  }
  if (!st) {
    spdlog::warn("edge: ignoring the saved remote configuration: {}", st.error().message);
    return;
  }
  spdlog::info("edge: running the saved remote configuration {} ({} devices) from {}", origin_of(remote->version),
               remote->devices.size(), path.string());
  config_.devices = std::move(remote->devices);
  remote_version_ = remote->version;
  remote_text_ = ss.str();
}

void Edge::on_message(const std::string& topic, const std::string& payload) {
  const std::string self(kSelfAttributesTopic);
  auto doc = parse_json(payload);
  if (!doc || !doc->is_object()) {
    spdlog::warn("edge: {}: not a JSON object", topic);
    return;
  }
  const boost::json::object* attrs = nullptr;
  if (topic == self) {
    attrs = &doc->as_object();  // a shared-attribute update: the changed keys
  } else if (topic.starts_with(self + "/response/")) {
    if (const auto* shared = doc->as_object().if_contains("shared"); shared && shared->is_object())
      attrs = &shared->as_object();
  }
  if (!attrs) return;
  if (const auto* config = attrs->if_contains(kRemoteConfigKey)) on_remote_config(*config);
}

void Edge::on_remote_config(const boost::json::value& value) {
  // The document itself, or a string holding it (a UI that stores JSON as text).
  std::string text = value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
  if (auto canonical = parse_json(text); canonical) text = boost::json::serialize(*canonical);
  if (text == remote_text_) {  // the one in effect (asked again at each session start)
    std::optional<std::int64_t> version;
    {
      std::lock_guard lock(mu_);
      version = remote_version_;
    }
    report_remote_status(version, true, {});
    return;
  }
  auto remote = parse_remote_config(text);
  std::optional<std::int64_t> version = remote ? remote->version : std::nullopt;
  if (!remote) {
    // Best effort: name the version of a document that did not validate.
    if (auto d = parse_json(text); d && d->is_object())
      if (const auto* v = d->as_object().if_contains("version"); v && v->is_int64()) version = v->get_int64();
  }
  Status st = remote ? Status{} : Status(std::unexpected(remote.error()));
  if (st) st = validate_devices(EdgeConfig{origin_of(version), {}, {}, remote->devices}, lookup_, ex_);
  if (st) st = apply_devices(std::move(remote->devices));
  if (!st) {
    spdlog::warn("edge: remote configuration refused, the running one stays: {}", st.error().message);
    {
      std::lock_guard lock(mu_);
      ++remote_rejected_;
    }
    report_remote_status(version, false, st.error().message);
    return;
  }
  remote_text_ = text;
  {
    std::lock_guard lock(mu_);
    remote_version_ = version;
    ++remote_applied_;
  }
  auto path = fs::path(config_.uplink.buffer_dir) / kRemoteConfigFile;
  std::string error;
  if (auto saved = save_file(path, text); !saved) {
    error = "applied but not saved: " + saved.error().message;
    spdlog::error("edge: {}", error);
  }
  spdlog::info("edge: remote configuration {} applied ({} devices)", origin_of(version), pollers_.size());
  report_remote_status(version, true, error);
}

Status Edge::apply_devices(std::vector<DeviceConfig> devices) {
  // Unchanged devices keep their poller (and connection); changed ones get a new one.
  std::map<std::string, std::shared_ptr<DevicePoller>> current;
  for (const auto& p : pollers_) current[p->config().settings.name] = p;
  std::vector<std::shared_ptr<DevicePoller>> next, fresh;
  std::set<std::string> names;
  for (const auto& d : devices) {
    names.insert(d.settings.name);
    if (auto it = current.find(d.settings.name); it != current.end() && it->second->config() == d) {
      next.push_back(it->second);
      current.erase(it);
      continue;
    }
    auto driver = KAIWU_TRY(lookup_(d.driver, ex_));
    fresh.push_back(make_poller(d, std::move(driver)));
    next.push_back(fresh.back());
  }
  {
    std::lock_guard lock(mu_);
    config_.devices = std::move(devices);
    pollers_ = std::move(next);
    for (const auto& [name, p] : current)
      if (!names.contains(name)) connected_.erase(name);
  }
  for (const auto& [name, p] : current) {  // removed or replaced: their loops end, drivers close
    p->stop();
    if (!names.contains(name)) {
      spdlog::info("edge device {}: removed by the remote configuration", name);
      uplink_->send_event(kDisconnectTopic, disconnect_payload(name));
    }
  }
  if (started_)
    for (auto& p : fresh) p->start();
  return ok();
}

void Edge::report_remote_status(const std::optional<std::int64_t>& version, bool ok, const std::string& error) {
  // A client attribute of the gateway device: {"edgeConfigStatus":{"version","ok","error",…}}.
  boost::json::object status{{"version", version ? boost::json::value(*version) : boost::json::value(nullptr)},
                             {"ok", ok},
                             {"error", error},
                             {"devices", pollers_.size()},
                             {"ts", now_ms()}};
  uplink_->send_event(kSelfAttributesTopic, boost::json::serialize(boost::json::object{{kRemoteStatusKey, status}}));
}

}  // namespace kaiwu::edge

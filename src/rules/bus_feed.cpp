#include "rules/bus_feed.hpp"

#include <boost/json.hpp>

#include <map>

#include "core/json_parse.hpp"

namespace kaiwu::rules {
namespace json = boost::json;

namespace {

Message base(const std::string& tenant, const std::string& device, MessageType type, std::int64_t ts) {
  Message m;
  m.type = type;
  m.tenant_id = tenant;
  m.device_id = device;
  m.ts = ts;
  return m;
}

std::vector<Message> from_telemetry(const bus::Telemetry& t) {
  std::map<std::int64_t, Message> by_ts;
  for (const auto& s : t.samples) {
    auto [it, fresh] = by_ts.try_emplace(s.ts);
    if (fresh) it->second = base(t.tenant, t.device, MessageType::kTelemetry, s.ts);
    it->second.data[s.key] = s.value;
  }
  std::vector<Message> out;
  out.reserve(by_ts.size());
  for (auto& [ts, m] : by_ts) out.push_back(std::move(m));
  return out;
}

std::vector<Message> from_attributes(const bus::AttributeChange& a) {
  Message m = base(a.tenant, a.device, MessageType::kAttributes, a.ts);
  m.metadata["scope"] = std::string(model::attribute_scope_name(a.scope));
  auto parsed = parse_json(a.values_json);
  if (!parsed || !parsed->is_object()) return {};
  for (const auto& [k, v] : parsed->as_object()) {
    if (v.is_double()) m.data[k] = v.as_double();
    else if (v.is_int64()) m.data[k] = v.as_int64();
    else if (v.is_uint64()) m.data[k] = static_cast<double>(v.as_uint64());
    else if (v.is_bool()) m.data[k] = v.as_bool();
    else if (v.is_string()) m.data[k] = std::string(v.as_string());
    else m.data[k] = json::serialize(v);
  }
  return {std::move(m)};
}

std::vector<Message> from_lifecycle(const bus::DeviceLifecycle& l) {
  switch (l.event) {
    case bus::LifecycleEvent::kConnected: return {base(l.tenant, l.device, MessageType::kConnected, l.ts)};
    case bus::LifecycleEvent::kDisconnected: return {base(l.tenant, l.device, MessageType::kDisconnected, l.ts)};
    default: return {};
  }
}

}  // namespace

std::vector<Message> from_bus(const bus::Message& m) {
  if (const auto* t = std::get_if<bus::Telemetry>(&m.payload)) return from_telemetry(*t);
  if (const auto* a = std::get_if<bus::AttributeChange>(&m.payload)) return from_attributes(*a);
  if (const auto* l = std::get_if<bus::DeviceLifecycle>(&m.payload)) return from_lifecycle(*l);
  return {};
}

std::unique_ptr<bus::Subscription> feed_from_bus(bus::Bus& bus, RuleEngine& engine) {
  bus::SubscribeOptions options;
  options.name = "rules";
  options.group = "rules";  // a cluster's nodes share one stream of rule input, in order per device
  options.critical = true;
  options.only({bus::Kind::kTelemetry, bus::Kind::kAttributes, bus::Kind::kLifecycle});
  return bus.subscribe(std::move(options), [&engine](const bus::MessagePtr& m) {
    for (auto& msg : from_bus(*m)) engine.submit(std::move(msg));
  });
}

}  // namespace kaiwu::rules

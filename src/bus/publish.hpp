// Helpers for publishers on the ingest path.
#pragma once

#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "bus/bus.hpp"

namespace kaiwu::bus {

// Publishes durable samples as Telemetry messages: one per run of consecutive points of the same
// (tenant, device) — a write of one device is one message. Points is a range of structs with
// tenant, device, key, ts and value (tsdb::Point); their keys and values are moved out, so call
// it only once the points are written. No-op when bus is null.
template <typename Points>
void publish_points(Bus* bus, Points&& points) {
  if (!bus) return;
  auto it = std::begin(points);
  auto end = std::end(points);
  while (it != end) {
    Telemetry t{it->tenant, it->device, {}};
    auto run = it;
    std::size_t n = 0;
    while (run != end && run->device == t.device && run->tenant == t.tenant) ++run, ++n;
    t.samples.reserve(n);
    for (; it != run; ++it) t.samples.push_back(Sample{std::move(it->key), it->ts, std::move(it->value)});
    bus->publish(Payload{std::move(t)});
  }
}

// Publishes attribute writes: values are (key, JSON text) pairs.
inline void publish_attributes(Bus* bus, const std::string& tenant, const std::string& device,
                               model::AttributeScope scope,
                               const std::vector<std::pair<std::string, std::string>>& values, std::int64_t ts) {
  if (!bus || values.empty()) return;
  std::string json = "{";
  for (const auto& [k, v] : values) {
    if (json.size() > 1) json += ',';
    json += '"';
    for (char c : k) {  // RFC 8259 §7: escape quotes, backslashes and control characters
      if (c == '"' || c == '\\') {
        json += '\\';
        json += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        json += "\\u00";
        json += kHex[(c >> 4) & 0xF];
        json += kHex[c & 0xF];
      } else {
        json += c;
      }
    }
    json += "\":";
    json += v;
  }
  json += '}';
  bus->publish(Payload{AttributeChange{tenant, device, scope, std::move(json), ts}});
}

inline void publish_lifecycle(Bus* bus, const std::string& tenant, const std::string& device, LifecycleEvent e,
                              std::int64_t ts) {
  if (bus) bus->publish(Payload{DeviceLifecycle{tenant, device, e, ts}});
}

}  // namespace kaiwu::bus

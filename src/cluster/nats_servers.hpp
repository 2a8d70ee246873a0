// bus.nats_url as libnats wants it: natsOptions_SetURL takes one URL, so a comma-separated list
// ("nats://a:4222,nats://b:4222") is split and given with natsOptions_SetServers. Only for the
// cluster/ .cpp files (libnats is their private dependency).
#pragma once

#include <nats/nats.h>

#include <string>
#include <string_view>
#include <vector>

namespace kaiwu::cluster {

inline std::vector<std::string> split_nats_servers(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string s(list.substr(0, comma));
    std::erase(s, ' ');
    if (!s.empty()) out.push_back(std::move(s));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}

// NATS_INVALID_ARG when the list names no server.
inline natsStatus set_nats_servers(natsOptions* o, std::string_view list) {
  const auto servers = split_nats_servers(list);
  std::vector<const char*> urls;
  for (const auto& s : servers) urls.push_back(s.c_str());
  if (urls.empty()) return NATS_INVALID_ARG;
  return natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
}

}  // namespace kaiwu::cluster

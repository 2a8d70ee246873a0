#include "rules/device_directory.hpp"

namespace kaiwu::rules {

DeviceDirectory::DeviceDirectory(meta::MetadataStore& store, std::size_t capacity, std::chrono::milliseconds ttl)
    : store_(store), capacity_(capacity), ttl_(ttl) {}

bool DeviceDirectory::resolve(Message& m) {
  if (m.tenant_id.empty() || m.device_id.empty()) return false;
  std::string key = m.tenant_id;
  key.push_back('\0');
  key += m.device_id;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end() && it->second.expires > now) {
      m.device_name = it->second.name;
      m.profile_id = it->second.profile_id;
      return true;
    }
  }
  auto d = store_.get_device(meta::Scope::tenant(m.tenant_id), m.device_id);
  if (!d) return false;
  m.device_name = d->name;
  m.profile_id = d->profile_id;
  std::lock_guard lock(mu_);
  if (cache_.size() >= capacity_) cache_.clear();
  cache_[key] = Entry{d->name, d->profile_id, now + ttl_};
  return true;
}

}  // namespace kaiwu::rules

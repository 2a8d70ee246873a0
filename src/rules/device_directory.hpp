// DeviceDirectory: fills a message's deviceName and profileId from the metadata store, with a
// bounded cache (entries expire after ttl so renames show up). Messages from the bus carry only
// ids. Blocking on a miss (SQLite): call from the rule engine's workers. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "meta/store.hpp"
#include "rules/message.hpp"

namespace kaiwu::rules {

class DeviceDirectory {
 public:
  explicit DeviceDirectory(meta::MetadataStore& store, std::size_t capacity = 100'000,
                           std::chrono::milliseconds ttl = std::chrono::seconds(60));

  // False when the device does not exist in the message's tenant (the message should be dropped).
  bool resolve(Message& m);

 private:
  struct Entry {
    std::string name;
    std::string profile_id;
    std::chrono::steady_clock::time_point expires;
  };
  meta::MetadataStore& store_;
  const std::size_t capacity_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // tenant '\0' device → entry; guarded by mu_
};

}  // namespace kaiwu::rules

// Helpers shared by the TelemetryStore implementations (not part of the seam).
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "tsdb/store.hpp"

namespace kaiwu::tsdb {

// For latest(): the values in `best` (by key) in the order of `keys`, or sorted by key when
// keys is empty; keys without a value are left out.
std::vector<LatestValue> latest_in_key_order(std::map<std::string, Sample> best, std::span<const std::string> keys);

}  // namespace kaiwu::tsdb

// Schedule triggers: when a trigger fires next. Pure functions of the trigger and a time, so
// tests drive them with any clock.
#pragma once

#include <cstdint>
#include <string_view>

#include "apps/manifest.hpp"

namespace kaiwu::apps {

// The first firing time strictly after now_ms (ms since the epoch): now + interval for interval
// triggers; the next whole UTC minute matching every cron field for cron triggers (searched up
// to a year ahead; INT64_MAX when nothing matches, e.g. "0 0 31 2 *").
std::int64_t next_fire(const Trigger& t, std::int64_t now_ms);

// True when value matches one cron field (*, */n, a, a-b, a,b,…), already validated.
bool cron_field_matches(std::string_view field, int value);

}  // namespace kaiwu::apps

// Object ids: 20 lowercase hex characters, the first 14 the creation time in milliseconds
// (times 256, plus a sequence within the millisecond) and 6 random, so ids sort by creation
// time (cursor pagination relies on that).
#pragma once

#include <cstdint>
#include <string>

namespace kaiwu {

std::string new_id();
// Milliseconds since the Unix epoch, from the system clock.
std::int64_t now_ms();

}  // namespace kaiwu

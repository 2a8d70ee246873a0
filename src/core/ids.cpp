#include "core/ids.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>

#include "core/crypto.hpp"

namespace kaiwu {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_id() {
  // Monotonic within the process, so two ids made in the same millisecond still sort in order.
  static std::atomic<std::uint64_t> last{0};
  std::uint64_t t = static_cast<std::uint64_t>(now_ms()) << 8;
  std::uint64_t prev = last.load();
  while (true) {
    std::uint64_t next = t > prev ? t : prev + 1;
    if (last.compare_exchange_weak(prev, next)) {
      t = next;
      break;
    }
  }
  return fmt::format("{:014x}{}", t, crypto::random_hex(3));
}

}  // namespace kaiwu

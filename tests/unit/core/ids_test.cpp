#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace kaiwu {
namespace {

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The first 14 hex characters hold (milliseconds << 8) + sequence.
std::int64_t id_ms(const std::string& id) {
  return static_cast<std::int64_t>(std::stoull(id.substr(0, 14), nullptr, 16) >> 8);
}

TEST(Ids, TwentyLowercaseHexCharacters) {
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_id();
    ASSERT_EQ(id.size(), 20u) << id;
    ASSERT_TRUE(is_lower_hex(id)) << id;
  }
}

TEST(Ids, PrefixIsTheCreationTime) {
  std::int64_t before = now_ms();
  std::string id = new_id();
  std::int64_t after = now_ms();
  // Ids made faster than 256 per millisecond may run ahead of the clock, but only a little.
  EXPECT_GE(id_ms(id), before);
  EXPECT_LE(id_ms(id), after + 1000);
}

TEST(Ids, StrictlyIncreasingInOneThread) {
  std::string prev = new_id();
  for (int i = 0; i < 100'000; ++i) {
    std::string id = new_id();
    ASSERT_LT(prev, id) << "after " << i << " ids";
    prev = std::move(id);
  }
}

TEST(Ids, UniqueAndOrderedPerThreadAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25'000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      made[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) made[t].push_back(new_id());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  std::set<std::string> prefixes;
  for (const auto& ids : made) {
    for (std::size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    for (const auto& id : ids) prefixes.insert(id.substr(0, 14));
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  // The time-and-sequence prefix alone is unique: the random tail is not what keeps ids apart.
  EXPECT_EQ(prefixes.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(Ids, NowMsFollowsTheSystemClock) {
  auto sys = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  EXPECT_NEAR(static_cast<double>(now_ms()), static_cast<double>(sys), 1000.0);
  EXPECT_GT(now_ms(), 1'600'000'000'000);  // after September 2020
}

}  // namespace
}  // namespace kaiwu

// BatchWriter: bounded, never blocks the producer, batches in queue order, flush/stop semantics.
#include "core/batch_writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <numeric>
#include <thread>

namespace kaiwu {
namespace {

using namespace std::chrono_literals;

TEST(BatchWriter, FullQueueDropsWithoutBlocking) {
  // A sink stuck until released: the producer must not wait for it.
  std::promise<void> release;
  auto released = release.get_future().share();
  std::vector<int> written;
  BatchWriter<int> w(BatchOptions{.capacity = 3, .batch_max = 100, .interval = 1h},
                     [&](std::vector<int>& batch) -> Status {
                       released.wait();
                       written.insert(written.end(), batch.begin(), batch.end());
                       return ok();
                     });
  EXPECT_EQ(w.push(1), 1u);
  EXPECT_EQ(w.push(2), 2u);
  EXPECT_EQ(w.push(3), 3u);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(w.push(4), 0u);  // full: dropped at once
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  release.set_value();
  ASSERT_TRUE(w.flush());
  EXPECT_EQ(written, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(w.push(5), 1u);  // room again
}

TEST(BatchWriter, WritesInOrderInBatchesAndStopFlushes) {
  std::vector<int> written;
  std::vector<std::size_t> sizes;
  std::mutex mu;
  auto w = std::make_unique<BatchWriter<int>>(BatchOptions{.capacity = 100'000, .batch_max = 64, .interval = 10ms},
                                              [&](std::vector<int>& batch) -> Status {
                                                std::lock_guard lock(mu);
                                                sizes.push_back(batch.size());
                                                written.insert(written.end(), batch.begin(), batch.end());
                                                return ok();
                                              });
  for (int i = 0; i < 5'000; ++i) ASSERT_GT(w->push(i), 0u);
  // The writer thread drains by itself (interval or a full batch), without flush().
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (written.size() == 5'000) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(written.size(), 5'000u);
  }
  for (int i = 5'000; i < 10'000; ++i) ASSERT_GT(w->push(i), 0u);
  w->stop();  // writes the rest
  EXPECT_EQ(w->push(-1), 0u);  // stopped: dropped
  std::vector<int> want(10'000);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(written, want);
  EXPECT_GE(sizes.size(), 2u);
}

TEST(BatchWriter, FlushReturnsTheSinksError) {
  BatchWriter<int> w(BatchOptions{.capacity = 10, .batch_max = 10, .interval = 1h},
                     [](std::vector<int>&) -> Status { return fail(Errc::kUnavailable, "down"); });
  EXPECT_TRUE(w.flush());  // nothing queued: nothing to fail
  w.push(1);
  auto st = w.flush();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace kaiwu

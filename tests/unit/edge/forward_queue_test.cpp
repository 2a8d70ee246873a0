#include "edge/forward_queue.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kaiwu::edge {
namespace {

namespace fs = std::filesystem;

class ForwardQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kaiwu-fq-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<ForwardQueue> open(std::uint64_t max_bytes = 1 << 20, std::uint64_t segment = 0) {
    auto q = ForwardQueue::open({dir_.string(), max_bytes, segment});
    EXPECT_TRUE(q) << q.error().message;
    return std::move(*q);
  }
  static std::vector<std::string> payloads(ForwardQueue& q, std::uint64_t from = 0, std::size_t n = 100000) {
    auto r = q.read(from, n, SIZE_MAX);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> out;
    for (auto& x : *r) out.push_back(x.payload);
    return out;
  }
  std::vector<fs::path> segments() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".seg") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

TEST_F(ForwardQueueTest, AppendReadAckInOrder) {
  auto q = open();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(*q->append("rec" + std::to_string(i)), static_cast<std::uint64_t>(i));
  auto all = payloads(*q);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[0], "rec0");
  EXPECT_EQ(all[9], "rec9");
  auto some = q->read(3, 4, SIZE_MAX);
  ASSERT_TRUE(some);
  ASSERT_EQ(some->size(), 4u);
  EXPECT_EQ((*some)[0].seq, 3u);
  EXPECT_EQ((*some)[3].payload, "rec6");
  ASSERT_TRUE(q->ack_before(4));
  EXPECT_EQ(q->first_unacked(), 4u);
  EXPECT_EQ(q->stats().pending, 6u);
  EXPECT_EQ(payloads(*q, q->first_unacked()).front(), "rec4");
  EXPECT_TRUE(q->append(std::string(ForwardQueue::kMaxRecordBytes + 1, 'x')).error().code == Errc::kInvalidArgument);
}

TEST_F(ForwardQueueTest, SurvivesRestartWithCursor) {
  {
    auto q = open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(q->append("a" + std::to_string(i)));
    ASSERT_TRUE(q->ack_before(2));
    // No sync and no destructor flush of anything but what write(2) already did: as after kill -9.
    q.release();  // deliberately leaked: no orderly close
  }
  auto q = open();
  EXPECT_EQ(q->first_unacked(), 2u);
  EXPECT_EQ(q->next_seq(), 5u);
  auto rest = payloads(*q, q->first_unacked());
  EXPECT_EQ(rest, (std::vector<std::string>{"a2", "a3", "a4"}));
  EXPECT_EQ(*q->append("a5"), 5u);
}

TEST_F(ForwardQueueTest, TruncatedTailRecordIsCutAtRecovery) {
  {
    auto q = open();
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(q->append("payload-" + std::to_string(i)));
  }
  auto seg = segments().back();
  auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 3);  // a torn last record
  auto q = open();
  EXPECT_EQ(q->stats().recovered_bytes_cut, 8u + 9u - 3u);
  EXPECT_EQ(payloads(*q), (std::vector<std::string>{"payload-0", "payload-1", "payload-2"}));
  EXPECT_EQ(*q->append("payload-3b"), 3u);
  q.reset();
  auto again = open();
  EXPECT_EQ(payloads(*again).back(), "payload-3b");
  EXPECT_EQ(again->stats().recovered_bytes_cut, 0u);
}

TEST_F(ForwardQueueTest, CorruptRecordEndsItsSegment) {
  {
    auto q = open();
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(q->append("value-" + std::to_string(i)));
  }
  auto seg = segments().back();
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * (8 + 7) + 8 + 2);  // inside record 2's payload
    f.put('X');
  }
  auto q = open();
  EXPECT_EQ(payloads(*q), (std::vector<std::string>{"value-0", "value-1"}));
  EXPECT_EQ(q->stats().recovered_bytes_cut, 2u * (8 + 7));
}

TEST_F(ForwardQueueTest, CorruptCursorReplaysEverything) {
  {
    auto q = open();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(q->append("c" + std::to_string(i)));
    ASSERT_TRUE(q->ack_before(2));
  }
  {
    std::fstream f(dir_ / "cursor", std::ios::in | std::ios::out | std::ios::binary);
    f.put('\x7f');
  }
  auto q = open();
  EXPECT_EQ(q->first_unacked(), 0u);  // at least once: nothing is lost
  EXPECT_EQ(payloads(*q).size(), 3u);
}

TEST_F(ForwardQueueTest, RollsSegmentsAndDeletesAcknowledgedOnes) {
  auto q = open(1 << 20, 4096);
  std::string rec(1000, 'r');
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(q->append(rec));
  EXPECT_GE(segments().size(), 5u);
  ASSERT_TRUE(q->ack_before(18));
  EXPECT_LE(segments().size(), 2u);
  EXPECT_EQ(payloads(*q, q->first_unacked()).size(), 2u);
  EXPECT_EQ(q->stats().dropped, 0u);
}

TEST_F(ForwardQueueTest, OldestDataDroppedPastTheLimitAndCounted) {
  auto q = open(16 * 1024, 4096);
  std::string rec(1000, 'd');
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(q->append(rec + std::to_string(i)));
  auto s = q->stats();
  EXPECT_LE(s.disk_bytes, 16u * 1024 + 4096);
  EXPECT_GT(s.dropped, 70u);
  EXPECT_EQ(s.dropped + s.pending, 100u);
  auto left = q->read(0, 1000, SIZE_MAX);
  ASSERT_TRUE(left);
  ASSERT_FALSE(left->empty());
  EXPECT_EQ(left->front().seq, q->first_unacked());
  EXPECT_EQ(left->back().payload, rec + "99");  // the newest data is kept
  EXPECT_EQ(left->size(), s.pending);
  // The drop survives a restart: the cursor moved past the deleted records.
  q.reset();
  auto again = open(16 * 1024, 4096);
  EXPECT_EQ(again->first_unacked(), left->front().seq);
}

TEST_F(ForwardQueueTest, ReadsFromTheMiddleAndAcrossSegments) {
  auto q = open(1 << 20, 256);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(q->append("m" + std::to_string(i)));
  for (std::uint64_t from : {0u, 7u, 23u, 49u}) {
    auto r = q->read(from, 5, SIZE_MAX);
    ASSERT_TRUE(r);
    ASSERT_FALSE(r->empty());
    EXPECT_EQ(r->front().seq, from);
    EXPECT_EQ(r->front().payload, "m" + std::to_string(from));
    for (std::size_t i = 1; i < r->size(); ++i) EXPECT_EQ((*r)[i].seq, (*r)[i - 1].seq + 1);
  }
  EXPECT_TRUE(q->read(50, 5, SIZE_MAX)->empty());
  ASSERT_TRUE(q->sync());
}

TEST(Crc32c, KnownVector) {
  EXPECT_EQ(crc32c(0, "123456789"), 0xE3069283u);  // RFC 3720 B.4 check value
}

}  // namespace
}  // namespace kaiwu::edge

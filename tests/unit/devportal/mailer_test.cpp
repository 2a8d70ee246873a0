#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "devportal/developers.hpp"
#include "devportal/mailer.hpp"

namespace kaiwu::devportal {
namespace {

TEST(NormaliseEmailTest, AcceptsAndLowerCases) {
  EXPECT_EQ(*normalise_email("Alice.Smith+kaiwu@Example.COM"), "alice.smith+kaiwu@example.com");
  EXPECT_EQ(*normalise_email("li@gongsi.com.cn"), "li@gongsi.com.cn");
}

TEST(NormaliseEmailTest, RejectsWhatCouldBreakHeadersOrIsNoAddress) {
  for (const char* bad : {"", "plain", "@example.com", "a@b", "a@@example.com", "a@example.com\r\nBcc: x@y.z",
                          "a b@example.com", "<a@example.com>", "a@.example.com", "a@example.com."}) {
    auto r = normalise_email(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(r.error().message.rfind("email:", 0), 0u) << r.error().message;
  }
  EXPECT_FALSE(normalise_email(std::string(250, 'a') + "@x.io"));
}

TEST(MessageTest, HeadersAndCrlfBody) {
  EXPECT_EQ(address_of("Kaiwu <noreply@kaiwu.local>"), "noreply@kaiwu.local");
  EXPECT_EQ(address_of("noreply@kaiwu.local"), "noreply@kaiwu.local");
  const auto text = format_message("Kaiwu <noreply@kaiwu.local>", Mail{"a@example.com", "Hello", "第一行\nline 2"},
                                   1'795'651'200'000);
  EXPECT_NE(text.find("Date: Thu, 26 Nov 2026 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(text.find("From: Kaiwu <noreply@kaiwu.local>\r\n"), std::string::npos);
  EXPECT_NE(text.find("To: <a@example.com>\r\n"), std::string::npos);
  EXPECT_NE(text.find("Subject: Hello\r\n"), std::string::npos);
  EXPECT_NE(text.find("@kaiwu.local>\r\n"), std::string::npos);  // Message-ID in the sender's domain
  EXPECT_NE(text.find("charset=utf-8"), std::string::npos);
  EXPECT_NE(text.find("\r\n\r\n第一行\r\nline 2\r\n"), std::string::npos);
}

class Recorder final : public Mailer {
 public:
  Status send(const Mail& m) override {
    std::lock_guard lock(mu);
    if (fail_next) {
      fail_next = false;
      return fail(Errc::kUnavailable, "smtp down");
    }
    sent.push_back(m.to);
    return ok();
  }
  std::mutex mu;
  std::vector<std::string> sent;
  bool fail_next = false;
};

TEST(MailQueueTest, SendsInOrderCountsFailuresAndDrainsOnStop) {
  Recorder r;
  r.fail_next = true;
  MetricsRegistry metrics;
  {
    MailQueue q(r, metrics);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(q.enqueue(Mail{"m" + std::to_string(i) + "@x.io", "s", "b"}));
    q.stop();
    EXPECT_FALSE(q.enqueue(Mail{"late@x.io", "s", "b"}));
  }
  EXPECT_EQ(r.sent, (std::vector<std::string>{"m1@x.io", "m2@x.io", "m3@x.io", "m4@x.io"}));
  EXPECT_EQ(metrics.counter("kaiwu_mail_sent_total", "").value(), 4u);
  EXPECT_EQ(metrics.counter("kaiwu_mail_failed_total", "").value(), 1u);
  EXPECT_EQ(metrics.counter("kaiwu_mail_dropped_total", "").value(), 1u);
}

}  // namespace
}  // namespace kaiwu::devportal

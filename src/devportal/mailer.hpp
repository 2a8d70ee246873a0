// Outgoing e-mail for the developer portal. Mailer is the seam; SmtpMailer sends over SMTP with
// libcurl (smtp.url), OutboxMailer appends to a local file and logs a line when no SMTP server
// is configured (so a demo works offline). MailQueue sends on its own thread, so request handlers
// never wait on a mail server.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace kaiwu::devportal {

struct Mail {
  std::string to;       // one address, validated by the caller (no CR/LF)
  std::string subject;  // ASCII
  std::string body;     // UTF-8 plain text
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Blocking; kUnavailable when the server cannot be reached or refuses the message.
  virtual Status send(const Mail& mail) = 0;
};

// SMTP through libcurl: smtp:// (STARTTLS when the server offers it and credentials are set),
// smtps://. 15 s timeout per message.
class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpConfig config);
  Status send(const Mail& mail) override;

 private:
  SmtpConfig config_;
};

// Appends each mail to a file (one block per mail) and logs "mail to <to>: <subject>".
class OutboxMailer final : public Mailer {
 public:
  explicit OutboxMailer(std::string path) : path_(std::move(path)) {}
  Status send(const Mail& mail) override;

 private:
  std::mutex mu_;
  std::string path_;  // guarded by mu_ (appends)
};

// The message as sent (RFC 5322 headers + body), for SmtpMailer and tests.
std::string format_message(const std::string& from, const Mail& mail, std::int64_t now_ms);
// "Name <a@b>" or "a@b" -> "a@b".
std::string address_of(const std::string& mailbox);

// A bounded queue of mails sent one at a time on its own thread. enqueue() returns false (and
// counts kaiwu_mail_dropped_total) when capacity mails are already waiting.
class MailQueue {
 public:
  MailQueue(Mailer& mailer, MetricsRegistry& metrics, std::size_t capacity = 256);
  ~MailQueue();
  bool enqueue(Mail mail);
  void stop();  // sends what is queued, then joins

 private:
  void run();

  Mailer& mailer_;
  Counter& sent_;
  Counter& failed_;
  Counter& dropped_;
  std::size_t capacity_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Mail> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

// SMTP when smtp.url is set, else the outbox file in data_dir.
std::unique_ptr<Mailer> make_mailer(const Config& config);

}  // namespace kaiwu::devportal

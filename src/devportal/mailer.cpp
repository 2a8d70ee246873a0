#include "devportal/mailer.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <fmt/format.h>

#include "core/crypto.hpp"
#include "core/ids.hpp"

namespace kaiwu::devportal {
namespace {

struct Upload {
  std::string data;
  std::size_t offset = 0;
};

std::size_t read_payload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t room = size * count;
  const std::size_t n = std::min(room, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

std::string rfc5322_date(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

std::string address_of(const std::string& mailbox) {
  auto lt = mailbox.find('<');
  auto gt = mailbox.find('>', lt == std::string::npos ? 0 : lt);
  if (lt == std::string::npos || gt == std::string::npos) return mailbox;
  return mailbox.substr(lt + 1, gt - lt - 1);
}

std::string format_message(const std::string& from, const Mail& mail, std::int64_t now_ms) {
  // RFC 5322 §3.6: Date and From are required; lines end in CRLF; the body is 8-bit UTF-8
  // (RFC 6152 8BITMIME, which libcurl and every current server accept).
  std::string body;
  for (char c : mail.body) {
    if (c == '\n') body += "\r\n";
    else body += c;
  }
  const auto domain = address_of(from).substr(address_of(from).find('@') + 1);
  return fmt::format(
      "Date: {}\r\nFrom: {}\r\nTo: <{}>\r\nSubject: {}\r\nMessage-ID: <{}@{}>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
      rfc5322_date(now_ms), from, mail.to, mail.subject, crypto::random_hex(12), domain, body);
}

SmtpMailer::SmtpMailer(SmtpConfig config) : config_(std::move(config)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Status SmtpMailer::send(const Mail& mail) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return fail(Errc::kInternal, "cannot create a libcurl handle");
  Upload up{format_message(config_.from, mail, now_ms())};
  const std::string from = "<" + address_of(config_.from) + ">";
  const std::string to = "<" + mail.to + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, to.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt, &curl_slist_free_all);
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_payload);
  curl_easy_setopt(h, CURLOPT_READDATA, &up);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 15L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (!config_.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, config_.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, config_.password.c_str());
    curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));  // never send a password in clear
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK)
    return fail(Errc::kUnavailable, fmt::format("smtp {}: {}", config_.url, curl_easy_strerror(rc)));
  return ok();
}

Status OutboxMailer::send(const Mail& mail) {
  std::lock_guard lock(mu_);
  std::ofstream out(path_, std::ios::app | std::ios::binary);
  if (!out) return fail(Errc::kIo, "cannot append to " + path_);
  out << "----- " << rfc5322_date(now_ms()) << "\nTo: " << mail.to << "\nSubject: " << mail.subject << "\n\n"
      << mail.body << "\n";
  out.flush();
  if (!out) return fail(Errc::kIo, "cannot write " + path_);
  spdlog::info("mail to {} written to {} (no smtp.url configured): {}", mail.to, path_, mail.subject);
  return ok();
}

MailQueue::MailQueue(Mailer& mailer, MetricsRegistry& metrics, std::size_t capacity)
    : mailer_(mailer),
      sent_(metrics.counter("kaiwu_mail_sent_total", "E-mails handed to the mail server or outbox")),
      failed_(metrics.counter("kaiwu_mail_failed_total", "E-mails the mail server refused or could not take")),
      dropped_(metrics.counter("kaiwu_mail_dropped_total", "E-mails dropped because the queue was full")),
      capacity_(capacity),
      thread_([this] { run(); }) {}

MailQueue::~MailQueue() { stop(); }

bool MailQueue::enqueue(Mail mail) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= capacity_) {
      dropped_.inc();
      return false;
    }
    queue_.push_back(std::move(mail));
  }
  wake_.notify_one();
  return true;
}

void MailQueue::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Mail mail = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    if (auto st = mailer_.send(mail); st) {
      sent_.inc();
    } else {
      failed_.inc();
      spdlog::error("mail to {} not sent: {}", mail.to, st.error().message);
    }
    lock.lock();
  }
}

void MailQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<Mailer> make_mailer(const Config& config) {
  if (!config.smtp.url.empty()) return std::make_unique<SmtpMailer>(config.smtp);
  return std::make_unique<OutboxMailer>((std::filesystem::path(config.data_dir) / "outbox.log").string());
}

}  // namespace kaiwu::devportal

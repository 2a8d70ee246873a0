#include "rules/webhook.hpp"

#include "core/http_client.hpp"

#include <fmt/format.h>

#include <thread>

namespace kaiwu::rules {

Result<int> http_request_once(const WebhookRequest& w) {
  HttpRequest req;
  req.method = w.method;
  req.headers = w.headers;
  req.body = w.body;
  auto res = http_send(w.url, std::move(req), {.timeout = w.timeout, .user_agent = "kaiwu-rules"});
  if (!res) {
    if (res.error().code == Errc::kTimeout)
      return fail(Errc::kTimeout, fmt::format("no answer from {} within {} ms", w.url, w.timeout.count()));
    return fail(res.error().code, fmt::format("{}: {}", w.url, res.error().message));
  }
  return static_cast<int>(res->status);
}

Status post_webhook(const WebhookRequest& w) {
  KAIWU_TRY(parse_http_url(w.url));
  auto backoff = w.backoff;
  Error last{Errc::kUnavailable, "not attempted"};
  for (int attempt = 0; attempt <= w.retries; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    auto status = http_request_once(w);
    if (status && *status >= 200 && *status < 300) return ok();
    if (status) {
      last = Error{Errc::kFailedPrecondition, fmt::format("{} answered HTTP {}", w.url, *status)};
      if (*status < 500 && *status != 429) return std::unexpected(last);  // final
    } else {
      last = status.error();
    }
  }
  return fail(last.code, fmt::format("{} (after {} attempts)", last.message, w.retries + 1));
}

}  // namespace kaiwu::rules

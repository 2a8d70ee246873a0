#include "rules/webhook.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <charconv>
#include <thread>

namespace kaiwu::rules {
namespace asio = boost::asio;

namespace {

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return fail(Errc::kInvalidArgument, "webhook url must start with http://");
  url.remove_prefix(kScheme.size());
  Url u;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.target = std::string(url.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return fail(Errc::kInvalidArgument, "webhook url must not carry credentials");
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    u.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  u.host = std::string(authority);
  if (u.host.empty() || u.port.empty()) return fail(Errc::kInvalidArgument, "webhook url has no host");
  if (u.target.find_first_of("\r\n ") != std::string::npos)
    return fail(Errc::kInvalidArgument, "webhook url path has spaces or line breaks");
  return u;
}

std::string build_request(const WebhookRequest& w, const Url& u) {
  std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: kaiwu-rules\r\n"
                                "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                                w.method, u.target, u.host, u.port, w.body.size());
  for (const auto& [k, v] : w.headers) req += fmt::format("{}: {}\r\n", k, v);
  req += "\r\n";
  req += w.body;
  return req;
}

Result<int> parse_status(std::string_view head) {
  // "HTTP/1.1 204 No Content"
  if (!head.starts_with("HTTP/1.") || head.size() < 12) return fail(Errc::kUnavailable, "malformed HTTP response");
  int status = 0;
  auto [p, ec] = std::from_chars(head.data() + 9, head.data() + 12, status);
  if (ec != std::errc() || p != head.data() + 12) return fail(Errc::kUnavailable, "malformed HTTP status line");
  return status;
}

}  // namespace

Result<int> http_request_once(const WebhookRequest& w) {
  const Url u = KAIWU_TRY(parse_url(w.url));
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  asio::ip::tcp::socket socket(io);
  const std::string request = build_request(w, u);
  std::string response;
  boost::system::error_code result = asio::error::would_block;
  bool have_status_line = false;

  resolver.async_resolve(u.host, u.port, [&](boost::system::error_code ec, asio::ip::tcp::resolver::results_type eps) {
    if (ec) {
      result = ec;
      return;
    }
    asio::async_connect(socket, eps, [&](boost::system::error_code ec2, const asio::ip::tcp::endpoint&) {
      if (ec2) {
        result = ec2;
        return;
      }
      asio::async_write(socket, asio::buffer(request), [&](boost::system::error_code ec3, std::size_t) {
        if (ec3) {
          result = ec3;
          return;
        }
        response.reserve(512);
        asio::async_read_until(socket, asio::dynamic_buffer(response, 64 * 1024), "\r\n",
                               [&](boost::system::error_code ec4, std::size_t) {
                                 result = ec4;
                                 have_status_line = !ec4;
                               });
      });
    });
  });
  io.run_for(w.timeout);
  if (!have_status_line) {
    if (result == asio::error::would_block)
      return fail(Errc::kTimeout, fmt::format("no answer from {} within {} ms", w.url, w.timeout.count()));
    return fail(Errc::kUnavailable, fmt::format("{}: {}", w.url, result.message()));
  }
  return parse_status(std::string_view(response).substr(0, response.find("\r\n")));
}

Status post_webhook(const WebhookRequest& w) {
  KAIWU_TRY(parse_url(w.url));
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

#include "alarm/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <optional>

namespace kaiwu::alarm {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

// RFC 3986 §3 (the subset webhooks need): http://host[:port][/path[?query]]; IPv6 in brackets.
Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return fail(Errc::kInvalidArgument, "webhook url must start with http://");
  url.remove_prefix(kScheme.size());
  Url out;
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return fail(Errc::kInvalidArgument, "webhook url has no host (or carries credentials)");
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(Errc::kInvalidArgument, "webhook url: unterminated IPv6 host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535)
      return fail(Errc::kInvalidArgument, "webhook url: bad port");
    out.port = std::string(port);
  }
  if (host.empty()) return fail(Errc::kInvalidArgument, "webhook url has no host");
  out.host = std::string(host);
  return out;
}

asio::awaitable<Result<unsigned>> exchange(Url url, const HttpPost& request) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  beast::tcp_stream stream(ex);
  stream.expires_after(request.timeout);
  auto [rerr, endpoints] = co_await resolver.async_resolve(url.host, url.port, asio::as_tuple(asio::use_awaitable));
  if (rerr) co_return fail(Errc::kUnavailable, "resolve " + url.host + ": " + rerr.message());
  auto [cerr, ep] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  (void)ep;
  if (cerr == beast::error::timeout) co_return fail(Errc::kTimeout, "connect timed out");
  if (cerr) co_return fail(Errc::kUnavailable, "connect: " + cerr.message());

  beast::http::request<beast::http::string_body> req{beast::http::verb::post, url.target, 11};
  req.set(beast::http::field::host, url.host + (url.port == "80" ? "" : ":" + url.port));
  req.set(beast::http::field::user_agent, "kaiwu-webhook");
  req.set(beast::http::field::content_type, request.content_type);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  auto [werr, wn] = co_await beast::http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  (void)wn;
  if (werr == beast::error::timeout) co_return fail(Errc::kTimeout, "write timed out");
  if (werr) co_return fail(Errc::kUnavailable, "write: " + werr.message());

  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(64 * 1024);
  auto [rderr, rn] = co_await beast::http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  (void)rn;
  if (rderr == beast::error::timeout) co_return fail(Errc::kTimeout, "response timed out");
  if (rderr) co_return fail(Errc::kUnavailable, "read: " + rderr.message());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return parser.get().result_int();
}

}  // namespace

Result<unsigned> http_post(const HttpPost& request) {
  auto url = KAIWU_TRY(parse_url(request.url));
  asio::io_context ioc;
  std::optional<Result<unsigned>> out;
  asio::co_spawn(ioc, exchange(std::move(url), request),
                 [&out](std::exception_ptr e, Result<unsigned> r) {
                   if (e)
                     out = fail(Errc::kInternal, "webhook client failed unexpectedly");
                   else
                     out = std::move(r);
                 });
  ioc.run();
  if (!out) return fail(Errc::kInternal, "webhook client did not finish");
  return std::move(*out);
}

}  // namespace kaiwu::alarm

#include "core/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <optional>

namespace kaiwu {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

Result<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return fail(Errc::kInvalidArgument, "url must start with http://");
  url.remove_prefix(kScheme.size());
  HttpUrl out;
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return fail(Errc::kInvalidArgument, "url must not carry credentials");
  if (out.target.find_first_of("\r\n ") != std::string::npos)
    return fail(Errc::kInvalidArgument, "url path has spaces or line breaks");
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(Errc::kInvalidArgument, "url: unterminated IPv6 host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!port.empty() || authority.ends_with(':')) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535)
      return fail(Errc::kInvalidArgument, "url: bad port");
    out.port = std::string(port);
  }
  if (host.empty()) return fail(Errc::kInvalidArgument, "url has no host");
  out.host = std::string(host);
  return out;
}

namespace {

Error io_error(std::string_view what, const beast::error_code& ec) {
  if (ec == beast::error::timeout) return Error{Errc::kTimeout, std::string(what) + " timed out"};
  if (ec == beast::http::error::body_limit) return Error{Errc::kPayloadTooLarge, "response body too large"};
  return Error{Errc::kUnavailable, std::string(what) + ": " + ec.message()};
}

}  // namespace

struct HttpClient::Impl {
  HttpUrl server;
  HttpClientOptions options;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // A failure on a reused connection before any response byte means the server had closed
  // it (idle timeout): the request was not processed and may be sent again.
  struct Outcome {
    Result<HttpResponse> result;
    bool retryable = false;
  };

  asio::awaitable<Outcome> exchange(const HttpRequest& request) {
    bool reused = stream.has_value() && stream->socket().is_open();
    if (!reused) {
      stream.emplace(ioc);
      buffer.clear();
      stream->expires_after(options.timeout);
      tcp::resolver resolver(ioc);
      auto [rerr, endpoints] =
          co_await resolver.async_resolve(server.host, server.port, asio::as_tuple(asio::use_awaitable));
      if (rerr) co_return Outcome{fail(Errc::kUnavailable, "resolve " + server.host + ": " + rerr.message())};
      auto [cerr, ep] = co_await stream->async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
      (void)ep;
      if (cerr) co_return Outcome{std::unexpected(io_error("connect to " + server.host + ":" + server.port, cerr))};
      beast::error_code ignored;  // small requests and answers: no Nagle delay on a kept-alive connection
      stream->socket().set_option(tcp::no_delay(true), ignored);
    }
    stream->expires_after(options.timeout);
    beast::http::request<beast::http::string_body> req{beast::http::string_to_verb(request.method), request.target, 11};
    req.set(beast::http::field::host, server.host + (server.port == "80" ? "" : ":" + server.port));
    req.set(beast::http::field::user_agent, options.user_agent);
    if (!request.content_type.empty()) req.set(beast::http::field::content_type, request.content_type);
    for (const auto& [k, v] : request.headers) req.set(k, v);
    req.keep_alive(true);
    req.body() = request.body;
    req.prepare_payload();
    auto [werr, wn] = co_await beast::http::async_write(*stream, req, asio::as_tuple(asio::use_awaitable));
    (void)wn;
    if (werr) co_return Outcome{std::unexpected(io_error("write", werr)), reused && werr != beast::error::timeout};

    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(options.body_limit);
    auto [rerr, rn] = co_await beast::http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (rerr) {
      bool nothing = rn == 0 && !parser.got_some();
      co_return Outcome{std::unexpected(io_error("read response", rerr)),
                        reused && nothing && rerr != beast::error::timeout};
    }
    auto& res = parser.get();
    if (!res.keep_alive()) close();
    co_return Outcome{HttpResponse{res.result_int(), std::move(res.body())}};
  }

  void close() {
    if (!stream) return;
    beast::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->socket().close(ignored);
    stream.reset();
  }

  Outcome run_once(const HttpRequest& request) {
    std::optional<Outcome> out;
    ioc.restart();
    asio::co_spawn(ioc, exchange(request), [&out](std::exception_ptr e, Outcome r) {
      if (e)
        out = Outcome{fail(Errc::kInternal, "http client failed unexpectedly")};
      else
        out = std::move(r);
    });
    ioc.run();
    if (!out) return Outcome{fail(Errc::kInternal, "http client did not finish")};
    if (!out->result) close();
    return std::move(*out);
  }
};

HttpClient::HttpClient(HttpUrl server, HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->server = std::move(server);
  impl_->options = std::move(options);
}

HttpClient::~HttpClient() { impl_->close(); }

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  auto first = impl_->run_once(request);
  if (first.result || !first.retryable) return std::move(first.result);
  return std::move(impl_->run_once(request).result);
}

Result<HttpResponse> http_send(std::string_view url, HttpRequest request, HttpClientOptions options) {
  auto parsed = KAIWU_TRY(parse_http_url(url));
  request.target = parsed.target;
  HttpClient client(std::move(parsed), std::move(options));
  return client.send(request);
}

}  // namespace kaiwu

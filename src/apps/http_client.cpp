#include "apps/http_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>

namespace kaiwu::apps {
namespace {

constexpr std::array<std::string_view, 6> kMethods{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};

struct Received {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<Received*>(user);
  if (r->body.size() + size * n > kMaxHttpBodyBytes) {
    r->too_large = true;
    return 0;  // aborts the transfer
  }
  r->body.append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<Received*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) r->headers.clear();  // a new response (after 100 Continue)
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && r->headers.size() < 200) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    r->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

bool header_safe(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// The URL's "host:port" (scheme default port filled in), refusing what is not plain http(s).
Result<std::string> host_port(CURLU* u) {
  auto part = [&](CURLUPart p, unsigned flags) -> std::string {
    char* s = nullptr;
    if (curl_url_get(u, p, &s, flags) != CURLUE_OK || !s) return {};
    std::string out(s);
    curl_free(s);
    return out;
  };
  const auto scheme = part(CURLUPART_SCHEME, 0);
  if (scheme != "http" && scheme != "https") return fail(Errc::kInvalidArgument, "url must be http:// or https://");
  if (!part(CURLUPART_USER, 0).empty()) return fail(Errc::kInvalidArgument, "url must not carry user credentials");
  std::string host = part(CURLUPART_HOST, 0);
  const auto port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (host.empty() || port.empty()) return fail(Errc::kInvalidArgument, "url needs a host");
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  return host + ":" + port;
}

}  // namespace

Result<HttpResponse> http_request(const HttpRequest& r, const std::function<bool(std::string_view)>& allow) {
  if (std::find(kMethods.begin(), kMethods.end(), r.method) == kMethods.end())
    return fail(Errc::kInvalidArgument, "method must be one of GET HEAD POST PUT PATCH DELETE");
  if (r.body.size() > kMaxHttpBodyBytes) return fail(Errc::kInvalidArgument, "body is larger than 1 MiB");
  if (r.headers.size() > kMaxHttpHeaders) return fail(Errc::kInvalidArgument, "more than 50 headers");
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), &curl_url_cleanup);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, r.url.c_str(), 0) != CURLUE_OK)
    return fail(Errc::kInvalidArgument, fmt::format("url '{}' is not a valid URL", r.url));
  const auto target = KAIWU_TRY(host_port(url.get()));
  if (!allow(target))
    return fail(Errc::kPermissionDenied, fmt::format("{} is not listed in the manifest's httpHosts", target));

  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return fail(Errc::kInternal, "cannot start an HTTP client");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, &curl_slist_free_all);
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || !header_safe(name) || !header_safe(value) || name.find(':') != std::string::npos)
      return fail(Errc::kInvalidArgument, fmt::format("header '{}' is not a valid header", name));
    headers.reset(curl_slist_append(headers.release(), (name + ": " + value).c_str()));
  }
  Received got;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_CURLU, url.get());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::clamp(r.timeout, std::chrono::milliseconds(1), kMaxHttpTimeout).count()));
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  if (r.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &got);
  const CURLcode rc = curl_easy_perform(c);
  if (got.too_large) return fail(Errc::kResourceExhausted, fmt::format("response from {} is larger than 1 MiB", target));
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return fail(Errc::kUnavailable, fmt::format("{} did not answer within {} ms", target, r.timeout.count()));
  if (rc != CURLE_OK) return fail(Errc::kUnavailable, fmt::format("request to {} failed: {}", target, curl_easy_strerror(rc)));
  HttpResponse out;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  out.headers = std::move(got.headers);
  out.body = std::move(got.body);
  return out;
}

}  // namespace kaiwu::apps

#include "alarm/http_client.hpp"

#include "core/http_client.hpp"

namespace kaiwu::alarm {

Result<unsigned> http_post(const HttpPost& request) {
  HttpRequest req;
  req.method = "POST";
  req.headers = request.headers;
  req.content_type = request.content_type;
  req.body = request.body;
  auto res = http_send(request.url, std::move(req), {.timeout = request.timeout, .user_agent = "kaiwu-webhook"});
  if (!res) return fail(res.error().code, "webhook: " + res.error().message);
  return res->status;
}

}  // namespace kaiwu::alarm

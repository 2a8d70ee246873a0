// A minimal blocking HTTP/1.1 client for webhook nodes: http:// only, one request per
// connection, the status line decides (2xx is success). Retries with doubling back-off on
// connection errors, timeouts and 5xx/429; other 4xx are final. Blocks the calling thread (a
// rule worker) for at most (retries + 1) × timeout plus the back-off.
#pragma once

#include "core/result.hpp"
#include "rules/actions.hpp"

namespace kaiwu::rules {

// kInvalidArgument for a bad URL, kUnavailable / kTimeout when every attempt failed to get an
// answer, kFailedPrecondition for a final non-2xx status (the message names it).
Status post_webhook(const WebhookRequest& w);

// One attempt: the HTTP status code.
Result<int> http_request_once(const WebhookRequest& w);

}  // namespace kaiwu::rules

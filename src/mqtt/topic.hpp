// Topic Names, Topic Filters and matching (MQTT 5.0 §4.7, shared subscriptions §4.8.2).
// Pure functions over string views; no allocation.
#pragma once

#include <optional>
#include <string_view>

namespace kaiwu::mqtt {

// A Topic Name a PUBLISH or Will may carry: 1..65'535 bytes of valid UTF-8 without U+0000 and
// without the wildcards '+' and '#' (MQTT 5.0 §4.7.3, §3.3.2.1).
bool valid_topic_name(std::string_view name);

// A Topic Filter a SUBSCRIBE or UNSUBSCRIBE may carry (MQTT 5.0 §4.7.1): 1..65'535 bytes of valid
// UTF-8; '#' only as the whole last level; '+' only as a whole level. A filter starting with
// "$share/" must be a Shared Subscription "$share/{ShareName}/{filter}" whose ShareName is
// non-empty without '/', '+', '#' and whose filter is itself valid (§4.8.2).
bool valid_topic_filter(std::string_view filter);

// The parts of "$share/{ShareName}/{filter}" (views into the argument).
struct SharedFilter {
  std::string_view share_name;
  std::string_view filter;
};
// The parts of a valid Shared Subscription filter; nullopt for any other string.
std::optional<SharedFilter> parse_shared_filter(std::string_view filter);

// Whether the Topic Name `topic` matches the Topic Filter `filter` (MQTT 5.0 §4.7.1-2):
// "sport/#" matches "sport" and "sport/a/b"; "sport/+" matches "sport/" but not "sport";
// a filter starting with a wildcard does not match a topic starting with '$'. A Shared
// Subscription filter matches with its inner filter. Both arguments are assumed valid.
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace kaiwu::mqtt

#include "mqtt/topic.hpp"

#include <cstddef>

#include "mqtt/codec.hpp"

namespace kaiwu::mqtt {
namespace {

constexpr std::size_t kMaxStringBytes = 65'535;       // MQTT 5.0 §1.5.4
constexpr std::string_view kSharePrefix = "$share/";  // MQTT 5.0 §4.8.2

// Yields the '/'-separated levels of a topic: "a//b" is "a", "", "b"; "" is one empty level.
class Levels {
 public:
  explicit Levels(std::string_view s) : rest_(s) {}
  bool done() const { return done_; }
  std::string_view next() {
    const std::size_t slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      done_ = true;
      return rest_;
    }
    const std::string_view level = rest_.substr(0, slash);
    rest_.remove_prefix(slash + 1);
    return level;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

bool valid_plain_filter(std::string_view filter) {
  if (filter.empty()) return false;
  Levels levels(filter);
  while (!levels.done()) {
    const std::string_view level = levels.next();
    if (level == "#") return levels.done();  // §4.7.1.2: last level only
    if (level == "+") continue;
    if (level.find_first_of("+#") != std::string_view::npos) return false;  // §4.7.1.2-3
  }
  return true;
}

}  // namespace

bool valid_topic_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxStringBytes &&
         name.find_first_of("+#") == std::string_view::npos && valid_utf8(name);
}

std::optional<SharedFilter> parse_shared_filter(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return std::nullopt;
  std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  const std::string_view share_name = rest.substr(0, slash);
  if (share_name.find_first_of("+#") != std::string_view::npos) return std::nullopt;
  const std::string_view inner = rest.substr(slash + 1);
  if (!valid_plain_filter(inner)) return std::nullopt;
  return SharedFilter{share_name, inner};
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxStringBytes || !valid_utf8(filter)) return false;
  if (filter.starts_with(kSharePrefix)) return parse_shared_filter(filter).has_value();
  return valid_plain_filter(filter);
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (const auto shared = parse_shared_filter(filter)) filter = shared->filter;
  // §4.7.2: wildcards at the first level do not match topics beginning with '$'.
  if (topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#'))) {
    return false;
  }
  Levels f(filter);
  Levels t(topic);
  while (!f.done()) {
    const std::string_view fl = f.next();
    if (fl == "#") return true;  // also matches the parent level (§4.7.1.2)
    if (t.done()) return false;
    const std::string_view tl = t.next();
    if (fl != "+" && fl != tl) return false;
  }
  return t.done();
}

}  // namespace kaiwu::mqtt

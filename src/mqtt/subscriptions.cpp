#include "mqtt/subscriptions.hpp"

#include "mqtt/topic.hpp"

namespace kaiwu::mqtt {

struct SubscriptionTree::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>> children;
  std::map<std::string, SubOptions> subs;                             // session → options
  std::map<std::string, std::map<std::string, SubOptions>> shared;   // group → session → options
};

namespace {
std::vector<std::string_view> levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto slash = s.find('/', start);
    out.push_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}
}  // namespace

SubscriptionTree::SubscriptionTree() : root_(std::make_unique<Node>()) {}
SubscriptionTree::~SubscriptionTree() = default;

bool SubscriptionTree::add(std::string_view filter, const std::string& session, const SubOptions& options) {
  std::string_view group;
  if (auto shared = parse_shared_filter(filter)) {
    group = shared->share_name;
    filter = shared->filter;
  }
  Node* node = root_.get();
  for (auto level : levels(filter)) {
    auto& child = node->children[std::string(level)];
    if (!child) child = std::make_unique<Node>();
    node = child.get();
  }
  auto& target = group.empty() ? node->subs : node->shared[std::string(group)];
  bool fresh = !target.contains(session);
  target[session] = options;
  if (fresh) ++count_;
  return fresh;
}

bool SubscriptionTree::remove(std::string_view filter, const std::string& session) {
  std::string_view group;
  if (auto shared = parse_shared_filter(filter)) {
    group = shared->share_name;
    filter = shared->filter;
  }
  std::vector<std::pair<Node*, std::string>> path;
  Node* node = root_.get();
  for (auto level : levels(filter)) {
    auto it = node->children.find(std::string(level));
    if (it == node->children.end()) return false;
    path.emplace_back(node, std::string(level));
    node = it->second.get();
  }
  bool removed = false;
  if (group.empty()) {
    removed = node->subs.erase(session) > 0;
  } else if (auto g = node->shared.find(std::string(group)); g != node->shared.end()) {
    removed = g->second.erase(session) > 0;
    if (g->second.empty()) node->shared.erase(g);
  }
  if (removed) --count_;
  // Prune empty branches.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    auto& child = it->first->children[it->second];
    if (!child->children.empty() || !child->subs.empty() || !child->shared.empty()) break;
    it->first->children.erase(it->second);
  }
  return removed;
}

namespace {
void visit_node(const auto& node, const SubscriptionTree::Visit& fn, const SubscriptionTree::Pick& pick) {
  for (const auto& [session, options] : node.subs) fn(session, options);
  for (const auto& [group, members] : node.shared)
    if (const std::string* chosen = pick(members)) fn(*chosen, members.at(*chosen));
}

template <typename Node>
void match_levels(const Node& node, const std::vector<std::string_view>& parts, std::size_t i,
                  const SubscriptionTree::Visit& fn, const SubscriptionTree::Pick& pick) {
  // MQTT 5.0 §4.7.2: wildcards at the first level do not match topics starting with '$'.
  bool dollar = i == 0 && !parts.empty() && !parts[0].empty() && parts[0][0] == '$';
  if (!dollar) {
    if (auto it = node.children.find("#"); it != node.children.end()) visit_node(*it->second, fn, pick);
  }
  if (i == parts.size()) {
    visit_node(node, fn, pick);
    return;
  }
  if (auto it = node.children.find(std::string(parts[i])); it != node.children.end())
    match_levels(*it->second, parts, i + 1, fn, pick);
  if (!dollar)
    if (auto it = node.children.find("+"); it != node.children.end()) match_levels(*it->second, parts, i + 1, fn, pick);
}
}  // namespace

void SubscriptionTree::match(std::string_view topic, const Visit& fn, const Pick& pick) const {
  match_levels(*root_, levels(topic), 0, fn, pick);
}

}  // namespace kaiwu::mqtt

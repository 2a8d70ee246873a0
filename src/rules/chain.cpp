#include "rules/chain.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <set>
#include <unordered_map>

#include "core/json_parse.hpp"

namespace kaiwu::rules {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxNodes = 200;
constexpr std::size_t kMaxIdBytes = 64;

struct Draft {
  std::string id;
  std::string name;
  std::string type;
  const json::object* params = nullptr;
  std::map<std::string, std::vector<std::string>> next;
};

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// Reads one node's shape (not its params); problems go to errors.
Draft read_node(const json::value& v, std::size_t index, std::vector<std::string>& errors) {
  Draft d;
  const std::string where = fmt::format("nodes[{}]", index);
  if (!v.is_object()) {
    errors.push_back(where + ": must be an object");
    return d;
  }
  const auto& o = v.as_object();
  for (const auto& [k, _] : o) {
    if (k != "id" && k != "type" && k != "name" && k != "params" && k != "next")
      errors.push_back(fmt::format("{}: unknown field \"{}\"", where, std::string_view(k)));
  }
  if (const auto* id = o.if_contains("id"); id && id->is_string() && valid_id(id->as_string())) {
    d.id = std::string(id->as_string());
  } else {
    errors.push_back(where + ".id: must be 1-64 characters of letters, digits, _ - .");
  }
  const std::string node = d.id.empty() ? where : fmt::format("node \"{}\"", d.id);
  if (const auto* t = o.if_contains("type"); t && t->is_string()) {
    d.type = std::string(t->as_string());
  } else {
    errors.push_back(node + ": type must be a string");
  }
  if (const auto* n = o.if_contains("name")) {
    if (n->is_string() && n->as_string().size() <= 128) d.name = std::string(n->as_string());
    else errors.push_back(node + ": name must be a string of at most 128 bytes");
  }
  static const json::object kNoParams;
  d.params = &kNoParams;
  if (const auto* p = o.if_contains("params")) {
    if (p->is_object()) d.params = &p->as_object();
    else errors.push_back(node + ": params must be an object");
  }
  if (const auto* nx = o.if_contains("next")) {
    if (!nx->is_object()) {
      errors.push_back(node + ": next must be an object of relation → [node ids]");
    } else {
      for (const auto& [rel, targets] : nx->as_object()) {
        auto& list = d.next[std::string(rel)];
        if (targets.is_string()) {
          list.emplace_back(targets.as_string());
          continue;
        }
        if (!targets.is_array()) {
          errors.push_back(fmt::format("{}: next.{} must be a node id or a list of them", node,
                                       std::string_view(rel)));
          continue;
        }
        for (const auto& t : targets.as_array()) {
          if (t.is_string()) list.emplace_back(t.as_string());
          else errors.push_back(fmt::format("{}: next.{} must list node ids", node, std::string_view(rel)));
        }
      }
    }
  }
  return d;
}

// Depth-first search for a cycle; returns it as "a → b → a" or "".
std::string find_cycle(const std::vector<std::vector<std::size_t>>& adj,
                       const std::vector<Draft>& drafts) {
  enum Color : std::uint8_t { kWhite, kGrey, kBlack };
  std::vector<Color> color(adj.size(), kWhite);
  std::vector<std::size_t> path;
  std::string found;
  std::function<bool(std::size_t)> visit = [&](std::size_t u) {
    color[u] = kGrey;
    path.push_back(u);
    for (std::size_t v : adj[u]) {
      if (color[v] == kGrey) {
        auto start = std::find(path.begin(), path.end(), v);
        for (auto it = start; it != path.end(); ++it) found += drafts[*it].id + " → ";
        found += drafts[v].id;
        return true;
      }
      if (color[v] == kWhite && visit(v)) return true;
    }
    path.pop_back();
    color[u] = kBlack;
    return false;
  };
  for (std::size_t i = 0; i < adj.size(); ++i)
    if (color[i] == kWhite && visit(i)) break;
  return found;
}

struct Compiled {
  std::vector<std::string> errors;
  std::shared_ptr<Chain> chain;
};

}  // namespace

// Declared in chain.hpp as a friend; the worker behind compile_chain and validate_chain.
Result<std::shared_ptr<Chain>> compile_chain(std::string_view json_text) {
  std::vector<std::string> errors;
  auto parsed = parse_json(json_text);
  if (!parsed) return fail(Errc::kInvalidArgument, "chain definition: " + parsed.error().message);
  if (!parsed->is_object()) return fail(Errc::kInvalidArgument, "chain definition must be a JSON object");
  const auto& root = parsed->as_object();
  for (const auto& [k, _] : root) {
    if (k != "nodes" && k != "root")
      errors.push_back(fmt::format("unknown field \"{}\"", std::string_view(k)));
  }
  const auto* nodes = root.if_contains("nodes");
  if (!nodes || !nodes->is_array() || nodes->as_array().empty())
    return fail(Errc::kInvalidArgument, "chain definition: nodes must be a non-empty array");
  if (nodes->as_array().size() > kMaxNodes)
    return fail(Errc::kInvalidArgument, fmt::format("chain definition: at most {} nodes", kMaxNodes));

  std::vector<Draft> drafts;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < nodes->as_array().size(); ++i) {
    drafts.push_back(read_node(nodes->as_array()[i], i, errors));
    const auto& id = drafts.back().id;
    if (id.empty()) continue;
    if (!index.emplace(id, i).second) errors.push_back(fmt::format("duplicate node id \"{}\"", id));
  }

  auto chain = std::make_shared<Chain>();
  std::vector<std::vector<std::size_t>> adj(drafts.size());
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    const Draft& d = drafts[i];
    const std::string node = d.id.empty() ? fmt::format("nodes[{}]", i) : fmt::format("node \"{}\"", d.id);
    ChainNode cn{d.id, d.name, d.type, nullptr, {}};
    const NodeType* type = d.type.empty() ? nullptr : find_node_type(d.type);
    if (!d.type.empty() && !type) {
      errors.push_back(fmt::format("{}: unknown type \"{}\"", node, d.type));
    } else if (type) {
      auto made = type->make(*d.params, d.id);
      if (made) cn.node = std::move(*made);
      else errors.push_back(fmt::format("{}: {}", node, made.error().message));
    }
    for (const auto& [rel, targets] : d.next) {
      if (type && std::find(type->relations.begin(), type->relations.end(), rel) == type->relations.end()) {
        std::string known;
        for (auto r : type->relations) known += (known.empty() ? "" : ", ") + std::string(r);
        errors.push_back(fmt::format("{}: a {} node has no relation \"{}\" (it has {})", node,
                                     d.type, rel, known));
      }
      for (const auto& t : targets) {
        auto it = index.find(t);
        if (it == index.end()) {
          errors.push_back(fmt::format("{}: next.{} refers to unknown node \"{}\"", node, rel, t));
          continue;
        }
        cn.next[rel].push_back(it->second);
        adj[i].push_back(it->second);
      }
    }
    chain->nodes_.push_back(std::move(cn));
  }

  chain->root_ = 0;
  if (const auto* r = root.if_contains("root")) {
    auto it = r->is_string() ? index.find(std::string(r->as_string())) : index.end();
    if (it == index.end()) errors.push_back("root must name a node");
    else chain->root_ = it->second;
  }
  if (auto cycle = find_cycle(adj, drafts); !cycle.empty()) {
    errors.push_back("cycle: " + cycle);
  } else if (errors.empty()) {
    std::vector<bool> seen(drafts.size(), false);
    std::vector<std::size_t> todo{chain->root_};
    seen[chain->root_] = true;
    while (!todo.empty()) {
      const std::size_t u = todo.back();
      todo.pop_back();
      for (std::size_t v : adj[u]) {
        if (seen[v]) continue;
        seen[v] = true;
        todo.push_back(v);
      }
    }
    for (std::size_t i = 0; i < seen.size(); ++i)
      if (!seen[i]) errors.push_back(fmt::format("node \"{}\" is not reachable from the root", drafts[i].id));
  }
  if (!errors.empty()) {
    std::string joined;
    for (const auto& e : errors) joined += (joined.empty() ? "" : "; ") + e;
    return fail(Errc::kInvalidArgument, joined);
  }
  return chain;
}

std::vector<std::string> validate_chain(std::string_view json_text) {
  auto c = compile_chain(json_text);
  if (c) return {};
  // compile_chain joins its problems with "; "; split them again for the API.
  std::vector<std::string> out;
  std::string_view rest = c.error().message;
  while (!rest.empty()) {
    const auto pos = rest.find("; ");
    out.emplace_back(rest.substr(0, pos));
    if (pos == std::string_view::npos) break;
    rest.remove_prefix(pos + 2);
  }
  return out;
}

namespace {

struct Pending {
  std::size_t node;
  Message msg;
};

void drain(Chain& chain, std::deque<Pending>& queue, NodeContext& ctx, bool trace,
           std::vector<TraceStep>& steps) {
  std::size_t budget = kMaxStepsPerMessage;
  while (!queue.empty()) {
    if (budget-- == 0) {
      ctx.actions.log(LogLevel::kError,
                      fmt::format("chain {}: stopped after {} node executions for one message",
                                  ctx.chain_id, kMaxStepsPerMessage));
      return;
    }
    Pending p = std::move(queue.front());
    queue.pop_front();
    ChainNode& cn = chain.nodes()[p.node];
    NodeOutcome out = cn.node->on_message(ctx, p.msg);
    if (!out.error.empty()) ++ctx.failures;
    const auto it = cn.next.find(out.relation);
    if (trace) {
      TraceStep s{cn.id, cn.type, p.msg, std::nullopt, out.relation, out.error, {}};
      if (out.error.empty()) s.output = out.msg;
      if (it != cn.next.end())
        for (std::size_t n : it->second) s.next.push_back(chain.nodes()[n].id);
      steps.push_back(std::move(s));
    } else if (!out.error.empty() && it == cn.next.end()) {
      ctx.actions.log(LogLevel::kWarn,
                      fmt::format("chain {} node {}: {}", ctx.chain_id, cn.id, out.error));
    }
    if (it == cn.next.end()) continue;
    for (std::size_t i = 0; i < it->second.size(); ++i) {
      const bool last = i + 1 == it->second.size();
      queue.push_back({it->second[i], last ? std::move(out.msg) : out.msg});
    }
  }
}

}  // namespace

std::vector<TraceStep> run_chain(Chain& chain, const Message& msg, NodeContext& ctx, bool trace) {
  std::vector<TraceStep> steps;
  std::deque<Pending> queue;
  queue.push_back({chain.root(), msg});
  drain(chain, queue, ctx, trace, steps);
  return steps;
}

std::vector<TraceStep> tick_chain(Chain& chain, NodeContext& ctx, bool trace) {
  std::vector<TraceStep> steps;
  for (auto& cn : chain.nodes()) {
    for (auto& [relation, msg] : cn.node->on_tick(ctx)) {
      auto it = cn.next.find(relation);
      if (trace) {
        TraceStep s{cn.id, cn.type, msg, msg, relation, {}, {}};
        if (it != cn.next.end())
          for (std::size_t n : it->second) s.next.push_back(chain.nodes()[n].id);
        steps.push_back(std::move(s));
      }
      if (it == cn.next.end()) continue;
      std::deque<Pending> queue;
      for (std::size_t n : it->second) queue.push_back({n, msg});
      drain(chain, queue, ctx, trace, steps);
    }
  }
  return steps;
}

}  // namespace kaiwu::rules

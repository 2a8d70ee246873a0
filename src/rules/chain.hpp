// Rule chains: a JSON DAG of typed nodes joined by labelled relations, compiled once and run on
// every message of the chain's tenant.
//
//   {"root": "in",                        // optional: the first node by default
//    "nodes": [
//      {"id": "in", "type": "filter", "name": "boilers only",
//       "params": {"profileIds": ["p1"]}, "next": {"True": ["hot"]}},
//      {"id": "hot", "type": "threshold",
//       "params": {"key": "temp", "high": 80, "hysteresis": 5, "durationMs": 10000},
//       "next": {"Raised": ["alarm"], "Cleared": ["clear"]}}, …]}
//
// A node runs on a message and names one relation; the message (possibly changed) goes on to
// every node listed under that relation. Errors give the relation "Failure" (so a chain can
// route them) and are reported in the trace. Node types and their parameters and relations are
// listed in README.md (node_types()).
//
// Validation (compile_chain) reports every problem at once, each naming the node and field:
// unknown types, bad parameters, script syntax errors with line numbers, relations the type
// never emits, references to unknown nodes, duplicate ids, cycles and unreachable nodes.
//
// A compiled Chain is shared by the engine's workers: nodes keep per-device state (threshold,
// rate of change, offline) under their own mutex.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "rules/actions.hpp"
#include "rules/message.hpp"
#include "rules/sandbox.hpp"

namespace kaiwu::rules {

struct NodeContext {
  Actions& actions;
  Sandbox& sandbox;
  std::int64_t now = 0;  // the engine clock (ms)
  std::string chain_id;
  std::uint64_t failures = 0;  // node executions that ended in "Failure" (counted by run_chain)
};

struct NodeOutcome {
  std::string relation;
  Message msg;
  std::string error;  // set with relation "Failure"
};

class Node {
 public:
  virtual ~Node() = default;
  virtual NodeOutcome on_message(NodeContext& ctx, const Message& in) = 0;
  // Called by the engine's timer: (relation, message) pairs to send on.
  virtual std::vector<std::pair<std::string, Message>> on_tick(NodeContext& ctx) {
    (void)ctx;
    return {};
  }
};

// A node type: its name, the relations it emits and how to build one from its params.
struct NodeType {
  std::string_view name;
  std::string_view summary;
  std::vector<std::string_view> relations;
  // Errors name the field ("params.high: must be a number").
  Result<std::unique_ptr<Node>> (*make)(const boost::json::object& params, const std::string& node_id);
};
const std::vector<NodeType>& node_types();
const NodeType* find_node_type(std::string_view name);

struct ChainNode {
  std::string id;
  std::string name;
  std::string type;
  std::unique_ptr<Node> node;
  std::map<std::string, std::vector<std::size_t>> next;  // relation → node indexes
};

class Chain {
 public:
  std::vector<ChainNode>& nodes() { return nodes_; }
  const std::vector<ChainNode>& nodes() const { return nodes_; }
  std::size_t root() const { return root_; }

 private:
  friend Result<std::shared_ptr<Chain>> compile_chain(std::string_view json_text);
  std::vector<ChainNode> nodes_;
  std::size_t root_ = 0;
};

// Compiles a chain definition. kInvalidArgument with every problem joined by "; ".
Result<std::shared_ptr<Chain>> compile_chain(std::string_view json_text);
// The problems of a definition, one per entry; empty when it is valid.
std::vector<std::string> validate_chain(std::string_view json_text);

// One node execution, for the dry-run.
struct TraceStep {
  std::string node_id;
  std::string node_type;
  Message input;
  std::optional<Message> output;
  std::string relation;
  std::string error;
  std::vector<std::string> next;  // node ids the output went to
};

// Bounds the work one message can cause through fan-out (a DAG can still multiply paths).
inline constexpr std::size_t kMaxStepsPerMessage = 1000;

// Runs msg through the chain from its root, breadth first. With trace, returns every step.
// Node errors never escape: they become "Failure" relations (and trace entries).
std::vector<TraceStep> run_chain(Chain& chain, const Message& msg, NodeContext& ctx, bool trace);
// Runs every node's timer and sends what they emit down the chain.
std::vector<TraceStep> tick_chain(Chain& chain, NodeContext& ctx, bool trace);

}  // namespace kaiwu::rules

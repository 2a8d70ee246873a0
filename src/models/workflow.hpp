// Business-process models: a deterministic state machine over the invocation's inputs.
//
//   {"initial": "received", "maxSteps": 100,
//    "states": [{"name": "received"}, {"name": "approved", "final": true}, …],
//    "transitions": [{"from": "received", "to": "approved", "guard": "amount < 10000",
//                     "actions": [{"set": "approver", "value": "'auto'"}]}, …]}
//
// Variables start as the inputs and parameters; each step takes the first transition (in
// declaration order) leaving the current state whose guard (expr.hpp; absent = true) holds, runs
// its actions in order (each sees the ones before) and moves. It stops in a final state, when no
// transition fires, or after maxSteps (1..10000), and says which.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "models/expr.hpp"

namespace kaiwu::models {

struct Workflow {
  struct Action {
    std::string set;
    Expr value;
  };
  struct Transition {
    std::string from, to;
    std::optional<Expr> guard;
    std::vector<Action> actions;
  };
  std::string initial;
  std::vector<std::string> states;
  std::vector<std::string> finals;
  std::vector<Transition> transitions;
  std::size_t max_steps = 1000;
};

// kInvalidArgument "<pointer>: why", pointer under `at` (e.g. "/implementation/workflow").
Result<Workflow> parse_workflow(const boost::json::value& v, const std::string& at);

struct WorkflowRun {
  std::string state;
  std::size_t steps = 0;
  std::vector<std::string> path;  // every state visited, the initial one first
  std::string stopped;            // "final" | "no_transition" | "max_steps"
  Variables vars;
};
// kInvalidArgument "transition N (a → b): guard: …" when an expression fails.
Result<WorkflowRun> run_workflow(const Workflow& w, Variables vars);

}  // namespace kaiwu::models

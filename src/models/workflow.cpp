#include "models/workflow.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace kaiwu::models {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxStates = 256;
constexpr std::size_t kMaxTransitions = 1024;
constexpr std::size_t kMaxStepsLimit = 10'000;

std::unexpected<Error> bad(const std::string& at, std::string_view why) {
  return fail(Errc::kInvalidArgument, fmt::format("{}: {}", at, why));
}

Result<std::string> name_at(const json::object& o, std::string_view key, const std::string& at) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->get_string().empty() || v->get_string().size() > 128)
    return bad(at + "/" + std::string(key), "must be a non-empty string of at most 128 characters");
  return std::string(v->get_string());
}

Result<Expr> expr_at(const json::value& v, const std::string& at) {
  if (!v.is_string()) return bad(at, "must be an expression string");
  auto e = Expr::parse(v.get_string());
  if (!e) return bad(at, e.error().message);
  return std::move(*e);
}

Status parse_states(const json::object& o, const std::string& at, Workflow& w) {
  auto* states = o.if_contains("states");
  if (!states || !states->is_array() || states->get_array().empty() || states->get_array().size() > kMaxStates)
    return bad(at + "/states", "must be an array of 1..256 states");
  for (std::size_t i = 0; i < states->get_array().size(); ++i) {
    const auto& s = states->get_array()[i];
    const std::string here = fmt::format("{}/states/{}", at, i);
    if (!s.is_object()) return bad(here, "must be an object {name, final}");
    auto name = KAIWU_TRY(name_at(s.get_object(), "name", here));
    if (std::ranges::find(w.states, name) != w.states.end()) return bad(here + "/name", "duplicate state " + name);
    if (auto* f = s.get_object().if_contains("final")) {
      if (!f->is_bool()) return bad(here + "/final", "must be a boolean");
      if (f->get_bool()) w.finals.push_back(name);
    }
    w.states.push_back(std::move(name));
  }
  return ok();
}

Result<Workflow::Transition> parse_transition(const json::value& v, const std::string& here, const Workflow& w) {
  if (!v.is_object()) return bad(here, "must be an object {from, to, guard, actions}");
  const auto& o = v.get_object();
  Workflow::Transition t;
  t.from = KAIWU_TRY(name_at(o, "from", here));
  t.to = KAIWU_TRY(name_at(o, "to", here));
  for (const auto* s : {&t.from, &t.to}) {
    if (std::ranges::find(w.states, *s) == w.states.end())
      return bad(here + (s == &t.from ? "/from" : "/to"), "unknown state " + *s);
  }
  if (auto* g = o.if_contains("guard")) t.guard = KAIWU_TRY(expr_at(*g, here + "/guard"));
  if (auto* acts = o.if_contains("actions")) {
    if (!acts->is_array()) return bad(here + "/actions", "must be an array of {set, value}");
    for (std::size_t j = 0; j < acts->get_array().size(); ++j) {
      const auto& a = acts->get_array()[j];
      const std::string ah = fmt::format("{}/actions/{}", here, j);
      if (!a.is_object() || !a.get_object().contains("value")) return bad(ah, "must be an object {set, value}");
      auto set = KAIWU_TRY(name_at(a.get_object(), "set", ah));
      auto value = KAIWU_TRY(expr_at(a.get_object().at("value"), ah + "/value"));
      t.actions.push_back({std::move(set), std::move(value)});
    }
  }
  return t;
}

}  // namespace

Result<Workflow> parse_workflow(const json::value& v, const std::string& at) {
  if (!v.is_object()) return bad(at, "must be an object {initial, states, transitions}");
  const auto& o = v.get_object();
  Workflow w;
  KAIWU_TRY_STATUS(parse_states(o, at, w));
  w.initial = KAIWU_TRY(name_at(o, "initial", at));
  if (std::ranges::find(w.states, w.initial) == w.states.end()) return bad(at + "/initial", "unknown state " + w.initial);
  auto* ts = o.if_contains("transitions");
  if (!ts || !ts->is_array() || ts->get_array().size() > kMaxTransitions)
    return bad(at + "/transitions", "must be an array of at most 1024 transitions");
  for (std::size_t i = 0; i < ts->get_array().size(); ++i)
    w.transitions.push_back(KAIWU_TRY(parse_transition(ts->get_array()[i], fmt::format("{}/transitions/{}", at, i), w)));
  if (auto* m = o.if_contains("maxSteps")) {
    if (!m->is_int64() || m->get_int64() < 1 || m->get_int64() > static_cast<std::int64_t>(kMaxStepsLimit))
      return bad(at + "/maxSteps", "must be an integer 1..10000");
    w.max_steps = static_cast<std::size_t>(m->get_int64());
  }
  return w;
}

Result<WorkflowRun> run_workflow(const Workflow& w, Variables vars) {
  WorkflowRun run;
  run.state = w.initial;
  run.path.push_back(run.state);
  for (;;) {
    if (std::ranges::find(w.finals, run.state) != w.finals.end()) {
      run.stopped = "final";
      break;
    }
    if (run.steps >= w.max_steps) {
      run.stopped = "max_steps";
      break;
    }
    const Workflow::Transition* fired = nullptr;
    for (std::size_t i = 0; i < w.transitions.size() && !fired; ++i) {
      const auto& t = w.transitions[i];
      if (t.from != run.state) continue;
      if (!t.guard) {
        fired = &t;
        break;
      }
      auto g = t.guard->eval(vars);
      if (!g) return fail(Errc::kInvalidArgument, fmt::format("transition {} ({} → {}): guard: {}", i, t.from, t.to, g.error().message));
      if (truthy(*g)) fired = &t;
    }
    if (!fired) {
      run.stopped = "no_transition";
      break;
    }
    for (const auto& a : fired->actions) {
      auto v = a.value.eval(vars);
      if (!v) return fail(Errc::kInvalidArgument, fmt::format("action set {}: {}", a.set, v.error().message));
      vars.insert_or_assign(a.set, std::move(*v));
    }
    run.state = fired->to;
    run.path.push_back(run.state);
    ++run.steps;
  }
  run.vars = std::move(vars);
  return run;
}

}  // namespace kaiwu::models

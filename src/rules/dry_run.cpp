#include "rules/dry_run.hpp"

#include <boost/json.hpp>

#include "rules/message_json.hpp"

namespace kaiwu::rules {
namespace json = boost::json;

Result<DryRunResult> dry_run(std::string_view definition, const Message& msg, AttributeReader reads,
                             const std::string& chain_id, SandboxLimits limits, Sandbox::Clock clock) {
  auto chain = KAIWU_TRY(compile_chain(definition));
  RecordingActions recorder(std::move(reads));
  Sandbox sandbox(limits, clock);
  const std::int64_t now = clock ? clock()
                                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
  NodeContext ctx{recorder, sandbox, now, chain_id};
  DryRunResult out;
  out.steps = run_chain(*chain, msg, ctx, true);
  out.actions = recorder.take();
  return out;
}

json::object to_json(const DryRunResult& r) {
  json::array steps;
  for (const auto& s : r.steps) {
    json::array next;
    for (const auto& n : s.next) next.emplace_back(n);
    steps.push_back(json::object{
        {"nodeId", s.node_id},
        {"type", s.node_type},
        {"input", to_json(s.input)},
        {"output", s.output ? json::value(to_json(*s.output)) : json::value(nullptr)},
        {"relation", s.relation},
        {"error", s.error.empty() ? json::value(nullptr) : json::value(s.error)},
        {"next", std::move(next)}});
  }
  json::array actions;
  for (const auto& a : r.actions) {
    boost::system::error_code ec;
    auto detail = json::parse(a.detail_json, ec);
    actions.push_back(json::object{{"kind", a.kind}, {"detail", ec ? json::value(a.detail_json) : detail}});
  }
  return json::object{{"steps", std::move(steps)}, {"actions", std::move(actions)}};
}

}  // namespace kaiwu::rules

// The dry-run: a chain definition run once on a sample message with a fresh compiled chain (no
// live node state is touched) and RecordingActions (no side effect is executed; attribute reads
// go to `reads`). Lua runs in a sandbox created for the call, on the calling thread (an HTTP
// handler thread, never an io thread).
#pragma once

#include <boost/json/object.hpp>

#include <string_view>

#include "core/result.hpp"
#include "rules/actions.hpp"
#include "rules/chain.hpp"
#include "rules/message.hpp"

namespace kaiwu::rules {

struct DryRunResult {
  std::vector<TraceStep> steps;
  std::vector<RecordedAction> actions;
};

// kInvalidArgument when the definition does not compile.
Result<DryRunResult> dry_run(std::string_view definition, const Message& msg, AttributeReader reads,
                             const std::string& chain_id, SandboxLimits limits = {},
                             Sandbox::Clock clock = {});

// {"steps":[{"nodeId","type","input","output"|null,"relation","error"|null,"next":[…]}],
//  "actions":[{"kind","detail":{…}}]}
boost::json::object to_json(const DryRunResult& r);

}  // namespace kaiwu::rules

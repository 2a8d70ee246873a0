// Host functions that leave the sandbox: kaiwu.files.xlsx (apps/files.hpp).
#include <boost/json.hpp>
#include <fmt/format.h>

#include "apps/files.hpp"
#include "apps/host_api_internal.hpp"

namespace kaiwu::apps::host {
namespace {

// xlsx(name, sheets) → {id=, name=, size=}; downloaded by the same enterprise from
// GET /api/v1/apps/{appId}/files/{id}.
HostResult files_xlsx(RunContext& ctx, const Args& a) {
  KAIWU_TRY_STATUS(require(ctx, Permission::kFilesWrite));
  if (!ctx.hooks.files) return fail(Errc::kUnavailable, "APP files are not available in this deployment");
  auto name = KAIWU_TRY(arg_string(a, 0, "name"));
  if (a.size() < 2) return fail(Errc::kInvalidArgument, "argument 2 (sheets) must be a list of sheets");
  const FileOwner owner{ctx.scope.tenant_id, ctx.scope.enterprise_id, ctx.manifest.id};
  auto info = KAIWU_TRY(ctx.hooks.files->write_xlsx(owner, name, a[1]));
  return json::serialize(json::object{{"id", info.id}, {"name", info.name}, {"size", info.size}});
}

}  // namespace

std::vector<Entry> io_functions() { return {{"files.xlsx", files_xlsx}}; }

}  // namespace kaiwu::apps::host

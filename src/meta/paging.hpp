// Helpers over the stores' paged lists and SqlStore::with_db, shared by the modules that read
// whole lists (api/overview_routes.cpp, report/indicators.cpp) or keep tables in the metadata
// database (apps/sql_app_store.cpp, report/sql_solution_store.cpp).
#pragma once

#include <optional>
#include <utility>

#include "core/result.hpp"
#include "meta/sql_store.hpp"
#include "meta/store.hpp"

namespace kaiwu::meta {

// Visits every item of a paged list: list(const Page&) -> Result<PageOf<T>>, cursor pagination
// in pages of 1,000 (bounded by the store's own limits).
template <typename T, typename List, typename Visit>
Status for_each_page(List&& list, Visit&& visit) {
  Page page;
  page.limit = 1000;
  while (true) {
    PageOf<T> batch = KAIWU_TRY(list(page));
    for (const auto& item : batch.items) visit(item);
    if (batch.next.empty() || batch.items.empty()) return ok();
    page.cursor = batch.next;
  }
}

// Runs fn(sql::Db&) -> Result<T> on the store's connection inside one transaction and hands its
// value out.
template <typename T, typename F>
Result<T> with_db_value(SqlStore& store, F&& fn) {
  std::optional<T> out;
  KAIWU_TRY_STATUS(store.with_db([&](sql::Db& db) -> Status {
    auto r = fn(db);
    if (!r) return std::unexpected(r.error());
    out = std::move(*r);
    return ok();
  }));
  return std::move(*out);
}

}  // namespace kaiwu::meta

// Every page of a MetadataStore list, for the report routes and metrics (internal to report/).
#pragma once

#include <vector>

#include "core/result.hpp"
#include "meta/store.hpp"

namespace kaiwu::report {

// Calls list(page) with cursor pagination until the last page or max_pages pages of 1000.
template <typename T, typename List>
Result<std::vector<T>> all_pages(List&& list, int max_pages) {
  std::vector<T> out;
  meta::Page page;
  page.limit = 1000;
  for (int i = 0; i < max_pages; ++i) {
    auto batch = KAIWU_TRY(list(page));
    for (auto& item : batch.items) out.push_back(std::move(item));
    if (batch.next.empty() || batch.items.empty()) break;
    page.cursor = batch.next;
  }
  return out;
}

}  // namespace kaiwu::report

#include "meta/sql.hpp"

#include <utility>

namespace kaiwu::meta::sql {

Query::Query(std::string_view head, std::vector<Value> params)
    : head_(head), head_params_(std::move(params)) {}

Query& Query::where(std::string_view condition, std::vector<Value> params) {
  conditions_.emplace_back(condition);
  for (auto& p : params) condition_params_.push_back(std::move(p));
  return *this;
}

Query& Query::tail(std::string_view text, std::vector<Value> params) {
  tail_ += ' ';
  tail_ += text;
  for (auto& p : params) tail_params_.push_back(std::move(p));
  return *this;
}

std::string Query::sql() const {
  std::string sql = head_;
  for (std::size_t i = 0; i < conditions_.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += conditions_[i];
  }
  sql += tail_;
  return sql;
}

std::vector<Value> Query::params() const {
  std::vector<Value> all = head_params_;
  all.insert(all.end(), condition_params_.begin(), condition_params_.end());
  all.insert(all.end(), tail_params_.begin(), tail_params_.end());
  return all;
}

}  // namespace kaiwu::meta::sql

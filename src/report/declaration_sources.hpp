// Reads what the declaration needs from the platform's stores (the metadata database, the model
// catalogue, the APP marketplace and run log, the audit log) into a DeclarationInput, and keeps
// the generated sets of files under <data>/declarations/<id>/ for download.
//
// Works the same in `kaiwu serve` (the server's stores) and in `kaiwu report declaration` (the
// CLI opens the database files itself; SQLite WAL lets it read while a server writes).
// Blocking: call from a worker thread.
#pragma once

#include <boost/json.hpp>

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "meta/store.hpp"
#include "report/declaration.hpp"

namespace kaiwu::apps { class AppStore; }
namespace kaiwu::meta { class ModelStore; }

namespace kaiwu::report {

class SolutionStore;

// The indicators JSON for a day (report::compute_indicators, platform scope).
using IndicatorsFn = std::function<Result<boost::json::object>(std::string_view as_of_day)>;

struct DeclarationSources {
  meta::MetadataStore& store;
  meta::ModelStore* models = nullptr;     // null: 附件2 is empty
  apps::AppStore* apps = nullptr;         // null: 附件3 and the APP run log are empty
  SolutionStore* solutions = nullptr;     // null: 附件5 is empty
  IndicatorsFn indicators;                // required
  std::string platform_version;
};

// Limits of the annexes (the workbook stays openable; the document states the counts).
inline constexpr std::size_t kMaxAnnexRows = 100'000;
inline constexpr std::size_t kMaxRunsPerApp = 1'000;
inline constexpr std::size_t kMaxAuditRows = 20'000;

// The as-of day of a declaration year: today for the current year, 31 December for a past one.
// kInvalidArgument for a year before 2000 or after the current one.
Result<std::string> declaration_as_of(int year, std::int64_t now_ms);

// Everything the export writes, platform-wide (the form is the operator's).
Result<DeclarationInput> gather_declaration(const DeclarationSources& sources, int year, std::int64_t now_ms);

// Generated declarations kept under dir (the newest kKept; older ones are removed).
class DeclarationArchive {
 public:
  static constexpr std::size_t kKept = 10;
  DeclarationArchive(std::filesystem::path dir, std::string platform_version)
      : dir_(std::move(dir)), platform_version_(std::move(platform_version)) {}
  const std::string& platform_version() const { return platform_version_; }

  // Gathers and writes a new set; returns its id and files.
  Result<std::pair<std::string, std::vector<DeclarationFile>>> generate(const DeclarationSources& sources, int year,
                                                                         std::int64_t now_ms);
  // The path of one file of a set; kNotFound for an unknown id or name (names are matched
  // against the set's listing, never used as paths directly).
  Result<std::filesystem::path> file(std::string_view id, std::string_view name) const;

 private:
  void prune();
  std::filesystem::path dir_;
  std::string platform_version_;
  std::mutex mu_;  // one generation at a time (guards the directory listing and pruning)
};

}  // namespace kaiwu::report

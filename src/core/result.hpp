// Result<T> = std::expected<T, Error>: expected failures are values, never exceptions.
#pragma once

#include <expected>
#include <string>
#include <utility>

#include "core/errc.hpp"

namespace kaiwu {

struct Error {
  Errc code = Errc::kInternal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string msg) : code(c), message(std::move(msg)) {}
};

template <typename T>
using Result = std::expected<T, Error>;

// Result<void> with a readable name for operations that return nothing.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

inline Status ok() { return {}; }

}  // namespace kaiwu

// Propagates an error from an expression returning Result/Status; yields the value otherwise.
#define KAIWU_TRY(expr)                                          \
  ({                                                             \
    auto&& kaiwu_try_r_ = (expr);                                \
    if (!kaiwu_try_r_) return std::unexpected(kaiwu_try_r_.error()); \
    std::move(*kaiwu_try_r_);                                    \
  })

#define KAIWU_TRY_STATUS(expr)                                   \
  do {                                                           \
    auto&& kaiwu_try_s_ = (expr);                                \
    if (!kaiwu_try_s_) return std::unexpected(kaiwu_try_s_.error()); \
  } while (0)

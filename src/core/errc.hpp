// The one error catalogue of Kaiwu. Every module reports expected failures with these codes;
// the REST API maps each to an HTTP status in one table (api/errors.cpp) and the console
// shows code and message.
#pragma once

#include <cstdint>
#include <string_view>

namespace kaiwu {

enum class Errc : std::uint16_t {
  kOk = 0,
  kInvalidArgument,     // malformed or out-of-range input; the message names the field
  kNotFound,            // no such object in the caller's scope
  kAlreadyExists,       // unique constraint violated
  kUnauthenticated,     // missing or wrong credentials
  kPermissionDenied,    // authenticated but not allowed
  kFailedPrecondition,  // object is in the wrong state (e.g. still referenced)
  kResourceExhausted,   // rate limit, quota, queue full
  kPayloadTooLarge,     // body or packet larger than allowed
  kUnavailable,         // temporarily unable (shutting down, peer gone)
  kTimeout,             // deadline passed
  kIo,                  // disk or OS failure
  kCorruption,          // stored data fails its checks
  kInternal,            // a bug: should never happen
};

// Stable snake_case name used in JSON errors and logs ("not_found").
std::string_view errc_name(Errc code);

}  // namespace kaiwu

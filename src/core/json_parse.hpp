// Strict JSON parsing with correctly rounded doubles. Boost.JSON 1.81's own number parser can be
// one ulp off (it reads "499.90000000000003" as 499.89999999999998); telemetry must be
// bit-exact, so numbers with a fraction or exponent are re-read with std::from_chars.
#pragma once

#include <boost/json/value.hpp>

#include <string_view>

#include "core/result.hpp"

namespace kaiwu {

// kInvalidArgument with "malformed JSON (<reason>)" on bad input.
Result<boost::json::value> parse_json(std::string_view text);

}  // namespace kaiwu

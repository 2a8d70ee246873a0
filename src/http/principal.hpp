// Who is calling: the result of authentication, attached to a request.
#pragma once

#include <string>

#include "model/entities.hpp"

namespace kaiwu::http {

struct Principal {
  std::string user_id;
  std::string username;       // "apikey:<prefix>" for API keys
  model::Role role = model::Role::kViewer;
  std::string tenant_id;      // empty for platform admins
  std::string park_id;
  std::string enterprise_id;
  bool via_api_key = false;
  std::string api_key_id;
};

}  // namespace kaiwu::http

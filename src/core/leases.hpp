// Leases: work that must run on exactly one node of a cluster (APP schedule triggers per APP ×
// enterprise, developer sandbox simulation) asks for a named lease and does the work only while
// held() says so. The seam: the embedded mode passes no Leases (everything runs here);
// cluster::NatsLeases (cluster/leases.hpp) keeps them in a NATS JetStream key-value bucket.
//
// Both calls only touch memory and never block (they are made from timers and io threads).
#pragma once

#include <string>
#include <vector>

namespace kaiwu {

class Leases {
 public:
  virtual ~Leases() = default;
  // The leases this user wants (replaces its previous set; users are independent). Held leases
  // no longer wanted are released; wanted ones are acquired when free, soon after.
  virtual void want(const std::string& user, std::vector<std::string> names) = 0;
  // True while this node holds the lease (within its validity, with a safety margin).
  virtual bool held(const std::string& name) const = 0;
};

}  // namespace kaiwu

#pragma once
#include <strata/export.h>

#include <string>
#include <vector>

namespace strata {

// Who made a request. `name` is empty for an anonymous request.
struct STRATA_API Principal {
  std::string name;
  std::vector<std::string> groups;  // from the users file; "admin" is the operator group
  enum class Via { Anonymous, Basic, Bearer } via = Via::Anonymous;

  bool anonymous() const { return name.empty(); }
  bool inGroup(const std::string& group) const;
};

}  // namespace strata

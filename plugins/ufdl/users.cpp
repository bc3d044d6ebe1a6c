// Placeholder: the routes of this file are being written.
#include "filter_spec.h"
#include "ufdl_common.h"

namespace strata::ufdl {

void addUserRoutes(RouteRegistry&, Context&) {}

// Until filter_spec.cpp is complete: no filters, active records only.
__attribute__((weak)) ListSpec parseFilterSpec(const Context&, const Poco::Dynamic::Var&,
                                               const ResourceSchema&) {
  return {};
}
__attribute__((weak)) EntityQuery listQuery(const ListSpec&, const ResourceSchema& schema,
                                            const std::vector<EntityCondition>& extra) {
  EntityQuery q;
  if (schema.softDelete) q.filters.push_back({"deletion_time", EntityFilter::Op::IsNull, {}});
  q.conditions = extra;
  return q;
}
namespace {
ResourceSchema schema(const char* c, bool soft) {
  ResourceSchema s;
  s.collection = c;
  s.softDelete = soft;
  return s;
}
}  // namespace
__attribute__((weak)) const ResourceSchema& userSchema() {
  static const ResourceSchema s = schema(kUsers, false);
  return s;
}
__attribute__((weak)) const ResourceSchema& teamSchema() {
  static const ResourceSchema s = schema(kTeams, true);
  return s;
}
__attribute__((weak)) const ResourceSchema& projectSchema() {
  static const ResourceSchema s = schema(kProjects, true);
  return s;
}
__attribute__((weak)) const ResourceSchema& licenceSchema() {
  static const ResourceSchema s = schema(kLicences, false);
  return s;
}

}  // namespace strata::ufdl

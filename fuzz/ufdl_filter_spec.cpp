// UFDL's `list` bodies (FilterSpec): parsed for every core record kind as the list routes do,
// with cross-record paths resolved through a memory entity store, and the resulting query run
// on that store.
// Input: the request body (JSON).
#include <strata/memory_stores.h>

#include "filter_spec.h"
#include "fuzz_support.h"
#include "ufdl_common.h"

using namespace strata;
using namespace strata::ufdl;

namespace {

Context makeContext() {
  Context ctx;
  ctx.entities = makeMemoryEntityStore();
  declareIndexes(ctx);
  auto add = [&](const std::string& collection, int64_t pk, const std::string& body) {
    auto o = fuzz::requestJson(body)->extract<Poco::JSON::Object::Ptr>();
    o->set("pk", pk);
    ctx.entities->create(collection, pkId(pk), o);
  };
  add(kUsers, 1, R"({"username":"alice","password":"x","is_staff":false,"email":"a@x.org"})");
  add(kTeams, 1, R"({"name":"Alpha","creator":1,"deletion_time":null})");
  add(kProjects, 1, R"({"name":"p-one","team":1,"deletion_time":null})");
  add(kLicences, 1, R"({"name":"MIT","permissions":["modification"],"conditions":[]})");
  add(kDatasets, 1, R"({"name":"cats","dataset_version":1,"project":1,"licence":1,"is_public":true,
      "description":"Cats","creation_time":"2021-01-01T00:00:00+00:00","deletion_time":null})");
  add(kDatasets, 2, R"({"name":"dogs","dataset_version":2,"project":null,"licence":null,"is_public":false,
      "description":null,"creation_time":"2021-05-01T00:00:00+00:00","deletion_time":"2021-06-01T00:00:00+00:00"})");
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const Context ctx = makeContext();
  const std::string text(reinterpret_cast<const char*>(data), size);
  // An empty body is no filter; anything else must be JSON (400 otherwise, before the parser).
  Poco::Dynamic::Var body;
  if (!text.empty()) {
    auto json = fuzz::requestJson(text);
    if (!json) return 0;
    body = *json;
  }
  for (const ResourceSchema* schema :
       {&userSchema(), &teamSchema(), &projectSchema(), &licenceSchema(), &datasetSchema()}) {
    fuzz::expectClientErrors([&] {
      const ListSpec spec = parseFilterSpec(ctx, body, *schema);
      (void)ctx.entities->list(schema->collection, listQuery(spec, *schema));
    });
  }
  return 0;
}

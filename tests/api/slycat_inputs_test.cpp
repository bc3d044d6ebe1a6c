// Arrayset storage shared between Slycat models over HTTP: PUT /api/models/{mid}/inputs (by
// reference and deep), DELETE /api/delete-artifact/{mid}/{aid}, DELETE /api/models/{mid}, and
// replacing an arrayset, with the storage's container going exactly when its last reference
// does. Runs on entities memory and rocksdb with arrays memory, hdf5 and rocksdb. The server
// also loads the hdf plugin, which shows each container as the domain
// <storage id>.slycat.hdfgroup.org (404 once it is gone) and writes values for the deep-copy
// checks; on hdf5 the container's .h5 file is checked too.
#include "slycat_test_support.h"
#include "support/server_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using namespace slycat;
namespace fs = std::filesystem;

const char* kArray =
    R"({"dimensions": [{"name": "row", "end": 4}], "attributes": [{"name": "v", "type": "int64"}]})";

// The parameter is "<entities backend>/<arrays backend>".
class SlycatInputs : public SlycatServer {
 protected:
  void SetUp() override {
    const std::string p = GetParam();
    entities_ = p.substr(0, p.find('/'));
    arrays_ = p.substr(p.find('/') + 1);
    start();
    pid_ = newProject(true);  // alice administers, bob writes, carol reads
  }
  void start() { startServer(entities_, arrays_, {{"plugins.load", "slycat,hdf"}}); }

  Object::Ptr model(const std::string& mid) {
    const auto r = req("GET", "/api/models/" + mid);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse(r);
  }
  std::string storage(const std::string& mid, const std::string& aid) {
    return model(mid)->getValue<std::string>("artifact:" + aid);
  }
  // A model of the project with an arrayset `aid` holding array 0 (4 int64 values).
  std::string modelWithArrayset(const std::string& aid = "data-table", bool input = true) {
    const std::string mid = newModel(pid_);
    putArrayset(mid, aid, input);
    return mid;
  }
  void putArrayset(const std::string& mid, const std::string& aid, bool input = true) {
    const std::string base = "/api/models/" + mid + "/arraysets/" + aid;
    auto r = req("PUT", base, input ? R"({"input": true})" : R"({"input": false})");
    ASSERT_EQ(r.status, 200) << r.body;
    r = req("PUT", base + "/arrays/0", kArray);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  HttpResult copyInputs(const std::string& target, const std::string& source, bool deep = false,
                        const Headers& h = kAlice) {
    const std::string body =
        R"({"sid": ")" + source + "\"" + (deep ? R"(, "deep-copy": true})" : std::string("}"));
    return req("PUT", "/api/models/" + target + "/inputs", body, h);
  }
  static std::string host(const std::string& sid) { return sid + ".slycat.hdfgroup.org"; }

  // Whether the storage's container exists, seen through the hdf plugin and, on hdf5, on disk.
  bool exists(const std::string& sid) {
    const auto r = req("GET", "/?host=" + host(sid), "", kRoot);
    EXPECT_TRUE(r.status == 200 || r.status == 404) << r.status << " " << r.body;
    if (arrays_ == "hdf5") {
      EXPECT_EQ(fs::exists(state_.file("arrays") + "/slycat/" + sid + ".h5"), r.status == 200) << sid;
    }
    return r.status == 200;
  }
  std::string linkId(const std::string& sid, const std::string& group, const std::string& name) {
    const auto r = req("GET", "/groups/" + group + "/links/" + name + "?host=" + host(sid), "", kRoot);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse(r)->getObject("link")->getValue<std::string>("id");
  }
  // The dataset /array/0/attribute/0 of the storage.
  std::string column(const std::string& sid) {
    const auto r = req("GET", "/?host=" + host(sid), "", kRoot);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string id = parse(r)->getValue<std::string>("root");
    for (const char* name : {"array", "0", "attribute", "0"}) id = linkId(sid, id, name);
    return id;
  }
  void writeColumn(const std::string& sid, const std::string& values) {
    const auto r = req("PUT", "/datasets/" + column(sid) + "/value?host=" + host(sid),
                       R"({"value": )" + values + "}", kRoot);
    EXPECT_EQ(r.status, 200) << r.body;
  }
  std::string readColumn(const std::string& sid) {
    const auto r = req("GET", "/datasets/" + column(sid) + "/value?host=" + host(sid), "", kRoot);
    EXPECT_EQ(r.status, 200) << r.body;
    std::ostringstream out;
    parse(r)->getArray("value")->stringify(out);
    return out.str();
  }

  std::string entities_, arrays_, pid_;
};

TEST_P(SlycatInputs, InputsAreSharedAndTheStorageGoesWithTheLastReference) {
  const std::string a = modelWithArrayset("data-table", true);
  putArrayset(a, "extra", false);  // not an input: not copied
  const std::string sid = storage(a, "data-table"), extra = storage(a, "extra");
  const std::string b = newModel(pid_), c = newModel(pid_);

  auto r = copyInputs(b, a);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body.empty()) << r.body;
  r = req("PUT", "/models/" + c + "/inputs", R"({"sid": ")" + a + R"(", "deep-copy": false})", kBob);
  ASSERT_EQ(r.status, 200) << r.body;  // without the /api prefix, by a writer
  for (const auto& m : {model(b), model(c)}) {
    EXPECT_EQ(m->getValue<std::string>("artifact:data-table"), sid);
    EXPECT_EQ(m->getObject("artifact-types")->getValue<std::string>("data-table"), "hdf5");
    EXPECT_EQ(m->getObject("artifact-types")->size(), 1u);
    ASSERT_EQ(m->getArray("input-artifacts")->size(), 1u);
    EXPECT_EQ(m->getArray("input-artifacts")->getElement<std::string>(0), "data-table");
    EXPECT_FALSE(m->has("artifact:extra"));
    EXPECT_EQ(m->getValue<std::string>("message"), "Copying existing model inputs.");
  }
  // The shared arrayset is read through every model.
  r = req("GET", "/api/models/" + c + "/arraysets/data-table/metadata", "", kCarol);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parseArray(r)->size(), 1u);

  // Three references: deleting the source model leaves the storage; its other arrayset goes.
  r = req("DELETE", "/api/models/" + a);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(exists(sid));
  EXPECT_FALSE(exists(extra));
  r = req("DELETE", "/api/delete-artifact/" + b + "/data-table", "", kBob);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(r.body.empty());
  const auto mb = model(b);
  EXPECT_FALSE(mb->has("artifact:data-table"));
  EXPECT_FALSE(mb->getObject("artifact-types")->has("data-table"));
  EXPECT_EQ(mb->getArray("input-artifacts")->size(), 1u);  // kept, as Slycat keeps it
  errorMessage(req("GET", "/api/models/" + b + "/arraysets/data-table/metadata"), 404);
  EXPECT_TRUE(exists(sid));
  // The last reference.
  r = req("DELETE", "/models/" + c);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_FALSE(exists(sid));

  // Copying from a model whose input artifact was deleted copies nothing for it.
  r = copyInputs(newModel(pid_), b);
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_P(SlycatInputs, ReplacingAnArraysetReleasesTheOldStorage) {
  const std::string a = modelWithArrayset();
  std::string old = storage(a, "data-table");
  putArrayset(a, "data-table");  // not shared: the old container goes at once
  EXPECT_FALSE(exists(old));
  const std::string sid = storage(a, "data-table");
  EXPECT_NE(sid, old);
  EXPECT_TRUE(exists(sid));

  // Shared: the old storage stays while another model points at it.
  const std::string b = newModel(pid_);
  ASSERT_EQ(copyInputs(b, a).status, 200);
  putArrayset(a, "data-table");
  EXPECT_TRUE(exists(sid));
  EXPECT_EQ(storage(b, "data-table"), sid);
  putArrayset(b, "data-table");
  EXPECT_FALSE(exists(sid));

  // Copying over an arrayset of the same aid releases the target's old storage.
  old = storage(b, "data-table");
  ASSERT_EQ(copyInputs(b, a).status, 200);
  EXPECT_FALSE(exists(old));
  EXPECT_EQ(storage(b, "data-table"), storage(a, "data-table"));
  // Copying a model's inputs onto itself changes no count.
  ASSERT_EQ(copyInputs(a, a).status, 200);
  ASSERT_EQ(req("DELETE", "/api/models/" + a).status, 204);
  EXPECT_TRUE(exists(storage(b, "data-table")));
  const std::string last = storage(b, "data-table");
  ASSERT_EQ(req("DELETE", "/api/models/" + b).status, 204);
  EXPECT_FALSE(exists(last));
}

TEST_P(SlycatInputs, ADeepCopyIsIndependent) {
  const std::string a = modelWithArrayset();
  const std::string sid = storage(a, "data-table");
  writeColumn(sid, "[1, 2, 3, 4]");
  const std::string b = newModel(pid_);
  auto r = copyInputs(b, a, true);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string copy = storage(b, "data-table");
  EXPECT_NE(copy, sid);
  EXPECT_EQ(model(b)->getObject("artifact-types")->getValue<std::string>("data-table"), "hdf5");
  EXPECT_EQ(readColumn(copy), "[1,2,3,4]");
  r = req("GET", "/api/models/" + b + "/arraysets/data-table/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parseArray(r)->getObject(0)->getArray("attributes")->getObject(0)->getValue<std::string>("name"),
            "v");

  writeColumn(sid, "[5, 6, 7, 8]");
  EXPECT_EQ(readColumn(copy), "[1,2,3,4]");
  writeColumn(copy, "[9, 9, 9, 9]");
  EXPECT_EQ(readColumn(sid), "[5,6,7,8]");

  // Each has its own count.
  ASSERT_EQ(req("DELETE", "/api/models/" + a).status, 204);
  EXPECT_FALSE(exists(sid));
  EXPECT_EQ(readColumn(copy), "[9,9,9,9]");
  ASSERT_EQ(req("DELETE", "/api/delete-artifact/" + b + "/data-table").status, 204);
  EXPECT_FALSE(exists(copy));
}

TEST_P(SlycatInputs, ErrorsAndAccess) {
  const std::string a = modelWithArrayset();
  const std::string sid = storage(a, "data-table");
  const std::string b = newModel(pid_);
  const std::string rev = model(b)->getValue<std::string>("_rev");
  const std::string unknown(32, 'f');

  // Another project: 400 when the caller may read it, 403 when not.
  const std::string other = newModel(newProject(), kAlice);
  EXPECT_EQ(errorMessage(copyInputs(b, other), 400), "Cannot duplicate a model from another project.");
  auto r = req("POST", "/api/projects", R"({"name":"bobs"})", kBob);
  const std::string bobs = newModel(parse(r)->getValue<std::string>("id"), kBob);
  errorMessage(copyInputs(b, bobs), 403);
  // Unknown models, bad bodies.
  errorMessage(copyInputs(unknown, a), 404);
  errorMessage(copyInputs(b, unknown), 404);
  const std::string inputs = "/api/models/" + b + "/inputs";
  for (const char* body :
       {"{}", R"({"sid": 1})", R"({"sid": null})", "[]", "{", R"({"sid": "x", "more": 1})"})
    errorMessage(req("PUT", inputs, body), 400);
  errorMessage(req("PUT", inputs, R"({"sid": ")" + a + R"(", "deep-copy": "yes"})"), 400);
  // Readers may not copy into a model or delete; without a user, 401.
  errorMessage(copyInputs(b, a, false, kCarol), 403);
  errorMessage(req("DELETE", "/api/delete-artifact/" + a + "/data-table", "", kCarol), 403);
  errorMessage(req("DELETE", "/api/models/" + a, "", kCarol), 403);
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"PUT", inputs},
           {"DELETE", "/api/delete-artifact/" + a + "/data-table"},
           {"DELETE", "/api/models/" + a}})
    EXPECT_EQ(req(method, path, R"({"sid": ")" + a + "\"}", {}).status, 401) << path;
  // Nothing changed.
  EXPECT_EQ(model(b)->getValue<std::string>("_rev"), rev);
  EXPECT_EQ(storage(a, "data-table"), sid);
  EXPECT_TRUE(exists(sid));

  // Unknown models and artifacts of DELETE (Slycat answers 204 for an unknown model).
  errorMessage(req("DELETE", "/api/models/" + unknown), 404);
  errorMessage(req("DELETE", "/api/delete-artifact/" + unknown + "/data-table"), 404);
  EXPECT_EQ(errorMessage(req("DELETE", "/api/delete-artifact/" + a + "/nope"), 404),
            "Unknown artifact: nope");
  ASSERT_EQ(req("DELETE", "/api/delete-artifact/" + a + "/data-table").status, 204);
  errorMessage(req("DELETE", "/api/delete-artifact/" + a + "/data-table"), 404);
  EXPECT_FALSE(exists(sid));
}

TEST_P(SlycatInputs, ConcurrentChangesAllLand) {
  // Arraysets of different aids on one model, at once: every one lands.
  const std::string m = newModel(pid_);
  constexpr int kThreads = 6;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      if (req("PUT", "/api/models/" + m + "/arraysets/a" + std::to_string(t), R"({"input": true})").status !=
          200)
        ++bad;
    });
  for (auto& th : threads) th.join();
  threads.clear();
  EXPECT_EQ(bad.load(), 0);
  auto doc = model(m);
  EXPECT_EQ(doc->getObject("artifact-types")->size(), std::size_t(kThreads));
  EXPECT_EQ(doc->getArray("input-artifacts")->size(), std::size_t(kThreads));
  std::set<std::string> sids;
  for (int t = 0; t < kThreads; ++t) {
    const std::string sid = doc->getValue<std::string>("artifact:a" + std::to_string(t));
    sids.insert(sid);
    EXPECT_TRUE(exists(sid));
  }
  EXPECT_EQ(sids.size(), std::size_t(kThreads));

  // Many models share one storage at once, then drop it at once: it goes with the last.
  const std::string a = modelWithArrayset("a0");
  const std::string sid = storage(a, "a0");
  std::vector<std::string> targets;
  for (int t = 0; t < kThreads; ++t) targets.push_back(newModel(pid_));
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      if (copyInputs(targets[t], a).status != 200) ++bad;
    });
  for (auto& th : threads) th.join();
  threads.clear();
  EXPECT_EQ(bad.load(), 0);
  ASSERT_EQ(req("DELETE", "/api/models/" + a).status, 204);
  for (int t = 0; t + 1 < kThreads; ++t)
    threads.emplace_back([&, t] {
      if (req("DELETE", "/api/models/" + targets[t]).status != 204) ++bad;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(storage(targets.back(), "a0"), sid);
  EXPECT_TRUE(exists(sid));
  ASSERT_EQ(req("DELETE", "/api/models/" + targets.back()).status, 204);
  EXPECT_FALSE(exists(sid));

  // On hdf5, no file is left but those of m's arraysets.
  if (arrays_ == "hdf5") {
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(state_.file("arrays") + "/slycat"))
      files += e.path().extension() == ".h5";
    EXPECT_EQ(files, std::size_t(kThreads));
  }
}

TEST_P(SlycatInputs, CountsSurviveARestart) {
  if (entities_ == "memory" || arrays_ == "memory") GTEST_SKIP() << "nothing survives a memory store";
  const std::string a = modelWithArrayset();
  const std::string sid = storage(a, "data-table");
  const std::string b = newModel(pid_);
  ASSERT_EQ(copyInputs(b, a).status, 200);
  start();
  ASSERT_EQ(req("DELETE", "/api/models/" + a).status, 204);
  EXPECT_TRUE(exists(sid));
  start();
  EXPECT_TRUE(exists(sid));
  EXPECT_EQ(storage(b, "data-table"), sid);
  ASSERT_EQ(req("DELETE", "/api/models/" + b).status, 204);
  EXPECT_FALSE(exists(sid));
}

INSTANTIATE_TEST_SUITE_P(Stores, SlycatInputs,
                         ::testing::Values("memory/memory", "memory/hdf5", "rocksdb/rocksdb", "rocksdb/hdf5"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           name[name.find('/')] = '_';
                           return name;
                         });

}  // namespace
}  // namespace strata::test

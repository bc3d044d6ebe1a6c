// The crash test's synapse and ufdl workers (crash_workers.h).
#include "api/crash_workers.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <map>
#include <set>

namespace strata::test::crash {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Headers json(Headers h) {
  h["Content-Type"] = "application/json";
  return h;
}

// ------------------------------------------------------------------------------- synapse

class SynapseWorker : public Worker {
 public:
  void setUp(Api& api) override {
    std::mt19937_64 rng(7);
    if (!create(api, rng)) ADD_FAILURE() << "synapse: the first dataset was not created";
    for (const auto& e : takeErrors()) ADD_FAILURE() << e;
  }

  bool step(Api& api, std::mt19937_64& rng) override {
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < sets_.size(); ++i)
      if (!sets_[i].deleted) live.push_back(i);
    const auto p = rng() % 100;
    if (live.size() < 8 || p < 10) return create(api, rng);
    const std::size_t i = live[pickRecent(rng, live.size())];
    if (p < 40) return update(api, rng, i);
    if (p < 92) return annotate(api, rng, i);
    return remove(api, i);
  }

  void verify(Api& api, std::mt19937_64& rng, Totals& totals) override {
    totals.acknowledged += acknowledged_.exchange(0);
    // Every dataset the server lists, by id.
    std::map<std::string, Object::Ptr> listed;
    for (int offset = 1;; offset += 100) {
      const auto r = check(api, totals, "synapse list", "GET",
                           "/repo/v1/dataset?offset=" + std::to_string(offset) + "&limit=100", kAlice, {200});
      const auto o = parseObject(r.body);
      const auto results = o ? o->getArray("results") : nullptr;
      if (!results) {
        ADD_FAILURE() << "synapse list: " << r.body.substr(0, 400);
        return;
      }
      for (std::size_t k = 0; k < results->size(); ++k) {
        const auto d = results->getObject(static_cast<unsigned>(k));
        listed[d->getValue<std::string>("id")] = d;
      }
      if (results->size() < 100) break;
    }
    resolvePending(api, totals, listed);

    std::set<std::string> expected;
    for (const auto& s : sets_)
      if (!s.deleted) expected.insert(s.id);
    for (const auto& [id, d] : listed)
      if (!expected.count(id))
        ADD_FAILURE() << "synapse lists a dataset that was deleted or never acknowledged: " << id << " "
                      << d->optValue<std::string>("name", "");
    for (const auto& id : expected)
      if (!listed.count(id)) ADD_FAILURE() << "synapse: acknowledged dataset " << id << " is not listed";

    std::vector<std::size_t> picked;
    for (std::size_t i = 0; i < sets_.size(); ++i)
      if (sets_[i].touched) picked.push_back(i);
    for (std::size_t i : sample(rng, sets_.size(), 30)) picked.push_back(i);
    for (std::size_t i : picked) {
      checkSet(api, totals, i);
      sets_[i].touched = false;
    }
  }

 private:
  struct Set {
    std::string id, name, description, etag;
    std::string annText, annBlob, annEtag = "0";
    int64_t annLong = 0;
    bool deleted = false, touched = true;
  };
  enum class Op { None, Create, Update, Annotate, Delete };

  std::string path(std::size_t i) const { return "/repo/v1/dataset/" + sets_[i].id; }

  bool create(Api& api, std::mt19937_64& rng) {
    Set s;
    s.name = "crash-" + std::to_string(nextName_++) + "-" + randomText(rng, 6);
    s.description = randomText(rng, 1 + rng() % 200);
    pending_ = Op::Create;
    pendSet_ = s;
    const auto r =
        api.call("POST", "/repo/v1/dataset",
                 R"({"name":")" + s.name + R"(","description":")" + s.description + "\"}", json(kAlice));
    if (r.status == 0) return false;
    const auto o = parseObject(r.body);
    if (r.status != 201 || !o || !o->has("id") || !o->has("etag")) {
      if (r.status != 201) error("synapse POST dataset: " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    s.id = o->getValue<std::string>("id");
    s.etag = o->getValue<std::string>("etag");
    sets_.push_back(s);
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  bool update(Api& api, std::mt19937_64& rng, std::size_t i) {
    auto& s = sets_[i];
    s.touched = true;
    pending_ = Op::Update;
    pendIndex_ = i;
    pendSet_ = s;
    pendSet_.description = randomText(rng, 1 + rng() % 200);
    auto h = json(kAlice);
    h["ETag"] = s.etag;
    const auto r = api.call(
        "PUT", path(i), R"({"name":")" + s.name + R"(","description":")" + pendSet_.description + "\"}", h);
    if (r.status == 0) return false;
    const auto o = parseObject(r.body);
    if (r.status != 200 || !o || !o->has("etag")) {
      if (r.status != 200) error("synapse PUT dataset: " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    s.description = pendSet_.description;
    s.etag = o->getValue<std::string>("etag");
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  bool annotate(Api& api, std::mt19937_64& rng, std::size_t i) {
    auto& s = sets_[i];
    s.touched = true;
    pending_ = Op::Annotate;
    pendIndex_ = i;
    pendSet_ = s;
    pendSet_.annText = randomText(rng, 1 + rng() % 100);
    pendSet_.annLong = static_cast<int64_t>(rng() >> 12);
    std::string blob(1 + rng() % 300, '\0');
    for (auto& b : blob) b = static_cast<char>(rng());
    pendSet_.annBlob = base64(blob);
    auto h = json(kAlice);
    h["ETag"] = s.annEtag;
    const auto r = api.call("PUT", path(i) + "/annotations",
                            R"({"stringAnnotations": {"v": [")" + pendSet_.annText +
                                R"("]}, "longAnnotations": {"n": [)" + std::to_string(pendSet_.annLong) +
                                R"(]}, "blobAnnotations": {"b": [")" + pendSet_.annBlob + "\"]}}",
                            h);
    if (r.status == 0) return false;
    const auto o = parseObject(r.body);
    if (r.status != 200 || !o || !o->has("etag")) {
      if (r.status != 200) error("synapse PUT annotations: " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    pendSet_.annEtag = o->getValue<std::string>("etag");
    s = pendSet_;
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  bool remove(Api& api, std::size_t i) {
    sets_[i].touched = true;
    pending_ = Op::Delete;
    pendIndex_ = i;
    const auto r = api.call("DELETE", path(i), "", kAlice);
    if (r.status == 0) return false;
    if (r.status != 204) {
      error("synapse DELETE dataset: " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    sets_[i].deleted = true;
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  // Whether dataset i's annotations read as `want` (values only, not the etag).
  static bool annotationsAre(const Object::Ptr& a, const Set& want) {
    if (!a) return false;
    const auto strings = a->getObject("stringAnnotations");
    const auto longs = a->getObject("longAnnotations");
    const auto blobs = a->getObject("blobAnnotations");
    if (want.annText.empty()) return (!strings || strings->size() == 0) && (!longs || longs->size() == 0);
    if (!strings || !longs || !blobs || !strings->getArray("v") || !longs->getArray("n") ||
        !blobs->getArray("b"))
      return false;
    return strings->getArray("v")->getElement<std::string>(0) == want.annText &&
           longs->getArray("n")->getElement<int64_t>(0) == want.annLong &&
           blobs->getArray("b")->getElement<std::string>(0) == want.annBlob;
  }

  void resolvePending(Api& api, Totals& totals, std::map<std::string, Object::Ptr>& listed) {
    const Op op = pending_;
    pending_ = Op::None;
    if (op == Op::None) return;
    ++totals.inFlight;
    if (op == Op::Create) {
      for (const auto& [id, d] : listed) {
        if (d->optValue<std::string>("name", "") != pendSet_.name) continue;
        ++totals.applied;
        Set s = pendSet_;
        s.id = id;
        s.etag = d->optValue<std::string>("etag", "");
        sets_.push_back(s);
      }
      return;
    }
    auto& s = sets_[pendIndex_];
    if (op == Op::Delete) {
      if (!listed.count(s.id)) {
        ++totals.applied;
        s.deleted = true;
        return;
      }
      // A delete removes the layers and annotations first and the dataset last, so that an
      // interrupted one can be repeated (plugins/synapse/datasets.cpp): the dataset may be
      // there without its annotations. Repeating the DELETE, as a client whose request failed
      // does, completes it.
      const auto a = check(api, totals, "synapse annotations, delete in flight", "GET",
                           path(pendIndex_) + "/annotations", kAlice, {200});
      const auto ao = parseObject(a.body);
      Set none = s;
      none.annText.clear();
      if (!annotationsAre(ao, s) && annotationsAre(ao, none))
        ++totals.torn;
      else if (!annotationsAre(ao, s))
        ADD_FAILURE() << "synapse annotations of " << s.id
                      << " after an interrupted delete: " << a.body.substr(0, 600);
      check(api, totals, "synapse delete repeated", "DELETE", path(pendIndex_), kAlice, {204});
      listed.erase(s.id);
      s.deleted = true;
      s.touched = true;
      return;
    }
    const auto r = check(api, totals, "synapse dataset in flight", "GET", path(pendIndex_), kAlice, {200});
    const auto o = parseObject(r.body);
    if (!o) return;
    if (op == Op::Update) {
      const auto description = o->optValue<std::string>("description", "");
      if (description == pendSet_.description && description != s.description) {
        ++totals.applied;
        s.description = description;
        s.etag = o->optValue<std::string>("etag", "");
      } else if (description != s.description) {
        ADD_FAILURE() << "synapse dataset " << s.id << ": description '" << description
                      << "' is neither the acknowledged one nor the one in flight";
      }
      return;
    }
    const auto a = check(api, totals, "synapse annotations in flight", "GET",
                         path(pendIndex_) + "/annotations", kAlice, {200});
    const auto ao = parseObject(a.body);
    if (annotationsAre(ao, pendSet_) && !annotationsAre(ao, s)) {
      ++totals.applied;
      pendSet_.annEtag = ao->optValue<std::string>("etag", "");
      s = pendSet_;
    } else if (!annotationsAre(ao, s)) {
      ADD_FAILURE() << "synapse annotations of " << s.id
                    << " are neither the acknowledged ones nor the ones in flight: " << a.body.substr(0, 600);
    }
  }

  void checkSet(Api& api, Totals& totals, std::size_t i) {
    const auto& s = sets_[i];
    if (s.deleted) {
      check(api, totals, "synapse deleted dataset", "GET", path(i), kAlice, {404});
      return;
    }
    const auto r = check(api, totals, "synapse dataset", "GET", path(i), kAlice, {200});
    const auto o = parseObject(r.body);
    if (r.status != 200) return;
    if (!o || o->optValue<std::string>("name", "") != s.name ||
        o->optValue<std::string>("description", "") != s.description ||
        o->optValue<std::string>("etag", "") != s.etag)
      ADD_FAILURE() << "synapse dataset " << s.id << " differs from what was acknowledged (name " << s.name
                    << ", etag " << s.etag << ", description " << s.description
                    << "): " << r.body.substr(0, 600);
    const auto a = check(api, totals, "synapse annotations", "GET", path(i) + "/annotations", kAlice, {200});
    const auto ao = parseObject(a.body);
    if (a.status == 200 && (!annotationsAre(ao, s) || a.header("ETag") != s.annEtag))
      ADD_FAILURE() << "synapse annotations of " << s.id << " differ from what was acknowledged (etag "
                    << s.annEtag << ", v " << s.annText << "): " << a.header("ETag") << " "
                    << a.body.substr(0, 600);
  }

  int nextName_ = 0;
  std::vector<Set> sets_;
  Op pending_ = Op::None;
  std::size_t pendIndex_ = 0;
  Set pendSet_;
};

// ---------------------------------------------------------------------------------- ufdl

class UfdlWorker : public Worker {
 public:
  void setUp(Api& api) override {
    auto r = api.call("POST", "/v1/teams/create", R"({"name":"crashlab"})", json(kRoot));
    auto o = parseObject(r.body);
    ASSERT_TRUE(r.status == 201 && o) << r.status << " " << r.body;
    const std::string team = std::to_string(o->getValue<int64_t>("pk"));
    r = api.call("PATCH", "/v1/teams/" + team + "/memberships",
                 R"({"username":"alice","method":"add","permissions":"W"})", json(kRoot));
    ASSERT_EQ(r.status, 200) << r.body;
    r = api.call("POST", "/v1/projects/create", R"({"name":"crashp","team":)" + team + "}", json(kRoot));
    o = parseObject(r.body);
    ASSERT_TRUE(r.status == 201 && o) << r.status << " " << r.body;
    r = api.call("POST", "/v1/datasets/create",
                 R"({"name":"crashds","project":)" + std::to_string(o->getValue<int64_t>("pk")) +
                     R"(,"licence":1,"tags":""})",
                 json(kAlice));
    o = parseObject(r.body);
    ASSERT_TRUE(r.status == 201 && o) << r.status << " " << r.body;
    dataset_ = "/v1/datasets/" + std::to_string(o->getValue<int64_t>("pk"));
  }

  bool step(Api& api, std::mt19937_64& rng) override {
    if (!files_.empty() && rng() % 100 < 25) {
      auto it = files_.begin();
      std::advance(it, static_cast<long>(rng() % files_.size()));
      return remove(api, it->first);
    }
    std::string content;
    if (!files_.empty() && rng() % 5 == 0) {  // the same content as another file: a shared blob
      auto it = files_.begin();
      std::advance(it, static_cast<long>(rng() % files_.size()));
      content = it->second;
    } else {
      content.resize(1 + rng() % (rng() % 8 ? 16384 : 400000));
      for (auto& b : content) b = static_cast<char>(rng());
    }
    return upload(api, "d" + std::to_string(nextName_ % 7) + "/f" + std::to_string(nextName_), content);
  }

  void verify(Api& api, std::mt19937_64& rng, Totals& totals) override {
    totals.acknowledged += acknowledged_.exchange(0);
    const auto r = check(api, totals, "ufdl dataset", "GET", dataset_, kAlice, {200});
    const auto o = parseObject(r.body);
    const auto files = o ? o->getObject("files") : nullptr;
    if (!files) {
      ADD_FAILURE() << "ufdl dataset: no files in " << r.body.substr(0, 400);
      return;
    }
    std::map<std::string, std::string> listed;  // name -> handle
    for (const auto& [name, handle] : *files) listed[name] = handle.toString();

    if (pending_ != Op::None) {
      ++totals.inFlight;
      const bool there = listed.count(pendName_) > 0;
      if (pending_ == Op::Upload && there) {
        ++totals.applied;
        files_[pendName_] = pendContent_;
      } else if (pending_ == Op::Delete && !there) {
        ++totals.applied;
        files_.erase(pendName_);
      }
      touched_.insert(pendName_);
      pending_ = Op::None;
    }

    for (const auto& [name, handle] : listed) {
      auto it = files_.find(name);
      if (it == files_.end())
        ADD_FAILURE() << "ufdl lists a file that was deleted or never acknowledged: " << name;
      else if (handle != sha256Hex(it->second))
        ADD_FAILURE() << "ufdl file " << name << " has the handle " << handle << ", not that of its content";
    }
    std::vector<std::string> names;
    for (const auto& [name, content] : files_) {
      if (!listed.count(name)) ADD_FAILURE() << "ufdl: acknowledged file " << name << " is not listed";
      names.push_back(name);
    }
    for (std::size_t i : sample(rng, names.size(), 30)) touched_.insert(names[i]);
    for (const auto& name : touched_) {
      auto it = files_.find(name);
      const auto got = check(api, totals, "ufdl file", "GET", dataset_ + "/files/" + name, kAlice,
                             {it == files_.end() ? 400 : 200});
      if (it != files_.end() && got.status == 200 && got.body != it->second)
        ADD_FAILURE() << "ufdl file " << name << ": " << got.body.size()
                      << " bytes read back differ from the " << it->second.size() << " acknowledged";
      if (it == files_.end() && got.body.find("Doesn't exist") == std::string::npos)
        ADD_FAILURE() << "ufdl deleted file " << name << ": " << got.body;
    }
    touched_.clear();
  }

 private:
  enum class Op { None, Upload, Delete };

  bool upload(Api& api, const std::string& name, const std::string& content) {
    ++nextName_;
    pending_ = Op::Upload;
    pendName_ = name;
    pendContent_ = content;
    Headers h = kAlice;
    h["Content-Type"] = "application/octet-stream";
    h["Content-Disposition"] = "attachment; filename=data";
    const auto r = api.call("POST", dataset_ + "/files/" + name, content, h);
    if (r.status == 0) return false;
    const auto o = parseObject(r.body);
    if (r.status != 200 || !o || !o->has("handle")) {
      if (r.status != 200) error("ufdl POST file: " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    if (o->getValue<std::string>("handle") != sha256Hex(content))
      error("ufdl POST file " + name + ": handle " + o->getValue<std::string>("handle"));
    files_[name] = content;
    touched_.insert(name);
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  bool remove(Api& api, const std::string& name) {
    pending_ = Op::Delete;
    pendName_ = name;
    const auto r = api.call("DELETE", dataset_ + "/files/" + name, "", kAlice);
    if (r.status == 0) return false;
    if (r.status != 200) {
      error("ufdl DELETE file " + name + ": " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    touched_.insert(name);
    files_.erase(name);  // last: `name` may be that entry's key
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  std::string dataset_;
  int nextName_ = 0;
  std::map<std::string, std::string> files_;  // name -> content, as acknowledged
  std::set<std::string> touched_;
  Op pending_ = Op::None;
  std::string pendName_, pendContent_;
};

}  // namespace

std::unique_ptr<Worker> makeSynapseWorker() { return std::make_unique<SynapseWorker>(); }
std::unique_ptr<Worker> makeUfdlWorker() { return std::make_unique<UfdlWorker>(); }

}  // namespace strata::test::crash

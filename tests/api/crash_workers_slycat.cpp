// The crash test's slycat worker (crash_workers.h): binary hyperslab writes into the two
// attributes (int32, float64) of a 32x16 array in each of two arraysets of one model, and now
// and then the array replaced by a new one (all zeros).
#include "api/crash_workers.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstring>

namespace strata::test::crash {
namespace {

using Poco::JSON::Object;

constexpr int kRows = 32;
constexpr int kCols = 16;
constexpr std::size_t kElements = kRows * kCols;
constexpr std::size_t kSize[2] = {4, 8};  // attribute 0 int32, attribute 1 float64
const char* const kBoundary = "crashFormBoundary0123456789";
const char* const kArray =
    R"({"dimensions": [{"name": "row", "end": 32}, {"name": "col", "end": 16}],)"
    R"( "attributes": [{"name": "v", "type": "int32"}, {"name": "w", "type": "float64"}]})";

class SlycatWorker : public Worker {
 public:
  void setUp(Api& api) override {
    auto r = api.call("POST", "/api/projects", R"({"name":"crash","description":"d"})", json());
    const auto project = parse(r.body);
    ASSERT_TRUE(r.status == 201 && project) << r.status << " " << r.body;
    r = api.call("POST", "/api/projects/" + project->getValue<std::string>("id") + "/models",
                 R"({"model-type":"generic","name":"m","marking":""})", json());
    const auto model = parse(r.body);
    ASSERT_TRUE(r.status == 201 && model) << r.status << " " << r.body;
    model_ = "/api/models/" + model->getValue<std::string>("id") + "/arraysets/";
    for (const char* aid : {"a", "b"}) {
      r = api.call("PUT", model_ + aid, R"({"input": true})", json());
      ASSERT_EQ(r.status, 200) << r.body;
      r = api.call("PUT", model_ + aid + "/arrays/0", kArray, json());
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }

  bool step(Api& api, std::mt19937_64& rng) override {
    const int set = static_cast<int>(rng() % 2);
    auto& state = sets_[set];
    pendSet_ = set;
    if (rng() % 100 < 3) {  // a new array in place of the old
      pending_ = Op::Replace;
      const auto r = api.call("PUT", model_ + aid(set) + "/arrays/0", kArray, json());
      if (r.status == 0) return false;
      if (r.status != 200) {
        error("slycat PUT array: " + std::to_string(r.status) + " " + r.body);
        return false;
      }
      for (int a = 0; a < 2; ++a) state[a].assign(kElements * kSize[a], '\0');
      history_.push_back("replaced " + aid(set));
      pending_ = Op::None;
      ++acknowledged_;
      return true;
    }
    const int attr = static_cast<int>(rng() % 2);
    const int r0 = static_cast<int>(rng() % kRows), c0 = static_cast<int>(rng() % kCols);
    const int r1 = r0 + 1 + static_cast<int>(rng() % (kRows - r0)),
              c1 = c0 + 1 + static_cast<int>(rng() % (kCols - c0));
    std::string bytes;
    for (int i = 0; i < (r1 - r0) * (c1 - c0); ++i) {
      if (attr == 0) {
        const uint32_t v = static_cast<uint32_t>(rng());
        bytes.append(reinterpret_cast<const char*>(&v), 4);
      } else {
        const double v = static_cast<double>(static_cast<int64_t>(rng() >> 11)) / 1024.0;
        bytes.append(reinterpret_cast<const char*>(&v), 8);
      }
    }
    pending_ = Op::Write;
    pendAttr_ = attr;
    pendSlab_ = {r0, r1, c0, c1};
    pendBytes_ = bytes;
    const std::string hyperchunks = "0/" + std::to_string(attr) + "/" + std::to_string(r0) + ":" +
                                    std::to_string(r1) + "," + std::to_string(c0) + ":" + std::to_string(c1);
    const std::string body =
        std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"hyperchunks\"\r\n\r\n" +
        hyperchunks + "\r\n--" + kBoundary +
        "\r\nContent-Disposition: form-data; name=\"byteorder\"\r\n\r\nlittle\r\n--" + kBoundary +
        "\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n" +
        bytes + "\r\n--" + kBoundary + "--\r\n";
    Headers h = kAlice;
    h["Content-Type"] = std::string("multipart/form-data; boundary=") + kBoundary;
    const auto r = api.call("PUT", model_ + aid(set) + "/data", body, h);
    if (r.status == 0) return false;
    if (r.status != 200) {
      error("slycat PUT data " + hyperchunks + ": " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    apply(state[attr], attr, pendSlab_, bytes);
    history_.push_back("wrote " + aid(set) + " " + hyperchunks);
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  void verify(Api& api, std::mt19937_64&, Totals& totals) override {
    totals.acknowledged += acknowledged_.exchange(0);
    struct Clear {
      std::vector<std::string>& h;
      ~Clear() { h.clear(); }
    } clear{history_};
    const Op op = pending_;
    pending_ = Op::None;
    if (op != Op::None) ++totals.inFlight;
    // Both arraysets every round: they are small.
    for (int set = 0; set < 2; ++set) {
      std::string got[2];
      bool ok = true;
      for (int a = 0; a < 2; ++a) {
        const auto r = check(api, totals, "slycat data", "GET",
                             model_ + aid(set) + "/data?hyperchunks=" +
                                 urlEncode("0/" + std::to_string(a) + "/0:32,0:16") + "&byteorder=little",
                             kAlice, {200});
        got[a] = r.body;
        ok = ok && r.status == 200;
      }
      if (ok && op == Op::Replace && set == pendSet_ && got[0].empty() && got[1].empty()) {
        // Replaced in two store calls (the old array's link goes, the new one's comes): killed
        // between them, the index has no array, which reads as nothing. Repeating the PUT, as a
        // client whose request failed does, makes it.
        ++totals.torn;
        check(api, totals, "slycat array put again", "PUT", model_ + aid(set) + "/arrays/0", json(), {200},
              kArray);
        for (int a = 0; a < 2; ++a) sets_[set][a].assign(kElements * kSize[a], '\0');
        continue;
      }
      for (int a = 0; a < 2; ++a)
        if (ok && got[a].size() != kElements * kSize[a]) {
          ADD_FAILURE() << "slycat arrayset " << aid(set) << " attribute " << a << ": " << got[a].size()
                        << " bytes";
          ok = false;
        }
      if (!ok) continue;
      bool before = true, after = false;
      if (op != Op::None && set == pendSet_) {
        // The write in flight: each element as before or as written; a replaced array: both
        // attributes as before or all zeros.
        after = true;
        for (int a = 0; a < 2; ++a) {
          std::string next = sets_[set][a];
          if (op == Op::Replace) next.assign(next.size(), '\0');
          if (op == Op::Write && a == pendAttr_) apply(next, a, pendSlab_, pendBytes_);
          if (!elementsFrom(got[a], sets_[set][a], next, a))
            ADD_FAILURE() << "slycat arrayset " << aid(set) << " attribute " << a
                          << ": elements that are neither the acknowledged values nor those of the "
                          << (op == Op::Replace ? "array replaced" : "write") << " in flight";
          before = before && got[a] == sets_[set][a];
          after = after && got[a] == next;
        }
        if (after && !before) ++totals.applied;
        if (!after && !before) ++totals.torn;
        for (int a = 0; a < 2; ++a) sets_[set][a] = got[a];
      } else {
        for (int a = 0; a < 2; ++a)
          if (got[a] != sets_[set][a]) {
            std::size_t wrong = 0, zeros = 0, first = kElements;
            const std::size_t size = kSize[a];
            for (std::size_t e = 0; e < kElements; ++e) {
              if (got[a].compare(e * size, size, sets_[set][a], e * size, size) == 0) continue;
              if (!wrong++) first = e;
              if (got[a].compare(e * size, size, std::string(size, '\0')) == 0) ++zeros;
            }
            ADD_FAILURE() << "slycat arrayset " << aid(set) << " attribute " << a << ": " << wrong
                          << " elements differ from what was acknowledged (" << zeros
                          << " of them read as zeros), the first at element " << first << "; pending "
                          << static_cast<int>(op) << " on " << aid(pendSet_)
                          << "; the round's writes: " << history();
          }
      }
    }
  }

 private:
  enum class Op { None, Write, Replace };
  struct Slab {
    int r0, r1, c0, c1;
  };

  static Headers json() {
    Headers h = kAlice;
    h["Content-Type"] = "application/json";
    return h;
  }
  static Object::Ptr parse(const std::string& body) {
    try {
      return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  static std::string aid(int set) { return set ? "b" : "a"; }

  static void apply(std::string& target, int attr, const Slab& s, const std::string& bytes) {
    const std::size_t size = kSize[attr];
    std::size_t at = 0;
    for (int r = s.r0; r < s.r1; ++r)
      for (int c = s.c0; c < s.c1; ++c, at += size)
        std::memcpy(&target[(r * kCols + c) * size], &bytes[at], size);
  }

  // Whether every element of `got` is that of `a` or that of `b`.
  static bool elementsFrom(const std::string& got, const std::string& a, const std::string& b, int attr) {
    const std::size_t size = kSize[attr];
    for (std::size_t at = 0; at < got.size(); at += size)
      if (got.compare(at, size, a, at, size) != 0 && got.compare(at, size, b, at, size) != 0) return false;
    return true;
  }

  std::string model_;
  std::string sets_[2][2] = {{std::string(kElements * 4, '\0'), std::string(kElements * 8, '\0')},
                             {std::string(kElements * 4, '\0'), std::string(kElements * 8, '\0')}};
  Op pending_ = Op::None;
  int pendSet_ = 0, pendAttr_ = 0;
  Slab pendSlab_{0, 0, 0, 0};
  std::string pendBytes_;
  std::vector<std::string> history_;  // the acknowledged writes of the round, for messages

  std::string history() const {
    std::string out;
    for (std::size_t i = history_.size() > 30 ? history_.size() - 30 : 0; i < history_.size(); ++i)
      out += history_[i] + "; ";
    return out;
  }
};

}  // namespace

std::unique_ptr<Worker> makeSlycatWorker() { return std::make_unique<SlycatWorker>(); }

}  // namespace strata::test::crash

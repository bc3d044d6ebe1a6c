// The crash test's hdf worker (crash_workers.h) and the helpers the workers share.
#include "api/crash_workers.h"

#include <strata/util.h>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstring>
#include <numeric>

namespace strata::test::crash {

std::string randomText(std::mt19937_64& rng, std::size_t n) {
  static const char* chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += chars[rng() % 36];
  return s;
}

std::string sha256Hex(const std::string& bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hexDigest();
}

std::size_t pickRecent(std::mt19937_64& rng, std::size_t size) {
  if (size > 16 && rng() % 5 != 0) return size - 16 + rng() % 16;
  return rng() % size;
}

std::vector<std::size_t> sample(std::mt19937_64& rng, std::size_t size, std::size_t n) {
  std::vector<std::size_t> all(size);
  std::iota(all.begin(), all.end(), 0);
  if (size <= n) return all;
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(n);
  return all;
}

HttpResult Worker::check(Api& api, Totals& totals, const std::string& what, const std::string& method,
                         const std::string& path, const Headers& headers, std::initializer_list<int> allowed,
                         const std::string& body) {
  ++totals.reads;
  HttpResult r = api.call(method, path, body, headers);
  if (std::find(allowed.begin(), allowed.end(), r.status) == allowed.end())
    ADD_FAILURE() << what << ": " << method << " " << path << " answered " << r.status << " " << r.reason
                  << " " << r.body.substr(0, 400);
  return r;
}

// crash_workers.h
Poco::JSON::Object::Ptr parseObject(const std::string& body) {
  try {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return nullptr;
  }
}

namespace {

using Poco::JSON::Object;

constexpr int kRows = 24;
constexpr int kCols = 40;
constexpr std::size_t kBytes = kRows * kCols * 4;

class HdfWorker : public Worker {
 public:
  explicit HdfWorker(std::string tag) : tag_(std::move(tag)) {}

  void setUp(Api& api) override {
    std::mt19937_64 rng(std::hash<std::string>()(tag_));
    if (!createDomain(api) || domains_.empty()) ADD_FAILURE() << "hdf: the first domain was not created";
    if (!createDataset(api, rng) || dsets_.empty()) ADD_FAILURE() << "hdf: the first dataset was not created";
    for (const auto& e : takeErrors()) ADD_FAILURE() << e;
  }

  bool step(Api& api, std::mt19937_64& rng) override {
    const auto p = rng() % 100;
    if (p < 3) return createDomain(api);
    if (p < 12) return createDataset(api, rng);
    return write(api, rng);
  }

  void verify(Api& api, std::mt19937_64& rng, Totals& totals) override {
    totals.acknowledged += acknowledged_.exchange(0);
    resolvePending(api, totals);
    std::vector<std::size_t> domains = sample(rng, domains_.size(), 20);
    for (std::size_t i = domains_.size() > 3 ? domains_.size() - 3 : 0; i < domains_.size(); ++i)
      domains.push_back(i);
    for (std::size_t i : domains) {
      const auto& d = domains_[i];
      const auto r = check(api, totals, "hdf domain", "GET", "/", headers(d.name), {200});
      const auto o = parseObject(r.body);
      if (r.status == 200 && (!o || o->optValue<std::string>("root", "") != d.root))
        ADD_FAILURE() << "hdf domain " << d.name << ": root is not " << d.root << ": " << r.body;
    }
    std::vector<std::size_t> picked;
    for (std::size_t i = 0; i < dsets_.size(); ++i)
      if (dsets_[i].touched) picked.push_back(i);
    for (std::size_t i : sample(rng, dsets_.size(), 40)) picked.push_back(i);
    for (std::size_t i : picked) {
      checkValue(api, totals, i, nullptr);
      dsets_[i].touched = false;
    }
  }

 private:
  struct Domain {
    std::string name, root;
  };
  struct Dset {
    std::size_t domain = 0;
    std::string link, id, bytes;
    bool touched = true;
  };
  struct Slab {
    int r0 = 0, r1 = 0, c0 = 0, c1 = 0;
    std::string select() const {
      return "[" + std::to_string(r0) + ":" + std::to_string(r1) + "," + std::to_string(c0) + ":" +
             std::to_string(c1) + "]";
    }
    bool contains(int r, int c) const { return r >= r0 && r < r1 && c >= c0 && c < c1; }
  };
  enum class Op { None, Domain, Dataset, Write };

  Headers headers(const std::string& domain) const {
    Headers h = kAlice;
    h["Host"] = domain + ".alice.home.hdfgroup.org";
    return h;
  }

  bool createDomain(Api& api) {
    const std::string name = "crash" + tag_ + std::to_string(nextDomain_++);
    pending_ = Op::Domain;
    pendName_ = name;
    const auto r = api.call("PUT", "/", "", headers(name));
    if (r.status == 0) return false;
    const auto o = parseObject(r.body);
    if (r.status != 201 || !o || !o->has("root")) {
      if (r.status != 201) error("hdf PUT / of " + name + ": " + std::to_string(r.status) + " " + r.body);
      return false;  // a 201 without its whole body is not an acknowledgement: still pending
    }
    domains_.push_back({name, o->getValue<std::string>("root")});
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  bool createDataset(Api& api, std::mt19937_64& rng) {
    if (domains_.empty()) return createDomain(api);
    // Mostly in the newest domain, sometimes in an older one.
    const std::size_t domain = rng() % 4 ? domains_.size() - 1 : rng() % domains_.size();
    const std::string link = "ds" + std::to_string(nextDset_++);
    std::string body = R"({"type": "H5T_STD_I32LE", "shape": [24, 40], "link": {"id": ")" +
                       domains_[domain].root + R"(", "name": ")" + link + "\"}";
    if (rng() % 2) body += R"(, "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [8, 16]}})";
    body += "}";
    pending_ = Op::Dataset;
    pendDomain_ = domain;
    pendName_ = link;
    auto h = headers(domains_[domain].name);
    h["Content-Type"] = "application/json";
    const auto r = api.call("POST", "/datasets", body, h);
    if (r.status == 0) return false;
    const auto o = parseObject(r.body);
    if (r.status != 201 || !o || !o->has("id")) {
      if (r.status != 201) error("hdf POST /datasets: " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    dsets_.push_back({domain, link, o->getValue<std::string>("id"), std::string(kBytes, '\0'), true});
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  bool write(Api& api, std::mt19937_64& rng) {
    if (dsets_.empty()) return createDataset(api, rng);
    const std::size_t i = pickRecent(rng, dsets_.size());
    Slab s;
    s.r0 = static_cast<int>(rng() % kRows);
    s.r1 = s.r0 + 1 + static_cast<int>(rng() % (kRows - s.r0));
    s.c0 = static_cast<int>(rng() % kCols);
    s.c1 = s.c0 + 1 + static_cast<int>(rng() % (kCols - s.c0));
    const std::size_t n = static_cast<std::size_t>((s.r1 - s.r0) * (s.c1 - s.c0)) * 4;
    std::string bytes(n, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    pending_ = Op::Write;
    pendIndex_ = i;
    pendSlab_ = s;
    pendBytes_ = bytes;
    dsets_[i].touched = true;
    auto h = headers(domains_[dsets_[i].domain].name);
    h["Content-Type"] = "application/octet-stream";
    const auto r = api.call("PUT", "/datasets/" + dsets_[i].id + "/value?select=" + s.select(), bytes, h);
    if (r.status == 0) return false;
    if (r.status != 200) {
      error("hdf PUT value: " + std::to_string(r.status) + " " + r.body);
      return false;
    }
    apply(dsets_[i].bytes, s, bytes);
    pending_ = Op::None;
    ++acknowledged_;
    return true;
  }

  static void apply(std::string& target, const Slab& s, const std::string& bytes) {
    std::size_t at = 0;
    for (int r = s.r0; r < s.r1; ++r)
      for (int c = s.c0; c < s.c1; ++c, at += 4) std::memcpy(&target[(r * kCols + c) * 4], &bytes[at], 4);
  }

  void resolvePending(Api& api, Totals& totals) {
    const Op op = pending_;
    pending_ = Op::None;
    if (op == Op::None) return;
    ++totals.inFlight;
    if (op == Op::Domain) {
      const auto r = check(api, totals, "hdf domain in flight", "GET", "/", headers(pendName_), {200, 404});
      const auto o = parseObject(r.body);
      if (r.status == 200 && o && o->has("root")) {
        ++totals.applied;
        domains_.push_back({pendName_, o->getValue<std::string>("root")});
      }
    } else if (op == Op::Dataset) {
      const auto& d = domains_[pendDomain_];
      const auto r = check(api, totals, "hdf dataset in flight", "GET",
                           "/groups/" + d.root + "/links/" + pendName_, headers(d.name), {200, 404});
      const auto o = parseObject(r.body);
      if (r.status == 200) {
        ++totals.applied;
        const auto link = o ? o->getObject("link") : nullptr;
        if (!link || !link->has("id")) {
          ADD_FAILURE() << "hdf link " << pendName_ << " has no id: " << r.body;
          return;
        }
        // A dataset nobody wrote yet: all fill values.
        dsets_.push_back(
            {pendDomain_, pendName_, link->getValue<std::string>("id"), std::string(kBytes, '\0'), true});
      }
    } else {
      checkValue(api, totals, pendIndex_, &totals);
    }
  }

  // Reads dataset i whole and compares it with what was acknowledged. With `pending` (the
  // dataset of the write in flight), each element of its hyperslab may also be the new value;
  // the expected state then becomes what was read.
  void checkValue(Api& api, Totals& totals, std::size_t i, Totals* pending) {
    auto& d = dsets_[i];
    auto h = headers(domains_[d.domain].name);
    h["Accept"] = "application/octet-stream";
    const auto r = check(api, totals, "hdf value", "GET", "/datasets/" + d.id + "/value", h, {200});
    if (r.status != 200) return;
    if (r.body.size() != kBytes) {
      ADD_FAILURE() << "hdf dataset " << d.id << ": " << r.body.size() << " bytes, not " << kBytes;
      return;
    }
    std::string after;
    if (pending) {
      after = d.bytes;
      apply(after, pendSlab_, pendBytes_);
    }
    std::size_t wrong = 0, newer = 0, first = kBytes;
    for (int e = 0; e < kRows * kCols; ++e) {
      const std::size_t at = static_cast<std::size_t>(e) * 4;
      if (std::memcmp(&r.body[at], &d.bytes[at], 4) == 0) continue;
      if (pending && pendSlab_.contains(e / kCols, e % kCols) &&
          std::memcmp(&r.body[at], &after[at], 4) == 0) {
        ++newer;
        continue;
      }
      if (!wrong++) first = at;
    }
    if (wrong)
      ADD_FAILURE() << "hdf dataset " << d.id << " (" << domains_[d.domain].name << "/" << d.link
                    << "): " << wrong << " elements are neither the acknowledged values"
                    << (pending ? " nor those of the write in flight" : "") << "; the first at element "
                    << first / 4;
    if (pending) {
      // Elements of the slab where old and new bytes are equal count as either.
      std::size_t differing = 0;
      for (int e = 0; e < kRows * kCols; ++e)
        if (std::memcmp(&after[e * 4], &d.bytes[e * 4], 4) != 0) ++differing;
      if (newer > 0) ++pending->applied;
      if (newer > 0 && newer < differing) ++pending->torn;
      d.bytes = r.body;
    }
  }

  std::string tag_;
  int nextDomain_ = 0, nextDset_ = 0;
  std::vector<Domain> domains_;
  std::vector<Dset> dsets_;
  Op pending_ = Op::None;
  std::string pendName_;
  std::size_t pendDomain_ = 0, pendIndex_ = 0;
  Slab pendSlab_;
  std::string pendBytes_;
};

}  // namespace

std::unique_ptr<Worker> makeHdfWorker(const std::string& tag) { return std::make_unique<HdfWorker>(tag); }

}  // namespace strata::test::crash

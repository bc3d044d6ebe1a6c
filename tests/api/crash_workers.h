#pragma once
// The client threads of the crash consistency test (crash_consistency_test.cpp). A worker
// owns the objects it writes (an hdf domain's datasets, synapse datasets, the files of a ufdl
// dataset), so no other thread changes them: it keeps what the server acknowledged as the
// expected state, and the one write it had in flight when the server died as "pending". After
// a restart, verify() decides the pending write from what the server reads back (before or
// after it, never anything else), then checks the expected state.
#include "support/plugin_test_server.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace strata::test::crash {

// Requests that never throw: a failed connection (the server killed) is status 0.
struct Api {
  ServerProcess& server;
  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  const Headers& headers = {}) {
    try {
      return server.request(method, path, body, headers);
    } catch (const std::exception&) {
      return HttpResult{};
    }
  }
};

// What a configuration's rounds did, for the summary line.
struct Totals {
  std::size_t acknowledged = 0;  // writes answered 2xx
  std::size_t inFlight = 0;      // writes unanswered at a kill
  std::size_t applied = 0;       // ... of which the server had done
  // ... of which only a part reads back: some elements of a hyperslab, a synapse delete that
  // removed the annotations but not the dataset, a slycat array replaced half (no array).
  std::size_t torn = 0;
  std::size_t reads = 0;  // reads made to check
  std::string summary() const {
    std::ostringstream os;
    os << acknowledged << " acknowledged writes checked, " << inFlight << " in flight at a kill (" << applied
       << " applied, " << torn << " in part), " << reads << " reads";
    return os.str();
  }
};

class Worker {
 public:
  virtual ~Worker() = default;
  // Makes what the worker writes into (before the first kill); failures are test failures.
  virtual void setUp(Api& api) = 0;
  // One write. Returns false when the server did not answer (it is dead for this round).
  virtual bool step(Api& api, std::mt19937_64& rng) = 0;
  // After a restart: decides the pending write and checks every acknowledged one touched in
  // the round and a sample of the older ones. Failures are reported with ADD_FAILURE.
  virtual void verify(Api& api, std::mt19937_64& rng, Totals& totals) = 0;

  // Unexpected answers to writes (the writing threads cannot fail a test themselves).
  std::vector<std::string> takeErrors() {
    std::lock_guard lock(mutex_);
    return std::move(errors_);
  }

 protected:
  void error(const std::string& what) {
    std::lock_guard lock(mutex_);
    errors_.push_back(what);
  }
  // A read made to check: anything but `allowed` statuses fails (so does a 5xx, always).
  HttpResult check(Api& api, Totals& totals, const std::string& what, const std::string& method,
                   const std::string& path, const Headers& headers, std::initializer_list<int> allowed,
                   const std::string& body = "");
  // A counter of acknowledged writes, moved into Totals by verify().
  std::atomic<std::size_t> acknowledged_{0};

 private:
  std::mutex mutex_;
  std::vector<std::string> errors_;
};

// Hyperslab writes (binary) into 24x40 int32 datasets of hdf domains /home/alice/crash<tag><n>.
std::unique_ptr<Worker> makeHdfWorker(const std::string& tag);
// Synapse datasets: create, update, annotations, delete.
std::unique_ptr<Worker> makeSynapseWorker();
// Files of one ufdl dataset: upload, delete.
std::unique_ptr<Worker> makeUfdlWorker();
// Binary hyperslab writes into two slycat arraysets, and arrays replaced.
std::unique_ptr<Worker> makeSlycatWorker();

// Helpers of the workers.
std::string randomText(std::mt19937_64& rng, std::size_t n);
std::string sha256Hex(const std::string& bytes);
// The body as a JSON object, or null when it is not one.
Poco::JSON::Object::Ptr parseObject(const std::string& body);
// An index of [0, size): mostly among the newest 16, so that a round touches a bounded number
// of objects however many earlier rounds made (size > 0).
std::size_t pickRecent(std::mt19937_64& rng, std::size_t size);
// Picks `n` indices of [0, size) at random (all of them if size <= n).
std::vector<std::size_t> sample(std::mt19937_64& rng, std::size_t size, std::size_t n);

}  // namespace strata::test::crash

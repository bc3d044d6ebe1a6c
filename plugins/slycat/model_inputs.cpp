#include "model_inputs.h"

#include <Poco/JSON/Array.h>
#include <Poco/Logger.h>
#include <strata/errors.h>
#include <strata/stores/store_copy.h>
#include <strata/util.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace strata::slycat {

namespace {

using Poco::Dynamic::Var;

std::string newStorageId() {
  std::string id = newUuid();
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  return id;
}

bool listed(const Poco::JSON::Array& list, const std::string& item) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Var v = list.get(static_cast<unsigned>(i));
    if (v.isString() && v.extract<std::string>() == item) return true;
  }
  return false;
}

// One input artifact of the source, as it goes into the target.
struct Input {
  std::string aid;
  std::string type;
  Var value;
};

}  // namespace

std::optional<std::string> arraysetStorage(const Poco::JSON::Object& doc, const std::string& aid) {
  const std::string key = "artifact:" + aid;
  const Poco::JSON::Object::Ptr types = doc.getObject("artifact-types");
  if (!types || !types->has(aid) || !types->get(aid).isString() ||
      types->getValue<std::string>(aid) != "hdf5")
    return std::nullopt;
  if (!doc.has(key) || !doc.get(key).isString()) return std::nullopt;
  return doc.getValue<std::string>(key);
}

ModelArtifacts::ModelArtifacts(Projects& projects, StorageRefs& refs, std::shared_ptr<ArrayStore> arrays)
    : projects_(projects), refs_(refs), arrays_(std::move(arrays)) {}

void ModelArtifacts::releaseQuietly(const std::string& sid) noexcept {
  try {
    refs_.release(sid);
  } catch (const std::exception& e) {
    // The count stays above the references: the storage leaks, nothing in use is lost.
    Poco::Logger::get("slycat").warning("storage '" + sid + "' was not released: " + e.what());
  } catch (...) {
  }
}

void ModelArtifacts::deleteModel(const Principal& who, const std::string& mid) {
  const Poco::JSON::Object::Ptr doc = projects_.deleteModel(who, mid);
  const Poco::JSON::Object::Ptr types = doc->getObject("artifact-types");
  if (!types) return;
  for (const auto& [aid, type] : *types)
    if (const auto sid = arraysetStorage(*doc, aid)) releaseQuietly(*sid);
}

void ModelArtifacts::deleteArtifact(const Principal& who, const std::string& mid, const std::string& aid) {
  projects_.model(who, mid, Need::Write);
  std::optional<std::string> old;
  projects_.changeModel(mid, [&](Poco::JSON::Object& m) {
    const std::string key = "artifact:" + aid;
    Poco::JSON::Object::Ptr types = m.getObject("artifact-types");
    if (!m.has(key) && !(types && types->has(aid))) throw NotFound("Unknown artifact: " + aid);
    old = arraysetStorage(m, aid);
    m.remove(key);
    if (types) {
      types->remove(aid);
      m.set("artifact-types", types);
    }
  });
  if (old) releaseQuietly(*old);
}

void ModelArtifacts::copyInputs(const Principal& who, const Poco::JSON::Object& target,
                                const Poco::JSON::Object& body) {
  for (const auto& [name, value] : body)
    if (name != "sid" && name != "deep-copy") throw BadRequest("Unexpected parameter '" + name + "'.");
  if (!body.has("sid")) throw BadRequest("Missing 'sid' parameter.");
  if (!body.get("sid").isString()) throw BadRequest("'sid' parameter must be a string.");
  bool deep = false;
  if (body.has("deep-copy")) {
    const Var d = body.get("deep-copy");
    if (d.type() != typeid(bool)) throw BadRequest("'deep-copy' parameter must be true or false.");
    deep = d.extract<bool>();
  }
  const std::string sid = body.getValue<std::string>("sid");
  const std::string mid = target.getValue<std::string>("_id");
  const Poco::JSON::Object::Ptr source = projects_.model(who, sid, Need::Read);
  const auto projectOf = [](const Poco::JSON::Object& m) {
    return m.has("project") && m.get("project").isString() ? m.getValue<std::string>("project")
                                                           : std::string();
  };
  if (projectOf(*source) != projectOf(target))
    throw BadRequest("Cannot duplicate a model from another project.");

  // References for the target are taken before the target points at the storage; on any
  // failure they are given back.
  std::vector<std::string> held;
  std::vector<std::string> replaced;
  try {
    std::vector<Input> inputs;
    const Poco::JSON::Array::Ptr names = source->getArray("input-artifacts");
    const Poco::JSON::Object::Ptr types = source->getObject("artifact-types");
    for (std::size_t i = 0; names && types && i < names->size(); ++i) {
      const Var n = names->get(static_cast<unsigned>(i));
      if (!n.isString()) continue;
      Input in;
      in.aid = n.extract<std::string>();
      const std::string key = "artifact:" + in.aid;
      // An input whose artifact was deleted has nothing to copy (Slycat fails with 500).
      if (!source->has(key) || !types->has(in.aid) || !types->get(in.aid).isString()) continue;
      if (std::any_of(inputs.begin(), inputs.end(), [&](const Input& x) { return x.aid == in.aid; }))
        continue;
      in.type = types->getValue<std::string>(in.aid);
      in.value = source->get(key);
      if (const auto storage = arraysetStorage(*source, in.aid)) {
        try {
          refs_.acquire(*storage);
        } catch (const NotFound&) {
          throw Conflict("artifact '" + in.aid + "' of model '" + sid +
                         "' was deleted while it was being copied; try again");
        }
        held.push_back(*storage);
        if (deep) {
          // The reference just taken keeps the source's container while it is copied.
          const std::string copy = newStorageId();
          refs_.add(copy);
          held.push_back(copy);
          copyContainer(*arrays_, *arrays_, StorageRefs::container(*storage), StorageRefs::container(copy));
          held.erase(held.end() - 2);
          releaseQuietly(*storage);
          in.value = copy;
        }
      }
      inputs.push_back(std::move(in));
    }

    projects_.changeModel(mid, [&](Poco::JSON::Object& m) {
      replaced.clear();
      Poco::JSON::Object::Ptr mtypes = m.getObject("artifact-types");
      if (!mtypes) mtypes = new Poco::JSON::Object;
      Poco::JSON::Array::Ptr mInputs = m.getArray("input-artifacts");
      if (!mInputs) mInputs = new Poco::JSON::Array;
      for (const Input& in : inputs) {
        if (const auto old = arraysetStorage(m, in.aid)) replaced.push_back(*old);
        m.set("artifact:" + in.aid, in.value);
        mtypes->set(in.aid, in.type);
        if (!listed(*mInputs, in.aid)) mInputs->add(in.aid);
      }
      m.set("artifact-types", mtypes);
      m.set("input-artifacts", mInputs);
      m.set("message", "Copying existing model inputs.");
    });
  } catch (...) {
    // Dropping a partial deep copy's reference deletes its container.
    for (const auto& s : held) releaseQuietly(s);
    throw;
  }
  for (const auto& s : replaced) releaseQuietly(s);
}

}  // namespace strata::slycat

#pragma once
// Object and region references resolved against one file of the hdf5 arrays store (its mutex
// held): the RefResolver that h5_types.h's value codec converts references with.
#include "h5_file.h"
#include "h5_types.h"
#include "hdf5_objects.h"

#include <strata/errors.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>

#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace strata::hdf5 {

class FileRefs final : public hdf5::RefResolver {
 public:
  FileRefs(H5File& f, Poco::Logger& logger) : f_(f), logger_(logger) {}

  std::string objectRefText(hobj_ref_t ref) override {
    // In HDF5 1.8/1.10 an object reference is the object's header address.
    const haddr_t addr = static_cast<haddr_t>(ref);
    ensureObjects(f_, logger_);
    std::optional<ObjectKind> kind;
    auto it = f_.objects.find(addr);
    if (it != f_.objects.end()) {
      kind = it->second;
    } else {
      H5O_type_t type;
      if (H5Rget_obj_type2(f_.fid, H5R_OBJECT, &ref, &type) >= 0) kind = kindOf(type);
    }
    if (!kind) return "";
    return std::string(collectionName(*kind)) + "/" + f_.idOf(addr);
  }

  hobj_ref_t objectRefFromText(const std::string& text) override {
    std::string id = text;
    std::optional<ObjectKind> want;
    const auto slash = text.find('/');
    if (slash != std::string::npos) {
      const std::string prefix = text.substr(0, slash);
      id = text.substr(slash + 1);
      if (prefix == "groups") {
        want = ObjectKind::Group;
      } else if (prefix == "datasets") {
        want = ObjectKind::Dataset;
      } else if (prefix == "datatypes") {
        want = ObjectKind::Datatype;
      } else {
        throw BadRequest("invalid object reference '" + text + "'");
      }
    }
    const ObjRef ref = resolve(f_, id, logger_);
    if (want && *want != ref.kind)
      throw BadRequest("object reference '" + text + "' names a " + kindName(ref.kind));
    return static_cast<hobj_ref_t>(ref.addr);
  }

  std::string regionRefText(const hdset_reg_ref_t& ref) override {
    static const hdset_reg_ref_t zero = {};
    if (std::memcmp(&ref, &zero, sizeof ref) == 0) return "";
    const hid_t d = H5Rdereference2(f_.fid, H5P_DEFAULT, H5R_DATASET_REGION, &ref);
    if (d < 0) return "";  // dangling: shown as a null reference
    Hid dset(d);
    Hid space = own(H5Rget_region(f_.fid, H5R_DATASET_REGION, &ref), "reading a region reference");
    Poco::JSON::Object item;
    item.set("id", f_.idOf(addressOf(dset)));
    const int rank = check(H5Sget_simple_extent_ndims(space), "reading a region's rank");
    Poco::JSON::Array selection;
    switch (H5Sget_select_type(space)) {
      case H5S_SEL_POINTS: {
        item.set("select_type", "H5S_SEL_POINTS");
        const hssize_t n = check(H5Sget_select_elem_npoints(space), "reading a region's points");
        std::vector<hsize_t> coords(static_cast<std::size_t>(n) * rank);
        check(H5Sget_select_elem_pointlist(space, 0, static_cast<hsize_t>(n), coords.data()),
              "reading a region's points");
        for (hssize_t i = 0; i < n; ++i) {
          Poco::JSON::Array point;
          for (int d2 = 0; d2 < rank; ++d2)
            point.add(static_cast<uint64_t>(coords[static_cast<std::size_t>(i * rank + d2)]));
          selection.add(point);
        }
        break;
      }
      case H5S_SEL_HYPERSLABS: {
        item.set("select_type", "H5S_SEL_HYPERSLABS");
        const hssize_t n = check(H5Sget_select_hyper_nblocks(space), "reading a region's blocks");
        std::vector<hsize_t> corners(static_cast<std::size_t>(n) * rank * 2);
        check(H5Sget_select_hyper_blocklist(space, 0, static_cast<hsize_t>(n), corners.data()),
              "reading a region's blocks");
        for (hssize_t i = 0; i < n; ++i) {
          // h5serv's form: [start, stop) per block, the stop one past the inclusive corner.
          Poco::JSON::Array block, lo, hi;
          for (int d2 = 0; d2 < rank; ++d2) {
            lo.add(static_cast<uint64_t>(corners[static_cast<std::size_t>((i * 2) * rank + d2)]));
            hi.add(static_cast<uint64_t>(corners[static_cast<std::size_t>((i * 2 + 1) * rank + d2)] + 1));
          }
          block.add(lo);
          block.add(hi);
          selection.add(block);
        }
        break;
      }
      case H5S_SEL_ALL:
        item.set("select_type", "H5S_SEL_ALL");
        break;
      default:
        item.set("select_type", "H5S_SEL_NONE");
        break;
    }
    item.set("selection", selection);
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(item, out);
    return out.str();
  }

  void regionRefFromText(const std::string& text, hdset_reg_ref_t& ref) override {
    Poco::JSON::Object::Ptr item;
    try {
      item = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      throw BadRequest("a region reference must be a JSON object {\"id\", \"select_type\", \"selection\"}");
    }
    if (!item || !item->has("id") || !item->has("select_type")) {
      throw BadRequest("a region reference needs \"id\" and \"select_type\"");
    }
    const ObjRef target = resolveKind(f_, item->getValue<std::string>("id"), ObjectKind::Dataset, logger_);
    Hid dset = openByAddr(f_, target.addr);
    Hid space = own(H5Dget_space(dset), "reading a dataset's dataspace");
    const int rank = check(H5Sget_simple_extent_ndims(space), "reading a dataset's rank");
    const std::string type = item->getValue<std::string>("select_type");
    auto coordinates = [&](const Poco::Dynamic::Var& v) {
      std::vector<hsize_t> c;
      const auto arr = v.extract<Poco::JSON::Array::Ptr>();
      if (!arr || static_cast<int>(arr->size()) != rank)
        throw BadRequest("region coordinates must match the dataset's rank");
      for (std::size_t i = 0; i < arr->size(); ++i) c.push_back(arr->get(i).convert<uint64_t>());
      return c;
    };
    try {
      if (type == "H5S_SEL_ALL") {
        check(H5Sselect_all(space), "selecting a region");
      } else if (type == "H5S_SEL_NONE") {
        check(H5Sselect_none(space), "selecting a region");
      } else if (type == "H5S_SEL_POINTS") {
        auto list = item->getArray("selection");
        if (!list) throw BadRequest("a point region needs \"selection\"");
        std::vector<hsize_t> coords;
        for (std::size_t i = 0; i < list->size(); ++i) {
          auto c = coordinates(list->get(i));
          coords.insert(coords.end(), c.begin(), c.end());
        }
        check<BadRequest>(H5Sselect_elements(space, H5S_SELECT_SET, list->size(), coords.data()),
                          "selecting region points");
      } else if (type == "H5S_SEL_HYPERSLABS") {
        auto list = item->getArray("selection");
        if (!list) throw BadRequest("a hyperslab region needs \"selection\"");
        check(H5Sselect_none(space), "selecting a region");
        for (std::size_t i = 0; i < list->size(); ++i) {
          auto block = list->getArray(i);
          if (!block || block->size() != 2) throw BadRequest("each region block must be [start, stop]");
          auto lo = coordinates(block->get(0));
          auto hi = coordinates(block->get(1));
          std::vector<hsize_t> count(lo.size());
          for (std::size_t d2 = 0; d2 < lo.size(); ++d2) {
            if (hi[d2] <= lo[d2]) throw BadRequest("a region block's stop must be past its start");
            count[d2] = hi[d2] - lo[d2];
          }
          check<BadRequest>(
              H5Sselect_hyperslab(space, H5S_SELECT_OR, lo.data(), nullptr, count.data(), nullptr),
              "selecting a region block");
        }
      } else {
        throw BadRequest("unknown region select_type '" + type + "'");
      }
    } catch (const Poco::Exception& e) {
      throw BadRequest("invalid region reference: " + e.displayText());
    }
    check<BadRequest>(H5Rcreate(&ref, dset, ".", H5R_DATASET_REGION, space), "creating a region reference");
  }

 private:
  H5File& f_;
  Poco::Logger& logger_;
};

}  // namespace strata::hdf5

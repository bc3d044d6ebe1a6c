// The hdf5 arrays store, links: listing, creating and deleting them, and deleting objects
// (which is deleting every hard link to them, anchoring what must outlive them).
#include "hdf5_array_store.h"
#include "hdf5_objects.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

namespace strata::hdf5 {

using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;

namespace {

void validateLinkName(const std::string& name) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos) {
    throw BadRequest("invalid link name '" + name + "' (names must be non-empty, without '/')");
  }
}

Link makeLink(H5File& f, hid_t group, const std::string& name, const H5L_info_t& li, int64_t fallbackTime,
              haddr_t groupAddr, Poco::Logger& logger) {
  Link link;
  link.name = name;
  auto created = f.linkCreated.find({groupAddr, name});
  link.created = created != f.linkCreated.end() ? created->second : fallbackTime;
  switch (li.type) {
    case H5L_TYPE_HARD: {
      link.cls = LinkClass::Hard;
      ensureObjects(f, logger);
      const haddr_t addr = li.u.address;
      link.id = f.idOf(addr);
      auto it = f.objects.find(addr);
      if (it != f.objects.end()) {
        link.kind = it->second;
      } else {
        H5O_info_t oi;
        check(H5Oget_info_by_name2(group, name.c_str(), &oi, H5O_INFO_BASIC, H5P_DEFAULT),
              "reading link '" + name + "'");
        link.kind = kindOf(oi.type).value_or(ObjectKind::Group);
      }
      break;
    }
    case H5L_TYPE_SOFT:
    case H5L_TYPE_EXTERNAL: {
      std::vector<char> buf(li.u.val_size + 1, 0);
      check(H5Lget_val(group, name.c_str(), buf.data(), li.u.val_size, H5P_DEFAULT),
            "reading link '" + name + "'");
      if (li.type == H5L_TYPE_SOFT) {
        link.cls = LinkClass::Soft;
        link.h5path = std::string(buf.data());
      } else {
        link.cls = LinkClass::External;
        unsigned flags = 0;
        const char* file = nullptr;
        const char* path = nullptr;
        check(H5Lunpack_elink_val(buf.data(), li.u.val_size, &flags, &file, &path),
              "reading external link '" + name + "'");
        link.h5domain = file ? file : "";
        link.h5path = path ? path : "";
      }
      break;
    }
    default:
      link.cls = LinkClass::UserDefined;
      break;
  }
  return link;
}

struct LinkVisit {
  haddr_t target;
  std::vector<std::string> paths;
};

herr_t findLinksTo(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* v = static_cast<LinkVisit*>(data);
  if (info->type == H5L_TYPE_HARD && info->u.address == v->target) v->paths.emplace_back(name);
  return 0;
}

struct ChildLinks {
  std::map<haddr_t, unsigned> counts;
};

herr_t countChildLinks(hid_t, const char*, const H5L_info_t* info, void* data) {
  if (info->type == H5L_TYPE_HARD) ++static_cast<ChildLinks*>(data)->counts[info->u.address];
  return 0;
}

}  // namespace

void Hdf5ArrayStore::deleteObject(const std::string& c, const std::string& id) {
  change(c, [&](H5File& hf) {
    const ObjRef ref = resolve(hf, id, logger_);
    if (ref.addr == hf.rootAddr) throw Forbidden("the root group cannot be deleted");
    requireWritable(hf);
    Hid obj = openByAddr(hf, ref.addr);

    // Children whose every link is in this group would be freed with it; in the REST model
    // they outlive it, so they are anchored first.
    if (ref.kind == ObjectKind::Group) {
      ChildLinks children;
      hsize_t idx = 0;
      check(H5Literate(obj, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, countChildLinks, &children),
            "listing the links of group " + id);
      for (const auto& [child, count] : children.counts) {
        if (child == ref.addr) continue;
        Hid childObj = openByAddr(hf, child);
        H5O_info_t oi;
        check(H5Oget_info2(childObj, &oi, H5O_INFO_BASIC), "reading a child of group " + id);
        if (oi.rc <= count) anchor(hf, childObj, child);
      }
    }

    // Every hard link to the object, from the root group and from every anchored group.
    std::vector<std::pair<Hid, std::vector<std::string>>> found;
    {
      LinkVisit visit{ref.addr, {}};
      Hid root = own(H5Gopen2(hf.fid, "/", H5P_DEFAULT), "opening the root group");
      check(H5Lvisit(root, H5_INDEX_NAME, H5_ITER_NATIVE, findLinksTo, &visit), "finding links to " + id);
      found.emplace_back(std::move(root), std::move(visit.paths));
    }
    for (haddr_t a : hf.anchors) {
      auto it = hf.objects.find(a);
      if (it == hf.objects.end() || it->second != ObjectKind::Group) continue;
      LinkVisit visit{ref.addr, {}};
      Hid g = openByAddr(hf, a);
      check(H5Lvisit(g, H5_INDEX_NAME, H5_ITER_NATIVE, findLinksTo, &visit), "finding links to " + id);
      found.emplace_back(std::move(g), std::move(visit.paths));
    }
    // Deepest first: a path may pass through a link that is itself about to go.
    std::vector<std::pair<hid_t, std::string>> links;
    for (auto& [start, paths] : found) {
      for (auto& p : paths) links.emplace_back(start.get(), std::move(p));
    }
    std::sort(links.begin(), links.end(), [](const auto& a, const auto& b) {
      return std::count(a.second.begin(), a.second.end(), '/') >
             std::count(b.second.begin(), b.second.end(), '/');
    });
    for (const auto& [start, path] : links) {
      if (H5Lexists(start, path.c_str(), H5P_DEFAULT) <= 0) continue;  // already gone with a deeper one
      check(H5Ldelete(start, path.c_str(), H5P_DEFAULT), "deleting link '" + path + "' to " + id);
    }
    unanchor(hf, obj, ref.addr);
    obj.reset();
    found.clear();
    hf.flush();

    // The id answers Gone from now on; a new object at this address gets the next generation.
    hf.journal("gone " + id);
    hf.deleted.insert(id);
    hf.generations[ref.addr] = hf.generationOf(ref.addr) + 1;
    hf.objects.erase(ref.addr);
    hf.touched.erase(ref.addr);
    hf.props.erase(id);
  });
}

// ---- links

std::vector<Link> Hdf5ArrayStore::listLinks(const std::string& c, const std::string& group,
                                            const Page& page) {
  return inspect(c, [&](H5File& hf) {
    const ObjRef ref = resolveKind(hf, group, ObjectKind::Group, logger_);
    Hid g = openByAddr(hf, ref.addr);
    PageCollect ctx{&page, {}, {}};
    hsize_t idx = 0;
    check(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collectLink, &ctx),
          "listing the links of group " + group);
    const int64_t fallback = createdTime(hf, g, ref.addr);
    std::vector<Link> out;
    out.reserve(ctx.links.size());
    for (const auto& row : ctx.links)
      out.push_back(makeLink(hf, g, row.name, row.info, fallback, ref.addr, logger_));
    return out;
  });
}

Link Hdf5ArrayStore::link(const std::string& c, const std::string& group, const std::string& name) {
  return inspect(c, [&](H5File& hf) {
    const ObjRef ref = resolveKind(hf, group, ObjectKind::Group, logger_);
    Hid g = openByAddr(hf, ref.addr);
    const auto notFound = [&] { return NotFound("link '" + name + "' not found in group " + group); };
    if (name.empty() || name == "." || name.find('/') != std::string::npos) throw notFound();
    if (check(H5Lexists(g, name.c_str(), H5P_DEFAULT), "looking up link '" + name + "'") <= 0)
      throw notFound();
    H5L_info_t li;
    check(H5Lget_info(g, name.c_str(), &li, H5P_DEFAULT), "reading link '" + name + "'");
    return makeLink(hf, g, name, li, createdTime(hf, g, ref.addr), ref.addr, logger_);
  });
}

void Hdf5ArrayStore::createLink(const std::string& c, const std::string& group, const Link& link) {
  validateLinkName(link.name);
  change(c, [&](H5File& hf) {
    const ObjRef ref = resolveKind(hf, group, ObjectKind::Group, logger_);
    requireWritable(hf);
    Hid g = openByAddr(hf, ref.addr);
    if (check(H5Lexists(g, link.name.c_str(), H5P_DEFAULT), "looking up link '" + link.name + "'") > 0) {
      throw Conflict("link '" + link.name + "' already exists in group " + group);
    }
    Hid lcpl = namePlist(H5P_LINK_CREATE, link.name);
    const std::string what = "creating link '" + link.name + "' in group " + group;
    switch (link.cls) {
      case LinkClass::Hard: {
        const ObjRef target = resolve(hf, link.id, logger_);
        Hid obj = openByAddr(hf, target.addr);
        if (H5Lcreate_hard(obj, ".", g, link.name.c_str(), lcpl, H5P_DEFAULT) < 0) hdf5::failRequest(what);
        // Linked now: the link keeps it alive, the anchor can go.
        unanchor(hf, obj, target.addr);
        break;
      }
      case LinkClass::Soft:
        if (link.h5path.empty()) throw BadRequest("a soft link needs a path");
        if (H5Lcreate_soft(link.h5path.c_str(), g, link.name.c_str(), lcpl, H5P_DEFAULT) < 0)
          hdf5::failRequest(what);
        break;
      case LinkClass::External:
        if (link.h5path.empty() || link.h5domain.empty())
          throw BadRequest("an external link needs a domain and a path");
        if (H5Lcreate_external(link.h5domain.c_str(), link.h5path.c_str(), g, link.name.c_str(), lcpl,
                               H5P_DEFAULT) < 0) {
          hdf5::failRequest(what);
        }
        break;
      case LinkClass::UserDefined:
        throw BadRequest("user-defined links cannot be created");
    }
    const int64_t now = nowMillis();
    hf.linkCreated[{ref.addr, link.name}] = now;
    hf.touched[ref.addr] = now;
  });
}

void Hdf5ArrayStore::deleteLink(const std::string& c, const std::string& group, const std::string& name) {
  change(c, [&](H5File& hf) {
    const ObjRef ref = resolveKind(hf, group, ObjectKind::Group, logger_);
    Hid g = openByAddr(hf, ref.addr);
    if (name.empty() || name == "." || name.find('/') != std::string::npos ||
        check(H5Lexists(g, name.c_str(), H5P_DEFAULT), "looking up link '" + name + "'") <= 0) {
      throw NotFound("link '" + name + "' not found in group " + group);
    }
    requireWritable(hf);
    H5L_info_t li;
    check(H5Lget_info(g, name.c_str(), &li, H5P_DEFAULT), "reading link '" + name + "'");
    if (li.type == H5L_TYPE_HARD) {
      // The object outlives its last link (REST semantics): anchor it before the link goes.
      Hid target = openByAddr(hf, li.u.address);
      H5O_info_t oi;
      check(H5Oget_info2(target, &oi, H5O_INFO_BASIC), "reading the target of link '" + name + "'");
      if (oi.rc <= 1) anchor(hf, target, li.u.address);
    }
    check(H5Ldelete(g, name.c_str(), H5P_DEFAULT), "deleting link '" + name + "'");
    hf.linkCreated.erase({ref.addr, name});
    hf.touched[ref.addr] = nowMillis();
  });
}

}  // namespace strata::hdf5

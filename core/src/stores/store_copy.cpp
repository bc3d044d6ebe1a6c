// Store-to-store copies (stores/store_copy.h): strata-admin copy and plugins use them.
#include <strata/stores/store_copy.h>

#include <strata/arrays/piece_walk.h>
#include <strata/errors.h>

#include <cstring>
#include <istream>
#include <map>
#include <streambuf>

namespace strata {

namespace {

using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;

class IdMap {
 public:
  void add(const std::string& from, const std::string& to) { map_[from] = to; }
  const std::string& operator[](const std::string& from) const {
    auto it = map_.find(from);
    if (it == map_.end()) throw InternalError("copy: object " + from + " was not copied");
    return it->second;
  }
  bool has(const std::string& from) const { return map_.count(from) != 0; }

 private:
  std::map<std::string, std::string> map_;
};

// A committed type's use must name the copy of the committed type.
DatatypePtr remapType(const DatatypePtr& type, const IdMap& ids) {
  if (!type || type->committedId.empty()) return type;
  auto copy = std::make_shared<Datatype>(*type);
  copy->committedId = ids[type->committedId];
  return copy;
}

// Object references are stored as "groups/<id>" text: point them at the copies.
void remapReferences(const Datatype& type, std::string& packed, const IdMap& ids) {
  if (type.cls != arrays::TypeClass::Reference || type.ref != arrays::RefKind::Object) return;
  for (std::size_t pos = 0; pos + arrays::kRefBytes <= packed.size(); pos += arrays::kRefBytes) {
    std::string ref(packed.data() + pos, strnlen(packed.data() + pos, arrays::kRefBytes));
    const auto slash = ref.find('/');
    if (ref.empty() || slash == std::string::npos) continue;
    const std::string id = ref.substr(slash + 1);
    if (!ids.has(id)) continue;  // a dangling reference stays as it was
    const std::string mapped = ref.substr(0, slash + 1) + ids[id];
    if (mapped.size() > arrays::kRefBytes) throw InternalError("copy: reference too long: " + mapped);
    std::memset(&packed[pos], 0, arrays::kRefBytes);
    std::memcpy(&packed[pos], mapped.data(), mapped.size());
  }
}

std::vector<std::string> allObjects(ArrayStore& s, const std::string& c, ObjectKind kind) {
  std::vector<std::string> out;
  Page page;
  page.limit = 1000;
  for (;;) {
    auto ids = s.listObjects(c, kind, page);
    out.insert(out.end(), ids.begin(), ids.end());
    if (ids.size() < page.limit) break;
    page.marker = ids.back();
  }
  return out;
}

template <typename T, typename F>
std::vector<T> allPaged(F&& list, std::function<std::string(const T&)> key) {
  std::vector<T> out;
  Page page;
  page.limit = 1000;
  for (;;) {
    auto items = list(page);
    out.insert(out.end(), items.begin(), items.end());
    if (items.size() < page.limit) break;
    page.marker = key(items.back());
  }
  return out;
}

// Copies a dataset's values piece by piece (arrays/piece_walk.h), so memory stays bounded.
uint64_t copyValues(ArrayStore& from, ArrayStore& to, const std::string& c, const std::string& dc,
                    const std::string& srcId, const std::string& dstId, const DatasetInfo& info,
                    const IdMap& ids) {
  if (info.shape.cls == ShapeClass::Null) return 0;
  const Selection all =
      Selection::all(info.shape.cls == ShapeClass::Simple ? info.shape.dims : std::vector<uint64_t>{});
  const arrays::PieceWalk walk(all, info.shape.cls, info.shape.dims, "dataset " + srcId);
  arrays::PiecePlan plan;
  plan.elementBytes = info.type->fixedSize() ? info.type->size : arrays::kVariableElementGuess;
  uint64_t total = 0;
  std::string buffer;
  walk.forEach(plan, [&](const arrays::Piece& piece) {
    buffer.clear();
    from.read(c, srcId, piece.selection, [&](const char* d, std::size_t n) { buffer.append(d, n); });
    remapReferences(*info.type, buffer, ids);
    std::size_t pos = 0;
    to.write(
        dc, dstId, piece.selection,
        [&](char* d, std::size_t n) {
          const std::size_t k = std::min(n, buffer.size() - pos);
          std::memcpy(d, buffer.data() + pos, k);
          pos += k;
          return k;
        },
        buffer.size());
    total += buffer.size();
  });
  return total;
}

}  // namespace

CopyReport copyContainer(ArrayStore& from, ArrayStore& to, const std::string& name,
                         const CopyProgress& progress) {
  return copyContainer(from, to, name, name, progress);
}

CopyReport copyContainer(ArrayStore& from, ArrayStore& to, const std::string& name,
                         const std::string& targetName, const CopyProgress& progress) {
  CopyReport report;
  const ContainerInfo src = from.container(name);
  const ContainerInfo dst = to.createContainer(targetName);
  IdMap ids;
  ids.add(src.rootId, dst.rootId);

  // Committed types first: datasets and attributes may use them.
  const auto types = allObjects(from, name, ObjectKind::Datatype);
  for (const auto& id : types)
    ids.add(id, to.createDatatype(targetName, remapType(from.datatype(name, id), ids)).id);
  const auto groups = allObjects(from, name, ObjectKind::Group);
  for (const auto& id : groups) ids.add(id, to.createGroup(targetName).id);
  const auto datasets = allObjects(from, name, ObjectKind::Dataset);
  for (const auto& id : datasets) {
    const DatasetInfo info = from.dataset(name, id);
    DatasetSpec spec;
    spec.type = remapType(info.type, ids);
    spec.shape = info.shape;
    spec.chunks = info.chunks;
    spec.fillValue = info.fillValue;
    spec.filters = info.filters;
    spec.creationProperties = info.creationProperties;
    ids.add(id, to.createDataset(targetName, spec).object.id);
  }
  for (const auto& id : datasets) {
    const DatasetInfo info = from.dataset(name, id);
    report.bytes += copyValues(from, to, name, targetName, id, ids[id], info, ids);
    if (progress) progress("dataset " + id);
  }

  std::vector<std::string> all = {src.rootId};
  all.insert(all.end(), types.begin(), types.end());
  all.insert(all.end(), groups.begin(), groups.end());
  all.insert(all.end(), datasets.begin(), datasets.end());
  for (const auto& id : all) {
    const auto attrs =
        allPaged<AttributeInfo>([&](const Page& p) { return from.listAttributes(name, id, p); },
                                [](const AttributeInfo& a) { return a.name; });
    for (const auto& a : attrs) {
      AttributeInfo info = from.attribute(name, id, a.name);
      std::string value = from.attributeValue(name, id, a.name);
      remapReferences(*info.type, value, ids);
      info.type = remapType(info.type, ids);
      report.bytes += value.size();
      to.createAttribute(targetName, ids[id], info, value, false);
    }
  }
  std::vector<std::string> withLinks = {src.rootId};
  withLinks.insert(withLinks.end(), groups.begin(), groups.end());
  for (const auto& gid : withLinks) {
    const auto links = allPaged<Link>([&](const Page& p) { return from.listLinks(name, gid, p); },
                                      [](const Link& l) { return l.name; });
    for (Link l : links) {
      if (l.cls == LinkClass::UserDefined) continue;  // cannot be created through the interface
      if (l.cls == LinkClass::Hard) l.id = ids[l.id];
      to.createLink(targetName, ids[gid], l);
    }
  }
  report.items = all.size();
  return report;
}

CopyReport copyEntities(EntityStore& from, EntityStore& to, const CopyProgress& progress) {
  CopyReport report;
  for (const auto& collection : from.collections()) {
    EntityQuery q;
    q.limit = 500;
    for (;;) {
      const auto page = from.list(collection, q);
      for (const auto& e : page.items) {
        if (to.find(collection, e.id))
          to.update(collection, e.id, e.body, "");
        else
          to.create(collection, e.id, e.body);
        ++report.items;
      }
      if (page.items.size() < q.limit) break;
      q.offset += page.items.size();
    }
    if (progress) progress("collection " + collection);
  }
  return report;
}

CopyReport copyAnnotations(AnnotationStore& from, AnnotationStore& to, const CopyProgress& progress) {
  CopyReport report;
  std::string after;
  for (;;) {
    const auto targets = from.targets(after, 1000);
    for (const auto& t : targets) {
      to.replaceAll(t, from.list(t));
      ++report.items;
    }
    if (targets.size() < 1000) break;
    after = targets.back();
  }
  if (progress) progress("annotations");
  return report;
}

namespace {
// An istream over a BlobReader, so a blob streams from one store into the other.
class ReaderBuf : public std::streambuf {
 public:
  explicit ReaderBuf(BlobReader& r) : reader_(r), buf_(1 << 20) {}

 protected:
  int_type underflow() override {
    const std::size_t n = reader_.read(offset_, buf_.data(), buf_.size());
    if (n == 0) return traits_type::eof();
    offset_ += n;
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  BlobReader& reader_;
  uint64_t offset_ = 0;
  std::vector<char> buf_;
};
}  // namespace

CopyReport copyBlobs(BlobStore& from, BlobStore& to, const CopyProgress& progress) {
  CopyReport report;
  for (const auto& info : from.list()) {
    auto reader = from.open(info.id);
    const uint64_t have = to.stat(info.id) ? to.stat(info.id)->refs : 0;
    // The target ends with the source's reference count.
    for (uint64_t r = have; r < info.refs; ++r) {
      if (r == have && have == 0) {
        ReaderBuf buf(*reader);
        std::istream in(&buf);
        const BlobInfo put = to.put(in, static_cast<int64_t>(reader->size()), UINT64_MAX);
        if (put.id != info.id) throw InternalError("copy: blob " + info.id + " arrived as " + put.id);
        report.bytes += put.size;
      } else {
        to.addRef(info.id);
      }
    }
    ++report.items;
    if (progress) progress("blob " + info.id);
  }
  return report;
}

}  // namespace strata

#include "hrefs.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <cctype>

namespace strata::hdf {

Hrefs::Hrefs(const DomainRequest& addr) : protocol_(addr.protocol), host_(addr.hrefHost) {
  switch (addr.source) {
    case DomainSource::HostParam:
      query_ = "host=" + nameEncode(addr.name);
      hostParam_ = true;
      break;
    case DomainSource::DomainParam:
      // h5serv drops ?domain= from hrefs, which leaves them pointing at the wrong domain;
      // repeat it like ?host=.
      query_ = "domain=" + nameEncode(addr.name);
      break;
    default:
      break;
  }
}

std::string Hrefs::href(const std::string& path, const std::string& extraQuery) const {
  std::string out = protocol_ + "://" + host_ + "/" + path;
  char sep = '?';
  if (!query_.empty()) {
    out += sep + query_;
    sep = '&';
  }
  if (!extraQuery.empty()) out += sep + extraQuery;
  return out;
}

std::string Hrefs::external(const DomainMapper& mapper, const std::string& h5domain,
                            const std::string& h5path, bool fromToc) const {
  const std::string fragment = h5path.empty() || h5path == "/" ? "" : "#h5path(" + h5path + ")";
  if (!h5domain.empty() && h5domain[0] == '/')
    return protocol_ + "://" + host_ + "/?domain=" + nameEncode(h5domain) + fragment;
  if (!mapper.inTopDomain(h5domain)) return "";
  if (hostParam_ || fromToc || !query_.empty())
    return protocol_ + "://" + host_ + "/?" + (query_.rfind("domain=", 0) == 0 ? "domain=" : "host=") +
           nameEncode(h5domain) + fragment;
  return protocol_ + "://" + h5domain + "/" + fragment;
}

std::string encodeSegment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

Poco::JSON::Object::Ptr newObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

void addHref(Poco::JSON::Array& hrefs, const std::string& rel, const std::string& href) {
  auto o = newObject();
  o->set("rel", rel);
  o->set("href", href);
  hrefs.add(o);
}

std::string timestamp(int64_t millis) {
  return Poco::DateTimeFormatter::format(Poco::Timestamp(millis * 1000), "%Y-%m-%dT%H:%M:%SZ");
}

Poco::Dynamic::Var timestamp(int64_t millis, bool hsds) {
  if (hsds) return static_cast<double>(millis) / 1000.0;
  return timestamp(millis);
}

Poco::JSON::Object::Ptr shapeJson(const Shape& shape) {
  auto o = newObject();
  switch (shape.cls) {
    case ShapeClass::Scalar:
      o->set("class", "H5S_SCALAR");
      break;
    case ShapeClass::Null:
      o->set("class", "H5S_NULL");
      break;
    case ShapeClass::Simple: {
      o->set("class", "H5S_SIMPLE");
      Poco::JSON::Array::Ptr dims = new Poco::JSON::Array;
      for (auto d : shape.dims) dims->add(d);
      o->set("dims", dims);
      if (!shape.maxdims.empty() && shape.maxdims != shape.dims) {
        Poco::JSON::Array::Ptr max = new Poco::JSON::Array;
        for (auto d : shape.maxdims) max->add(d == kUnlimited ? uint64_t{0} : d);
        o->set("maxdims", max);
      }
      break;
    }
  }
  return o;
}

}  // namespace strata::hdf

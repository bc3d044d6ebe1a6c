#pragma once
// hrefs and the JSON pieces every response shares: timestamps, shapes, hrefs arrays.
//
// hrefs follow h5serv: the host part is the Host header (or X-Forwarded-Host) of the request,
// so "http://tall.test.hdfgroup.org/groups/<id>" when the client addressed the domain through
// Host; a domain given as `?host=` (or `?domain=`) is repeated in every href as that query
// parameter, so that each href leads back to the same domain.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/http.h>
#include <strata/stores/array_store.h>

#include <string>

#include "domain.h"

namespace strata::hdf {

class Hrefs {
 public:
  Hrefs() = default;
  explicit Hrefs(const DomainRequest& addr);

  // protocol://host/<path>[?host=<domain>][&<extraQuery>]
  std::string href(const std::string& path, const std::string& extraQuery = "") const;

  // The target of an external link (h5serv's getExternalHref, with the fragment after the
  // query so that the URL stays well formed). Empty when the domain is not one this server
  // can name (a DNS name outside the top-level domain).
  std::string external(const DomainMapper& mapper, const std::string& h5domain, const std::string& h5path,
                       bool fromToc) const;

 private:
  std::string protocol_ = "http";
  std::string host_ = "localhost";
  std::string query_;
  bool hostParam_ = false;
};

// Percent-encodes a path segment (a link or attribute name in an href): everything but
// RFC 3986's unreserved characters.
std::string encodeSegment(const std::string& s);

// A JSON object that keeps its keys in insertion order (as h5serv writes them).
Poco::JSON::Object::Ptr newObject();
// Appends {"rel": rel, "href": href}.
void addHref(Poco::JSON::Array& hrefs, const std::string& rel, const std::string& href);

// h5serv's timestamp form: "2026-11-22T01:21:37Z" (UTC, seconds).
std::string timestamp(int64_t millis);
// A time as the request's dialect writes it: h5serv's string above, or for HSDS (`hsds`) the
// float seconds since the epoch that HSDS sends (1764983297.123).
Poco::Dynamic::Var timestamp(int64_t millis, bool hsds);

// {"class":"H5S_SIMPLE","dims":[...],"maxdims":[...]} (maxdims only when extendable, 0 for
// unlimited), {"class":"H5S_SCALAR"} or {"class":"H5S_NULL"}.
Poco::JSON::Object::Ptr shapeJson(const Shape& shape);

}  // namespace strata::hdf

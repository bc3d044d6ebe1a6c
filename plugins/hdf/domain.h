#pragma once
// Domain addressing: which container a request means, and how hrefs in the answer are
// written so that a client can follow them back to the same domain.
//
// A domain is named in one of two styles:
// - DNS style (h5serv): "tall.test.hdfgroup.org" means the container "test/tall" (labels
//   reversed, the top-level domain stripped, "%2E" for a literal dot in a label);
//   "<name>.<user>.home.hdfgroup.org" means "home/<user>/<name>". The top-level domain itself,
//   an IP address or a single label ("localhost") mean the table-of-contents (TOC) domain, and
//   "<user>.home.hdfgroup.org" the user's own TOC.
// - Path style (HSDS): "/home/test_user1/tall.h5" means "home/test_user1/tall"; "/" is the
//   TOC, "/home/<user>" or "/home/<user>/" the user's TOC.
//
// The name is taken from, in order: the query parameter `host`, the query parameter
// `domain`, the X-Hdf-domain header, X-Forwarded-Host, Host.
#include <strata/http.h>

#include <optional>
#include <string>
#include <vector>

namespace strata::hdf {

struct Domain {
  enum class Kind { Container, Toc };
  enum class Style { Dns, Path };
  Kind kind = Kind::Toc;
  Style style = Style::Dns;
  // Container: its name. Toc: the prefix whose containers it lists ("" or "home/<user>").
  std::string container;
  // Further container names the same text may mean: a `?host=` value has had its "%2E"
  // decoded to "." by the query parser already, so "tall.dots.test" may be the container
  // "test/tall.dots" as well as "test/dots/tall", in the order h5serv tries them; and a '+'
  // in a DNS name may stand for a space (h5serv's form of a file name with spaces).
  std::vector<std::string> alternates;
  bool isToc() const { return kind == Kind::Toc; }
};

// Where the domain name of a request came from; decides the form of hrefs.
enum class DomainSource { HostParam, DomainParam, HdfHeader, ForwardedHost, HostHeader, None };

class DomainMapper {
 public:
  DomainMapper(std::string topDomain, std::string homeDir);

  // Parses a domain name in either style. Throws Forbidden for a DNS name outside the
  // top-level domain and BadRequest for malformed names (empty labels or segments, "." or
  // "..", '/' inside a label).
  Domain parse(const std::string& name, bool fromHostParam = false) const;

  // The DNS-style name of a container ("test/tall" -> "tall.test.hdfgroup.org").
  std::string dnsName(const std::string& container) const;
  // The path-style name of a container ("test/tall" -> "/test/tall.h5").
  std::string pathName(const std::string& container) const;
  // The DNS-style name of a TOC prefix ("" -> "hdfgroup.org", "home/u" -> "u.home.hdfgroup.org").
  std::string tocDnsName(const std::string& prefix) const;

  // The `h5domain` of a link to a container, in the style the request used: the path name, or
  // the DNS name with h5serv's '+' for a space ("a b.test.hdfgroup.org" -> "a+b.test...").
  std::string linkDomain(const std::string& container, Domain::Style style) const;
  // The container an external link's stored target names, or nullopt when it names none of
  // this server (another DNS domain, a path that leaves the data root, a malformed name).
  // The target is read as h5serv reads it: a DNS name of the top-level domain; a file path,
  // absolute from the data root ("/test/x.h5") or relative to the linking container's folder
  // ("x.h5", "sub/x.h5"); or a name relative to that folder's DNS name ("x", "x.sub").
  std::optional<std::string> externalContainer(const std::string& target, const std::string& linking) const;

  // True if a DNS-style name lies inside the top-level domain (for external-link targets).
  bool inTopDomain(const std::string& name) const;

  const std::string& topDomain() const { return topDomain_; }
  const std::string& homeDir() const { return homeDir_; }

 private:
  Domain parseDns(const std::string& host, bool fromHostParam) const;
  Domain parsePath(const std::string& path) const;
  Domain fromSegments(std::vector<std::string> segments, Domain::Style style) const;

  std::string topDomain_;  // lower case
  std::string homeDir_;
};

// The raw domain name of a request and where it came from; an empty name with
// DomainSource::None when the request names none (the TOC).
struct DomainRequest {
  std::string name;
  DomainSource source = DomainSource::None;
  std::string hrefHost;  // host part of hrefs: X-Forwarded-Host, else Host, else "localhost"
  std::string protocol;  // X-Forwarded-Proto, else "http"
};
DomainRequest domainOf(const Request& req);

// Percent-encodes the characters of a domain name that cannot stand in a URL query as they
// are (h5serv's nameEncode): letters, digits and URL punctuation pass, a space becomes '+'.
std::string nameEncode(const std::string& name);

}  // namespace strata::hdf

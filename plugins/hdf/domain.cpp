#include "domain.h"

#include <Poco/String.h>
#include <strata/errors.h>

#include <algorithm>
#include <cctype>

namespace strata::hdf {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// h5serv treats "localhost", other single labels and dotted quads as "no domain given".
bool looksLikeIpOrSingleLabel(const std::string& host) {
  const auto labels = split(host, '.');
  if (labels.size() == 1) return true;
  if (labels.size() != 4) return false;
  for (const auto& l : labels) {
    if (!allDigits(l) || l.size() > 3 || std::stoi(l) > 255) return false;
  }
  return true;
}

// "%2E" in a DNS label stands for a dot in the file name (a label cannot hold one).
std::string decodeLabel(const std::string& label) {
  std::string out;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] == '%' && i + 2 < label.size() && label[i + 1] == '2' &&
        (label[i + 2] == 'E' || label[i + 2] == 'e')) {
      out.push_back('.');
      i += 2;
    } else {
      out.push_back(label[i]);
    }
  }
  return out;
}

std::string encodeLabel(const std::string& segment) {
  std::string out;
  for (char c : segment) {
    if (c == '.')
      out += "%2E";
    else
      out.push_back(c);
  }
  return out;
}

}  // namespace

DomainMapper::DomainMapper(std::string topDomain, std::string homeDir)
    : topDomain_(Poco::toLower(Poco::trim(topDomain))), homeDir_(std::move(homeDir)) {}

Domain DomainMapper::parse(const std::string& rawName, bool fromHostParam) const {
  std::string name = Poco::trim(rawName);
  // HSDS accepts an "hdf5:/" scheme prefix on path domains.
  if (name.rfind("hdf5:/", 0) == 0) {
    name = name.substr(6);
    if (name.empty() || name[0] != '/') name = "/" + name;
  }
  if (!name.empty() && name[0] == '/') return parsePath(name);
  return parseDns(name, fromHostParam);
}

Domain DomainMapper::parseDns(const std::string& rawHost, bool fromHostParam) const {
  std::string host = rawHost;
  if (!host.empty() && host[0] == '[') return fromSegments({}, Domain::Style::Dns);  // IPv6 literal
  if (const auto colon = host.rfind(':'); colon != std::string::npos && allDigits(host.substr(colon + 1)))
    host.resize(colon);
  if (host.empty()) return fromSegments({}, Domain::Style::Dns);
  const std::string lower = Poco::toLower(host);
  if (lower == topDomain_ || looksLikeIpOrSingleLabel(host)) return fromSegments({}, Domain::Style::Dns);

  const std::size_t tld = topDomain_.size();
  if (lower.size() <= tld || lower.compare(lower.size() - tld, tld, topDomain_) != 0)
    throw Forbidden("top-level domain is not valid: '" + host + "' is not inside '" + topDomain_ + "'");
  if (lower[lower.size() - tld - 1] != '.')
    throw BadRequest("domain name is not valid: '" + host + "' (no '.' before '" + topDomain_ + "')");
  const std::string rest = host.substr(0, host.size() - tld - 1);
  if (rest.empty() || rest.front() == '.' || rest.back() == '.')
    throw BadRequest("domain name is not valid: '" + host + "' has an empty label");

  auto labels = split(rest, '.');
  for (const auto& l : labels)
    if (l.empty()) throw BadRequest("domain name is not valid: '" + host + "' has an empty label");

  std::vector<std::string> segments;
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) segments.push_back(decodeLabel(*it));
  Domain d = fromSegments(segments, Domain::Style::Dns);

  // A `?host=` value arrives with its "%2E" already decoded: try reading the leading dots as
  // dots of the file name, as h5serv does (it replaces the first '.' by "%2E", repeatedly).
  if (fromHostParam && d.kind == Domain::Kind::Container) {
    for (std::size_t k = 1; k < labels.size(); ++k) {
      std::string first = labels[0];
      for (std::size_t j = 1; j <= k; ++j) first += "." + labels[j];
      std::vector<std::string> alt;
      for (std::size_t j = labels.size() - 1; j > k; --j) alt.push_back(decodeLabel(labels[j]));
      alt.push_back(decodeLabel(first));
      try {
        Domain a = fromSegments(alt, Domain::Style::Dns);
        if (a.kind == Domain::Kind::Container && a.container != d.container)
          d.alternates.push_back(a.container);
      } catch (const Error&) {
        // Not a valid reading; skip it.
      }
    }
  }
  // h5serv writes a space of a file name as '+' in h5domain: after the literal readings, try
  // each with its '+' taken as spaces.
  if (d.kind == Domain::Kind::Container && host.find('+') != std::string::npos) {
    std::vector<std::string> readings = {d.container};
    readings.insert(readings.end(), d.alternates.begin(), d.alternates.end());
    for (auto spaced : readings) {
      std::replace(spaced.begin(), spaced.end(), '+', ' ');
      if (spaced != d.container &&
          std::find(d.alternates.begin(), d.alternates.end(), spaced) == d.alternates.end())
        d.alternates.push_back(spaced);
    }
  }
  return d;
}

Domain DomainMapper::parsePath(const std::string& path) const {
  const bool folder = path.size() > 1 && path.back() == '/';
  std::string p = path;
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p.empty()) return fromSegments({}, Domain::Style::Path);
  auto segments = split(p, '/');
  for (const auto& s : segments)
    if (s.empty()) throw BadRequest("domain path is not valid: '" + path + "' has an empty segment");
  if (folder) {
    // A folder: the TOC of everything below it.
    for (const auto& s : segments)
      if (s == "." || s == "..") throw BadRequest("domain path is not valid: '" + path + "'");
    Domain d;
    d.kind = Domain::Kind::Toc;
    d.style = Domain::Style::Path;
    d.container = p;
    return d;
  }
  auto& last = segments.back();
  if (last.size() > 3 && last.compare(last.size() - 3, 3, ".h5") == 0) last.resize(last.size() - 3);
  return fromSegments(segments, Domain::Style::Path);
}

Domain DomainMapper::fromSegments(std::vector<std::string> segments, Domain::Style style) const {
  for (const auto& s : segments) {
    if (s.empty() || s == "." || s == "..")
      throw BadRequest("domain name is not valid: empty, '.' or '..' component");
    if (s.find_first_of(std::string("/\\\0", 3)) != std::string::npos)
      throw BadRequest("domain name is not valid: component '" + s + "' holds '/' or '\\'");
  }
  Domain d;
  d.style = style;
  if (segments.empty()) {
    d.kind = Domain::Kind::Toc;
    return d;
  }
  std::string joined;
  for (const auto& s : segments) joined += (joined.empty() ? "" : "/") + s;
  if (segments.size() == 2 && segments[0] == homeDir_) {
    d.kind = Domain::Kind::Toc;  // the user's home: their own TOC
    d.container = joined;
    return d;
  }
  d.kind = Domain::Kind::Container;
  d.container = joined;
  return d;
}

std::string DomainMapper::dnsName(const std::string& container) const {
  if (container.empty()) return topDomain_;
  const auto segments = split(container, '/');
  std::string out;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) out += encodeLabel(*it) + ".";
  return out + topDomain_;
}

std::string DomainMapper::pathName(const std::string& container) const { return "/" + container + ".h5"; }

std::string DomainMapper::tocDnsName(const std::string& prefix) const { return dnsName(prefix); }

std::string DomainMapper::linkDomain(const std::string& container, Domain::Style style) const {
  if (style == Domain::Style::Path) return pathName(container);
  std::string out = dnsName(container);
  std::replace(out.begin(), out.end(), ' ', '+');
  return out;
}

namespace {

// "x.h5" -> "x", "x.hdf5" -> "x": the container of a file name.
void stripHdf5Extension(std::string& name) {
  for (const std::string ext : {".h5", ".hdf5"}) {
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      name.resize(name.size() - ext.size());
      return;
    }
  }
}

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::optional<std::string> DomainMapper::externalContainer(const std::string& rawTarget,
                                                           const std::string& linking) const {
  std::string target = Poco::trim(rawTarget);
  if (target.rfind("hdf5:/", 0) == 0) {
    target = target.substr(6);
    if (target.empty() || target[0] != '/') target = "/" + target;
  }
  if (target.empty()) return std::nullopt;
  // The linking container's folder: relative targets start there.
  std::vector<std::string> folder = split(linking, '/');
  folder.pop_back();
  try {
    std::vector<std::string> segments;
    if (target.find('/') != std::string::npos) {
      // A file path: absolute from the data root, or relative to the folder. ".." may not
      // leave the data root.
      if (target[0] != '/') segments = folder;
      for (const auto& part : split(target, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
          if (segments.empty()) return std::nullopt;
          segments.pop_back();
          continue;
        }
        segments.push_back(part);
      }
      if (segments.empty()) return std::nullopt;
      stripHdf5Extension(segments.back());
    } else if (inTopDomain(target)) {
      const Domain d = parseDns(target, false);
      if (d.kind != Domain::Kind::Container) return std::nullopt;
      return d.container;
    } else if (endsWith(target, ".h5") || endsWith(target, ".hdf5")) {
      segments = folder;  // a file of the same folder
      segments.push_back(target);
      stripHdf5Extension(segments.back());
    } else {
      const std::string lower = Poco::toLower(target);
      for (const char* tld : {".org", ".edu", ".com", ".gov", ".net", ".mil"})
        if (endsWith(lower, tld)) return std::nullopt;  // another server's domain
      // A DNS name relative to the folder's: "x" or "x.sub".
      segments = folder;
      const auto labels = split(target, '.');
      for (auto it = labels.rbegin(); it != labels.rend(); ++it) segments.push_back(decodeLabel(*it));
    }
    const Domain d = fromSegments(segments, Domain::Style::Dns);
    if (d.kind != Domain::Kind::Container) return std::nullopt;
    return d.container;
  } catch (const Error&) {
    return std::nullopt;  // not a name of this server
  }
}

bool DomainMapper::inTopDomain(const std::string& name) const {
  const std::string lower = Poco::toLower(name);
  if (lower == topDomain_) return true;
  return lower.size() > topDomain_.size() + 1 &&
         lower.compare(lower.size() - topDomain_.size(), topDomain_.size(), topDomain_) == 0 &&
         lower[lower.size() - topDomain_.size() - 1] == '.';
}

DomainRequest domainOf(const Request& req) {
  DomainRequest out;
  auto forwarded = req.header("X-Forwarded-Host");
  if (forwarded) {
    // A chain of proxies lists several hosts; the first is the one the client used.
    std::string first = forwarded->substr(0, forwarded->find(','));
    forwarded = Poco::trim(first);
    if (forwarded->empty()) forwarded.reset();
  }
  const auto host = req.header("Host");
  out.hrefHost = forwarded ? *forwarded : host && !host->empty() ? *host : "localhost";
  const auto proto = req.header("X-Forwarded-Proto");
  out.protocol = proto && !proto->empty() ? Poco::trim(*proto) : "http";

  if (auto v = req.query("host"); v && !v->empty()) {
    out.name = *v;
    out.source = DomainSource::HostParam;
  } else if (auto d = req.query("domain"); d && !d->empty()) {
    out.name = *d;
    out.source = DomainSource::DomainParam;
  } else if (auto h = req.header("X-Hdf-domain"); h && !h->empty()) {
    out.name = *h;
    out.source = DomainSource::HdfHeader;
  } else if (forwarded) {
    out.name = *forwarded;
    out.source = DomainSource::ForwardedHost;
  } else if (host && !host->empty()) {
    out.name = *host;
    out.source = DomainSource::HostHeader;
  }
  return out;
}

std::string nameEncode(const std::string& name) {
  static const std::string passThrough = "-._~:/[]@!$'()*,;";
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || passThrough.find(c) != std::string::npos) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

}  // namespace strata::hdf

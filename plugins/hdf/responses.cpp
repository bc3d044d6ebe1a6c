#include "responses.h"

#include <cstdio>
#include <functional>
#include <string_view>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>
#include <strata/util.h>

#include <charconv>
#include <cmath>
#include <sstream>

namespace strata::hdf {

std::string etagOf(const std::string& body) {
  // A 64-bit hash of the body and its length: enough to tell versions of one resource apart,
  // and cheap on the 1 MiB value answers that carry one (SHA-256 took half of the CPU of a
  // 1 MiB read). Not a content digest: stable across restarts of one build, no more.
  char tag[48];
  std::snprintf(tag, sizeof tag, "\"%016zx-%zx\"", std::hash<std::string_view>{}(body), body.size());
  return tag;
}

bool answerEtag(Request& req, Response& res, const std::string& body) {
  const std::string tag = etagOf(body);
  res.setHeader("Etag", tag);
  const auto inm = req.header("If-None-Match");
  if (!inm) return false;
  std::size_t start = 0;
  while (start <= inm->size()) {
    auto end = inm->find(',', start);
    if (end == std::string::npos) end = inm->size();
    std::string t = Poco::trim(inm->substr(start, end - start));
    if (t.rfind("W/", 0) == 0) t = t.substr(2);
    if (t == tag || t == "*") {
      res.sendEmpty(304);
      return true;
    }
    start = end + 1;
  }
  return false;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8Length(const std::string& s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

void appendString(const std::string& s, std::string& out) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (const std::size_t n = utf8Length(s, i)) {
      out.append(s, i, n);
      i += n - 1;
    } else {
      // Not UTF-8 (bytes of a fixed-length string): read the byte as Latin-1.
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  out.push_back('"');
}

template <typename Seq>
void appendList(const Seq& items, std::size_t n, std::string& out) {
  out.push_back('[');
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out.push_back(',');
    appendJson(items(i), out);
  }
  out.push_back(']');
}

void appendObject(const Poco::JSON::Object& o, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& name : o.getNames()) {
    if (!first) out.push_back(',');
    first = false;
    appendString(name, out);
    out.push_back(':');
    appendJson(o.get(name), out);
  }
  out.push_back('}');
}

}  // namespace

void appendJsonNumber(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "\"NaN\"";
  } else if (std::isinf(d)) {
    out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d);
    const std::size_t start = out.size();
    out.append(buf, r.ptr);
    if (out.find_first_of(".eE", start) == std::string::npos) out += ".0";
  }
}

void appendJson(const Poco::Dynamic::Var& v, std::string& out) {
  using Poco::JSON::Array;
  using Poco::JSON::Object;
  const auto& t = v.type();
  if (v.isEmpty()) {
    out += "null";
  } else if (t == typeid(bool)) {
    out += v.extract<bool>() ? "true" : "false";
  } else if (t == typeid(Object::Ptr)) {
    const auto& o = v.extract<Object::Ptr>();
    if (o)
      appendObject(*o, out);
    else
      out += "null";
  } else if (t == typeid(Array::Ptr)) {
    const auto& a = v.extract<Array::Ptr>();
    if (!a) {
      out += "null";
      return;
    }
    appendList([&](std::size_t i) { return a->get(static_cast<unsigned>(i)); }, a->size(), out);
  } else if (t == typeid(Object)) {
    appendObject(v.extract<Object>(), out);
  } else if (t == typeid(Array)) {
    const auto& a = v.extract<Array>();
    appendList([&](std::size_t i) { return a.get(static_cast<unsigned>(i)); }, a.size(), out);
  } else if (t == typeid(Poco::Dynamic::Array)) {
    const auto& a = v.extract<Poco::Dynamic::Array>();
    appendList([&](std::size_t i) { return a[i]; }, a.size(), out);
  } else if (v.isString()) {
    appendString(v.extract<std::string>(), out);
  } else if (v.isInteger()) {
    out +=
        v.isSigned() ? std::to_string(v.convert<Poco::Int64>()) : std::to_string(v.convert<Poco::UInt64>());
  } else if (v.isNumeric()) {
    appendJsonNumber(v.convert<double>(), out);
  } else {
    std::ostringstream os;
    Poco::JSON::Stringifier::condense(v, os);
    out += os.str();
  }
}

std::string toJsonText(const Poco::Dynamic::Var& value) {
  std::string out;
  appendJson(value, out);
  return out;
}

void sendJson(Request& req, Response& res, const Poco::Dynamic::Var& body, int status) {
  const std::string text = toJsonText(body);
  const bool get = req.method() == "GET" || req.method() == "HEAD";
  if (get && status == 200 && answerEtag(req, res, text)) return;
  res.sendBytes(text.data(), text.size(), "application/json", status);
}

AdaptiveBody::AdaptiveBody(Request& req, Response& res, std::string contentType, int64_t knownLength,
                           std::size_t threshold)
    : req_(req),
      res_(res),
      contentType_(std::move(contentType)),
      knownLength_(knownLength),
      threshold_(threshold) {}

void AdaptiveBody::write(const char* data, std::size_t n) {
  if (writer_) {
    writer_->write(data, n);
    return;
  }
  if (buffer_.size() + n <= threshold_) {
    buffer_.append(data, n);
    return;
  }
  // Past the threshold: stream from here on, without copying this piece (a store's read
  // pieces are many MiB).
  writer_ = res_.beginBody(contentType_, knownLength_);
  if (!buffer_.empty()) writer_->write(buffer_.data(), buffer_.size());
  std::string().swap(buffer_);
  writer_->write(data, n);
}

void AdaptiveBody::finish() {
  if (writer_) {
    writer_->close();
    return;
  }
  const bool get = req_.method() == "GET" || req_.method() == "HEAD";
  if (get && res_.status() == 200 && answerEtag(req_, res_, buffer_)) return;
  res_.sendBytes(buffer_.data(), buffer_.size(), contentType_);
}

}  // namespace strata::hdf

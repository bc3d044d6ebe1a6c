#include "multipart_form.h"

#include <Poco/Exception.h>
#include <Poco/Net/MediaType.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>
#include <strata/errors.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <ios>
#include <sstream>
#include <vector>

namespace strata::slycat {

namespace {

constexpr std::size_t kBlock = 1u << 20;
const char* const kEndedEarly = "Malformed multipart body: it ends before its closing boundary.";

std::string boundaryOf(const std::string& header) {
  std::string boundary;
  try {
    const Poco::Net::MediaType type(header);
    if (Poco::toLower(type.getType()) == "multipart" && Poco::toLower(type.getSubType()) == "form-data")
      if (type.hasParameter("boundary")) boundary = type.getParameter("boundary");
  } catch (const Poco::Exception&) {
  }
  if (header.empty() || boundary.empty() || boundary.size() > 200)
    throw BadRequest("The request body must be multipart/form-data with a boundary.");
  return boundary;
}

}  // namespace

MultipartForm::MultipartForm(std::istream& body, const std::string& contentTypeHeader)
    : body_(body), delimiter_("\r\n--" + boundaryOf(contentTypeHeader)), buf_(kBlock + 64 * 1024) {
  // The first boundary may open the body without a CRLF before it: supply one.
  buf_[0] = '\r';
  buf_[1] = '\n';
  end_ = 2;
  // Let the body stream's own errors (past the body limit, lost connection) reach the caller
  // rather than end the body quietly.
  body_.exceptions(std::ios::badbit);
}

bool MultipartForm::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buf_.size()) return true;  // full: the caller consumes first
  body_.read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
  const auto n = static_cast<std::size_t>(body_.gcount());
  end_ += n;
  if (n == 0) eof_ = true;
  return n > 0;
}

std::size_t MultipartForm::findDelimiter() const {
  const auto first = buf_.begin() + static_cast<std::ptrdiff_t>(pos_);
  const auto last = buf_.begin() + static_cast<std::ptrdiff_t>(end_);
  const auto it =
      std::search(first, last, std::boyer_moore_horspool_searcher(delimiter_.begin(), delimiter_.end()));
  return static_cast<std::size_t>(it - buf_.begin());
}

bool MultipartForm::readPart(const std::function<bool(const char*, std::size_t)>& sink) {
  const std::size_t keep = delimiter_.size() - 1;  // a delimiter may start in the last bytes
  for (;;) {
    const std::size_t at = findDelimiter();
    if (at < end_) {
      if (at > pos_ && !sink(buf_.data() + pos_, at - pos_)) {
        pos_ = at;
        return false;
      }
      pos_ = at + delimiter_.size();
      inPart_ = false;
      return true;
    }
    if (end_ - pos_ > keep) {
      const std::size_t n = end_ - pos_ - keep;
      const std::size_t start = pos_;
      pos_ += n;
      if (!sink(buf_.data() + start, n)) return false;
    }
    if (!fill() && eof_) throw BadRequest(kEndedEarly);
  }
}

bool MultipartForm::next() {
  if (done_) return false;
  if (inPart_ || !started_) {
    // Skip the rest of the current part, or the preamble before the first boundary.
    const bool first = !started_;
    started_ = true;
    try {
      readPart([](const char*, std::size_t) { return true; });
    } catch (const BadRequest&) {
      if (first) throw BadRequest("Malformed multipart body: no boundary line opens it (a wrong boundary?).");
      throw;
    }
  }
  // After a delimiter: "--" closes the body; otherwise optional padding, then CRLF.
  auto need = [this](std::size_t n) {
    while (end_ - pos_ < n)
      if (!fill() && eof_) throw BadRequest(kEndedEarly);
  };
  need(2);
  if (buf_[pos_] == '-' && buf_[pos_ + 1] == '-') {
    done_ = true;
    pos_ += 2;
    return false;
  }
  for (;;) {
    need(1);
    if (buf_[pos_] != ' ' && buf_[pos_] != '\t') break;
    ++pos_;
  }
  need(2);
  if (buf_[pos_] != '\r' || buf_[pos_ + 1] != '\n')
    throw BadRequest("Malformed multipart body: a boundary line has text after the boundary.");
  pos_ += 2;
  // The part's headers: up to an empty line, at most 16 KiB.
  static const std::string kEnd = "\r\n\r\n";
  std::string headers;
  for (;;) {
    if (end_ - pos_ >= 2 && buf_[pos_] == '\r' && buf_[pos_ + 1] == '\n' && headers.empty()) {
      pos_ += 2;  // no headers at all
      break;
    }
    const auto first = buf_.begin() + static_cast<std::ptrdiff_t>(pos_);
    const auto last = buf_.begin() + static_cast<std::ptrdiff_t>(end_);
    const auto it = std::search(first, last, kEnd.begin(), kEnd.end());
    if (it != last) {
      headers.assign(first, it + 2);
      pos_ = static_cast<std::size_t>(it - buf_.begin()) + kEnd.size();
      break;
    }
    if (end_ - pos_ > 16 * 1024)
      throw BadRequest("Malformed multipart body: part headers longer than 16 KiB.");
    if (!fill() && eof_) throw BadRequest(kEndedEarly);
  }
  Poco::Net::MessageHeader header;
  try {
    std::istringstream in(headers + "\r\n");
    header.read(in);
  } catch (const Poco::Exception& e) {
    throw BadRequest("Malformed multipart body: " + e.message());
  }
  if (!header.has("Content-Disposition"))
    throw BadRequest("A multipart part has no Content-Disposition header.");
  std::string disposition;
  Poco::Net::NameValueCollection params;
  Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition"), disposition, params);
  if (Poco::toLower(disposition) != "form-data" || !params.has("name"))
    throw BadRequest("Each multipart part must be form-data with a name.");
  name_ = params.get("name");
  isFile_ = params.has("filename");
  inPart_ = true;
  return true;
}

bool MultipartForm::readField(std::string& out, std::size_t maxBytes) {
  out.clear();
  return readPart([&](const char* data, std::size_t n) {
    out.append(data, std::min(n, maxBytes + 1 - out.size()));
    return out.size() <= maxBytes;
  });
}

bool MultipartForm::copyTo(std::FILE* file, uint64_t maxBytes, uint64_t& copied) {
  copied = 0;
  return readPart([&](const char* data, std::size_t n) {
    const uint64_t room = maxBytes + 1 - copied;
    const std::size_t take = n > room ? static_cast<std::size_t>(room) : n;
    if (std::fwrite(data, 1, take, file) != take)
      throw InsufficientStorage("could not spool the uploaded data to a temporary file");
    copied += take;
    return copied <= maxBytes;
  });
}

}  // namespace strata::slycat

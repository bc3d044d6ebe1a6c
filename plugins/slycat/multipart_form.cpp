#include "multipart_form.h"

#include <Poco/Exception.h>
#include <Poco/Net/MediaType.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>
#include <strata/errors.h>

#include <ios>
#include <vector>

namespace strata::slycat {

namespace {

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
    : body_(body), boundary_(boundaryOf(contentTypeHeader)), reader_(body, boundary_) {}

bool MultipartForm::next() {
  try {
    if (started_ && !reader_.hasNextPart()) return false;
    Poco::Net::MessageHeader header;
    reader_.nextPart(header);
    started_ = true;
    // A body that ends without the closing delimiter leaves a "part" without headers.
    if (!header.has("Content-Disposition"))
      throw BadRequest(header.empty() ? kEndedEarly : "A multipart part has no Content-Disposition header.");
    std::string disposition;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition"), disposition, params);
    if (Poco::toLower(disposition) != "form-data" || !params.has("name"))
      throw BadRequest("Each multipart part must be form-data with a name.");
    name_ = params.get("name");
    isFile_ = params.has("filename");
    // Let the body stream's own errors (truncated, lost connection) reach the caller.
    reader_.stream().exceptions(std::ios::badbit);
    return true;
  } catch (const Poco::Exception& e) {
    throw BadRequest("Malformed multipart body: " + e.message());
  } catch (const std::ios_base::failure&) {
    // A stream state error (Poco's reader puts a character back at the end of the body).
    throw BadRequest(kEndedEarly);
  }
}

std::istream& MultipartForm::partStream() { return reader_.stream(); }

bool MultipartForm::readField(std::string& out, std::size_t maxBytes) {
  out.clear();
  std::istream& in = partStream();
  std::vector<char> buf(4096);
  try {
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      if (n == 0) break;
      out.append(buf.data(), n);
      if (out.size() > maxBytes) return false;
    }
  } catch (const Poco::Exception& e) {
    throw BadRequest("Malformed multipart body: " + e.message());
  } catch (const std::ios_base::failure&) {
    // A stream state error (Poco's reader puts a character back at the end of the body).
    throw BadRequest(kEndedEarly);
  }
  return true;
}

bool MultipartForm::copyTo(std::FILE* file, uint64_t maxBytes, uint64_t& copied) {
  copied = 0;
  std::istream& in = partStream();
  std::vector<char> buf(256 * 1024);
  try {
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      if (n == 0) break;
      const uint64_t room = maxBytes + 1 - copied;
      const std::size_t take = n > room ? static_cast<std::size_t>(room) : n;
      if (std::fwrite(buf.data(), 1, take, file) != take)
        throw InsufficientStorage("could not spool the uploaded data to a temporary file");
      copied += take;
      if (copied > maxBytes) return false;
    }
  } catch (const Poco::Exception& e) {
    throw BadRequest("Malformed multipart body: " + e.message());
  } catch (const std::ios_base::failure&) {
    // A stream state error (Poco's reader puts a character back at the end of the body).
    throw BadRequest(kEndedEarly);
  }
  return true;
}

}  // namespace strata::slycat

#include "h5_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace strata::hdf5 {

std::string formatId(uint32_t generation, uint32_t salt, haddr_t address) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08" PRIx32 "-%04x-4%03x-8%03x-%012" PRIx64, generation,
                static_cast<unsigned>((address >> 48) & 0xffff), static_cast<unsigned>((salt >> 12) & 0xfff),
                static_cast<unsigned>(salt & 0xfff), static_cast<uint64_t>(address & 0xffffffffffffULL));
  return buf;
}

namespace {

bool hexField(const std::string& s, std::size_t pos, std::size_t len, uint64_t& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    const char c = s[i];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return false;  // ids are written in lower case only, so one object has one id
    }
    out = out << 4 | static_cast<uint64_t>(v);
  }
  return true;
}

}  // namespace

bool parseId(const std::string& id, uint32_t& generation, uint32_t& salt, haddr_t& address) {
  if (id.size() != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-') return false;
  if (id[14] != '4' || id[19] != '8') return false;
  uint64_t gen, high, saltHigh, saltLow, low;
  if (!hexField(id, 0, 8, gen) || !hexField(id, 9, 4, high) || !hexField(id, 15, 3, saltHigh) ||
      !hexField(id, 20, 3, saltLow) || !hexField(id, 24, 12, low)) {
    return false;
  }
  generation = static_cast<uint32_t>(gen);
  salt = static_cast<uint32_t>(saltHigh << 12 | saltLow);
  address = static_cast<haddr_t>(high << 48 | low);
  return true;
}

void H5File::loadSidecar() {
  std::ifstream in(sidecar);
  if (!in) return;
  std::string line;
  while (std::getline(in, line)) {
    // A line cut short by a crash fails to parse and is skipped.
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string verb = line.substr(0, space);
    const std::string arg = line.substr(space + 1);
    if (verb == "gone") {
      uint32_t gen, idSalt;
      haddr_t addr;
      if (!parseId(arg, gen, idSalt, addr) || idSalt != salt) continue;
      if (deleted.insert(arg).second) generations[addr] = std::max(generations[addr], gen + 1);
      props.erase(arg);
    } else if (verb == "salt") {
      char* end = nullptr;
      const unsigned long v = std::strtoul(arg.c_str(), &end, 16);
      if (end != arg.c_str() && *end == '\0') salt = static_cast<uint32_t>(v & 0xffffff);
    } else if (verb == "props") {
      const auto sep = arg.find(' ');
      if (sep != std::string::npos) props[arg.substr(0, sep)] = arg.substr(sep + 1);
    } else if (verb == "anchor" || verb == "unanchor") {
      char* end = nullptr;
      const unsigned long long addr = std::strtoull(arg.c_str(), &end, 16);
      if (end == arg.c_str() || *end != '\0') continue;
      if (verb == "anchor") {
        anchors.insert(static_cast<haddr_t>(addr));
      } else {
        anchors.erase(static_cast<haddr_t>(addr));
      }
    }
  }
}

void H5File::journal(const std::string& line) {
  if (readOnly) throw InternalError("refusing to write a sidecar for read-only container '" + name + "'");
  const int fd = ::open(sidecar.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw InternalError("cannot write " + sidecar + ": " + std::strerror(errno));
  }
  const std::string text = line + "\n";
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  if (n == static_cast<ssize_t>(text.size()) && fsync) ::fsync(fd);
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    throw InternalError("cannot write " + sidecar + ": " + std::strerror(err));
  }
}

void H5File::flush() const {
  if (!fsync || readOnly) return;
  check(H5Fflush(fid, H5F_SCOPE_LOCAL), "flushing domain '" + name + "'");
}

}  // namespace strata::hdf5

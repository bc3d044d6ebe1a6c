#include "json_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "hyperchunks.h"

namespace strata::slycat {

namespace {

void appendEscape(std::string& out, unsigned code) {
  static const char* hex = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(hex[(code >> shift) & 0xf]);
}

// Decodes one UTF-8 sequence at text[i]; an invalid byte is taken as U+FFFD.
unsigned nextCodePoint(const std::string& text, std::size_t& i) {
  const auto b = static_cast<unsigned char>(text[i]);
  int extra = b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
  if (extra < 0 || i + extra >= text.size()) {
    ++i;
    return 0xfffd;
  }
  unsigned code = b & (0x3f >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xc0) != 0x80) {
      ++i;
      return 0xfffd;
    }
    code = (code << 6) | (c & 0x3f);
  }
  i += extra + 1;
  return code;
}

}  // namespace

void appendJsonString(std::string& out, const std::string& text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20)
            appendEscape(out, c);
          else
            out.push_back(static_cast<char>(c));
      }
      continue;
    }
    const unsigned code = nextCodePoint(text, i);
    if (code >= 0x10000) {
      const unsigned v = code - 0x10000;
      appendEscape(out, 0xd800 + (v >> 10));
      appendEscape(out, 0xdc00 + (v & 0x3ff));
    } else {
      appendEscape(out, code);
    }
  }
  out.push_back('"');
}

void appendJsonNumber(std::string& out, double value, const std::string& type) {
  if (type == "bool") {
    out += value != 0 ? "true" : "false";
    return;
  }
  if (std::isnan(value) || std::isinf(value)) {
    out += "null";
    return;
  }
  if (type != "float32" && type != "float64") {
    char buf[32];
    const auto r = type == "uint64" && value >= 9223372036854775808.0
                       ? std::to_chars(buf, buf + sizeof buf, static_cast<uint64_t>(value))
                       : std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
    out.append(buf, r.ptr);
    return;
  }
  out += floatRepr(value);
}

}  // namespace strata::slycat

// JSON text as Slycat's Python server writes it (json.dumps). See json_text.h.
#include "json_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace strata::slycat {

namespace {

void appendEscape(std::string& out, unsigned cp) {
  static const char* hex = "0123456789abcdef";
  char e[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15], hex[cp & 15]};
  out.append(e, 6);
}

}  // namespace

// Python's repr() of a double (json.dumps writes floats so): the shortest round trip, in
// exponent form below 1e-4 and from 1e16. NaN and +-Inf have no JSON form and give null.
void appendFloat(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char sci[40];
  const auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  char digits[32];
  std::size_t nd = 0;
  while (*p != 'e') {
    if (*p != '.') digits[nd++] = *p;
    ++p;
  }
  ++p;  // 'e'
  const bool negExp = *p == '-';
  ++p;  // the exponent's sign
  int exp = 0;
  std::from_chars(p, r.ptr, exp);
  if (negExp) exp = -exp;
  if (exp < -4 || exp >= 16) {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits + 1, nd - 1);
    }
    out += negExp ? "e-" : "e+";
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
  } else if (exp < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exp - 1), '0');
    out.append(digits, nd);
  } else {
    const auto whole = static_cast<std::size_t>(exp) + 1;
    if (nd <= whole) {
      out.append(digits, nd);
      out.append(whole - nd, '0');
      out += ".0";
    } else {
      out.append(digits, whole);
      out += '.';
      out.append(digits + whole, nd - whole);
    }
  }
}

void appendInteger(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void appendInteger(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A JSON string as Python's json.dumps writes it (ensure_ascii): every character outside
// printable ASCII as \uXXXX (surrogate pairs above U+FFFF); bytes that are not UTF-8 as U+FFFD.
void appendString(std::string& out, const char* s, std::size_t n) {
  out += '"';
  for (std::size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(s[i]);
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
          if (c < 0x20 || c == 0x7f)
            appendEscape(out, c);
          else
            out += static_cast<char>(c);
      }
      continue;
    }
    const std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    unsigned cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0f : c & 0x1f;
    bool ok = len != 0 && c < 0xf5 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    ok = ok && !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
         cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    if (!ok) {
      appendEscape(out, 0xfffd);
      ++i;
      continue;
    }
    i += len;
    if (cp > 0xffff) {
      cp -= 0x10000;
      appendEscape(out, 0xd800 + (cp >> 10));
      appendEscape(out, 0xdc00 + (cp & 0x3ff));
    } else {
      appendEscape(out, cp);
    }
  }
  out += '"';
}

// An evaluator value of an integer column as that integer. The column holds doubles, so values
// past 2^53 are already rounded; these clamp at the type's ends instead of overflowing.
int64_t toSigned(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(v);
}
uint64_t toUnsigned(double v) {
  if (std::isnan(v) || v <= 0) return 0;
  if (v >= 18446744073709551615.0) return UINT64_MAX;
  return static_cast<uint64_t>(v);
}

void appendJsonValue(std::string& out, const std::string& type, double v) {
  if (type == "bool") {
    out += v != 0 ? "true" : "false";
  } else if (type == "float32" || type == "float64") {
    appendFloat(out, v);
  } else if (type[0] == 'u') {
    appendInteger(out, toUnsigned(v));
  } else {
    appendInteger(out, toSigned(v));
  }
}

void appendJsonString(std::string& out, const std::string& text) {
  appendString(out, text.data(), text.size());
}

}  // namespace strata::slycat

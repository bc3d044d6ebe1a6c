// JSON text as Slycat's Python server writes it (json.dumps): floats in Python's repr, NaN and
// the infinities as null, integers exact, strings with every character outside printable ASCII
// escaped as \uXXXX, booleans true/false. The data and metadata routes write through these.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace strata::slycat {

// Python's repr() of a double: the shortest round trip, in exponent form below 1e-4 and from
// 1e16; NaN and +-Inf give null. No allocation beyond `out`'s growth.
void appendFloat(std::string& out, double v);
void appendInteger(std::string& out, int64_t v);
void appendInteger(std::string& out, uint64_t v);
// A JSON string literal (ensure_ascii); bytes that are not UTF-8 become U+FFFD.
void appendString(std::string& out, const char* s, std::size_t n);
void appendJsonString(std::string& out, const std::string& text);

// An evaluator value (a double) of an integer column as that integer: values past 2^53 are
// already rounded; these clamp at the type's ends instead of overflowing.
int64_t toSigned(double v);
uint64_t toUnsigned(double v);

// One value of a Column of Slycat type `type` (int8 .. uint64, float32, float64, bool, and the
// int64 of index() and rank()).
void appendJsonValue(std::string& out, const std::string& type, double v);

}  // namespace strata::slycat

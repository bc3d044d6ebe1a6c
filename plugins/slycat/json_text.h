// JSON text as Slycat's Python server writes it (json.dumps): floats in Python's repr, NaN and
// infinities as null, integers exact, strings with every non-ASCII character escaped as \uXXXX,
// booleans true/false. Shared by the data and metadata routes.
#pragma once
#include <string>

namespace strata::slycat {

// Appends a JSON string literal.
void appendJsonString(std::string& out, const std::string& text);
// Appends one value of a Column of Slycat type `type` (int8 .. uint64, float32, float64, bool,
// and the int64 of index() and rank()).
void appendJsonNumber(std::string& out, double value, const std::string& type);

}  // namespace strata::slycat

#pragma once
// How the value tables of the sql backend (strata_entity_values for declared entity fields,
// strata_annotation_values for annotations) hold a value: its kind, and for a string `str` =
// 's' followed by its first kIndexStringPrefix bytes (never an empty BLOB, which may bind as
// NULL; short enough for a b-tree entry, and ordered as the strings). Numbers are doubles in
// `num`; booleans (annotations only) 0 or 1 in `num`. These columns only narrow: rows found
// through them are checked again with the contract's rules.
#include <cstddef>
#include <cstdint>
#include <string>

namespace strata::sql {

inline constexpr int64_t kIndexString = 0, kIndexNumber = 1, kIndexBoolean = 2;
inline constexpr std::size_t kIndexStringPrefix = 256;

inline std::string indexedString(const std::string& v) { return "s" + v.substr(0, kIndexStringPrefix); }

}  // namespace strata::sql

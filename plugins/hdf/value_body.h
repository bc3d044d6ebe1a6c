#pragma once
// The JSON body of PUT /datasets/{id}/value, read fast: the body is read whole (bounded by the
// plugin's maxJsonBytes, 413 beyond it) and scanned once with RapidJSON's SAX reader. The
// large members are not turned into a Poco DOM: "value" is kept as its text and encoded
// straight into the packed form (encodeValueText), "value_base64" as its string, decoded
// straight into packed bytes (decodeBase64Into). Every other member (start, stop, step,
// points, select) is small and parsed by Poco as before.
//
// Strictness is that of the Poco path by construction: whatever the fast path does not accept
// (malformed JSON, a root that is not an object, non-numeric types, any element or shape it
// would reject) is handed to the Poco parser and the type model's encoder, which accept or
// reject it with the messages they always gave.
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>
#include <strata/http.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::hdf {

class ValueBody {
 public:
  // Reads and scans the body. Errors as Request::jsonObject gives them.
  static ValueBody read(Request& req, uint64_t maxBytes);
  // Scans a body already read (the same errors).
  static ValueBody parse(std::string text);

  // Every member except "value", and except "value_base64" when that is a string.
  const Poco::JSON::Object::Ptr& members() const { return members_; }
  bool hasValue() const { return hasValue_; }
  // A "value_base64" member of any kind.
  bool hasBase64() const { return base64_.has_value() || members_->has("value_base64"); }
  // The "value_base64" string, or nullopt when the member is absent or not a string.
  std::optional<std::string_view> base64() const { return base64_; }

  // Encodes "value" for a selection of shape `dims` (empty: a scalar) as encodeValue() does
  // (values.h), with the same results and errors.
  std::string encodeValue(const arrays::Datatype& type, const std::vector<uint64_t>& dims) const;

 private:
  ValueBody() = default;
  // On the heap, so that the spans below stay valid when a ValueBody is moved (a short
  // std::string keeps its characters inline and a move would leave the spans dangling).
  std::unique_ptr<const std::string> text_;
  Poco::JSON::Object::Ptr members_;
  bool hasValue_ = false;
  std::string_view valueText_;                     // a span of text_
  std::optional<Poco::Dynamic::Var> valueVar_;     // when the body went through Poco whole
  std::optional<std::string_view> base64_;         // a span of text_ or of base64Copy_
  std::unique_ptr<const std::string> base64Copy_;  // the string when it had JSON escapes
};

// Encodes the JSON text of a value into the packed form for a selection of shape `dims`,
// with the results and errors of encodeValue() (values.h).
std::string encodeValueText(const arrays::Datatype& type, const std::vector<uint64_t>& dims,
                            std::string_view text);

}  // namespace strata::hdf

// What every fuzz target shares: the rule for what a parser may throw, and the server's own
// JSON parsing in front of the parsers that take JSON.
//
// A parser of client input may answer bad input only with a strata client error (4xx: BadRequest,
// PayloadTooLarge, ...), which the server renders as such. Anything else reaching the server is a
// finding: a 5xx strata error, any other exception (std::out_of_range, a Poco exception), and of
// course a crash, a sanitizer report or a hang (which libFuzzer reports by itself). The targets
// abort on the first two so that libFuzzer saves the input.
#pragma once
#include <Poco/Dynamic/Var.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <typeinfo>

namespace strata::fuzz {

template <class F>
void expectClientErrors(F&& fn) {
  try {
    fn();
  } catch (const strata::Error& e) {
    if (e.status() >= 400 && e.status() < 500) return;
    std::fprintf(stderr, "fuzz: server error %d (%s): %s\n", e.status(), e.code().c_str(), e.what());
    std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: unexpected %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: unexpected non-standard exception\n");
    std::abort();
  }
}

// Reports a broken property (a round trip that does not hold) and aborts.
inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

// A request body's JSON as the server parses it (strata::parseJsonBody); nullopt for text the
// server answers 400 invalid_json before any plugin parser sees it.
inline std::optional<Poco::Dynamic::Var> requestJson(const std::string& text) {
  try {
    return strata::parseJsonBody(text);
  } catch (const strata::BadRequest&) {
    return std::nullopt;
  }
}

// Splits a fuzz input at its first newline: a small header the target decodes (a shape, a type
// choice) and the text under test.
inline std::pair<std::string, std::string> splitFirstLine(const uint8_t* data, std::size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const auto nl = all.find('\n');
  if (nl == std::string::npos) return {std::string(), all};
  return {all.substr(0, nl), all.substr(nl + 1)};
}

}  // namespace strata::fuzz

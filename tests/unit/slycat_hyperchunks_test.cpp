// plugins/slycat/hyperchunks*.cpp: the grammar (accepted and refused forms), the canonical
// form, expansion, evaluation and the bounds; every example of the Slycat documentation and of
// its historical test suite is here (docs/slycat.md).
#include <hyperchunks.h>
#include <strata/errors.h>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace strata::slycat {
namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();

template <typename E>
void expectThrows(const std::function<void()>& action, const std::string& fragment) {
  try {
    action();
    ADD_FAILURE() << "no exception; expected one mentioning \"" << fragment << "\"";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << fragment << "\"";
  }
}

void expectRefused(const std::string& text, const std::string& fragment = "hyperchunks:") {
  SCOPED_TRACE("hyperchunks=" + text);
  expectThrows<BadRequest>([&] { parseHyperchunks(text); }, fragment);
}

void expectCanonical(const std::string& text, const std::string& expected) {
  SCOPED_TRACE("hyperchunks=" + text);
  Hyperchunks parsed;
  ASSERT_NO_THROW(parsed = parseHyperchunks(text));
  EXPECT_EQ(toString(parsed), expected);
  // The canonical form parses back to the same tree.
  EXPECT_TRUE(parseHyperchunks(expected) == parsed);
}

// An arrayset in memory: array id -> shape and attribute columns.
class MemoryArrayset : public ArraysetReader {
 public:
  void add(int64_t id, std::vector<uint64_t> shape, std::vector<Column> columns) {
    arrays_[id] = {std::move(shape), std::move(columns)};
  }
  // `arrays` arrays of one row each with `attributes` float64 attributes.
  static MemoryArrayset counts(int64_t arrays, int64_t attributes) {
    MemoryArrayset set;
    for (int64_t a = 0; a < arrays; ++a) {
      std::vector<Column> columns(static_cast<std::size_t>(attributes));
      for (auto& c : columns) c.numbers = {0};
      set.add(a, {1}, columns);
    }
    return set;
  }
  std::vector<int64_t> arrays() const override {
    std::vector<int64_t> ids;
    for (const auto& entry : arrays_) ids.push_back(entry.first);
    return ids;
  }
  ArrayInfo array(int64_t id) const override {
    const auto& entry = arrays_.at(id);
    ArrayInfo info;
    info.shape = entry.first;
    for (std::size_t i = 0; i < entry.second.size(); ++i)
      info.attributes.push_back({"a" + std::to_string(i), entry.second[i].type});
    return info;
  }
  Column read(int64_t array, int64_t attribute) const override {
    ++reads;
    return arrays_.at(array).second.at(static_cast<std::size_t>(attribute));
  }
  mutable int reads = 0;

 private:
  std::map<int64_t, std::pair<std::vector<uint64_t>, std::vector<Column>>> arrays_;
};

Column numbers(std::vector<double> values, std::string type = "float64") {
  Column c;
  c.type = std::move(type);
  c.numbers = std::move(values);
  return c;
}

Column strings(std::vector<std::string> values) {
  Column c;
  c.type = "string";
  c.strings = std::move(values);
  return c;
}

// Expansion as the historical tests wrote it: "a", "a/b" or "a/b/<hyperslice>"; computed
// attributes by their canonical form.
std::vector<std::string> expansion(const std::string& text, const ArraysetReader& reader) {
  Hyperchunks chunks = parseHyperchunks(text);
  std::vector<std::string> out;
  for (const Item& item : expandHyperchunks(chunks, reader)) {
    std::string s = std::to_string(item.array);
    if (item.hasAttribute)
      s += "/" + (item.expression ? toString(*item.expression) : std::to_string(item.attribute));
    if (item.hyperslice) s += "/" + toString(*item.hyperslice);
    out.push_back(s);
  }
  return out;
}

using Strings = std::vector<std::string>;

// --- the historical test suite: 36 valid, 3 invalid --------------------------------------

TEST(SlycatHyperchunks, HistoricalValidRowsHaveTheirCanonicalForm) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"0", "0"},
      {"0;1", "0;1"},
      {"0/1", "0/1"},
      {"0/1;2/3", "0/1;2/3"},
      {"0:5", "0:5"},
      {"0:5:2", "0:5:2"},
      {":5:2", ":5:2"},
      {"0::2", "0::2"},
      {"0:5/10:15", "0:5/10:15"},
      {".../10:15", ".../10:15"},
      {"0:5/...", "0:5/..."},
      {"0/1/20", "0/1/20"},
      {"0/1/20:25", "0/1/20:25"},
      {"0/1/20,25", "0/1/20,25"},
      {"0/1/20:25,30:35", "0/1/20:25,30:35"},
      {"0/1/20|25", "0/1/20|25"},
      {"0/1/20:25|30:35", "0/1/20:25|30:35"},
      {"0|1", "0|1"},
      {"0/1|2", "0/1|2"},
      {"0/indices()", "0/indices()"},
      {"0/indices(0)", "0/indices(0)"},
      {"0/indices(0.5)", "0/indices(0.5)"},
      {"0/indices(\"red\")", "0/indices(\"red\")"},
      {"0/indices(0, 0.5, \"red\")", "0/indices(0, 0.5, \"red\")"},
      {"0/indices(0)/0:50", "0/indices(0)/0:50"},
      {"0/a1 > 2", "0/(a1 > 2)"},
      {"0/a1 > 2/0:50", "0/(a1 > 2)/0:50"},
      {"0/a1 > 2.0 and a1 < 4.0/0:50", "0/((a1 > 2.0) and (a1 < 4.0))/0:50"},
      {"0/a1 < 2 and a2 < 3 or a3 < 4", "0/(((a1 < 2) and (a2 < 3)) or (a3 < 4))"},
      {"0/a1 < 2 and (a2 < 3 or a3 < 4)", "0/((a1 < 2) and ((a2 < 3) or (a3 < 4)))"},
      {"0/a1 in [0, 5, 6]", "0/(a1 in [0, 5, 6])"},
      {"0/a1 in [\"red\", \"cayenne\"]", "0/(a1 in [\"red\", \"cayenne\"])"},
      {"0/a1 not in [\"red\", \"cayenne\"]", "0/(a1 not in [\"red\", \"cayenne\"])"},
      {"0/.../order: rank(a1, \"asc\")/0:50", "0/.../order:rank(a1, \"asc\")/0:50"},
      {"0/.../order:rank(index(0), \"asc\")/0:50", "0/.../order:rank(index(0), \"asc\")/0:50"},
      {"0/index(0)|(a0 in [0, 1, 2, 3]) and ((a4 <= 0.78119) and (a4 >= 0.0001)) and ((a7 <= 0.53957) and "
       "(a7 >= 0.09121))/...",
       "0/index(0)|((a0 in [0, 1, 2, 3]) and ((a4 <= 0.78119) and (a4 >= 0.0001)) and ((a7 <= 0.53957) and "
       "(a7 >= 0.09121)))/..."},
  };
  EXPECT_EQ(rows.size(), 36u);
  for (const auto& [input, expected] : rows) expectCanonical(input, expected);
}

TEST(SlycatHyperchunks, HistoricalInvalidRowsAreRefused) {
  for (const char* text : {"foo", "0/foo", "0/1/foo"}) expectRefused(text);
}

TEST(SlycatHyperchunks, ParseTreeShapes) {
  Hyperchunks chunks = parseHyperchunks("1:3|-1/a01|2/order:rank(a1, \"desc\")/1,-2:|...");
  ASSERT_EQ(chunks.size(), 1u);
  const Hyperchunk& c = chunks[0];
  EXPECT_EQ(c.arrays, (std::vector<Slice>{Slice::ofRange(1, 3), Slice::ofIndex(-1)}));
  ASSERT_TRUE(c.attributes);
  EXPECT_EQ((*c.attributes)[0].kind, Expr::Kind::kAttribute);
  EXPECT_EQ((*c.attributes)[0].integer, 1);
  EXPECT_EQ((*c.attributes)[1].kind, Expr::Kind::kSlice);
  ASSERT_TRUE(c.order);
  EXPECT_EQ(c.order->text, "rank");
  ASSERT_TRUE(c.hyperslices);
  EXPECT_EQ((*c.hyperslices)[0], (Hyperslice{Slice::ofIndex(1), Slice::ofRange(-2, std::nullopt)}));
  EXPECT_EQ((*c.hyperslices)[1], (Hyperslice{Slice::ellipsis()}));
  // a1 and b1 and c1 is one n-ary node.
  Expr e = (*parseHyperchunks("0/a1>1 and a2>2 and a3>3")[0].attributes)[0];
  EXPECT_EQ(e.kind, Expr::Kind::kAnd);
  EXPECT_EQ(e.children.size(), 3u);
  // Without attributes or hyperslices, the parts are absent.
  Hyperchunk bare = parseHyperchunks("0")[0];
  EXPECT_FALSE(bare.attributes);
  EXPECT_FALSE(bare.hyperslices);
  EXPECT_FALSE(parseHyperchunks("0/1")[0].hyperslices);
}

// --- the documented examples --------------------------------------------------------------

TEST(SlycatHyperchunks, DocumentedExamplesParseAndRoundTrip) {
  const Strings same = {// slices
                        "10:20:2", "10:20", "10:", ":20", "...", ":", "::2", "1::2", "10", "-1", "-10:",
                        // hyperslices, as hyperslice lists of 0/0/...
                        "0/0/1", "0/0/1,2", "0/0/3,...", "0/0/...,4", "0/0/50:60,7", "0/0/50:60,7:10",
                        "0/0/1|3|4", "0/0/10:20|77", "0/0/1,2|33,4",
                        // hyperchunks
                        "1/2/10", "1/2/10:20", "1/2/...", "1/2:4/...", ".../2/...", ".../.../...",
                        "1/2/10:20,30:40", "1/2/:,3", "1/2/3,...", "1|3|4/.../...", "1/3|7|8/...",
                        "1/2/:,0|:,3|:10", "1/2/...;3/4/...",
                        // advanced
                        "0/1|index(0)/...", "10:20;35", "3/4;5/7", "0/.../...", ".../0/...", "0/0/...",
                        "0/1/order:rank(a2, \"desc\")/..."};
  for (const std::string& text : same) expectCanonical(text, text);
  expectCanonical("::", ":");
  expectCanonical("1::", "1:");
  expectCanonical("0/1|rank(a1,\"asc\")/...", "0/1|rank(a1, \"asc\")/...");
  expectCanonical("0/1|a1 > 5/...", "0/1|(a1 > 5)/...");
  expectCanonical("0/1|a1 > 5 and a1 < 13/...", "0/1|((a1 > 5) and (a1 < 13))/...");
  expectCanonical("0/1|a1 in [\"red\", \"cinnamon\"]/...", "0/1|(a1 in [\"red\", \"cinnamon\"])/...");
  expectCanonical("0/1/order:rank(a1,\"asc\")/...", "0/1/order:rank(a1, \"asc\")/...");
  expectCanonical("0/1/order:rank(a1,\"asc\")/0:10", "0/1/order:rank(a1, \"asc\")/0:10");
  // The clients' own strings.
  expectCanonical("0/2:5|index(0)/order: rank(a3, \"asc\")/0:100",
                  "0/2:5|index(0)/order:rank(a3, \"asc\")/0:100");
  expectCanonical("0/rank(a3,\"asc\")/...", "0/rank(a3, \"asc\")/...");
  expectCanonical("0/index(0)|(a3 >= 1.5 and a3 <= 7) and (a5 in [\"x\",\"y\"]) or a5 == nan/...",
                  "0/index(0)|((((a3 >= 1.5) and (a3 <= 7)) and (a5 in [\"x\", \"y\"])) or (a5 == nan))/...");
  expectCanonical("0/4|6/1|5|9", "0/4|6/1|5|9");
  expectCanonical("2/3/0:100|200:300", "2/3/0:100|200:300");
}

TEST(SlycatHyperchunks, WhitespaceBetweenTokensOnly) {
  expectCanonical(" 1 : 5 ", "1:5");
  expectCanonical("- 1", "-1");
  expectCanonical("0 / a1 > 1 . 5 / 0 : 5 , 2", "0/(a1 > 1.5)/0:5,2");
  expectCanonical("0\t/\r\n0", "0/0");
  expectCanonical("0/a1 not  in [1]", "0/(a1 not in [1])");
  for (const char* text : {". ..", "0/a 1", "0/a1 = = 2", "0/a1 > 1 0", "0/1/order :rank(a1, \"asc\")/...",
                           "0/1/or der:rank(a1, \"asc\")/..."})
    expectRefused(text);
}

// --- quirks of section 1.6 ----------------------------------------------------------------

TEST(SlycatHyperchunks, IntegersAreStrict) {
  for (const char* text : {"-0", "00", "01", "+1", "0x10", "1e3", "1.5", "0/-0", "0/0/01", "0/a1 > -0",
                           "0/a1 > 00", "0/a1 in [01]"})
    expectRefused(text);
  expectCanonical("0/a1 > -0.5", "0/(a1 > -0.5)");
  expectCanonical("0/a1 > 007.5", "0/(a1 > 7.5)");
  expectCanonical("0/a1 > 0", "0/(a1 > 0)");
  expectCanonical("0/a1 > -3", "0/(a1 > -3)");
}

TEST(SlycatHyperchunks, MalformedFloatsAreRefused) {
  for (const char* text :
       {"0/a1 > 1.5e", "0/a1 > 1.5e-", "0/a1 > 1.5-3", "0/a1 > .5", "0/a1 > 1E5", "0/a1 > 1e+5", "0/f(1.5e)"})
    expectRefused(text);
  expectCanonical("0/a1 > 1.", "0/(a1 > 1.0)");
  expectCanonical("0/a1 > 1.5e-3", "0/(a1 > 0.0015)");
  expectCanonical("0/a1 > 1.e5", "0/(a1 > 100000.0)");
}

TEST(SlycatHyperchunks, NanIsTheOnlyWord) {
  for (const char* text : {"0/a1 == nana", "0/a1 > a2", "0/a1 == n"}) expectRefused(text, "malformed number");
  expectRefused("0/a1 == NaN", "unexpected 'N'");
  expectRefused("0/a1 == inf", "unexpected 'i'");
  expectCanonical("0/a1 == nan", "0/(a1 == nan)");
  expectCanonical("0/a1 in [nan, 1]", "0/(a1 in [nan, 1])");
}

TEST(SlycatHyperchunks, ComparisonsTakeNumbersOnTheRight) {
  for (const char* text : {"0/a1 == \"x\"", "0/2 > a1", "0/a1 > a2", "0/a1 = 2", "0/a1 => 2", "0/a1 <> 2"})
    expectRefused(text);
}

TEST(SlycatHyperchunks, KeywordsNeedNoWhitespace) {
  expectCanonical("0/a1>2and a2<3", "0/((a1 > 2) and (a2 < 3))");
  expectCanonical("0/a1>2 or(a2<3)", "0/((a1 > 2) or (a2 < 3))");
  expectCanonical("0/a1 notin [1]", "0/(a1 not in [1])");
  expectCanonical("0/a1in[1,2]", "0/(a1 in [1, 2])");
  for (const char* text :
       {"0/a1 > 2andx", "0/a1 > 2 AND a2 < 3", "0/a1 > 2 OR a2 < 3", "0/a1 IN [1]", "0/a1 not [1]"})
    expectRefused(text);
}

TEST(SlycatHyperchunks, RefusedFormsOfTheReference) {
  const Strings refused = {
      "",
      "0;",
      "0;;1",
      "0|",
      "|0",
      "0||1",
      "0/",
      "/0",
      "0//1",
      "0/1/:,",
      "0/1/,1",
      "0/1/1,,2",
      "0/1/2/3",
      "0/order:rank(a1, \"asc\")/...",
      "0/1/order:rank(a1, \"asc\")/order:rank(a2, \"asc\")/...",
      "0/1/order:rank(a1, \"asc\")|rank(a2, \"asc\")/...",
      "0/1/order:a1/...",
      "0/1/order:/...",
      "0/1/order :rank(a1, \"asc\")/...",
      "1,2",
      "0/1,2",
      "1:2:3:4",
      "...:5",
      "1:...",
      "0/(a1)",
      "0/()",
      "0/(index(0))",
      "0/a1 in []",
      "0/a1 in [1, \"a\"]",
      "0/a1 in [\"a\", 1]",
      "0/f(nan)",
      "0/f([1])",
      "0/f(a1 > 2)",
      "0/f(1,)",
      "0/f(,1)",
      "0/a",
      "0/a1x",
      "0/a1 in [\"unterminated]",
      "0/a1 in [\"two\nlines\"]",
      "0/a1 > 2)",
      "0/(a1 > 2",
      "0/1/\"x\"",
  };
  for (const std::string& text : refused) expectRefused(text);
}

TEST(SlycatHyperchunks, SyntaxErrorsNameThePosition) {
  expectRefused("0/1/foo", "unexpected 'f' at position 4");
  expectRefused("0;", "unexpected end of input at position 2");
  expectRefused("0/1,2", "at position 3");
  expectRefused("0/a1 > 1.5e", "malformed number 1.5e at position 7");
  expectRefused("0/a99999999999999999999", "out of range at position 2");
  expectRefused("99999999999999999999", "integer 99999999999999999999 out of range at position 0");
}

// Random strings over the grammar's alphabet: each is refused with a BadRequest, or parses
// to a tree whose canonical form parses back to the same tree and prints the same.
TEST(SlycatHyperchunks, RandomStringsAreRefusedOrRoundTrip) {
  const std::vector<std::string> tokens = {"0",   "1",  "12",      "-",     ":",    "...",   "|",
                                           ",",   "/",  ";",       "a1",    "a0",   "index", "rank",
                                           "(",   ")",  "\"asc\"", "\"x\"", "[",    "]",     " ",
                                           ">",   "<=", "==",      "!=",    "nan",  "and",   "or",
                                           "not", "in", "order:",  "2.5",   "1e-3", "e",     "."};
  std::mt19937 random(12345);
  int accepted = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    std::size_t length = 1 + random() % 12;
    for (std::size_t i = 0; i < length; ++i) text += tokens[random() % tokens.size()];
    Hyperchunks parsed;
    try {
      parsed = parseHyperchunks(text);
    } catch (const BadRequest&) {
      continue;
    }
    ++accepted;
    std::string form = toString(parsed);
    SCOPED_TRACE(text + " -> " + form);
    Hyperchunks again;
    ASSERT_NO_THROW(again = parseHyperchunks(form));
    EXPECT_TRUE(again == parsed);
    EXPECT_EQ(toString(again), form);
  }
  EXPECT_GT(accepted, 100);
}

// --- the canonical form ---------------------------------------------------------------------

TEST(SlycatHyperchunks, FloatsArePrintedAsPythonRepr) {
  EXPECT_EQ(floatRepr(2.0), "2.0");
  EXPECT_EQ(floatRepr(0.0015), "0.0015");
  EXPECT_EQ(floatRepr(0.0001), "0.0001");
  EXPECT_EQ(floatRepr(1e-05), "1e-05");
  EXPECT_EQ(floatRepr(1.5e-07), "1.5e-07");
  EXPECT_EQ(floatRepr(1e16), "1e+16");
  EXPECT_EQ(floatRepr(1.25e17), "1.25e+17");
  EXPECT_EQ(floatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(floatRepr(123.456), "123.456");
  EXPECT_EQ(floatRepr(-0.0), "-0.0");
  EXPECT_EQ(floatRepr(0.1), "0.1");
  EXPECT_EQ(floatRepr(kNan), "nan");
  EXPECT_EQ(floatRepr(1e300), "1e+300");
  expectCanonical("0/a1 > 1e5", "0/(a1 > 100000.0)");
  expectCanonical("0/a1 > 2.50e1", "0/(a1 > 25.0)");
  expectCanonical("0/a1 > 1.10", "0/(a1 > 1.1)");
  expectCanonical("0/a1 > 1e-5", "0/(a1 > 1e-05)");
  // Python writes 1e+16, which the grammar refuses; the canonical form leaves out the "+".
  expectCanonical("0/a1 > 1e16", "0/(a1 > 1e16)");
  expectCanonical("0/a1 > 1.25e17", "0/(a1 > 1.25e17)");
  expectCanonical("0/f(1e300)", "0/f(1e300)");
  expectCanonical("0/a1 > -0.0", "0/(a1 > -0.0)");
  // A literal past the double range is infinite, as in Python, and prints so that it parses back.
  expectCanonical("0/a1 < 1e999", "0/(a1 < 1e999)");
  expectCanonical("0/a1 > -1e999", "0/(a1 > -1e999)");
}

TEST(SlycatHyperchunks, StringsAreReEscaped) {
  Hyperchunks chunks = parseHyperchunks(R"(0/a1 in ["a\"b", "c\\d", "e\x", "tab\t", ""])");
  const Expr& list = (*chunks[0].attributes)[0].children[1];
  ASSERT_EQ(list.children.size(), 5u);
  EXPECT_EQ(list.children[0].text, "a\"b");
  EXPECT_EQ(list.children[1].text, "c\\d");
  EXPECT_EQ(list.children[2].text, "ex");
  EXPECT_EQ(list.children[3].text, "tab\t");
  EXPECT_EQ(list.children[4].text, "");
  // Slycat prints the raw value ("a"b"), which does not parse; this form does.
  expectCanonical(R"(0/a1 in ["a\"b", "c\\d"])", R"(0/(a1 in ["a\"b", "c\\d"]))");
  expectCanonical(R"(0/f("x\ty"))", R"(0/f("x\ty"))");
}

TEST(SlycatHyperchunks, ExplicitParenthesesKeepTheirNesting) {
  expectCanonical("0/(a1 > 1 and a2 > 2) and a3 > 3", "0/(((a1 > 1) and (a2 > 2)) and (a3 > 3))");
  expectCanonical("0/a1 > 1 and a2 > 2 and a3 > 3", "0/((a1 > 1) and (a2 > 2) and (a3 > 3))");
  expectCanonical("0/((a1 > 1))", "0/(a1 > 1)");
  expectCanonical("0/a1 > 1 or a2 > 2 and a3 > 3", "0/((a1 > 1) or ((a2 > 2) and (a3 > 3)))");
}

// --- expansion -------------------------------------------------------------------------------

TEST(SlycatHyperchunks, HistoricalExpansions) {
  MemoryArrayset five = MemoryArrayset::counts(5, 5);
  EXPECT_EQ(expansion("0", five), Strings({"0"}));
  EXPECT_EQ(expansion("0;1", five), Strings({"0", "1"}));
  EXPECT_EQ(expansion("0/1", five), Strings({"0/1"}));
  EXPECT_EQ(expansion("0/1;2/3", five), Strings({"0/1", "2/3"}));
  EXPECT_EQ(expansion("0:5", five), Strings({"0", "1", "2", "3", "4"}));
  for (const char* text : {"0:5:2", ":5:2", "0::2"})
    EXPECT_EQ(expansion(text, five), Strings({"0", "2", "4"}));
  EXPECT_EQ(expansion("0:5/10:15", MemoryArrayset::counts(2, 13)),
            Strings({"0/10", "0/11", "0/12", "1/10", "1/11", "1/12"}));
  EXPECT_EQ(expansion(".../10:15", MemoryArrayset::counts(2, 15)),
            Strings({"0/10", "0/11", "0/12", "0/13", "0/14", "1/10", "1/11", "1/12", "1/13", "1/14"}));
  EXPECT_EQ(expansion("0:5/...", MemoryArrayset::counts(5, 2)),
            Strings({"0/0", "0/1", "1/0", "1/1", "2/0", "2/1", "3/0", "3/1", "4/0", "4/1"}));
  EXPECT_EQ(expansion("0/1/20", five), Strings({"0/1/20"}));
  EXPECT_EQ(expansion("0/1/20:25", five), Strings({"0/1/20:25"}));
  EXPECT_EQ(expansion("0/1/20,25", five), Strings({"0/1/20,25"}));
  EXPECT_EQ(expansion("0/1/20:25,30:35", five), Strings({"0/1/20:25,30:35"}));
  EXPECT_EQ(expansion("0/1/20:25|30:35", five), Strings({"0/1/20:25", "0/1/30:35"}));
  EXPECT_EQ(expansion("0|1", five), Strings({"0", "1"}));
  EXPECT_EQ(expansion("0/1|2", five), Strings({"0/1", "0/2"}));
}

TEST(SlycatHyperchunks, ExpansionFollowsPythonSlices) {
  MemoryArrayset five = MemoryArrayset::counts(5, 5);
  EXPECT_EQ(expansion("-1", five), Strings({"4"}));
  EXPECT_EQ(expansion("-2:", five), Strings({"3", "4"}));
  EXPECT_EQ(expansion(":-1", five), Strings({"0", "1", "2", "3"}));
  EXPECT_EQ(expansion("::-1", five), Strings({"4", "3", "2", "1", "0"}));
  EXPECT_EQ(expansion("-5:-1:2", five), Strings({"0", "2"}));
  EXPECT_EQ(expansion("7", five), Strings{});
  EXPECT_EQ(expansion("3:10", five), Strings({"3", "4"}));
  EXPECT_EQ(expansion("-6", five), Strings{});
  EXPECT_EQ(expansion("-7", five), Strings{});
  EXPECT_EQ(expansion("-7:", five), Strings({"0", "1", "2", "3", "4"}));
  EXPECT_EQ(expansion("...", MemoryArrayset::counts(0, 0)), Strings{});
  EXPECT_EQ(expansion("4:1:-1", five), Strings({"4", "3", "2"}));
  EXPECT_EQ(expansion("0:0", five), Strings{});
  EXPECT_EQ(expansion("3:1", five), Strings{});
  EXPECT_EQ(expansion("::-2", five), Strings({"4", "2", "0"}));
  EXPECT_EQ(expansion("0:9223372036854775807:9223372036854775807", five), Strings({"0"}));
  EXPECT_EQ(expansion("-9223372036854775807::-9223372036854775807", five), Strings{});
  MemoryArrayset one = MemoryArrayset::counts(1, 4);
  EXPECT_EQ(expansion("0/-1", one), Strings({"0/3"}));
  EXPECT_EQ(expansion("0/10", one), Strings{});
  EXPECT_EQ(expansion("0/a9", one), Strings({"0/a9"}));  // computed attributes are not clamped
  MemoryArrayset three = MemoryArrayset::counts(3, 3);
  EXPECT_EQ(expansion("1|1/0|0", three), Strings({"1/0", "1/0", "1/0", "1/0"}));
  EXPECT_EQ(expansion("1|1/0|0/0|0", three),
            Strings({"1/0/0", "1/0/0", "1/0/0", "1/0/0", "1/0/0", "1/0/0", "1/0/0", "1/0/0"}));
  EXPECT_EQ(expansion("0|0:2", three), Strings({"0", "0", "1"}));
  EXPECT_EQ(expansion("0/...;0/0", MemoryArrayset::counts(1, 2)), Strings({"0/0", "0/1", "0/0"}));
}

TEST(SlycatHyperchunks, ExpansionOrderIsChunkArrayAttributeHyperslice) {
  EXPECT_EQ(expansion("0:2/4:6/10:20|30:40", MemoryArrayset::counts(3, 7)),
            Strings({"0/4/10:20", "0/4/30:40", "0/5/10:20", "0/5/30:40", "1/4/10:20", "1/4/30:40",
                     "1/5/10:20", "1/5/30:40"}));
  EXPECT_EQ(expansion("0/1|a2|index(0)/0", MemoryArrayset::counts(1, 3)),
            Strings({"0/1/0", "0/a2/0", "0/index(0)/0"}));
}

TEST(SlycatHyperchunks, EllipsisCoversTheArraysThatExist) {
  MemoryArrayset gaps;
  gaps.add(0, {1}, {numbers({1})});
  gaps.add(2, {1}, {numbers({1}), numbers({2})});
  EXPECT_EQ(expansion("...", gaps), Strings({"0", "2"}));
  EXPECT_EQ(expansion(".../...", gaps), Strings({"0/0", "2/0", "2/1"}));
  EXPECT_EQ(expansion("1", gaps), Strings{});
  EXPECT_EQ(expansion("-1", gaps), Strings({"2"}));
  EXPECT_EQ(expansion("0:3", gaps), Strings({"0", "2"}));
}

TEST(SlycatHyperchunks, StepZeroInArraysOrAttributesIsRefused) {
  MemoryArrayset five = MemoryArrayset::counts(5, 5);
  expectThrows<BadRequest>([&] { expansion("1:2:0", five); }, "step 0 in array slice 1:2:0");
  expectThrows<BadRequest>([&] { expansion("0/::0", five); }, "step 0 in attribute slice ::0");
}

// --- evaluation ------------------------------------------------------------------------------

// Array 0: 10 rows; a0 = 0..9 (int64), a1 = 0.5, 1.5, nan, 3.5, .., 9.5, a2 strings,
// a3 = -inf, inf and repeats. Array 1: 3x4, a0 = 0..11.
MemoryArrayset sample() {
  MemoryArrayset set;
  std::vector<double> a0, a1;
  for (int i = 0; i < 10; ++i) {
    a0.push_back(i);
    a1.push_back(i == 2 ? kNan : i + 0.5);
  }
  double inf = std::numeric_limits<double>::infinity();
  set.add(0, {10},
          {numbers(a0, "int64"), numbers(a1),
           strings({"red", "green", "blue", "red", "cayenne", "red", "blue", "x", "y", "z"}),
           numbers({1, -inf, 1, inf, 0, 1, kNan, 0, 1, 0})});
  std::vector<double> grid;
  for (int i = 0; i < 12; ++i) grid.push_back(i);
  set.add(1, {3, 4}, {numbers(grid)});
  return set;
}

struct Evaluated {
  std::vector<std::vector<double>> numbers;
  std::vector<std::vector<std::string>> strings;
  std::vector<std::vector<uint64_t>> shapes;
  std::vector<std::string> types;
};

Evaluated evaluateAll(const std::string& text, const ArraysetReader& reader) {
  Hyperchunks chunks = parseHyperchunks(text);
  Evaluator evaluator(reader);
  Evaluated out;
  for (const Item& item : expandHyperchunks(chunks, reader)) {
    Values v = evaluator.evaluate(chunks, item);
    out.numbers.push_back(v.column.numbers);
    out.strings.push_back(v.column.strings);
    out.shapes.push_back(v.shape);
    out.types.push_back(v.column.type);
  }
  return out;
}

// Numbers with nan written as -999 so that vectors compare with ==.
std::vector<double> nanAs(std::vector<double> values) {
  for (double& v : values)
    if (std::isnan(v)) v = -999;
  return values;
}

TEST(SlycatHyperchunks, OrderByDescendingRankPutsNanFirst) {
  MemoryArrayset set = sample();
  Evaluated r = evaluateAll("0/a0|a1/order:rank(a1, \"desc\")/0:4", set);
  ASSERT_EQ(r.numbers.size(), 2u);
  EXPECT_EQ(r.numbers[0], (std::vector<double>{2, 9, 8, 7}));
  EXPECT_EQ(nanAs(r.numbers[1]), (std::vector<double>{-999, 9.5, 8.5, 7.5}));
  EXPECT_EQ(r.types[0], "int64");
}

TEST(SlycatHyperchunks, OrderAppliesBeforeTheHyperslice) {
  MemoryArrayset set = sample();
  Evaluated r = evaluateAll("0/index(0)|a0 > 4/order:rank(a1, \"asc\")/0:3", set);
  ASSERT_EQ(r.numbers.size(), 2u);
  EXPECT_EQ(r.numbers[0], (std::vector<double>{0, 1, 3}));
  EXPECT_EQ(r.numbers[1], (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(r.types[1], "bool");
  // order:index(0) is the identity.
  EXPECT_EQ(evaluateAll("0/0/order:index(0)/...", set).numbers[0],
            (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // Strings are ordered too.
  EXPECT_EQ(evaluateAll("0/2/order:rank(a2, \"asc\")/0:3", set).strings[0],
            (std::vector<std::string>{"blue", "blue", "cayenne"}));
  EXPECT_EQ(evaluateAll("0/1/order:rank(a1,\"asc\")/-1", set).shapes[0], std::vector<uint64_t>{});
}

TEST(SlycatHyperchunks, RankIsAStableArgsort) {
  MemoryArrayset set = sample();
  EXPECT_EQ(evaluateAll("0/rank(a1, \"asc\")/...", set).numbers[0],
            (std::vector<double>{0, 1, 3, 4, 5, 6, 7, 8, 9, 2}));
  // a3 = 1, -inf, 1, inf, 0, 1, nan, 0, 1, 0: ties keep their order in both directions.
  EXPECT_EQ(evaluateAll("0/rank(a3, \"asc\")/...", set).numbers[0],
            (std::vector<double>{1, 4, 7, 9, 0, 2, 5, 8, 3, 6}));
  EXPECT_EQ(evaluateAll("0/rank(a3, \"desc\")/...", set).numbers[0],
            (std::vector<double>{6, 3, 0, 2, 5, 8, 4, 7, 9, 1}));
  EXPECT_EQ(evaluateAll("0/rank(a2, \"asc\")/0:4", set).numbers[0], (std::vector<double>{2, 6, 4, 1}));
  EXPECT_EQ(evaluateAll("0/rank(index(0), \"desc\")/0:3", set).numbers[0], (std::vector<double>{9, 8, 7}));
  EXPECT_EQ(evaluateAll("0/rank(a1, \"asc\")/...", set).types[0], "int64");
}

TEST(SlycatHyperchunks, HyperslicesApplyToComputedExpressions) {
  MemoryArrayset set = sample();
  Evaluated r = evaluateAll("0/a0 > 4|rank(a1, \"asc\")|index(0)|a1/0:3|7", set);
  ASSERT_EQ(r.numbers.size(), 8u);
  EXPECT_EQ(r.numbers[0], (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(r.numbers[1], (std::vector<double>{1}));
  EXPECT_EQ(r.shapes[1], std::vector<uint64_t>{});
  EXPECT_EQ(r.numbers[2], (std::vector<double>{0, 1, 3}));
  EXPECT_EQ(r.numbers[5], (std::vector<double>{7}));
  EXPECT_EQ(nanAs(r.numbers[6]), (std::vector<double>{0.5, 1.5, -999}));
}

TEST(SlycatHyperchunks, ComparisonsAndNan) {
  MemoryArrayset set = sample();
  auto mask = [&](const std::string& expr) { return evaluateAll("0/" + expr + "/...", set).numbers[0]; };
  EXPECT_EQ(mask("a1 == nan"), (std::vector<double>{0, 0, 1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a1 != nan"), (std::vector<double>(10, 1)));
  EXPECT_EQ(mask("a1 < nan"), (std::vector<double>(10, 0)));
  EXPECT_EQ(mask("a1 >= nan"), (std::vector<double>(10, 0)));
  EXPECT_EQ(mask("a1 > 4"), (std::vector<double>{0, 0, 0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(mask("a1 <= 1.5"), (std::vector<double>{1, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a1 != 1.5"), (std::vector<double>{1, 0, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(mask("a0 == 3"), (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a3 > 1e999"), (std::vector<double>(10, 0)));
  EXPECT_EQ(mask("a3 < -1e308"), (std::vector<double>{0, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a3 == 1e999"), (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a1 > 2 and a1 < 6"), (std::vector<double>{0, 0, 0, 1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a1 > 2 and a1 < 6 or a1 == nan"), (std::vector<double>{0, 0, 1, 1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a0 < 1 or a0 > 8 or a0 == 5"), (std::vector<double>{1, 0, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(evaluateAll("0/a1 > 4/...", set).types[0], "bool");
}

TEST(SlycatHyperchunks, Membership) {
  MemoryArrayset set = sample();
  auto mask = [&](const std::string& expr) { return evaluateAll("0/" + expr + "/...", set).numbers[0]; };
  EXPECT_EQ(mask("a2 in [\"red\", \"cayenne\"]"), (std::vector<double>{1, 0, 0, 1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(mask("a2 not in [\"red\", \"cayenne\"]"), (std::vector<double>{0, 1, 1, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(mask("a0 in [0, 5, 6.0]"), (std::vector<double>{1, 0, 0, 0, 0, 1, 1, 0, 0, 0}));
  EXPECT_EQ(mask("a1 in [nan, 0.5]"), (std::vector<double>{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  // A list of the other kind never matches.
  EXPECT_EQ(mask("a2 in [1, 2]"), (std::vector<double>(10, 0)));
  EXPECT_EQ(mask("a0 in [\"1\"]"), (std::vector<double>(10, 0)));
  EXPECT_EQ(mask("a0 not in [\"1\"]"), (std::vector<double>(10, 1)));
}

TEST(SlycatHyperchunks, HyperslicesFollowH5py) {
  MemoryArrayset set = sample();
  auto one = [&](const std::string& text) {
    Evaluated r = evaluateAll(text, set);
    EXPECT_EQ(r.numbers.size(), 1u) << text;
    return std::make_pair(r.numbers.at(0), r.shapes.at(0));
  };
  using Pair = std::pair<std::vector<double>, std::vector<uint64_t>>;
  EXPECT_EQ(one("0/0/5"), Pair({5}, {}));
  EXPECT_EQ(one("0/0/-1"), Pair({9}, {}));
  EXPECT_EQ(one("0/0/8:20"), Pair({8, 9}, {2}));
  EXPECT_EQ(one("0/0/5:2"), Pair({}, {0}));
  EXPECT_EQ(one("0/0/-3:"), Pair({7, 8, 9}, {3}));
  EXPECT_EQ(one("0/0/::4"), Pair({0, 4, 8}, {3}));
  EXPECT_EQ(one("1/0/1"), Pair({4, 5, 6, 7}, {4}));
  EXPECT_EQ(one("1/0/1:3"), Pair({4, 5, 6, 7, 8, 9, 10, 11}, {2, 4}));
  EXPECT_EQ(one("1/0/1,2"), Pair({6}, {}));
  EXPECT_EQ(one("1/0/...,1"), Pair({1, 5, 9}, {3}));
  EXPECT_EQ(one("1/0/:,1"), Pair({1, 5, 9}, {3}));
  EXPECT_EQ(one("1/0/2,..."), Pair({8, 9, 10, 11}, {4}));
  EXPECT_EQ(one("1/0/-1"), Pair({8, 9, 10, 11}, {4}));
  EXPECT_EQ(one("1/0/0:2,1:4:2"), Pair({1, 3, 5, 7}, {2, 2}));
  EXPECT_EQ(one("1/0/..."), Pair({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4}));
  EXPECT_EQ(one("1/index(0)/..."), Pair({0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, {3, 4}));
  EXPECT_EQ(one("1/index(1)/1"), Pair({0, 1, 2, 3}, {4}));
  Evaluated strings = evaluateAll("0/2/1|3:5", set);
  EXPECT_EQ(strings.strings[0], (std::vector<std::string>{"green"}));
  EXPECT_EQ(strings.strings[1], (std::vector<std::string>{"red", "cayenne"}));
  EXPECT_EQ(strings.types[1], "string");
}

TEST(SlycatHyperchunks, EvaluationErrorsAreBadRequests) {
  MemoryArrayset set = sample();
  auto refused = [&](const std::string& text, const std::string& fragment) {
    SCOPED_TRACE(text);
    expectThrows<BadRequest>([&] { evaluateAll(text, set); }, fragment);
  };
  refused("0/0/10", "index 10 out of range for dimension 0 of size 10");
  refused("0/0/-11", "index -11 out of range");
  refused("1/0/1,4", "index 4 out of range for dimension 1 of size 4");
  refused("0/0/::0", "a hyperslice step must be at least 1");
  refused("0/0/::-1", "a hyperslice step must be at least 1");
  refused("0/0/1,2", "has 2 entries for a 1-dimensional array");
  refused("1/0/...,1,...", "more than one ...");
  refused("0/a9/...", "attribute a9 out of range: array 0 has 4 attributes");
  refused("0/a9 > 1/...", "attribute a9 out of range");
  refused("0/foo(1)/...", "unknown function foo");
  refused("0/indices(0)/...", "unknown function indices");
  refused("0/index()/...", "index() takes one argument");
  refused("0/index(0.5)/...", "index() takes one argument");
  refused("0/index(\"0\")/...", "index() takes one argument");
  refused("0/index(0, 1)/...", "index() takes one argument");
  refused("1/index(2)/...", "dimension 2 out of range: array 1 has 2 dimensions");
  refused("1/index(-1)/...", "dimension -1 out of range");
  refused("0/rank(a0)/...", "rank() takes two arguments");
  refused("0/rank(a0, \"up\")/...", "rank() takes two arguments");
  refused("0/rank(a0, 1)/...", "rank() takes two arguments");
  refused("0/rank(1, \"asc\")/...", "is not an attribute, a function call or a comparison");
  refused("0/rank(\"a0\", \"asc\")/...", "is not an attribute");
  refused("0/rank(foo(), \"asc\")/...", "unknown function foo");
  refused("1/rank(a0, \"asc\")/...", "rank() needs a 1-dimensional array");
  refused("1/0/order:rank(a0, \"asc\")/...", "order: needs a 1-dimensional array");
  refused("0/0/order:foo()/...", "unknown function foo");
  refused("0/0/order:index(1)/...", "dimension 1 out of range");
  refused("0/a2 > 1/...", "a2 holds strings");
  refused("0/a2 == nan/...", "a2 holds strings");
}

TEST(SlycatHyperchunks, ColumnsAreReadOncePerArray) {
  MemoryArrayset set = sample();
  evaluateAll("0/0|a0|a0 > 1|rank(a0, \"asc\")/0|1|2:4", set);
  EXPECT_EQ(set.reads, 1);
}

// --- bounds ----------------------------------------------------------------------------------

TEST(SlycatHyperchunks, LongInputIsTooLarge) {
  Limits limits;
  limits.maxInputBytes = 100;
  std::string text = std::string(96, ' ') + "0/0/1";
  EXPECT_EQ(text.size(), 101u);
  expectThrows<PayloadTooLarge>([&] { parseHyperchunks(text, limits); },
                                "101 bytes, more than the 100 allowed");
  EXPECT_NO_THROW(parseHyperchunks(text.substr(1), limits));
  expectThrows<PayloadTooLarge>([&] { parseHyperchunks(std::string(Limits().maxInputBytes + 1, '0')); },
                                "more than the 1048576 allowed");
}

TEST(SlycatHyperchunks, LargeFiltersParseWithinTheDefaultBound) {
  std::string list;
  for (int i = 0; i < 50000; ++i) list += (i ? ", " : "") + std::to_string(i);
  Hyperchunks chunks = parseHyperchunks("0/a0 in [" + list + "]/...");
  EXPECT_EQ((*chunks[0].attributes)[0].children[1].children.size(), 50000u);
}

TEST(SlycatHyperchunks, ExpansionIsBounded) {
  Limits limits;
  limits.maxItems = 10;
  MemoryArrayset five = MemoryArrayset::counts(5, 5);
  Hyperchunks chunks = parseHyperchunks(".../.../...");
  expectThrows<PayloadTooLarge>([&] { expandHyperchunks(chunks, five, limits); }, "more than 10");
  Hyperchunks arraysOnly = parseHyperchunks("0|0|0|0|0|0|0|0|0|0|0");
  expectThrows<PayloadTooLarge>([&] { expandHyperchunks(arraysOnly, five, limits); }, "more than 10");
  EXPECT_EQ(expandHyperchunks(parseHyperchunks("0/0:2/0|1|2|3|4"), five, limits).size(), 10u);
  // A long hyperslice list within the input bound still meets the item bound by default.
  std::string hyperslices;
  for (int i = 0; i < 100001; ++i) hyperslices += i ? "|0" : "0";
  Hyperchunks many = parseHyperchunks("0/0/" + hyperslices);
  expectThrows<PayloadTooLarge>([&] { expandHyperchunks(many, five); }, "more than 100000");
}

TEST(SlycatHyperchunks, NestingIsBounded) {
  auto nested = [](int depth, const std::string& inner) {
    return "0/" + std::string(static_cast<std::size_t>(depth), '(') + inner +
           std::string(static_cast<std::size_t>(depth), ')');
  };
  EXPECT_NO_THROW(parseHyperchunks(nested(60, "a1 > 2")));
  expectRefused(nested(65, "a1 > 2"), "nesting deeper than 64");
  expectRefused(nested(100000, "a1 > 2"), "nesting deeper than 64");
  std::string calls = "0/";
  for (int i = 0; i < 1000; ++i) calls += "f(";
  calls += std::string(1000, ')');
  expectRefused(calls, "nesting deeper than 64");
  Limits limits;
  limits.maxDepth = 3;
  expectThrows<BadRequest>([&] { parseHyperchunks("0/f(g(h(k())))", limits); }, "nesting deeper than 3");
}

}  // namespace
}  // namespace strata::slycat

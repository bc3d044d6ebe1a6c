// plugins/synapse/query_parser.cpp: every form of the 2011 query language (§2.1.4 of the
// reference, QueryParserTest) and its errors.
#include <query_parser.h>
#include <strata/errors.h>

#include <gtest/gtest.h>

#include <string>

namespace strata::synapse {
namespace {

std::string errorOf(const std::string& text) {
  try {
    parseQuery(text);
  } catch (const BadRequest& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return "";
}

TEST(SynapseQueryParser, SelectStarFromDataset) {
  const ParsedQuery q = parseQuery("select * from dataset");
  EXPECT_EQ(q.table, "dataset");
  EXPECT_TRUE(q.where.empty());
  EXPECT_FALSE(q.orderBy);
  EXPECT_FALSE(q.descending);
  EXPECT_EQ(q.limit, 10u);
  EXPECT_EQ(q.offset, 1u);
}

TEST(SynapseQueryParser, FromLayerAndKeywordsInAnyCase) {
  const ParsedQuery q = parseQuery("SELECT * FROM layer WHERE dataset.id == \"123\"");
  EXPECT_EQ(q.table, "layer");
  ASSERT_EQ(q.where.size(), 1u);
  EXPECT_EQ(q.where[0].field.qualifier, "dataset");
  EXPECT_EQ(q.where[0].field.name, "id");
  EXPECT_EQ(q.where[0].value.text, "123");
  EXPECT_EQ(parseQuery("Select * From Dataset").table, "dataset");
}

TEST(SynapseQueryParser, TheReferenceExample) {
  const ParsedQuery q = parseQuery(
      "select * from dataset where dataset.Species == \"Human\" and dataset.Disease == \"Cancer\" "
      "order by name desc limit 10 offset 1");
  ASSERT_EQ(q.where.size(), 2u);
  EXPECT_EQ(q.where[0].field.qualifier, "dataset");
  EXPECT_EQ(q.where[0].field.name, "Species");
  EXPECT_EQ(q.where[0].op, QueryOp::Eq);
  EXPECT_EQ(q.where[0].value.kind, QueryLiteral::Kind::String);
  EXPECT_EQ(q.where[0].value.text, "Human");
  EXPECT_EQ(q.where[1].field.name, "Disease");
  EXPECT_EQ(q.where[1].value.text, "Cancer");
  ASSERT_TRUE(q.orderBy);
  EXPECT_EQ(q.orderBy->qualifier, "");
  EXPECT_EQ(q.orderBy->name, "name");
  EXPECT_TRUE(q.descending);
  EXPECT_EQ(q.limit, 10u);
  EXPECT_EQ(q.offset, 1u);
}

TEST(SynapseQueryParser, FieldForms) {
  const ParsedQuery q = parseQuery(
      "select * from dataset where name == \"a\" and dataset.name == \"b\" and \"Number of Samples\" > 3 "
      "and dataset.\"Number of Samples\" < 10");
  ASSERT_EQ(q.where.size(), 4u);
  EXPECT_EQ(q.where[0].field.qualifier, "");
  EXPECT_EQ(q.where[0].field.name, "name");
  EXPECT_EQ(q.where[1].field.qualifier, "dataset");
  EXPECT_EQ(q.where[1].field.name, "name");
  EXPECT_EQ(q.where[2].field.qualifier, "");
  EXPECT_EQ(q.where[2].field.name, "Number of Samples");
  EXPECT_EQ(q.where[3].field.qualifier, "dataset");
  EXPECT_EQ(q.where[3].field.name, "Number of Samples");
  const ParsedQuery o = parseQuery("select * from dataset order by dataset.\"Number of Samples\"");
  ASSERT_TRUE(o.orderBy);
  EXPECT_EQ(o.orderBy->qualifier, "dataset");
  EXPECT_EQ(o.orderBy->name, "Number of Samples");
  EXPECT_FALSE(o.descending);
}

TEST(SynapseQueryParser, Operators) {
  const struct {
    const char* text;
    QueryOp op;
  } cases[] = {{"==", QueryOp::Eq}, {"!=", QueryOp::Ne}, {">", QueryOp::Gt},
               {">=", QueryOp::Ge}, {"<", QueryOp::Lt},  {"<=", QueryOp::Le}};
  for (const auto& c : cases) {
    const ParsedQuery q = parseQuery(std::string("select * from dataset where x ") + c.text + " 5");
    ASSERT_EQ(q.where.size(), 1u) << c.text;
    EXPECT_EQ(q.where[0].op, c.op) << c.text;
    EXPECT_STREQ(toString(q.where[0].op), c.text);
    // without spaces too
    const ParsedQuery tight = parseQuery(std::string("select * from dataset where x") + c.text + "5");
    EXPECT_EQ(tight.where[0].op, c.op) << c.text;
  }
}

TEST(SynapseQueryParser, Literals) {
  const ParsedQuery q = parseQuery(
      "select * from dataset where a == 42 and b == -7 and c == 0.5 and d == -1.25e3 and e == \"say "
      "\\\"hi\\\"\" "
      "and f == true and g == FALSE and h == \"\"");
  ASSERT_EQ(q.where.size(), 8u);
  EXPECT_EQ(q.where[0].value.kind, QueryLiteral::Kind::Long);
  EXPECT_EQ(q.where[0].value.integer, 42);
  EXPECT_EQ(q.where[1].value.integer, -7);
  EXPECT_EQ(q.where[2].value.kind, QueryLiteral::Kind::Double);
  EXPECT_DOUBLE_EQ(q.where[2].value.number, 0.5);
  EXPECT_DOUBLE_EQ(q.where[3].value.number, -1250);
  EXPECT_EQ(q.where[4].value.kind, QueryLiteral::Kind::String);
  EXPECT_EQ(q.where[4].value.text, "say \"hi\"");
  EXPECT_EQ(q.where[5].value.kind, QueryLiteral::Kind::Boolean);
  EXPECT_TRUE(q.where[5].value.boolean);
  EXPECT_FALSE(q.where[6].value.boolean);
  EXPECT_EQ(q.where[7].value.text, "");
}

TEST(SynapseQueryParser, PlusIsASpaceOutsideStrings) {
  const ParsedQuery q =
      parseQuery("select+*+from+dataset+where+\"a+b\"+==+\"c+d\"+order+by+x+asc+limit+3+offset+2");
  ASSERT_EQ(q.where.size(), 1u);
  EXPECT_EQ(q.where[0].field.name, "a+b");
  EXPECT_EQ(q.where[0].value.text, "c+d");
  EXPECT_EQ(q.orderBy->name, "x");
  EXPECT_FALSE(q.descending);
  EXPECT_EQ(q.limit, 3u);
  EXPECT_EQ(q.offset, 2u);
}

TEST(SynapseQueryParser, OrderLimitOffset) {
  EXPECT_TRUE(parseQuery("select * from dataset order by name asc").orderBy);
  EXPECT_FALSE(parseQuery("select * from dataset order by name asc").descending);
  EXPECT_TRUE(parseQuery("select * from dataset order by name DESC").descending);
  EXPECT_EQ(parseQuery("select * from dataset limit 5").limit, 5u);
  EXPECT_EQ(parseQuery("select * from dataset offset 7").offset, 7u);
  const ParsedQuery both = parseQuery("select * from dataset offset 4 limit 2");
  EXPECT_EQ(both.offset, 4u);
  EXPECT_EQ(both.limit, 2u);
  const ParsedQuery all = parseQuery("select * from dataset where a >= 1 order by a limit 1 offset 3");
  EXPECT_EQ(all.limit, 1u);
  EXPECT_EQ(all.offset, 3u);
  EXPECT_EQ(all.where[0].column, 29);
}

TEST(SynapseQueryParser, LimitAndOffsetBelowOne) {
  EXPECT_EQ(errorOf("select * from dataset limit 0"), "pagination limit must be 1 or greater");
  EXPECT_EQ(errorOf("select * from dataset limit -3"), "pagination limit must be 1 or greater");
  EXPECT_EQ(errorOf("select * from dataset offset 0"), "pagination offset must be 1 or greater");
  EXPECT_EQ(errorOf("select * from dataset limit 5 offset 0"), "pagination offset must be 1 or greater");
}

TEST(SynapseQueryParser, LexicalErrorsNameTheColumn) {
  // column 58 as in the reference's example: a character no token starts with
  const std::string q = "select * from dataset where dataset.Species == \"Human\" & ";
  ASSERT_EQ(q.find('&'), 55u);
  EXPECT_EQ(errorOf(q), "Lexical error at line 1, column 56. Encountered: \"&\"");
  EXPECT_EQ(errorOf("select * from dataset where a = 1"),
            "Lexical error at line 1, column 31. Encountered: \"=\" (operators are == != > >= < <=)");
  EXPECT_NE(errorOf("select * from dataset where a == \"open").find("column 34"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where a == 12abc").find("Lexical error"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where a == 'x'").find("column 34"), std::string::npos);
}

TEST(SynapseQueryParser, SyntaxErrorsNameTheColumnAndWhatWasExpected) {
  EXPECT_EQ(errorOf("selec * from dataset"),
            "Syntax error at line 1, column 1: found 'selec', expected 'select'");
  EXPECT_EQ(errorOf("select name from dataset"),
            "Syntax error at line 1, column 8: found 'name', expected '*' (only 'select *' is supported)");
  EXPECT_EQ(errorOf("select * from project"),
            "Syntax error at line 1, column 15: found 'project', expected 'dataset' or 'layer'");
  EXPECT_EQ(errorOf("select * from"),
            "Syntax error at line 1, column 14: found the end of the query, expected 'dataset' or 'layer'");
  EXPECT_NE(
      errorOf("select * from dataset where").find("column 28: found the end of the query, expected a field"),
      std::string::npos);
  EXPECT_EQ(
      errorOf("select * from dataset foo"),
      "Syntax error at line 1, column 23: found 'foo', expected 'where', 'order by', 'limit', 'offset', or "
      "the end of the query");
  EXPECT_EQ(errorOf("select * from dataset order by a limit 1 \"x\""),
            "Syntax error at line 1, column 42: found \"x\", expected 'offset', or the end of the query");
  EXPECT_NE(errorOf("select * from dataset where a").find("expected an operator"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where a == ").find("expected a value"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where a == b").find("column 34: found 'b', expected a value"),
            std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where a == 1 or b == 2").find("column 36: found 'or'"),
            std::string::npos);
  EXPECT_NE(errorOf("select * from dataset order name").find("expected 'by'"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset limit x").find("expected a whole number"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset limit 2.5").find("expected a whole number"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset limit 1 limit 2").find("column 31: found 'limit'"),
            std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where dataset. == 1").find("a field name after 'dataset.'"),
            std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where \"\" == 1").find("not an empty string"), std::string::npos);
  EXPECT_NE(errorOf("select * from dataset where a == 99999999999999999999").find("fits in 64 bits"),
            std::string::npos);
  EXPECT_NE(errorOf("").find("empty"), std::string::npos);
  EXPECT_NE(errorOf("  + ").find("empty"), std::string::npos);
}

TEST(SynapseQueryParser, ErrorsAreBadRequests) {
  try {
    parseQuery("select * from dataset where a ~ 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), 400);
  }
}

}  // namespace
}  // namespace strata::synapse

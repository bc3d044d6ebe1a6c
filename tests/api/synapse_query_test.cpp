// GET /repo/v1/query (docs/synapse.md "Query"): clauses over fields and annotations, order,
// limit, offset and totals, the layer rule, syntax errors, limit 0; on memory and rocksdb.
#include "api/synapse_test_support.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace strata::test::synapse {
namespace {

class SynapseQuery : public SynapseServer {
 protected:
  void SetUp() override {
    startServer();
    // five datasets: name, species, samples, disease
    const struct {
      const char* name;
      const char* species;
      int samples;
      const char* disease;
    } rows[] = {{"Alpha", "Human", 300, "Cancer"},
                {"Beta", "Human", 50, "Cancer"},
                {"Gamma", "Mouse", 1000, "Cancer"},
                {"Delta", "Human", 700, "Diabetes"},
                {"Epsilon", nullptr, 0, nullptr}};
    for (const auto& row : rows) {
      const std::string did = newDataset(row.name);
      ids_[row.name] = did;
      if (!row.species) continue;
      const std::string path = "/repo/v1/dataset/" + did + "/annotations";
      const auto r =
          req("PUT", path,
              std::string(R"({"stringAnnotations": {"Species": [")") + row.species + R"("], "Disease": [")" +
                  row.disease + R"("]}, "longAnnotations": {"Number of Samples": [)" +
                  std::to_string(row.samples) + R"(]}, "dateAnnotations": {"Published": ["2011-01-15"]}})",
              withEtag(kAlice, "0"));
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }

  // The query's answer (200 expected).
  Object::Ptr query(const std::string& q) {
    const auto r = req("GET", "/repo/v1/query?query=" + urlEncode(q), "", kAnonymous);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    return parse(r);
  }
  // The names of the results, in order.
  std::vector<std::string> names(const Object::Ptr& answer, const std::string& table = "dataset") {
    std::vector<std::string> out;
    const auto results = answer->getArray("results");
    for (std::size_t i = 0; i < results->size(); ++i)
      out.push_back(results->getObject(i)->getValue<std::string>(table + ".name"));
    return out;
  }
  uint64_t total(const Object::Ptr& answer) { return answer->getValue<uint64_t>("totalNumberOfResults"); }

  std::string error(const std::string& q) {
    return reason(req("GET", "/repo/v1/query?query=" + urlEncode(q), "", kAnonymous), 400);
  }

  std::map<std::string, std::string> ids_;
};

using Names = std::vector<std::string>;

TEST_P(SynapseQuery, AllDatasetsAndTheResultShape) {
  auto a = query("select * from dataset");
  EXPECT_EQ(total(a), 5u);
  EXPECT_EQ(a->getArray("results")->size(), 5u);
  a = query("select * from dataset where name == \"Alpha\"");
  ASSERT_EQ(total(a), 1u);
  const auto row = a->getArray("results")->getObject(0);
  EXPECT_EQ(row->getValue<std::string>("dataset.id"), ids_["Alpha"]);
  EXPECT_EQ(row->getValue<std::string>("dataset.name"), "Alpha");
  EXPECT_EQ(row->getValue<std::string>("dataset.version"), "0.0.1");
  EXPECT_EQ(row->getValue<std::string>("dataset.creator"), "alice");
  EXPECT_TRUE(row->has("dataset.creationDate"));
  EXPECT_EQ(row->getArray("dataset.Species")->getElement<std::string>(0), "Human");
  EXPECT_EQ(row->getArray("dataset.Number of Samples")->getElement<int64_t>(0), 300);
  EXPECT_EQ(row->getArray("dataset.Published")->getElement<int64_t>(0), 1295049600000LL);
  for (const char* excluded :
       {"dataset.uri", "dataset.etag", "dataset.annotations", "dataset.layer", "uri", "id"})
    EXPECT_FALSE(row->has(excluded)) << excluded;
}

TEST_P(SynapseQuery, FieldClauses) {
  EXPECT_EQ(names(query("select * from dataset where dataset.name == \"Beta\"")), Names{"Beta"});
  EXPECT_EQ(names(query("select * from dataset where name > \"Delta\" order by name")),
            (Names{"Epsilon", "Gamma"}));
  EXPECT_EQ(names(query("select * from dataset where dataset.id == \"" + ids_["Gamma"] + "\"")),
            Names{"Gamma"});
  EXPECT_EQ(total(query("select * from dataset where creationDate > \"2000-01-01\"")), 5u);
  EXPECT_EQ(total(query("select * from dataset where creationDate < \"2000-01-01\"")), 0u);
  EXPECT_EQ(total(query("select * from dataset where version == \"0.0.1\" and name != \"Alpha\"")), 4u);
  // version is the record's string, not the store's update count
  EXPECT_EQ(total(query("select * from dataset where version > \"0.0.0\"")), 5u);
  EXPECT_EQ(total(query("select * from dataset where version == 1")), 0u);
  auto ds = getObject("/repo/v1/dataset/" + ids_["Beta"]);
  ds->set("version", "0.0.2");
  std::ostringstream body;
  ds->stringify(body);
  const auto r = req("PUT", "/repo/v1/dataset/" + ids_["Beta"], body.str(),
                     withEtag(kAlice, ds->getValue<std::string>("etag")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(total(query("select * from dataset where version == \"0.0.1\"")), 4u);
  auto a = query("select * from dataset where Species == \"Human\" order by version desc limit 2");
  EXPECT_EQ(total(a), 3u);
  ASSERT_EQ(names(a).size(), 2u);
  EXPECT_EQ(names(a)[0], "Beta");
  a = query("select * from dataset order by version limit 1 offset 5");
  EXPECT_EQ(names(a), Names{"Beta"});
  EXPECT_EQ(a->getArray("results")->getObject(0)->getValue<std::string>("dataset.version"), "0.0.2");
}

TEST_P(SynapseQuery, AnnotationClauses) {
  EXPECT_EQ(names(query("select * from dataset where dataset.Species == \"Human\" and dataset.Disease == "
                        "\"Cancer\" order by name desc limit 10 offset 1")),
            (Names{"Beta", "Alpha"}));
  EXPECT_EQ(
      names(query("select * from dataset where \"Number of Samples\" >= 300 order by \"Number of Samples\"")),
      (Names{"Alpha", "Delta", "Gamma"}));
  EXPECT_EQ(names(query("select * from dataset where dataset.\"Number of Samples\" < 300")), Names{"Beta"});
  EXPECT_EQ(total(query("select * from dataset where Species != \"Human\"")), 1u);
  EXPECT_EQ(total(query("select * from dataset where Species == \"Martian\"")), 0u);
  // a number never equals a string
  EXPECT_EQ(total(query("select * from dataset where \"Number of Samples\" == \"300\"")), 0u);
  // dates compare as epoch ms
  EXPECT_EQ(total(query("select * from dataset where Published == 1295049600000")), 4u);
}

TEST_P(SynapseQuery, FieldAndAnnotationClausesTogether) {
  EXPECT_EQ(
      names(query("select * from dataset where Species == \"Human\" and name != \"Alpha\" order by name")),
      (Names{"Beta", "Delta"}));
  auto a = query(
      "select * from dataset where Species == \"Human\" and name != \"Alpha\" order by \"Number of "
      "Samples\" desc limit 1");
  EXPECT_EQ(total(a), 2u);
  EXPECT_EQ(names(a), Names{"Delta"});
  a = query("select * from dataset where Disease == \"Cancer\" order by name limit 2 offset 2");
  EXPECT_EQ(total(a), 3u);
  EXPECT_EQ(names(a), (Names{"Beta", "Gamma"}));
}

TEST_P(SynapseQuery, OrderLimitOffsetAndTotals) {
  auto a = query("select * from dataset order by name limit 2");
  EXPECT_EQ(total(a), 5u);
  EXPECT_EQ(names(a), (Names{"Alpha", "Beta"}));
  a = query("select * from dataset order by name limit 2 offset 3");
  EXPECT_EQ(names(a), (Names{"Delta", "Epsilon"}));
  a = query("select * from dataset order by name desc offset 5");
  EXPECT_EQ(names(a), (Names{"Alpha"}));
  a = query("select * from dataset order by name offset 9");
  EXPECT_EQ(total(a), 5u);
  EXPECT_TRUE(names(a).empty());
  // by an annotation without annotation clauses: datasets without it come last
  a = query("select * from dataset order by \"Number of Samples\" desc");
  EXPECT_EQ(names(a), (Names{"Gamma", "Delta", "Alpha", "Beta", "Epsilon"}));
  a = query("select * from dataset order by \"Number of Samples\" limit 2 offset 4");
  EXPECT_EQ(names(a), (Names{"Gamma", "Epsilon"}));
  // the + of a form-encoded query is a space
  const auto r =
      req("GET", "/repo/v1/query?query=select+*+from+dataset+where+name+==+%22Gamma%22", "", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(names(parse(r)), Names{"Gamma"});
}

TEST_P(SynapseQuery, LayerQueries) {
  const std::string did = ids_["Alpha"];
  const std::string l1 = newLayer(did, "expression", "E");
  const std::string l2 = newLayer(did, "genetic", "G");
  newLayer(ids_["Beta"], "other", "C");
  auto r = req("PUT", "/repo/v1/dataset/" + did + "/layer/" + l2 + "/annotations",
               R"({"stringAnnotations": {"chip": ["Affymetrix"]}})", withEtag(kAlice, "0"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto a = query("select * from layer where dataset.id == \"" + did + "\" order by name");
  EXPECT_EQ(total(a), 2u);
  EXPECT_EQ(names(a, "layer"), (Names{"expression", "genetic"}));
  EXPECT_EQ(a->getArray("results")->getObject(0)->getValue<std::string>("layer.id"), l1);
  EXPECT_EQ(a->getArray("results")->getObject(0)->getValue<std::string>("layer.type"), "E");
  a = query("select * from layer where dataset.id == \"" + did + "\" and type == \"G\"");
  EXPECT_EQ(names(a, "layer"), Names{"genetic"});
  a = query("select * from layer where dataset.id == \"" + did + "\" and chip == \"Affymetrix\"");
  EXPECT_EQ(names(a, "layer"), Names{"genetic"});
  EXPECT_EQ(a->getArray("results")->getObject(0)->getArray("layer.chip")->getElement<std::string>(0),
            "Affymetrix");
  a = query("select * from layer where dataset.id == \"" + did + "\" and layer.id == \"" + l1 + "\"");
  EXPECT_EQ(names(a, "layer"), Names{"expression"});
  EXPECT_EQ(total(query("select * from layer where dataset.id == \"nope\"")), 0u);
  // the rule
  const std::string rule =
      "java.lang.IllegalArgumentException: Layer queries must include a 'WHERE dataset.id == <the id>' "
      "clause";
  EXPECT_EQ(error("select * from layer"), rule);
  EXPECT_EQ(error("select * from layer where name == \"expression\""), rule);
  EXPECT_EQ(error("select * from layer where dataset.id != \"" + did + "\""), rule);
  EXPECT_NE(error("select * from layer where dataset.id == \"" + did + "\" and dataset.name == \"x\"")
                .find("only as dataset.id"),
            std::string::npos);
  EXPECT_NE(error("select * from dataset where layer.name == \"x\"").find("not a field of dataset"),
            std::string::npos);
}

TEST_P(SynapseQuery, Errors) {
  EXPECT_EQ(error("select * from dataset limit 0"), "pagination limit must be 1 or greater");
  EXPECT_EQ(error("select * from dataset offset 0"), "pagination offset must be 1 or greater");
  EXPECT_EQ(error("select * from dataset where dataset.Species == \"Human\" & "),
            "Lexical error at line 1, column 56. Encountered: \"&\"");
  EXPECT_EQ(
      error("select * from dataset where a == 1 or b == 2"),
      "Syntax error at line 1, column 36: found 'or', expected 'and', 'order by', 'limit', 'offset', or the "
      "end of the query");
  EXPECT_NE(error("select * from datasets").find("column 15"), std::string::npos);
  EXPECT_NE(error("").find("empty"), std::string::npos);
  EXPECT_NE(reason(req("GET", "/repo/v1/query", "", kAnonymous), 400).find("'query' parameter"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, SynapseQuery, ::testing::Values("memory", "rocksdb", "postgresql"));

}  // namespace
}  // namespace strata::test::synapse

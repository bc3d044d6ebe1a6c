#pragma once
// The rows of a statement run on a SQLite file (the sql backend's tests look at its tables).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

namespace strata::test {

// Each row as its columns' text joined by `separator` ("NULL" for a null).
inline std::vector<std::string> sqliteRows(const std::string& file, const std::string& sql,
                                           const std::string& separator = "|") {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  struct Out {
    std::vector<std::string> rows;
    const std::string& separator;
  } out{{}, separator};
  char* error = nullptr;
  const int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* target, int n, char** values, char**) {
        auto* o = static_cast<Out*>(target);
        std::string row;
        for (int i = 0; i < n; ++i)
          row += (i ? o->separator : std::string()) + (values[i] ? values[i] : "NULL");
        o->rows.push_back(row);
        return 0;
      },
      &out, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << " in " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
  return out.rows;
}

}  // namespace strata::test

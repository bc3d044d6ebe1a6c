// Typed tokens with extra claims (issueToken, verifyToken) and user directories that plugins
// register, as the core's authenticator sees them.
#include "support/server_process.h"
#include "support/test_support.h"
#include "users_authenticator.h"

#include <strata/errors.h>

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace strata {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-test";

class MapDirectory : public UserDirectory {
 public:
  std::optional<DirectoryUser> find(const std::string& name) const override {
    ++lookups;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = users_.find(name);
    if (it == users_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& name, const std::string& password, bool active = true,
           std::vector<std::string> groups = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_[name] =
        DirectoryUser{name, std::move(groups), password.empty() ? "" : hashPassword(password, 1000), active};
  }
  void setActive(const std::string& name, bool active) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_.at(name).active = active;
  }
  void erase(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_.erase(name);
  }
  mutable std::atomic<int> lookups{0};

 private:
  mutable std::mutex mutex_;
  std::map<std::string, DirectoryUser> users_;
};

class AuthTokens : public ::testing::Test {
 protected:
  void SetUp() override {
    test::writeFile(dir.file("users"), test::ServerProcess::usersLine("alice", "s3cret", "admin") + "\n" +
                                           test::ServerProcess::usersLine("bob", "hunter2") + "\n");
    cfg = test::makeConfig({{"auth.usersFile", dir.file("users")}, {"auth.jwtSecret", kSecret}});
    auth = makeAuthenticator(ConfigSection(*cfg, "auth"));
    directory = std::make_shared<MapDirectory>();
    auth->addUserDirectory(directory);
  }
  std::string sign(Poco::JWT::Token& t, const std::string& secret = kSecret) {
    return Poco::JWT::Signer(secret).sign(t, Poco::JWT::Signer::ALGO_HS256);
  }
  void expectRefused(const std::string& token, const std::string& reason) {
    try {
      auth->verifyToken(token);
      ADD_FAILURE() << "accepted; expected '" << reason << "'";
    } catch (const Unauthorized& e) {
      EXPECT_EQ(e.code(), "token_not_valid");
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
    EXPECT_THROW(auth->authenticate("Bearer " + token), Unauthorized);
  }
  test::TempDir dir;
  Poco::AutoPtr<Poco::Util::MapConfiguration> cfg;
  std::unique_ptr<CoreAuthenticator> auth;
  std::shared_ptr<MapDirectory> directory;
  const Principal bob{"bob", {}, Principal::Via::Basic};
};

TEST_F(AuthTokens, ExtraClaimsTypeAndLifetimeRoundTrip) {
  const auto token = auth->issueToken(
      bob, "refresh",
      {{"upk", int64_t{42}}, {"org", std::string("ufdl")}, {"big", int64_t{1} << 40}, {"neg", int64_t{-7}}},
      8 * 3600);
  const TokenClaims c = auth->verifyToken(token);
  EXPECT_EQ(c.type, "refresh");
  EXPECT_EQ(c.subject, "bob");
  EXPECT_EQ(c.expiresAt - c.issuedAt, 8 * 3600);
  EXPECT_NEAR(static_cast<double>(c.issuedAt), static_cast<double>(std::time(nullptr)), 5);
  ASSERT_EQ(c.extra.size(), 4u);
  EXPECT_EQ(std::get<int64_t>(c.extra.at("upk")), 42);
  EXPECT_EQ(std::get<std::string>(c.extra.at("org")), "ufdl");
  EXPECT_EQ(std::get<int64_t>(c.extra.at("big")), int64_t{1} << 40);
  EXPECT_EQ(std::get<int64_t>(c.extra.at("neg")), -7);
  // The type is the claim `jtt`, readable by any JWT library.
  Poco::JWT::Token decoded = Poco::JWT::Signer(kSecret).verify(token);
  EXPECT_EQ(decoded.payload().getValue<std::string>("jtt"), "refresh");
  EXPECT_EQ(decoded.payload().getValue<int>("upk"), 42);

  // Untyped tokens and the default lifetime (auth.tokenTtl, 3600 s).
  const TokenClaims u = auth->verifyToken(auth->issueToken(bob));
  EXPECT_EQ(u.type, "");
  EXPECT_TRUE(u.extra.empty());
  EXPECT_EQ(u.expiresAt - u.issuedAt, 3600);
  EXPECT_EQ(auth->verifyToken(auth->issueToken(bob, "access", {}, 300)).expiresAt -
                auth->verifyToken(auth->issueToken(bob, "access", {}, 300)).issuedAt,
            300);
}

TEST_F(AuthTokens, ReservedClaimsCannotBeExtra) {
  for (const char* name : {"sub", "exp", "iat", "nbf", "jtt"})
    EXPECT_THROW(auth->issueToken(bob, "access", {{name, std::string("x")}}), InternalError) << name;
}

TEST_F(AuthTokens, OnlyAccessAndUntypedTokensAreBearerCredentials) {
  auto access = auth->authenticate("Bearer " + auth->issueToken(bob, "access", {{"upk", int64_t{1}}}));
  ASSERT_TRUE(access);
  EXPECT_EQ(access->name, "bob");
  EXPECT_EQ(access->via, Principal::Via::Bearer);
  EXPECT_EQ(auth->authenticate("Bearer " + auth->issueToken(bob))->name, "bob");
  for (const char* type : {"refresh", "Access", "reset"}) {
    const auto token = auth->issueToken(bob, type, {});
    try {
      auth->authenticate("Bearer " + token);
      ADD_FAILURE() << type << " accepted as Bearer";
    } catch (const Unauthorized& e) {
      EXPECT_EQ(e.code(), "token_not_valid");
      EXPECT_NE(std::string(e.what()).find("wrong type"), std::string::npos) << e.what();
    }
    // verifyToken takes it: the caller decides which type it wants.
    EXPECT_EQ(auth->verifyToken(token).type, type);
  }
  // A type that is not a string is malformed.
  Poco::JWT::Token t;
  t.setSubject("bob");
  t.setExpiration(Poco::Timestamp() + 100 * Poco::Timestamp::resolution());
  t.payload().set("jtt", 1);
  expectRefused(sign(t), "malformed");
}

TEST_F(AuthTokens, ExpiredTamperedMalformedAreRefusedWithAReason) {
  Poco::JWT::Token expired;
  expired.setSubject("bob");
  expired.setExpiration(Poco::Timestamp() - 10 * Poco::Timestamp::resolution());
  expired.payload().set("jtt", "access");
  expectRefused(sign(expired), "expired");
  // Issued with a lifetime of one second, refused once it has passed.
  const auto shortLived = auth->issueToken(bob, "access", {}, 1);
  EXPECT_EQ(auth->verifyToken(shortLived).subject, "bob");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  expectRefused(shortLived, "expired");

  Poco::JWT::Token other;
  other.setSubject("alice");
  other.setExpiration(Poco::Timestamp() + 100 * Poco::Timestamp::resolution());
  expectRefused(sign(other, "another-secret-another-secret-another"), "bad signature");
  // The payload changed (type refresh -> access) without re-signing.
  const auto refresh = auth->issueToken(bob, "refresh", {});
  Poco::JWT::Token forged = Poco::JWT::Signer(kSecret).verify(refresh);
  forged.payload().set("jtt", "access");
  const auto resigned = sign(forged, "another-secret-another-secret-another");
  const auto forgedJwt = refresh.substr(0, refresh.find('.')) +
                         resigned.substr(resigned.find('.'), resigned.rfind('.') - resigned.find('.')) +
                         refresh.substr(refresh.rfind('.'));
  expectRefused(forgedJwt, "bad signature");

  expectRefused("not.a.jwt", "malformed");
  expectRefused("", "malformed");
  expectRefused("a.b", "malformed");
  Poco::JWT::Token noSubject;
  noSubject.setExpiration(Poco::Timestamp() + 100 * Poco::Timestamp::resolution());
  expectRefused(sign(noSubject), "no subject");
  Poco::JWT::Token noExpiry;
  noExpiry.setSubject("bob");
  expectRefused(sign(noExpiry), "no expiry");
  Poco::JWT::Token badExpiry;
  badExpiry.setSubject("bob");
  badExpiry.payload().set("exp", "tomorrow");
  expectRefused(sign(badExpiry), "malformed");
  Poco::JWT::Token unknownUser;
  unknownUser.setSubject("mallory");
  unknownUser.setExpiration(Poco::Timestamp() + 100 * Poco::Timestamp::resolution());
  expectRefused(sign(unknownUser), "no longer exists");
}

TEST_F(AuthTokens, DirectoryUsersLogInWithBasicAndTokens) {
  directory->put("carol", "c4rol", true, {"staff"});
  auto p = auth->authenticate(test::basicAuth("carol", "c4rol"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "carol");
  EXPECT_EQ(p->groups, std::vector<std::string>{"staff"});
  EXPECT_EQ(p->via, Principal::Via::Basic);
  EXPECT_THROW(auth->authenticate(test::basicAuth("carol", "wrong")), Unauthorized);
  EXPECT_EQ(auth->checkPassword("carol", "c4rol")->name, "carol");
  EXPECT_TRUE(auth->hasUser("carol"));
  EXPECT_FALSE(auth->hasUser("dave"));
  EXPECT_FALSE(auth->hasUser(""));

  const auto token = auth->issueToken(*p, "access", {{"upk", int64_t{3}}});
  auto b = auth->authenticate("Bearer " + token);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "carol");
  EXPECT_EQ(b->groups, std::vector<std::string>{"staff"});
  EXPECT_EQ(b->via, Principal::Via::Bearer);

  // A user removed from the directory: tokens refused.
  directory->erase("carol");
  expectRefused(token, "no longer exists");
  EXPECT_FALSE(auth->hasUser("carol"));
}

TEST_F(AuthTokens, InactiveDirectoryUsersAreRefused) {
  directory->put("carol", "c4rol");
  const auto access = auth->issueToken(Principal{"carol", {}, Principal::Via::Basic}, "access", {});
  const auto refresh = auth->issueToken(Principal{"carol", {}, Principal::Via::Basic}, "refresh", {});
  ASSERT_EQ(auth->authenticate("Bearer " + access)->name, "carol");
  ASSERT_TRUE(auth->checkPassword("carol", "c4rol"));  // now cached as a success

  directory->setActive("carol", false);
  EXPECT_THROW(auth->authenticate(test::basicAuth("carol", "c4rol")), Unauthorized);
  EXPECT_FALSE(auth->checkPassword("carol", "c4rol"));
  expectRefused(access, "inactive");
  expectRefused(refresh, "inactive");
  EXPECT_TRUE(auth->hasUser("carol"));  // still a user, for data that names users

  // Active again: the password and the unexpired tokens work again.
  directory->setActive("carol", true);
  EXPECT_EQ(auth->authenticate(test::basicAuth("carol", "c4rol"))->name, "carol");
  EXPECT_EQ(auth->authenticate("Bearer " + access)->name, "carol");
}

TEST_F(AuthTokens, NewPasswordsAndNewUsersAreCheckedAfresh) {
  // A failed check is remembered, but not across a change of the user's hash.
  EXPECT_FALSE(auth->checkPassword("dave", "d4ve"));
  directory->put("dave", "d4ve");
  EXPECT_TRUE(auth->checkPassword("dave", "d4ve"));
  EXPECT_FALSE(auth->checkPassword("dave", "n3w"));
  directory->put("dave", "n3w");
  EXPECT_TRUE(auth->checkPassword("dave", "n3w"));
  EXPECT_FALSE(auth->checkPassword("dave", "d4ve"));  // the old password no longer
  // No hash: no password login at all, but tokens work.
  directory->put("erin", "");
  EXPECT_FALSE(auth->checkPassword("erin", ""));
  EXPECT_EQ(
      auth->authenticate("Bearer " + auth->issueToken(Principal{"erin", {}, Principal::Via::Basic}))->name,
      "erin");
}

TEST_F(AuthTokens, TheUsersFileComesFirst) {
  // A directory user called bob never shadows the users file's bob, nor is asked about him.
  directory->put("bob", "other", true, {"admin"});
  const int before = directory->lookups;
  EXPECT_THROW(auth->authenticate(test::basicAuth("bob", "other")), Unauthorized);
  auto p = auth->authenticate(test::basicAuth("bob", "hunter2"));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->inGroup("admin"));
  EXPECT_FALSE(auth->authenticate("Bearer " + auth->issueToken(bob))->inGroup("admin"));
  EXPECT_EQ(directory->lookups, before);

  // Several directories: asked in order, the first that knows the name answers.
  auto second = std::make_shared<MapDirectory>();
  second->put("frank", "fr4nk");
  second->put("carol", "second");
  directory->put("carol", "first");
  auth->addUserDirectory(second);
  EXPECT_EQ(auth->checkPassword("frank", "fr4nk")->name, "frank");
  EXPECT_TRUE(auth->checkPassword("carol", "first"));
  EXPECT_FALSE(auth->checkPassword("carol", "second"));

  // Once cleared (at shutdown), the directories are no longer asked.
  auth->clearUserDirectories();
  EXPECT_FALSE(auth->checkPassword("frank", "fr4nk"));
  EXPECT_FALSE(auth->hasUser("carol"));
  EXPECT_TRUE(auth->hasUser("alice"));
}

TEST_F(AuthTokens, ConcurrentChecksWhileAUserIsDeactivated) {
  directory->put("carol", "c4rol");
  const auto token = auth->issueToken(Principal{"carol", {}, Principal::Via::Basic}, "access", {});
  std::atomic<bool> deactivated{false};
  std::atomic<int> acceptedAfter{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const bool off = deactivated;
        try {
          auth->authenticate(i % 2 ? "Bearer " + token : test::basicAuth("carol", "c4rol"));
          if (off) ++acceptedAfter;
        } catch (const Unauthorized&) {
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  directory->setActive("carol", false);
  deactivated = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(acceptedAfter, 0);
}

}  // namespace
}  // namespace strata

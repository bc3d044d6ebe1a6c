#include "support/server_process.h"
#include "support/test_support.h"
#include "users_authenticator.h"

#include <strata/errors.h>

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <gtest/gtest.h>

namespace strata {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-test";

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::writeFile(dir.file("users"), "# comment\n" +
                                           test::ServerProcess::usersLine("alice", "s3cret", "admin,staff") +
                                           "\n" + test::ServerProcess::usersLine("bob", "hunter2") + "\n");
    cfg = test::makeConfig(
        {{"auth.usersFile", dir.file("users")}, {"auth.jwtSecret", kSecret}, {"auth.anonymous", "false"}});
    auth = makeAuthenticator(ConfigSection(*cfg, "auth"));
  }
  test::TempDir dir;
  Poco::AutoPtr<Poco::Util::MapConfiguration> cfg;
  std::unique_ptr<Authenticator> auth;
};

TEST(PasswordHash, RoundTripAndSaltedness) {
  const auto h1 = hashPassword("pw", 1000);
  const auto h2 = hashPassword("pw", 1000);
  EXPECT_NE(h1, h2);  // random salt
  EXPECT_EQ(h1.rfind("pbkdf2-sha256$1000$", 0), 0u);
  EXPECT_TRUE(verifyPassword("pw", h1));
  EXPECT_FALSE(verifyPassword("pW", h1));
  EXPECT_FALSE(verifyPassword("pw", "plain"));
  EXPECT_FALSE(verifyPassword("pw", "pbkdf2-sha256$x$y$z"));
}

TEST_F(AuthTest, BasicGoodBadMissing) {
  auto p = auth->authenticate(test::basicAuth("alice", "s3cret"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "alice");
  EXPECT_TRUE(p->inGroup("admin"));
  // Twice: the second check goes through the cache and must give the same answer.
  EXPECT_EQ(auth->authenticate(test::basicAuth("alice", "s3cret"))->name, "alice");
  EXPECT_THROW(auth->authenticate(test::basicAuth("alice", "wrong")), Unauthorized);
  EXPECT_THROW(auth->authenticate(test::basicAuth("mallory", "s3cret")), Unauthorized);
  EXPECT_THROW(auth->authenticate("Basic !!!notbase64"), Unauthorized);
  EXPECT_THROW(auth->authenticate("Basic " + std::string("bm9jb2xvbg==")), Unauthorized);  // "nocolon"
  EXPECT_THROW(auth->authenticate("Digest abc"), Unauthorized);
  EXPECT_FALSE(auth->authenticate(""));
  EXPECT_FALSE(auth->anonymousAllowed());
}

// Failed checks are remembered (the same wrong credentials are refused without another
// PBKDF2); that must never refuse the right password or accept a wrong one.
TEST_F(AuthTest, RememberedFailuresRefuseOnlyWhatFailed) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(auth->checkPassword("alice", "wrong")) << i;
    EXPECT_FALSE(auth->checkPassword("mallory", "s3cret")) << i;
    EXPECT_THROW(auth->authenticate(test::basicAuth("bob", "s3cret")), Unauthorized) << i;
  }
  // Right after the failures: the right passwords still pass, for each user.
  ASSERT_TRUE(auth->checkPassword("alice", "s3cret"));
  EXPECT_EQ(auth->checkPassword("alice", "s3cret")->name, "alice");
  EXPECT_EQ(auth->authenticate(test::basicAuth("bob", "hunter2"))->name, "bob");
  // Keys are per user and password: bob's password is not alice's, even after bob's success.
  EXPECT_FALSE(auth->checkPassword("alice", "hunter2"));
  EXPECT_FALSE(auth->checkPassword("alice", "wrong"));
  // The separator keeps "al" + "ice..." apart from "alice" + "...".
  EXPECT_FALSE(auth->checkPassword("al", std::string("ice\0s3cret", 10)));
  EXPECT_EQ(auth->checkPassword("alice", "s3cret")->name, "alice");
}

TEST_F(AuthTest, HasUserAnswersForTheUsersFile) {
  EXPECT_TRUE(auth->hasUser("alice"));
  EXPECT_TRUE(auth->hasUser("bob"));
  EXPECT_FALSE(auth->hasUser("Alice"));
  EXPECT_FALSE(auth->hasUser("mallory"));
  EXPECT_FALSE(auth->hasUser(""));
}

TEST_F(AuthTest, BearerTokens) {
  const auto token = auth->issueToken(Principal{"bob", {}, Principal::Via::Basic});
  auto p = auth->authenticate("Bearer " + token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "bob");
  EXPECT_EQ(p->via, Principal::Via::Bearer);
}

TEST_F(AuthTest, TamperedTokenIsRefused) {
  auto token = auth->issueToken(Principal{"bob", {}, Principal::Via::Basic});
  // Change the payload (subject) without re-signing.
  Poco::JWT::Token forged;
  forged.setSubject("alice");
  forged.setExpiration(Poco::Timestamp() + 3600 * Poco::Timestamp::resolution());
  Poco::JWT::Signer other("another-secret-another-secret-another");
  const auto forgedJwt = other.sign(forged, Poco::JWT::Signer::ALGO_HS256);
  EXPECT_THROW(auth->authenticate("Bearer " + forgedJwt), Unauthorized);
  // Flip a character inside the signature (not the last one: its low bits are padding that
  // base64url decoding drops, so changing them may leave the signature valid).
  char& c = token[token.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_THROW(auth->authenticate("Bearer " + token), Unauthorized);
  EXPECT_THROW(auth->authenticate("Bearer not.a.jwt"), Unauthorized);
  EXPECT_THROW(auth->authenticate("Bearer "), Unauthorized);
}

TEST_F(AuthTest, ExpiredTokenIsRefused) {
  Poco::JWT::Token t;
  t.setSubject("bob");
  t.setExpiration(Poco::Timestamp() - 10 * Poco::Timestamp::resolution());
  Poco::JWT::Signer signer(kSecret);
  const auto jwt = signer.sign(t, Poco::JWT::Signer::ALGO_HS256);
  try {
    auth->authenticate("Bearer " + jwt);
    FAIL();
  } catch (const Unauthorized& e) {
    EXPECT_EQ(e.code(), "token_not_valid");
    EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos);
  }
  // A token without exp never expires: refused too.
  Poco::JWT::Token noExp;
  noExp.setSubject("bob");
  EXPECT_THROW(auth->authenticate("Bearer " + signer.sign(noExp, Poco::JWT::Signer::ALGO_HS256)),
               Unauthorized);
}

TEST_F(AuthTest, TokenOfRemovedUserIsRefused) {
  Poco::JWT::Token t;
  t.setSubject("carol");
  t.setExpiration(Poco::Timestamp() + 100 * Poco::Timestamp::resolution());
  Poco::JWT::Signer signer(kSecret);
  EXPECT_THROW(auth->authenticate("Bearer " + signer.sign(t, Poco::JWT::Signer::ALGO_HS256)), Unauthorized);
}

TEST(AuthConfig, RejectsPlainTextPasswordsAndShortSecrets) {
  test::TempDir dir;
  test::writeFile(dir.file("users"), "alice:plaintext\n");
  auto cfg = test::makeConfig({{"auth.usersFile", dir.file("users")}});
  EXPECT_THROW(makeAuthenticator(ConfigSection(*cfg, "auth")), StartupError);
  auto cfg2 = test::makeConfig({{"auth.jwtSecret", "short"}});
  EXPECT_THROW(makeAuthenticator(ConfigSection(*cfg2, "auth")), StartupError);
  auto cfg3 = test::makeConfig({{"auth.usersFile", dir.file("absent")}});
  EXPECT_THROW(makeAuthenticator(ConfigSection(*cfg3, "auth")), StartupError);
}

TEST(AuthConfig, AnonymousReadsByDefaultWritesOnlyByOptIn) {
  auto defaults = test::makeConfig({});
  auto auth = makeAuthenticator(ConfigSection(*defaults, "auth"));
  EXPECT_TRUE(auth->anonymousAllowed());
  EXPECT_FALSE(auth->anonymousWritesAllowed());
  auto open = test::makeConfig({{"auth.anonymousWrites", "true"}});
  EXPECT_TRUE(makeAuthenticator(ConfigSection(*open, "auth"))->anonymousWritesAllowed());
  // Anonymous writes without anonymous reads make no sense: refused at start-up.
  auto contradictory = test::makeConfig({{"auth.anonymous", "false"}, {"auth.anonymousWrites", "true"}});
  EXPECT_THROW(makeAuthenticator(ConfigSection(*contradictory, "auth")), StartupError);
}

}  // namespace
}  // namespace strata

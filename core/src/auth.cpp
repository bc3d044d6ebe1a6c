#include "users_authenticator.h"

#include "login_limiter.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Crypto/OpenSSLInitializer.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Timestamp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <condition_variable>
#include <fstream>
#include <map>
#include <unordered_map>
#include <deque>
#include <ctime>
#include <mutex>
#include <set>
#include <sstream>
#include <vector>

namespace strata {

Authenticator::~Authenticator() = default;
UserDirectory::~UserDirectory() = default;

namespace {

constexpr const char* kScheme = "pbkdf2-sha256";

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[0]), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

bool unbase64(const std::string& in, std::string& out) {
  try {
    std::istringstream is(in);
    Poco::Base64Decoder dec(is);
    std::ostringstream os;
    os << dec.rdbuf();
    out = os.str();
    return true;
  } catch (...) {
    return false;
  }
}

std::string pbkdf2(const std::string& password, const std::string& salt, int iterations) {
  unsigned char out[32];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        iterations, EVP_sha256(), sizeof out, out) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

bool wellFormedHash(const std::string& hash);

struct User {
  std::string hash;
  std::vector<std::string> groups;
};

// A user as the checks see it, from the users file or a directory.
struct Found {
  std::string hash;
  std::vector<std::string> groups;
  bool active = true;
};

// Claims the core writes itself; extra claims may not use them.
const std::set<std::string>& reservedClaims() {
  static const std::set<std::string> names = {"sub", "exp", "iat", "nbf", kTokenTypeClaim};
  return names;
}

class UsersAuthenticator : public CoreAuthenticator {
 public:
  explicit UsersAuthenticator(const ConfigSection& cfg)
      : anonymous_(cfg.getBool("anonymous", true)),
        anonymousWrites_(cfg.getBool("anonymousWrites", false)),
        realm_(cfg.getString("realm", "Strata")),
        ttl_(cfg.getInt("tokenTtl", 3600)),
        limiter_(cfg.getInt("maxFailedLogins", 10), cfg.getInt("failedLoginWindow", 60)) {
    secret_ = cfg.getString("jwtSecret", "");
    if (secret_.empty()) {
      unsigned char buf[32];
      RAND_bytes(buf, sizeof buf);
      secret_ = base64(buf, sizeof buf);
    } else if (secret_.size() < 32) {
      throw StartupError("configuration key auth.jwtSecret must hold at least 32 characters");
    }
    if (ttl_ <= 0) throw StartupError("configuration key auth.tokenTtl must be positive");
    if (limiter_.maxFailures() < 0)
      throw StartupError("configuration key auth.maxFailedLogins must be 0 (no limit) or more");
    if (limiter_.windowSeconds() < 1)
      throw StartupError("configuration key auth.failedLoginWindow must be at least 1 (seconds)");
    if (anonymousWrites_ && !anonymous_)
      throw StartupError("configuration key auth.anonymousWrites = true needs auth.anonymous = true");
    const std::string file = cfg.getString("usersFile", "");
    if (!file.empty()) loadUsers(file);
  }

  std::optional<Principal> authenticate(const std::string& header) const override {
    const std::string value = Poco::trim(header);
    if (value.empty()) return std::nullopt;
    const auto space = value.find(' ');
    const std::string scheme = Poco::toLower(value.substr(0, space));
    const std::string cred = space == std::string::npos ? "" : Poco::trim(value.substr(space + 1));
    if (scheme == "basic") return basic(cred);
    if (scheme == "bearer") return bearer(cred);
    throw Unauthorized("unsupported authorization scheme '" + value.substr(0, space) +
                       "' (use Basic or Bearer)");
  }

  bool anonymousAllowed() const override { return anonymous_; }
  bool anonymousWritesAllowed() const override { return anonymousWrites_; }
  std::string realm() const override { return realm_; }

  std::string issueToken(const Principal& p, int64_t ttlSeconds) const override {
    return issueToken(p, "", Claims{}, ttlSeconds);
  }

  std::string issueToken(const Principal& p, const std::string& type, const Claims& extra,
                         int64_t ttlSeconds) const override {
    Poco::JWT::Token token;
    token.setType("JWT");
    for (const auto& [name, value] : extra) {
      if (reservedClaims().count(name))
        throw InternalError("the claim '" + name + "' is set by the core and cannot be an extra claim");
      if (const auto* text = std::get_if<std::string>(&value))
        token.payload().set(name, *text);
      else
        token.payload().set(name, static_cast<Poco::Int64>(std::get<int64_t>(value)));
    }
    token.setSubject(p.name);
    if (!type.empty()) token.payload().set(kTokenTypeClaim, type);
    Poco::Timestamp now;
    token.setIssuedAt(now);
    token.setExpiration(now + (ttlSeconds > 0 ? ttlSeconds : ttl_) * Poco::Timestamp::resolution());
    Poco::JWT::Signer signer(secret_);
    return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
  }

  TokenClaims verifyToken(const std::string& jwt) const override { return verified(jwt).first; }

  std::optional<Principal> checkPassword(const std::string& user,
                                         const std::string& password) const override {
    // A client address at auth.maxFailedLogins is refused before anything else, its right
    // passwords too, and without the cost of a check.
    const std::string& client = LoginClientScope::current();
    if (auto wait = limiter_.blockedFor(client)) throw LoginsThrottled(*wait);
    const std::optional<Found> found = lookup(user);
    // The same wrong credentials again (a misconfigured client retrying, a script in a loop)
    // are refused without another PBKDF2, for kFailureMemorySeconds, and do not count again
    // towards the limit. The key holds the hash and the active flag, so that a directory user
    // created, given a new password or made active again meanwhile is checked afresh.
    const char nul = '\0';
    const std::string failure = cacheKey(
        "failed" + (nul + user) + nul + (found ? found->hash + nul + (found->active ? '+' : '-') : ""),
        password);
    if (recentlyFailed(failure)) return std::nullopt;
    const bool checkable = found && found->active && !found->hash.empty();
    if (checkable && cachedOk(user, found->hash, password))
      return Principal{user, found->groups, Principal::Via::Basic};
    // The same credentials arriving together (a client's parallel first requests) are checked
    // once: the others wait for that check and take its answer from the caches, so that they
    // neither pay for PBKDF2 again nor count against the client's limit.
    const InFlight flight(*this, failure);
    if (flight.waited()) {
      if (recentlyFailed(failure)) return std::nullopt;
      if (checkable && cachedOk(user, found->hash, password))
        return Principal{user, found->groups, Principal::Via::Basic};
    }
    // A real check counts as a failure of the client from its start (so that checks running
    // at the same time count too), and is forgiven if it succeeds.
    const auto mark = limiter_.reserve(client);
    const auto failed = [&] {
      rememberFailure(failure);
      if (mark && limiter_.full(client))
        Poco::Logger::get("strata.auth")
            .warning(
                "client %s reached auth.maxFailedLogins (%d failed logins within %d s): its logins are "
                "refused for a while",
                client, static_cast<int>(limiter_.maxFailures()), static_cast<int>(limiter_.windowSeconds()));
      return std::nullopt;
    };
    if (!checkable) {
      // Same cost as a real check, so that timing does not tell which users exist.
      verifyPassword(password, dummyHash());
      return failed();
    }
    if (!verifyPassword(password, found->hash)) return failed();
    remember(user, found->hash, password);
    if (mark) limiter_.forgive(client, *mark);
    return Principal{user, found->groups, Principal::Via::Basic};
  }

  bool hasUser(const std::string& name) const override { return !name.empty() && lookup(name).has_value(); }

  void addUserDirectory(std::shared_ptr<const UserDirectory> directory) override {
    std::lock_guard<std::mutex> lock(directoriesMutex_);
    auto next = std::make_shared<Directories>(*directories_);
    next->push_back(std::move(directory));
    directories_ = std::move(next);
  }

  void clearUserDirectories() noexcept override {
    std::lock_guard<std::mutex> lock(directoriesMutex_);
    directories_ = std::make_shared<Directories>();
  }

 private:
  // The check of one key (user, hash, password) in progress; waits for another of the same key.
  class InFlight {
   public:
    InFlight(const UsersAuthenticator& auth, std::string key) : auth_(auth), key_(std::move(key)) {
      std::unique_lock<std::mutex> lock(auth_.flightMutex_);
      while (auth_.inFlight_.count(key_)) {
        waited_ = true;
        auth_.flightDone_.wait(lock);
      }
      auth_.inFlight_.insert(key_);
    }
    ~InFlight() {
      {
        std::lock_guard<std::mutex> lock(auth_.flightMutex_);
        auth_.inFlight_.erase(key_);
      }
      auth_.flightDone_.notify_all();
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    bool waited() const { return waited_; }

   private:
    const UsersAuthenticator& auth_;
    std::string key_;
    bool waited_ = false;
  };

  Principal basic(const std::string& cred) const {
    std::string decoded;
    if (cred.empty() || !unbase64(cred, decoded)) throw Unauthorized("malformed Basic credentials");
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) throw Unauthorized("malformed Basic credentials");
    auto p = checkPassword(decoded.substr(0, colon), decoded.substr(colon + 1));
    if (!p) throw Unauthorized("invalid user name or password");
    return *p;
  }

  Principal bearer(const std::string& jwt) const {
    if (jwt.empty()) throw Unauthorized("token_not_valid", "empty Bearer token");
    auto [claims, user] = verified(jwt);
    if (!claims.type.empty() && claims.type != kAccessTokenType)
      throw Unauthorized("token_not_valid",
                         "Token has wrong type (a '" + claims.type + "' token is not an access token)");
    return Principal{claims.subject, user.groups, Principal::Via::Bearer};
  }

  // Signature, expiry, subject: the claims and the user, or Unauthorized.
  std::pair<TokenClaims, Found> verified(const std::string& jwt) const {
    Poco::JWT::Token token;
    try {
      Poco::JWT::Signer signer(secret_);
      token = signer.verify(jwt);
    } catch (const Poco::JWT::SignatureVerificationException&) {
      throw Unauthorized("token_not_valid", "the token is not valid (bad signature)");
    } catch (const Poco::Exception&) {
      throw Unauthorized("token_not_valid", "the token is not valid (malformed)");
    } catch (const std::exception&) {
      throw Unauthorized("token_not_valid", "the token is not valid (malformed)");
    }
    TokenClaims claims;
    try {
      const Poco::JSON::Object& payload = token.payload();
      if (!payload.has("exp")) throw Unauthorized("token_not_valid", "the token is not valid (no expiry)");
      claims.expiresAt = payload.getValue<Poco::Int64>("exp");
      if (payload.has("iat")) claims.issuedAt = payload.getValue<Poco::Int64>("iat");
      if (!payload.has("sub") || !payload.get("sub").isString())
        throw Unauthorized("token_not_valid", "the token is not valid (no subject)");
      claims.subject = payload.getValue<std::string>("sub");
      if (payload.has(kTokenTypeClaim)) {
        const Poco::Dynamic::Var type = payload.get(kTokenTypeClaim);
        if (!type.isString())
          throw Unauthorized("token_not_valid", "the token is not valid (malformed type)");
        claims.type = type.toString();
      }
      for (const auto& [name, value] : payload) {
        if (reservedClaims().count(name) || value.isEmpty()) continue;
        if (value.isString())
          claims.extra[name] = value.toString();
        else if (value.isInteger())
          claims.extra[name] = static_cast<int64_t>(value.convert<Poco::Int64>());
      }
    } catch (const Unauthorized&) {
      throw;
    } catch (const std::exception&) {
      throw Unauthorized("token_not_valid", "the token is not valid (malformed claims)");
    }
    if (claims.expiresAt <= Poco::Timestamp().epochTime())
      throw Unauthorized("token_not_valid", "the token has expired");
    std::optional<Found> user = lookup(claims.subject);
    if (!user) throw Unauthorized("token_not_valid", "the token's user no longer exists");
    if (!user->active) throw Unauthorized("token_not_valid", "the token's user is inactive");
    return {std::move(claims), std::move(*user)};
  }

  // The users file first, then the directories in order.
  std::optional<Found> lookup(const std::string& name) const {
    auto it = users_.find(name);
    if (it != users_.end()) return Found{it->second.hash, it->second.groups, true};
    std::shared_ptr<const Directories> directories;
    {
      std::lock_guard<std::mutex> lock(directoriesMutex_);
      directories = directories_;
    }
    for (const auto& directory : *directories)
      if (auto user = directory->find(name)) return Found{user->passwordHash, user->groups, user->active};
    return std::nullopt;
  }

  void loadUsers(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw StartupError("cannot read the users file " + file + " (auth.usersFile)");
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
      ++lineNo;
      line = Poco::trim(line);
      if (line.empty() || line[0] == '#') continue;
      Poco::StringTokenizer tok(line, ":", Poco::StringTokenizer::TOK_TRIM);
      if (tok.count() < 2 || tok[0].empty() || tok[1].rfind(kScheme, 0) != 0)
        throw StartupError("users file " + file + " line " + std::to_string(lineNo) +
                           ": expected name:pbkdf2-sha256$...[:groups] (plain-text passwords are "
                           "not accepted; make a hash with strata-server --hash-password)");
      if (!wellFormedHash(tok[1]))
        throw StartupError("users file " + file + " line " + std::to_string(lineNo) +
                           ": malformed password hash for user '" + tok[0] + "'");
      if (tok.count() > 3)
        throw StartupError("users file " + file + " line " + std::to_string(lineNo) +
                           ": expected name:hash[:groups], found " + std::to_string(tok.count()) + " fields");
      User u{tok[1], {}};
      if (tok.count() > 2) {
        Poco::StringTokenizer groups(
            tok[2], ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        u.groups.assign(groups.begin(), groups.end());
      }
      users_[tok[0]] = u;
    }
  }

  static const std::string& dummyHash() {
    static const std::string h = hashPassword("strata-dummy-password");
    return h;
  }

  std::string cacheKey(const std::string& hash, const std::string& password) const {
    Sha256 sha;
    sha.update(hash.data(), hash.size());
    sha.update("\0", 1);
    sha.update(password.data(), password.size());
    return sha.hexDigest();
  }
  // A successful check is remembered as a SHA-256 of hash and password, so that Basic
  // authentication does not pay for PBKDF2 on every request.
  bool cachedOk(const std::string& user, const std::string& hash, const std::string& pw) const {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto it = cache_.find(user);
    if (it == cache_.end()) return false;
    const std::string key = cacheKey(hash, pw);
    return it->second.size() == key.size() && CRYPTO_memcmp(it->second.data(), key.data(), key.size()) == 0;
  }
  void remember(const std::string& user, const std::string& hash, const std::string& pw) const {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    cache_[user] = cacheKey(hash, pw);
  }

  // Failed checks, as SHA-256 keys of user and password, remembered for a while (bounded).
  static constexpr int64_t kFailureMemorySeconds = 60;
  static constexpr std::size_t kFailureMemoryEntries = 10000;
  bool recentlyFailed(const std::string& key) const {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto it = failures_.find(key);
    return it != failures_.end() && it->second > std::time(nullptr);
  }
  void rememberFailure(const std::string& key) const {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    const int64_t now = std::time(nullptr);
    while (!failureOrder_.empty() &&
           (failureOrder_.size() >= kFailureMemoryEntries || failures_.at(failureOrder_.front()) <= now)) {
      failures_.erase(failureOrder_.front());
      failureOrder_.pop_front();
    }
    auto [it, inserted] = failures_.emplace(key, now + kFailureMemorySeconds);
    if (inserted) {
      failureOrder_.push_back(key);
    } else {
      it->second = now + kFailureMemorySeconds;
    }
  }

  // Poco::JWT::Signer holds an OpenSSLInitializer while it lives. Poco 1.11 creates OpenSSL's
  // lock table when the count of initializers goes from 0 to 1 and deletes it at 1 to 0, with
  // no lock between the two: token checks on several threads could delete the table under one
  // another (ThreadSanitizer: AuthTokens.ConcurrentChecksWhileAUserIsDeactivated). This one
  // keeps the count above 0 for the authenticator's life.
  Poco::Crypto::OpenSSLInitializer openssl_;
  bool anonymous_;
  bool anonymousWrites_;
  std::string realm_;
  int64_t ttl_;
  mutable LoginLimiter limiter_;
  std::string secret_;
  std::map<std::string, User> users_;
  using Directories = std::vector<std::shared_ptr<const UserDirectory>>;
  mutable std::mutex directoriesMutex_;
  std::shared_ptr<const Directories> directories_ = std::make_shared<Directories>();
  mutable std::mutex flightMutex_;
  mutable std::condition_variable flightDone_;
  mutable std::set<std::string> inFlight_;
  mutable std::mutex cacheMutex_;
  mutable std::map<std::string, std::string> cache_;
  mutable std::unordered_map<std::string, int64_t> failures_;  // key -> expiry (s)
  mutable std::deque<std::string> failureOrder_;
};

}  // namespace

std::string hashPassword(const std::string& password, int iterations) {
  unsigned char salt[16];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no random bytes for a salt");
  const std::string s(reinterpret_cast<char*>(salt), sizeof salt);
  const std::string h = pbkdf2(password, s, iterations);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64(salt, sizeof salt) + "$" +
         base64(reinterpret_cast<const unsigned char*>(h.data()), h.size());
}

namespace {
bool parseHash(const std::string& hash, int& iterations, std::string& salt, std::string& expected) {
  Poco::StringTokenizer tok(hash, "$");
  if (tok.count() != 4 || tok[0] != kScheme) return false;
  if (!Poco::NumberParser::tryParse(tok[1], iterations) || iterations < 1 || iterations > 10000000)
    return false;
  return unbase64(tok[2], salt) && !salt.empty() && unbase64(tok[3], expected) && expected.size() == 32;
}

bool wellFormedHash(const std::string& hash) {
  int iterations = 0;
  std::string salt, expected;
  return parseHash(hash, iterations, salt, expected);
}
}  // namespace

bool verifyPassword(const std::string& password, const std::string& hash) {
  int iterations = 0;
  std::string salt, expected;
  if (!parseHash(hash, iterations, salt, expected)) return false;
  const std::string got = pbkdf2(password, salt, iterations);
  return CRYPTO_memcmp(got.data(), expected.data(), expected.size()) == 0;
}

std::unique_ptr<CoreAuthenticator> makeAuthenticator(const ConfigSection& auth) {
  return std::make_unique<UsersAuthenticator>(auth);
}

}  // namespace strata

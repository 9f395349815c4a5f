// JSON Web Tokens (RFC 7519) on OpenSSL: the default Authenticator.
//
//   auto verifier = conflux::JwtVerifier::hs256("secret");
//   conflux::JwtAuthenticator auth(std::move(verifier));
//
// The algorithm is pinned by the key the verifier is built from: a token whose
// header names another algorithm (including "none") is refused, so an RSA
// public key can never be used as an HMAC secret.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "conflux/auth.h"

namespace conflux {

enum class JwtAlgorithm { HS256, RS256, ES256 };

struct JwtClaims {
  std::string sub;  // user
  std::string sid;  // session id
  int64_t iat = 0;  // issued at (seconds since the epoch)
  int64_t exp = 0;  // expires at
  std::optional<int64_t> nbf;
  std::string room;     // scope: empty (every room), an exact id, or a prefix ending in '*'
  bool ro = false;      // read-only
};

struct JwtVerifyResult {
  std::optional<JwtClaims> claims;  // set when the token is valid
  std::string error;                // why not
};

class JwtVerifier {
 public:
  // Clock skew tolerated on exp, nbf and iat.
  static constexpr int64_t kLeewaySeconds = 30;

  // HS256 with a shared secret (must not be empty).
  static std::unique_ptr<JwtVerifier> hs256(std::string secret);
  // RS256 for an RSA public key, ES256 for a P-256 EC public key, from PEM
  // text ("-----BEGIN PUBLIC KEY-----"). Returns nullptr and sets *error when
  // the key cannot be read or is of another kind.
  static std::unique_ptr<JwtVerifier> from_public_key_pem(std::string_view pem, std::string* error);

  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  JwtAlgorithm algorithm() const;
  // Checks the form, the header's "alg", the signature (in constant time for
  // HS256), and exp/nbf/iat against `now_seconds`; requires sub, sid, iat and
  // exp. Thread-safe.
  JwtVerifyResult verify(std::string_view token, int64_t now_seconds) const;

  struct Key;

 private:
  explicit JwtVerifier(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// Signs claims as an HS256 token (for development tools and tests).
std::string jwt_sign_hs256(std::string_view secret, const JwtClaims& claims);

// A fresh random session id: 32 lowercase hex digits from a CSPRNG.
std::string new_session_id();

// Tokens through a JwtVerifier; the room scope and read-only flag come from
// the "room" and "ro" claims. With allow_anonymous, a connection without a
// token is let in as user "anonymous" with a fresh session id (a present but
// bad token is still refused).
class JwtAuthenticator : public Authenticator {
 public:
  explicit JwtAuthenticator(std::unique_ptr<JwtVerifier> verifier, bool allow_anonymous = false);
  // Only anonymous connections (development mode, no key configured).
  static std::unique_ptr<JwtAuthenticator> anonymous_only();
  AuthResult authenticate(const AuthRequest& request) override;

 private:
  std::unique_ptr<JwtVerifier> verifier_;
  bool allow_anonymous_;
};

}  // namespace conflux

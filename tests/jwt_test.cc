// JWT verification: signatures, pinned algorithms, time claims, scopes.
#include <catch2/catch.hpp>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <chrono>
#include <memory>

#include "conflux/jwt.h"

using namespace conflux;

namespace {

const int64_t kNow = 1800000000;

std::string b64url(std::string_view data) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : data) {
    acc = acc << 8 | c;
    bits += 8;
    while (bits >= 6) out += a[(acc >> (bits -= 6)) & 63];
  }
  if (bits) out += a[(acc << (6 - bits)) & 63];
  return out;
}
std::string b64url_decode(std::string_view s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : 63;
    acc = acc << 6 | uint32_t(v);
    bits += 6;
    if (bits >= 8) out += char((acc >> (bits -= 8)) & 0xFF);
  }
  return out;
}

JwtClaims claims(std::string room = "", bool ro = false) {
  JwtClaims c;
  c.sub = "ann";
  c.sid = "s-1";
  c.iat = kNow - 10;
  c.exp = kNow + 600;
  c.room = room;
  c.ro = ro;
  return c;
}

std::string payload(std::string_view json) { return b64url(json); }
std::string hs_token(std::string_view header_json, std::string_view payload_json, std::string_view secret) {
  std::string input = b64url(header_json) + "." + b64url(payload_json);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), int(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &len);
  return input + "." + b64url(std::string_view(reinterpret_cast<char*>(mac), len));
}
const char* kStdPayload = R"({"sub":"ann","sid":"s-1","iat":1799999990,"exp":1800000600})";

struct KeyPair {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::string public_pem;
};
KeyPair make_key(bool rsa, int bits = 2048) {
  KeyPair k;
  k.key.reset(rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(bits))
                  : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(k.key);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, k.key.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  k.public_pem.assign(data, size_t(n));
  BIO_free(bio);
  return k;
}
// Signs as any JWT library would: RS256 = PKCS#1 v1.5, ES256 = raw r||s.
std::string pk_token(const KeyPair& k, const char* alg, std::string_view payload_json) {
  std::string input = b64url(std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})") + "." + b64url(payload_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k.key.get()) == 1);
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (std::string_view(alg) == "ES256") {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, long(sig.size()));
    REQUIRE(es);
    unsigned char raw[64] = {};
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
    ECDSA_SIG_free(es);
    sig.assign(reinterpret_cast<char*>(raw), 64);
  }
  return input + "." + b64url(sig);
}

}  // namespace

TEST_CASE("RFC 7515 A.1: the HS256 signature checks, the missing claims are named", "[auth][jwt]") {
  std::string key = b64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  std::string token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  auto v = JwtVerifier::hs256(key);
  CHECK(v->verify(token, 1300819000).error == "token has no \"sub\" claim");
  CHECK(JwtVerifier::hs256("other")->verify(token, 1300819000).error == "invalid signature");
}

TEST_CASE("HS256 tokens round-trip with their claims", "[auth][jwt]") {
  auto v = JwtVerifier::hs256("secret");
  CHECK(v->algorithm() == JwtAlgorithm::HS256);
  auto r = v->verify(jwt_sign_hs256("secret", claims("team-*", true)), kNow);
  REQUIRE(r.claims);
  CHECK(r.claims->sub == "ann");
  CHECK(r.claims->sid == "s-1");
  CHECK(r.claims->room == "team-*");
  CHECK(r.claims->ro);
  CHECK(r.claims->exp == kNow + 600);
  // Made by hand the way other libraries do (fractional times, other key order).
  auto other = v->verify(hs_token(R"({"typ":"JWT","alg":"HS256"})",
                                  R"({"exp":1800000600.5,"iat":1799999990,"sid":"x","sub":"bob","ro":false})", "secret"),
                         kNow);
  REQUIRE(other.claims);
  CHECK(other.claims->sub == "bob");
  CHECK_FALSE(JwtVerifier::hs256(""));
}

TEST_CASE("bad tokens are refused with a reason", "[auth][jwt]") {
  auto v = JwtVerifier::hs256("secret");
  std::string good = jwt_sign_hs256("secret", claims());
  auto error = [&](const std::string& t, int64_t now = kNow) { return v->verify(t, now).error; };

  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  CHECK(error(flipped) == "invalid signature");
  CHECK(error(jwt_sign_hs256("wrong", claims())) == "invalid signature");
  CHECK(error(good, kNow + 600 + 30) == "token expired");
  CHECK(error(good, kNow + 600 + 29) == "");  // within the leeway
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":"a","sid":"s","iat":1,"exp":1800000600,"nbf":1800000100})",
                       "secret")) == "token not yet valid");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":"a","sid":"s","iat":1800000100,"exp":1800000600})", "secret")) ==
        "token issued in the future");
  std::string none = b64url(R"({"alg":"none","typ":"JWT"})") + "." + payload(kStdPayload) + ".";
  CHECK(error(none) == "algorithm \"none\" is not accepted (expected HS256)");
  CHECK(error(hs_token(R"({"alg":"HS384"})", kStdPayload, "secret")).find("not accepted") != std::string::npos);
  CHECK(error(hs_token(R"({"alg":"HS256","crit":["x"]})", kStdPayload, "secret")) ==
        "token header has critical extensions");
  CHECK(error(hs_token(R"({"alg":"HS256","typ":"JWE"})", kStdPayload, "secret")) == "token type is not JWT");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sid":"s","iat":1,"exp":1800000600})", "secret")) ==
        "token has no \"sub\" claim");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":"a","iat":1,"exp":1800000600})", "secret")) ==
        "token has no \"sid\" claim");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":"a","sid":"s","iat":1})", "secret")) ==
        "token has no \"exp\" claim");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":"a","sid":"s","exp":1800000600})", "secret")) ==
        "token has no \"iat\" claim");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":5,"sid":"s","iat":1,"exp":1800000600})", "secret")) ==
        "token claim \"sub\" must be a non-empty string");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":"a","sid":"s","iat":1,"exp":"soon"})", "secret")) ==
        "token claim \"exp\" must be a number");
  CHECK(error(hs_token(R"({"alg":"HS256"})", R"({"sub":"a","sid":"s","iat":1,"exp":1800000600,"ro":"yes"})",
                       "secret")) == "token claim \"ro\" must be true or false");
  CHECK(error("a.b") == "malformed token: expected three dot-separated parts");
  CHECK(error(good + ".x") == "malformed token: expected three dot-separated parts");
  CHECK(error("e30.e30.a+b") == "malformed token: invalid base64url");
  CHECK(error("e30=.e30.abcd") == "malformed token: invalid base64url");
  CHECK(error(b64url("not json") + "." + payload(kStdPayload) + ".abcd") == "malformed token header");
  CHECK(error(std::string(9 * 1024, 'a')) == "token too long");
}

TEST_CASE("RS256 and ES256 with public keys, no algorithm confusion", "[auth][jwt]") {
  for (bool rsa : {true, false}) {
    const char* alg = rsa ? "RS256" : "ES256";
    INFO(alg);
    KeyPair k = make_key(rsa);
    std::string err;
    auto v = JwtVerifier::from_public_key_pem(k.public_pem, &err);
    REQUIRE(v);
    CHECK(v->algorithm() == (rsa ? JwtAlgorithm::RS256 : JwtAlgorithm::ES256));
    auto ok = v->verify(pk_token(k, alg, kStdPayload), kNow);
    REQUIRE(ok.claims);
    CHECK(ok.claims->sub == "ann");
    // A payload changed after signing.
    std::string t = pk_token(k, alg, kStdPayload);
    size_t d1 = t.find('.'), d2 = t.rfind('.');
    std::string tampered = t.substr(0, d1 + 1) + payload(R"({"sub":"eve","sid":"s-1","iat":1799999990,"exp":1800000600})") +
                           t.substr(d2);
    CHECK(v->verify(tampered, kNow).error == "invalid signature");
    // Signed by another key of the same kind.
    KeyPair other = make_key(rsa);
    CHECK(v->verify(pk_token(other, alg, kStdPayload), kNow).error == "invalid signature");
    // The classic confusion: HS256 "signed" with the public key's PEM text.
    CHECK(v->verify(hs_token(R"({"alg":"HS256","typ":"JWT"})", kStdPayload, k.public_pem), kNow).error ==
          std::string("algorithm \"HS256\" is not accepted (expected ") + alg + ")");
  }
  std::string err;
  CHECK_FALSE(JwtVerifier::from_public_key_pem(make_key(true, 1024).public_pem, &err));
  CHECK(err == "RSA keys under 2048 bits are not accepted");
  CHECK_FALSE(JwtVerifier::from_public_key_pem("not a key", &err));
}

TEST_CASE("room scopes", "[auth]") {
  Identity any{"a", "s", "", false}, exact{"a", "s", "doc-1", false}, prefix{"a", "s", "team-*", false};
  CHECK(any.may_enter("whatever"));
  CHECK(exact.may_enter("doc-1"));
  CHECK_FALSE(exact.may_enter("doc-10"));
  CHECK(prefix.may_enter("team-"));
  CHECK(prefix.may_enter("team-red"));
  CHECK_FALSE(prefix.may_enter("teams"));
}

TEST_CASE("JwtAuthenticator: tokens, anonymous mode, room scope", "[auth]") {
  JwtAuthenticator strict(JwtVerifier::hs256("secret"));
  CHECK(strict.authenticate({"r", "", "127.0.0.1"}).reason == "missing token");
  JwtClaims c = claims("doc-1", true);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  c.iat = now;
  c.exp = now + 60;
  std::string token = jwt_sign_hs256("secret", c);
  auto ok = strict.authenticate({"doc-1", token, ""});
  REQUIRE(ok.ok());
  CHECK(ok.identity->user == "ann");
  CHECK(ok.identity->read_only);
  CHECK(strict.authenticate({"doc-2", token, ""}).reason == "token is not valid for room \"doc-2\"");

  JwtAuthenticator open(JwtVerifier::hs256("secret"), true);
  auto a1 = open.authenticate({"r", "", ""});
  auto a2 = open.authenticate({"r", "", ""});
  REQUIRE(a1.ok());
  CHECK(a1.identity->user == "anonymous");
  CHECK(a1.identity->session_id.size() == 32);
  CHECK(a1.identity->session_id != a2.identity->session_id);  // a new session for every login
  CHECK(open.authenticate({"r", "garbage", ""}).reason == "malformed token: expected three dot-separated parts");

  auto anon = JwtAuthenticator::anonymous_only();
  CHECK(anon->authenticate({"r", "", ""}).ok());
  CHECK(anon->authenticate({"r", token, ""}).reason == "tokens are not accepted: no key configured");
}

#include "conflux/jwt.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <strings.h>

#include <cmath>
#include <optional>

namespace conflux {
namespace {

constexpr size_t kMaxTokenBytes = 8 * 1024;

const char* algorithm_name(JwtAlgorithm a) {
  switch (a) {
    case JwtAlgorithm::HS256: return "HS256";
    case JwtAlgorithm::RS256: return "RS256";
    case JwtAlgorithm::ES256: return "ES256";
  }
  return "?";
}

int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Unpadded base64url, strictly: no padding, no other characters, no stray bits.
std::optional<std::string> b64url_decode(std::string_view s) {
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(s.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = b64url_value(c);
    if (v < 0) return std::nullopt;
    acc = acc << 6 | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  if (acc & ((1u << bits) - 1)) return std::nullopt;
  return out;
}

std::string b64url_encode(std::string_view data) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : data) {
    acc = acc << 8 | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += alphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// A JWS ES256 signature is r||s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> es256_raw_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  auto integer = [](std::string_view part) {
    size_t i = 0;
    while (i < part.size() - 1 && part[i] == 0) ++i;
    std::string v(part.substr(i));
    if (uint8_t(v[0]) & 0x80) v.insert(v.begin(), '\0');
    return std::string{0x02, char(v.size())} + v;
  };
  std::string body = integer(raw.substr(0, 32)) + integer(raw.substr(32));
  return std::string{0x30, char(body.size())} + body;
}

bool get_number(const rapidjson::Value& obj, const char* name, int64_t* out, bool* present) {
  auto it = obj.FindMember(name);
  *present = it != obj.MemberEnd();
  if (!*present) return true;
  if (!it->value.IsNumber()) return false;
  double d = it->value.GetDouble();
  if (!std::isfinite(d) || std::fabs(d) > 1e15) return false;
  *out = int64_t(std::floor(d));
  return true;
}

}  // namespace

struct JwtVerifier::Key {
  JwtAlgorithm algorithm = JwtAlgorithm::HS256;
  std::string secret;                               // HS256
  std::unique_ptr<EVP_PKEY, PkeyDeleter> public_key;  // RS256 / ES256
};

JwtVerifier::JwtVerifier(std::unique_ptr<Key> key) : key_(std::move(key)) {}
JwtVerifier::~JwtVerifier() = default;

std::unique_ptr<JwtVerifier> JwtVerifier::hs256(std::string secret) {
  // An empty secret would accept tokens anyone can sign.
  if (secret.empty()) return nullptr;
  auto key = std::make_unique<Key>();
  key->secret = std::move(secret);
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(key)));
}

std::unique_ptr<JwtVerifier> JwtVerifier::from_public_key_pem(std::string_view pem, std::string* error) {
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  if (!bio) {
    *error = "out of memory";
    return nullptr;
  }
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!pkey) {
    *error = "not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")";
    return nullptr;
  }
  auto key = std::make_unique<Key>();
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    if (EVP_PKEY_get_bits(pkey.get()) < 2048) {
      *error = "RSA keys under 2048 bits are not accepted";
      return nullptr;
    }
    key->algorithm = JwtAlgorithm::RS256;
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(pkey.get(), "group", group, sizeof group, &len) ||
        std::string_view(group) != "prime256v1") {
      *error = "EC keys must be on P-256 (ES256)";
      return nullptr;
    }
    key->algorithm = JwtAlgorithm::ES256;
  } else {
    *error = "unsupported key type: use an RSA (RS256) or P-256 EC (ES256) key";
    return nullptr;
  }
  key->public_key = std::move(pkey);
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(key)));
}

JwtAlgorithm JwtVerifier::algorithm() const { return key_->algorithm; }

JwtVerifyResult JwtVerifier::verify(std::string_view token, int64_t now) const {
  auto refuse = [](std::string why) { return JwtVerifyResult{std::nullopt, std::move(why)}; };
  if (token.size() > kMaxTokenBytes) return refuse("token too long");
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return refuse("malformed token: expected three dot-separated parts");
  auto header_json = b64url_decode(token.substr(0, dot1));
  auto payload_json = b64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = b64url_decode(token.substr(dot2 + 1));
  if (!header_json || !payload_json || !signature) return refuse("malformed token: invalid base64url");

  rapidjson::Document header;
  header.Parse(header_json->data(), header_json->size());
  if (header.HasParseError() || !header.IsObject()) return refuse("malformed token header");
  auto alg = header.FindMember("alg");
  if (alg == header.MemberEnd() || !alg->value.IsString()) return refuse("token header has no algorithm");
  std::string_view alg_name(alg->value.GetString(), alg->value.GetStringLength());
  if (alg_name != algorithm_name(key_->algorithm))
    return refuse("algorithm \"" + std::string(alg_name) + "\" is not accepted (expected " +
                  algorithm_name(key_->algorithm) + ")");
  if (auto typ = header.FindMember("typ"); typ != header.MemberEnd()) {
    if (!typ->value.IsString() || strcasecmp(typ->value.GetString(), "JWT") != 0) return refuse("token type is not JWT");
  }
  if (header.HasMember("crit")) return refuse("token header has critical extensions");

  std::string_view signing_input = token.substr(0, dot2);
  bool valid = false;
  if (key_->algorithm == JwtAlgorithm::HS256) {
    std::string mac = hmac_sha256(key_->secret, signing_input);
    valid = signature->size() == mac.size() && CRYPTO_memcmp(signature->data(), mac.data(), mac.size()) == 0;
  } else {
    std::string sig = *signature;
    if (key_->algorithm == JwtAlgorithm::ES256) {
      auto der = es256_raw_to_der(sig);
      if (!der) return refuse("invalid signature");
      sig = *der;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    valid = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->public_key.get()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
    EVP_MD_CTX_free(ctx);
  }
  if (!valid) return refuse("invalid signature");

  rapidjson::Document payload;
  payload.Parse(payload_json->data(), payload_json->size());
  if (payload.HasParseError() || !payload.IsObject()) return refuse("malformed token payload");
  JwtClaims claims;
  auto string_claim = [&](const char* name, std::string* out, bool required) -> std::optional<std::string> {
    auto it = payload.FindMember(name);
    if (it == payload.MemberEnd()) {
      if (required) return std::string("token has no \"") + name + "\" claim";
      return std::nullopt;
    }
    if (!it->value.IsString() || (required && it->value.GetStringLength() == 0))
      return std::string("token claim \"") + name + "\" must be a non-empty string";
    out->assign(it->value.GetString(), it->value.GetStringLength());
    return std::nullopt;
  };
  if (auto e = string_claim("sub", &claims.sub, true)) return refuse(*e);
  if (auto e = string_claim("sid", &claims.sid, true)) return refuse(*e);
  if (auto e = string_claim("room", &claims.room, false)) return refuse(*e);
  bool present = false;
  if (!get_number(payload, "iat", &claims.iat, &present)) return refuse("token claim \"iat\" must be a number");
  if (!present) return refuse("token has no \"iat\" claim");
  if (!get_number(payload, "exp", &claims.exp, &present)) return refuse("token claim \"exp\" must be a number");
  if (!present) return refuse("token has no \"exp\" claim");
  int64_t nbf = 0;
  if (!get_number(payload, "nbf", &nbf, &present)) return refuse("token claim \"nbf\" must be a number");
  if (present) claims.nbf = nbf;
  if (auto ro = payload.FindMember("ro"); ro != payload.MemberEnd()) {
    if (!ro->value.IsBool()) return refuse("token claim \"ro\" must be true or false");
    claims.ro = ro->value.GetBool();
  }

  if (now >= claims.exp + kLeewaySeconds) return refuse("token expired");
  if (claims.nbf && now + kLeewaySeconds < *claims.nbf) return refuse("token not yet valid");
  if (claims.iat > now + kLeewaySeconds) return refuse("token issued in the future");
  return JwtVerifyResult{std::move(claims), {}};
}

std::string jwt_sign_hs256(std::string_view secret, const JwtClaims& claims) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("sub");
  w.String(claims.sub.data(), rapidjson::SizeType(claims.sub.size()));
  w.Key("sid");
  w.String(claims.sid.data(), rapidjson::SizeType(claims.sid.size()));
  w.Key("iat");
  w.Int64(claims.iat);
  w.Key("exp");
  w.Int64(claims.exp);
  if (claims.nbf) {
    w.Key("nbf");
    w.Int64(*claims.nbf);
  }
  if (!claims.room.empty()) {
    w.Key("room");
    w.String(claims.room.data(), rapidjson::SizeType(claims.room.size()));
  }
  if (claims.ro) {
    w.Key("ro");
    w.Bool(true);
  }
  w.EndObject();
  std::string input = b64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                      b64url_encode(std::string_view(buf.GetString(), buf.GetSize()));
  return input + "." + b64url_encode(hmac_sha256(secret, input));
}

std::string new_session_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

JwtAuthenticator::JwtAuthenticator(std::unique_ptr<JwtVerifier> verifier, bool allow_anonymous)
    : verifier_(std::move(verifier)), allow_anonymous_(allow_anonymous) {}

std::unique_ptr<JwtAuthenticator> JwtAuthenticator::anonymous_only() {
  return std::make_unique<JwtAuthenticator>(nullptr, true);
}

AuthResult JwtAuthenticator::authenticate(const AuthRequest& request) {
  if (request.token.empty()) {
    if (allow_anonymous_) return AuthResult::accept({"anonymous", new_session_id(), "", false});
    return AuthResult::refuse("missing token");
  }
  if (!verifier_) return AuthResult::refuse("tokens are not accepted: no key configured");
  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  JwtVerifyResult r = verifier_->verify(request.token, now);
  if (!r.claims) return AuthResult::refuse(r.error);
  Identity id{std::move(r.claims->sub), std::move(r.claims->sid), std::move(r.claims->room), r.claims->ro};
  if (!id.may_enter(request.room))
    return AuthResult::refuse("token is not valid for room \"" + std::string(request.room) + "\"");
  return AuthResult::accept(std::move(id));
}

}  // namespace conflux

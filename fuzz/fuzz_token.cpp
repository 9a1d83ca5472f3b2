// SPDX-License-Identifier: Apache-2.0
// The token verifier on arbitrary input, against two verifiers that share an HS256 secret
// and hold one public key each (RSA for RS256, EC P-256 for ES256; the keys of fuzz/keys/,
// whose private halves signed the seeds and were thrown away).
//
// Byte 0 chooses how the rest becomes a token: even, the rest is the token as written
// (headers, encodings and signatures as they come); odd, the rest is a header and a payload
// separated by a newline, which the target encodes and signs with the HS256 secret, so that
// mutations reach the claims behind a valid signature.
//
// Rules: an outcome is a grant or one printable line that never repeats the token; both
// verifiers agree on an HS256 token; a token we signed never fails its signature; a grant
// is restricted, unexpired and within the claims' bounds, and a changed signature loses it.
// Any broken rule aborts, so the fuzzer reports it.
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "auth/token_verifier.h"
#include "protocol/text.h"

namespace presence::auth {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view secret = "fuzzing-secret";
// A fixed clock, so that an input means the same on every run: 2027-01-15, between the
// `nbf` and `exp` of the valid seeds.
const Clock::time_point now = Clock::time_point(std::chrono::seconds(1'800'000'000));

void require(bool holds, const char* rule, std::string_view token) {
    if (holds) return;
    std::fprintf(stderr, "broken: %s\ntoken: %.*s\n", rule, static_cast<int>(token.size()), token.data());
    std::abort();
}

AuthOptions with_key(const char* file) {
    AuthOptions options;
    options.hs256_secret = std::string(secret);
    options.public_key_file = std::string(PRESENCE_FUZZ_KEYS) + "/" + file;
    return options;
}

const TokenVerifier& rsa_verifier() {
    static const TokenVerifier verifier(with_key("rs256.pem"));
    return verifier;
}

const TokenVerifier& ec_verifier() {
    static const TokenVerifier verifier(with_key("es256.pem"));
    return verifier;
}

std::string base64url(std::string_view bytes) {
    std::string text = protocol::base64_encode(bytes);
    text.erase(text.find_last_not_of('=') + 1);
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    return text;
}

std::string hs256(std::string_view input) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac, &length);
    return std::string(reinterpret_cast<const char*>(mac), length);
}

// "header\npayload" as a compact JWS signed with the HS256 secret.
std::string signed_token(std::string_view parts) {
    const std::size_t newline = parts.find('\n');
    const std::string input = base64url(parts.substr(0, newline)) + "." +
                              base64url(newline == std::string_view::npos ? "" : parts.substr(newline + 1));
    return input + "." + base64url(hs256(input));
}

bool printable_line(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= ' ' && c < 0x7f; });
}

bool same(const TokenVerifier::Outcome& a, const TokenVerifier::Outcome& b) {
    if (a.error != b.error || a.grant.has_value() != b.grant.has_value()) return false;
    if (!a.grant) return true;
    const Grant& x = *a.grant;
    const Grant& y = *b.grant;
    return x.restricted == y.restricted && x.id == y.id && x.name == y.name && x.info == y.info &&
           x.user == y.user && x.join == y.join && x.publish == y.publish && x.expires == y.expires;
}

bool within_bounds(const std::optional<std::string>& claim) {
    return !claim || (!claim->empty() && claim->size() <= max_subject_bytes);
}

// The same token with the first byte of its signature changed, or "" when it has none.
std::string with_other_signature(std::string_view token) {
    const std::size_t dot = token.rfind('.');
    if (dot == std::string_view::npos) return {};
    std::string standard(token.substr(dot + 1));
    std::replace(standard.begin(), standard.end(), '-', '+');
    std::replace(standard.begin(), standard.end(), '_', '/');
    standard.append((4 - standard.size() % 4) % 4, '=');
    std::optional<std::string> signature = protocol::base64_decode(standard);
    if (!signature || signature->empty()) return {};
    (*signature)[0] = static_cast<char>((*signature)[0] ^ 1);
    return std::string(token.substr(0, dot + 1)) + base64url(*signature);
}

void check_outcome(const TokenVerifier::Outcome& outcome, std::string_view token) {
    require(outcome.grant.has_value() == outcome.error.empty(), "a token gets a grant or a reason", token);
    if (!outcome.grant) {
        require(printable_line(outcome.error), "a refusal is one printable line", outcome.error);
        require(token.size() < 16 || outcome.error.find(token) == std::string::npos,
                "a refusal never repeats the token", token);
        return;
    }
    const Grant& grant = *outcome.grant;
    require(grant.restricted, "a token's grant is restricted", token);
    require(grant.expires && *grant.expires > now, "a grant has not ended yet", token);
    // A token with neither `user` nor `sub` makes a member of no user: "".
    require(within_bounds(grant.id) && grant.user && grant.user->size() <= max_subject_bytes &&
                (!grant.user->empty() || !grant.id),
            "sub is 1 to 256 bytes, user is too, or empty when there is no sub", token);
}

// The `alg` of a header text, or "" when it has none.
std::string algorithm_of(std::string_view header) {
    boost::json::error_code ec;
    const boost::json::value value = boost::json::parse(header, ec);
    if (ec || !value.is_object()) return {};
    const boost::json::value* alg = value.as_object().if_contains("alg");
    return alg && alg->is_string() ? std::string(alg->get_string()) : std::string();
}

void check(std::string_view input) {
    if (input.empty()) return;
    const bool signed_here = (static_cast<unsigned char>(input[0]) & 1) != 0;
    const std::string_view rest = input.substr(1);
    const std::string token = signed_here ? signed_token(rest) : std::string(rest);

    const TokenVerifier::Outcome by_rsa = rsa_verifier().verify(token, now);
    const TokenVerifier::Outcome by_ec = ec_verifier().verify(token, now);
    check_outcome(by_rsa, token);
    check_outcome(by_ec, token);
    // The verifiers differ in their public key only.
    require(same(by_rsa, by_ec) || by_rsa.error == "no key for algorithm ES256" ||
                by_ec.error == "no key for algorithm RS256",
            "the verifiers agree wherever their public keys play no part", token);
    if (signed_here && by_rsa.error == "bad signature")
        require(algorithm_of(rest.substr(0, rest.find('\n'))) != "HS256",
                "a token signed with the secret passes the HS256 check", token);

    for (const TokenVerifier* verifier : {&rsa_verifier(), &ec_verifier()}) {
        const TokenVerifier::Outcome& outcome = verifier == &rsa_verifier() ? by_rsa : by_ec;
        require(same(outcome, verifier->verify(token, now)), "verifying twice gives the same outcome", token);
        if (!outcome.grant) continue;
        const std::string forged = with_other_signature(token);
        require(!forged.empty() && !verifier->verify(forged, now).grant, "a grant needs its signature", token);
    }
}

}  // namespace
}  // namespace presence::auth

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    presence::auth::check(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}

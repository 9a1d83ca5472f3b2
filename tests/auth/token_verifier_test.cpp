// SPDX-License-Identifier: Apache-2.0
#include "auth/token_verifier.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "test_tokens.h"

namespace presence::auth {
namespace {

using namespace std::chrono_literals;
using test::base64url;
using test::jws;

const auto now = std::chrono::system_clock::time_point(1'700'000'000s);
const std::string secret = "a shared secret of thirty-two bytes or more";
constexpr std::string_view hs256_header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view rs256_header = R"({"alg":"RS256","typ":"JWT"})";
constexpr std::string_view es256_header = R"({"alg":"ES256","typ":"JWT","kid":"key-1"})";
// Valid for ten minutes from `now`.
constexpr std::string_view minimal_claims = R"({"exp":1700000600})";
constexpr std::string_view every_claim = R"({
    "sub": "alice", "name": "Alice", "info": "{\"role\":\"admin\"}",
    "channels": ["lobby", "team:*"], "publish": ["team:*"],
    "exp": 1700000600, "nbf": 1699999990, "iat": 1699999990, "iss": "ignored"})";

TokenVerifier secret_verifier() {
    AuthOptions options;
    options.hs256_secret = secret;
    return TokenVerifier(options);
}

// The key file exists only while the verifier is built: it reads the key once.
TokenVerifier public_key_verifier(const test::Key& key, std::string hs256_secret = {}) {
    const test::TemporaryFile file(test::public_pem(key));
    AuthOptions options;
    options.hs256_secret = std::move(hs256_secret);
    options.public_key_file = file.path();
    return TokenVerifier(options);
}

std::string refusal(const TokenVerifier& verifier, std::string_view token) {
    const TokenVerifier::Outcome outcome = verifier.verify(token, now);
    EXPECT_FALSE(outcome.grant) << token;
    return outcome.error;
}

Grant granted(const TokenVerifier& verifier, std::string_view token) {
    const TokenVerifier::Outcome outcome = verifier.verify(token, now);
    EXPECT_TRUE(outcome.error.empty()) << outcome.error;
    if (!outcome.grant) throw std::runtime_error("refused: " + outcome.error);
    return *outcome.grant;
}

std::string hs256_token(std::string_view claims) {
    return jws(hs256_header, claims, test::hs256(secret));
}

std::string hs256_refusal(std::string_view claims) {
    return refusal(secret_verifier(), hs256_token(claims));
}

Grant hs256_grant(std::string_view claims) {
    return granted(secret_verifier(), hs256_token(claims));
}

// Why a token of this header, valid claims and an HMAC with the right secret is refused.
std::string header_refusal(std::string_view header) {
    return refusal(secret_verifier(), jws(header, minimal_claims, test::hs256(secret)));
}

void expect_every_claim(const Grant& grant) {
    EXPECT_TRUE(grant.restricted);
    EXPECT_EQ(grant.id, "alice");
    EXPECT_EQ(grant.name, "Alice");
    EXPECT_EQ(grant.info, R"({"role":"admin"})");
    EXPECT_EQ(grant.join, (ChannelPatterns{"lobby", "team:*"}));
    EXPECT_EQ(grant.publish, (ChannelPatterns{"team:*"}));
    EXPECT_EQ(grant.user, "alice");  // no user claim: the subject
    EXPECT_FALSE(grant.namespace_guid);
    EXPECT_EQ(grant.expires, now + 600s + clock_leeway);
}

TEST(TokenVerifier, Hs256TokenMapsEveryClaim) {
    expect_every_claim(granted(secret_verifier(), hs256_token(every_claim)));
}

TEST(TokenVerifier, Rs256TokenMapsEveryClaim) {
    const test::Key key = test::rsa_key();
    const std::string token = jws(rs256_header, every_claim, test::rs256(key));
    expect_every_claim(granted(public_key_verifier(key), token));
}

TEST(TokenVerifier, Es256TokenMapsEveryClaim) {
    const test::Key key = test::ec_key();
    const std::string token = jws(es256_header, every_claim, test::es256(key));
    expect_every_claim(granted(public_key_verifier(key), token));
}

TEST(TokenVerifier, SecretAndPublicKeyWorkSideBySide) {
    const test::Key key = test::ec_key();
    const TokenVerifier verifier = public_key_verifier(key, secret);
    EXPECT_TRUE(verifier.verify(hs256_token(minimal_claims), now).grant);
    EXPECT_TRUE(verifier.verify(jws(es256_header, minimal_claims, test::es256(key)), now).grant);
}

TEST(TokenVerifier, MinimalTokenFixesNothingButMayJoinNothing) {
    const Grant grant = granted(secret_verifier(), hs256_token(minimal_claims));
    EXPECT_TRUE(grant.restricted);
    EXPECT_FALSE(grant.id);
    EXPECT_FALSE(grant.name);
    EXPECT_FALSE(grant.info);
    EXPECT_EQ(grant.user, "");  // fixed: no user
    EXPECT_FALSE(grant.namespace_guid);
    EXPECT_TRUE(grant.may_enter("sales"));
    EXPECT_TRUE(grant.join.empty());
    EXPECT_TRUE(grant.publish.empty());
    EXPECT_FALSE(grant.may_join("lobby"));
    EXPECT_EQ(grant.expires, now + 600s + clock_leeway);
}

TEST(TokenVerifier, PublishDefaultsToChannels) {
    const Grant grant = hs256_grant(R"({"exp":1700000600,"channels":["a","b:*"]})");
    EXPECT_EQ(grant.join, (ChannelPatterns{"a", "b:*"}));
    EXPECT_EQ(grant.publish, (ChannelPatterns{"a", "b:*"}));
}

TEST(TokenVerifier, EmptyPublishListAllowsNoPublishing) {
    const Grant grant = hs256_grant(R"({"exp":1700000600,"channels":["a"],"publish":[]})");
    EXPECT_EQ(grant.join, (ChannelPatterns{"a"}));
    EXPECT_TRUE(grant.publish.empty());
}

TEST(TokenVerifier, FractionalTimesAreAccepted) {
    const Grant grant = hs256_grant(R"({"exp":1700000600.5,"nbf":1.5e9})");
    EXPECT_EQ(grant.expires, now + 600500ms + clock_leeway);
}

// Only its type is checked: a token issued "in the future" by a skewed clock still works.
TEST(TokenVerifier, IatIsCheckedForItsTypeOnly) {
    EXPECT_EQ(hs256_grant(R"({"exp":1700000600,"iat":1800000000})").expires, now + 600s + clock_leeway);
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"iat":"tomorrow"})"), "claim iat must be a number");
}

// Under authentication a member's user is never its own to choose, so the grant always
// fixes one, "" meaning none.
TEST(TokenVerifier, UserIsTheUserClaimElseTheSubjectElseNone) {
    EXPECT_EQ(hs256_grant(R"({"exp":1700000600,"sub":"tab-1","user":"alice"})").user, "alice");
    EXPECT_EQ(hs256_grant(R"({"exp":1700000600,"user":"alice"})").user, "alice");
    EXPECT_EQ(hs256_grant(R"({"exp":1700000600,"sub":"alice"})").user, "alice");
    EXPECT_EQ(hs256_grant(R"({"exp":1700000600})").user, "");
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"sub":"alice","user":""})"), "claim user must be 1 to 256 bytes");
}

TEST(TokenVerifier, NamespaceClaimNamesTheOnlyNamespaceReached) {
    const Grant sales = hs256_grant(R"({"exp":1700000600,"ns":"sales"})");
    EXPECT_EQ(sales.namespace_guid, "sales");
    EXPECT_TRUE(sales.may_enter("sales"));
    EXPECT_FALSE(sales.may_enter(""));
    EXPECT_FALSE(sales.may_enter("Sales"));

    const Grant default_only = hs256_grant(R"({"exp":1700000600,"ns":""})");
    EXPECT_EQ(default_only.namespace_guid, "");
    EXPECT_TRUE(default_only.may_enter(""));
    EXPECT_FALSE(default_only.may_enter("sales"));

    EXPECT_TRUE(hs256_grant(R"({"exp":1700000600,"ns":")" + std::string(100, 'g') + R"("})").may_enter(std::string(100, 'g')));
}

TEST(TokenVerifier, NamespaceClaimMustBeAGuid) {
    for (const std::string& ns : {std::string("two words"), std::string(101, 'g'), std::string("caf\u00e9"),
                                 std::string(R"(tab\t)")})
        EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"ns":")" + ns + R"("})"), "claim ns must name a namespace") << ns;
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"ns":["sales"]})"), "claim ns must be a string");
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"ns":null})"), "claim ns must be a string");
}

// RFC 7519 lets a reader keep the last of two equal claim names; Boost.JSON does, and a
// token read by it and by another reader would then mean two things.
TEST(TokenVerifier, DuplicateClaimsAreRefused) {
    EXPECT_EQ(hs256_refusal(R"({"exp":1699999000,"exp":1700000600})"), "duplicate claim exp");
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"channels":["a"],"sub":"x","channels":["*"]})"),
              "duplicate claim channels");
    // The same name, once escaped.
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"\u0065xp":1699999000})"), "duplicate claim exp");
    // In an object inside the payload too; the name is not echoed when it looks odd.
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"x":{"a":1,"b":[{"a":1}],"a":2}})"), "duplicate claim a");
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"a\nb":1,"a\nb":2})"), "duplicate claim");
    // Equal names in different objects are no duplicates.
    EXPECT_EQ(hs256_grant(R"({"exp":1700000600,"x":{"exp":1},"y":[{"exp":2},{"exp":3}]})").expires,
              now + 600s + clock_leeway);
}

TEST(TokenVerifier, DuplicateHeaderParametersAreRefused) {
    EXPECT_EQ(header_refusal(R"({"alg":"none","alg":"HS256"})"), "duplicate header parameter alg");
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","typ":"JWT","typ":"JWT"})"), "duplicate header parameter typ");
}

TEST(TokenVerifier, HeaderTypAndKidMustBeStrings) {
    EXPECT_TRUE(secret_verifier().verify(jws(R"({"alg":"HS256","typ":"at+jwt","kid":"k"})", minimal_claims,
                                             test::hs256(secret)), now).grant);
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","typ":1})"), "header typ must be a string");
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","kid":null})"), "header kid must be a string");
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","kid":["a"]})"), "header kid must be a string");
}

TEST(TokenVerifier, BadSignatureIsRefused) {
    const std::string hs256 = jws(hs256_header, minimal_claims, test::hs256("another secret"));
    EXPECT_EQ(refusal(secret_verifier(), hs256), "bad signature");

    const std::string rs256 = jws(rs256_header, minimal_claims, test::rs256(test::rsa_key()));
    EXPECT_EQ(refusal(public_key_verifier(test::rsa_key()), rs256), "bad signature");

    const std::string es256 = jws(es256_header, minimal_claims, test::es256(test::ec_key()));
    EXPECT_EQ(refusal(public_key_verifier(test::ec_key()), es256), "bad signature");
}

TEST(TokenVerifier, SignatureOfTheWrongLengthIsRefused) {
    const test::Key ec = test::ec_key();
    const auto truncated = [](test::Signer sign) {
        return [sign](std::string_view input) { return sign(input).substr(1); };
    };
    const std::string hs256 = jws(hs256_header, minimal_claims, truncated(test::hs256(secret)));
    EXPECT_EQ(refusal(secret_verifier(), hs256), "bad signature");

    const std::string es256 = jws(es256_header, minimal_claims, truncated(test::es256(ec)));
    EXPECT_EQ(refusal(public_key_verifier(ec), es256), "bad signature");

    const std::string unsigned_token = hs256.substr(0, hs256.rfind('.') + 1);
    EXPECT_EQ(refusal(secret_verifier(), unsigned_token), "bad signature");
}

TEST(TokenVerifier, TamperedPayloadIsRefused) {
    const std::string token = hs256_token(R"({"exp":1700000600,"channels":["lobby"]})");
    const std::string forged_payload = base64url(R"({"exp":1700000600,"channels":["*"]})");
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot = token.find('.', first_dot + 1);
    const std::string forged =
        token.substr(0, first_dot + 1) + forged_payload + token.substr(second_dot);
    EXPECT_EQ(refusal(secret_verifier(), forged), "bad signature");
}

TEST(TokenVerifier, ExpiredTokenIsRefused) {
    EXPECT_EQ(hs256_refusal(R"({"exp":1699999000})"), "token expired");
}

TEST(TokenVerifier, ExpiryIsWidenedByTheLeeway) {
    EXPECT_EQ(hs256_grant(R"({"exp":1699999971})").expires, now + 1s);
    EXPECT_EQ(hs256_refusal(R"({"exp":1699999970})"), "token expired");
}

TEST(TokenVerifier, NotBeforeInTheFutureIsRefused) {
    EXPECT_EQ(hs256_refusal(R"({"exp":1700000600,"nbf":1700000031})"), "token not yet valid");
}

TEST(TokenVerifier, NotBeforeIsWidenedByTheLeeway) {
    EXPECT_EQ(hs256_grant(R"({"exp":1700000600,"nbf":1700000030})").expires, now + 600s + clock_leeway);
}

TEST(TokenVerifier, AlgNoneIsRefused) {
    const std::string token = base64url(R"({"alg":"none"})") + "." + base64url(minimal_claims) + ".";
    EXPECT_EQ(refusal(secret_verifier(), token), "unsupported algorithm none");
    for (const std::string_view alg : {"None", "NONE", "nOnE"}) {
        const std::string header = R"({"alg":")" + std::string(alg) + R"("})";
        const std::string spelled = base64url(header) + "." + base64url(minimal_claims) + ".";
        EXPECT_EQ(refusal(secret_verifier(), spelled), "unsupported algorithm " + std::string(alg));
    }
}

TEST(TokenVerifier, UnsupportedAlgorithmIsRefused) {
    EXPECT_EQ(header_refusal(R"({"alg":"RS512"})"), "unsupported algorithm RS512");
    EXPECT_EQ(header_refusal(R"({"alg":"hs256"})"), "unsupported algorithm hs256");
}

TEST(TokenVerifier, OddAlgorithmNamesAreNotEchoed) {
    EXPECT_EQ(header_refusal(R"({"alg":"HS256\nforged log line"})"), "unsupported algorithm");
    EXPECT_EQ(header_refusal(R"({"alg":""})"), "unsupported algorithm");
}

TEST(TokenVerifier, HeaderAlgMustBeAString) {
    EXPECT_EQ(header_refusal(R"({"typ":"JWT"})"), "header alg must be a string");
    EXPECT_EQ(header_refusal(R"({"alg":["HS256"]})"), "header alg must be a string");
}

TEST(TokenVerifier, CriticalHeaderExtensionsAreRefused) {
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","crit":["exp"],"exp":1})"), "unsupported header crit");
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","crit":["b64"],"b64":false})"), "unsupported header crit");
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","crit":[]})"), "unsupported header crit");
    EXPECT_EQ(header_refusal(R"({"alg":"HS256","crit":null})"), "unsupported header crit");
}

// The key-confusion attack: a verifier that let the token's `alg` choose how to use the
// RSA key would check this HMAC with the public key's text as the secret, and accept it.
TEST(TokenVerifier, HmacSignedWithThePublicKeyIsRefused) {
    const test::Key key = test::rsa_key();
    const std::string token = jws(hs256_header, minimal_claims, test::hs256(test::public_pem(key)));
    EXPECT_EQ(refusal(public_key_verifier(key), token), "no key for algorithm HS256");
    EXPECT_EQ(refusal(public_key_verifier(key, secret), token), "bad signature");
}

TEST(TokenVerifier, Rs256WithOnlyASecretIsRefused) {
    const test::Key key = test::rsa_key();
    EXPECT_EQ(refusal(secret_verifier(), jws(rs256_header, minimal_claims, test::rs256(key))),
              "no key for algorithm RS256");
}

TEST(TokenVerifier, AlgorithmOfTheOtherKeyTypeIsRefused) {
    const test::Key rsa = test::rsa_key();
    const test::Key ec = test::ec_key();
    EXPECT_EQ(refusal(public_key_verifier(rsa), jws(es256_header, minimal_claims, test::es256(ec))),
              "no key for algorithm ES256");
    EXPECT_EQ(refusal(public_key_verifier(ec), jws(rs256_header, minimal_claims, test::rs256(rsa))),
              "no key for algorithm RS256");
}

TEST(TokenVerifier, VerifierWithoutKeysRefusesEverything) {
    const TokenVerifier verifier{AuthOptions{}};
    EXPECT_EQ(refusal(verifier, hs256_token(minimal_claims)), "no key for algorithm HS256");
}

TEST(TokenVerifier, MalformedTokensAreRefused) {
    const TokenVerifier verifier = secret_verifier();
    const std::string header = base64url(hs256_header);
    const std::string payload = base64url(minimal_claims);
    const std::string signature = base64url(test::hs256(secret)(header + "." + payload));
    ASSERT_TRUE(verifier.verify(header + "." + payload + "." + signature, now).grant);

    for (const std::string& token : {
             std::string(),
             header + "." + payload,                                   // two parts
             header + "." + payload + "." + signature + ".",           // four parts
             header + "." + payload + "." + signature + "=",           // padding
             header + "=." + payload + "." + signature,
             header + "." + payload + "." + signature + "AA",          // 4n+1 characters
             header + "." + payload + "!" + "." + signature,           // outside the alphabet
             header + "." + payload + "." + signature.substr(0, 42) + "+",  // standard Base64
             header + "." + payload + " ." + signature,
         })
        EXPECT_EQ(refusal(verifier, token), "malformed token") << token;

    // 43 characters hold 258 bits for the 256 of the MAC: the last two must be zero, or
    // several texts would decode to the same signature.
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    ASSERT_EQ(signature.size(), 43u);
    const char non_canonical = alphabet[alphabet.find(signature.back()) | 1];
    const std::string token = header + "." + payload + "." + signature.substr(0, 42) + non_canonical;
    EXPECT_EQ(refusal(verifier, token), "malformed token");
}

TEST(TokenVerifier, HeaderMustBeAJsonObject) {
    for (const std::string_view header :
         {"not json", R"(["alg","HS256"])", R"("HS256")", R"({"alg":"HS256")", ""})
        EXPECT_EQ(header_refusal(header), "header is not a JSON object") << header;
}

TEST(TokenVerifier, PayloadMustBeAJsonObject) {
    for (const std::string_view payload :
         {"not json", "[1700000600]", "1700000600", "", R"({"exp":1700000600)", "{\"s\":\"\xff\"}"})
        EXPECT_EQ(hs256_refusal(payload), "payload is not a JSON object") << payload;
}

TEST(TokenVerifier, MissingExpIsRefused) {
    EXPECT_EQ(hs256_refusal(R"({"sub":"alice"})"), "claim exp is required");
}

TEST(TokenVerifier, WrongClaimTypesAreRefused) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {R"({"exp":"1700000600"})", "claim exp must be a number"},
        {R"({"exp":true})", "claim exp must be a number"},
        {R"({"exp":null})", "claim exp must be a number"},
        {R"({"exp":1700000600,"nbf":"now"})", "claim nbf must be a number"},
        {R"({"exp":1700000600,"nbf":false})", "claim nbf must be a number"},
        {R"({"exp":[1700000600]})", "claim exp must be a number"},
        {R"({"exp":{"at":1700000600}})", "claim exp must be a number"},
        {R"({"exp":1700000600,"iat":null})", "claim iat must be a number"},
        {R"({"exp":1700000600,"iat":1e400})", "claim iat out of range"},
        {R"({"exp":1e300})", "claim exp out of range"},
        {R"({"exp":1e400})", "claim exp out of range"},
        {R"({"exp":1700000600,"nbf":-1e300})", "claim nbf out of range"},
        {R"({"exp":1700000600,"sub":42})", "claim sub must be a string"},
        {R"({"exp":1700000600,"name":null})", "claim name must be a string"},
        {R"({"exp":1700000600,"info":{"role":"admin"}})", "claim info must be a string"},
        {R"({"exp":1700000600,"channels":"lobby"})", "claim channels must be an array of strings"},
        {R"({"exp":1700000600,"channels":["a",7]})", "claim channels must be an array of strings"},
        {R"({"exp":1700000600,"publish":[null]})", "claim publish must be an array of strings"},
    };
    for (const auto& [claims, error] : cases) EXPECT_EQ(hs256_refusal(claims), error) << claims;
}

TEST(TokenVerifier, SubjectIsOneTo256Bytes) {
    const TokenVerifier verifier = secret_verifier();
    const auto with_subject = [](std::size_t bytes) {
        return hs256_token(R"({"exp":1700000600,"sub":")" + std::string(bytes, 's') + R"("})");
    };
    EXPECT_EQ(refusal(verifier, with_subject(0)), "claim sub must be 1 to 256 bytes");
    EXPECT_EQ(granted(verifier, with_subject(1)).id, "s");
    EXPECT_EQ(granted(verifier, with_subject(256)).id, std::string(256, 's'));
    EXPECT_EQ(refusal(verifier, with_subject(257)), "claim sub must be 1 to 256 bytes");
}

TEST(TokenVerifier, TokensOverTheSizeLimitAreRefused) {
    const TokenVerifier verifier = secret_verifier();
    const auto with_info = [](std::size_t bytes) {
        return hs256_token(R"({"exp":1700000600,"info":")" + std::string(bytes, 'i') + R"("})");
    };
    std::size_t bytes = 0;
    while (with_info(bytes + 1).size() <= max_token_bytes) ++bytes;
    EXPECT_TRUE(verifier.verify(with_info(bytes), now).grant);
    EXPECT_GT(with_info(bytes + 1).size(), max_token_bytes);
    EXPECT_EQ(refusal(verifier, with_info(bytes + 1)), "token too long");
    EXPECT_EQ(refusal(verifier, std::string(max_token_bytes + 1, '.')), "token too long");
}

TEST(TokenVerifier, RefusalsDoNotEchoTheToken) {
    const std::string token = jws(hs256_header, R"({"exp":1700000600,"sub":"secret-subject"})",
                                  test::hs256("wrong"));
    const std::string error = refusal(secret_verifier(), token);
    EXPECT_EQ(error.find(token.substr(0, 10)), std::string::npos);
    EXPECT_EQ(error.find("secret-subject"), std::string::npos);
}

TEST(TokenVerifier, UnreadableKeyFileThrowsNamingIt) {
    AuthOptions options;
    options.public_key_file = "no-such-directory/key.pem";
    try {
        TokenVerifier verifier(options);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string_view(e.what()).find(options.public_key_file), std::string::npos)
            << e.what();
    }
}

TEST(TokenVerifier, KeyFileWithoutAUsableKeyThrowsNamingIt) {
    const std::string contents[] = {
        "not a key\n",
        test::private_pem(test::ec_key()),  // a public key file, never a private one
        test::public_pem(test::ec_key("P-384")),
        test::public_pem(test::rsa_key(1024)),
    };
    for (const std::string& content : contents) {
        const test::TemporaryFile file(content);
        AuthOptions options;
        options.public_key_file = file.path();
        try {
            TokenVerifier verifier(options);
            ADD_FAILURE() << "no exception for " << content;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string_view(e.what()).find(file.path()), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace presence::auth

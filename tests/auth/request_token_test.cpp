// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "auth/token_verifier.h"

namespace presence::auth {
namespace {

TEST(TokenOf, ReadsTheQueryParameter) {
    EXPECT_EQ(token_of("/?token=a.b.c", ""), "a.b.c");
    EXPECT_EQ(token_of("/presence?room=1&token=a.b.c&lang=en", ""), "a.b.c");
    EXPECT_EQ(token_of("/?token=a.b.c&token=d.e.f", ""), "a.b.c");
}

TEST(TokenOf, PercentDecodesTheQueryParameter) {
    EXPECT_EQ(token_of("/?token=a%2Eb%2ec%5F-", ""), "a.b.c_-");
    EXPECT_EQ(token_of("/?token=a+b", ""), "a+b");
}

TEST(TokenOf, BadPercentEncodingIsReturnedAsWritten) {
    EXPECT_EQ(token_of("/?token=a%zzb", ""), "a%zzb");
    EXPECT_EQ(token_of("/?token=ab%4", ""), "ab%4");
    EXPECT_EQ(token_of("/?token=ab%", "Bearer x.y.z"), "ab%");
}

TEST(TokenOf, OnlyAParameterNamedTokenCounts) {
    EXPECT_EQ(token_of("/?mytoken=a&tokens=b&Token=c", ""), std::nullopt);
    EXPECT_EQ(token_of("/token=a", ""), std::nullopt);
}

TEST(TokenOf, ReadsTheBearerHeader) {
    EXPECT_EQ(token_of("/", "Bearer a.b.c"), "a.b.c");
    EXPECT_EQ(token_of("/?room=1", "Bearer a.b.c"), "a.b.c");
}

TEST(TokenOf, QueryParameterWinsOverTheHeader) {
    EXPECT_EQ(token_of("/?token=from.the.query", "Bearer from.the.header"), "from.the.query");
}

TEST(TokenOf, NoneWithoutEither) {
    EXPECT_EQ(token_of("/", ""), std::nullopt);
    EXPECT_EQ(token_of("/?room=1", ""), std::nullopt);
}

TEST(TokenOf, EmptyTokenCountsAsNone) {
    EXPECT_EQ(token_of("/?token=", ""), std::nullopt);
    EXPECT_EQ(token_of("/?token", ""), std::nullopt);
    EXPECT_EQ(token_of("/?token=&room=1", "Bearer a.b.c"), "a.b.c");
    EXPECT_EQ(token_of("/", "Bearer "), std::nullopt);
    EXPECT_EQ(token_of("/", "Bearer"), std::nullopt);
}

TEST(TokenOf, BearerSchemeIsCaseInsensitive) {
    EXPECT_EQ(token_of("/", "bearer a.b.c"), "a.b.c");
    EXPECT_EQ(token_of("/", "BEARER a.b.c"), "a.b.c");
}

TEST(TokenOf, SpacesAroundTheTokenAreTrimmed) {
    EXPECT_EQ(token_of("/", "Bearer   a.b.c  "), "a.b.c");
    EXPECT_EQ(token_of("/", " \tBearer a.b.c"), "a.b.c");
}

TEST(TokenOf, OtherSchemesCarryNoToken) {
    EXPECT_EQ(token_of("/", "Basic dXNlcjpwYXNz"), std::nullopt);
    EXPECT_EQ(token_of("/", "Bearera.b.c"), std::nullopt);
    EXPECT_EQ(token_of("/", "Bearer\ta.b.c"), std::nullopt);
    EXPECT_EQ(token_of("/", "Token a.b.c"), std::nullopt);
}

TEST(TokenOf, SpacesInsideTheTokenAreKept) {
    // It is then refused as malformed, not taken for a shorter token.
    EXPECT_EQ(token_of("/", "Bearer a.b c"), "a.b c");
}

}  // namespace
}  // namespace presence::auth

// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "auth/token_verifier.h"
#include "domain/grant.h"

namespace presence {
namespace {

TEST(Matches, ExactNames) {
    const ChannelPatterns patterns{"lobby", "team"};
    EXPECT_TRUE(matches(patterns, "lobby"));
    EXPECT_TRUE(matches(patterns, "team"));
    EXPECT_FALSE(matches(patterns, "lobby2"));
    EXPECT_FALSE(matches(patterns, "lobb"));
    EXPECT_FALSE(matches(patterns, "Lobby"));
}

TEST(Matches, Prefixes) {
    const ChannelPatterns patterns{"team:*"};
    EXPECT_TRUE(matches(patterns, "team:a"));
    EXPECT_TRUE(matches(patterns, "team:"));
    EXPECT_FALSE(matches(patterns, "team"));
    EXPECT_FALSE(matches(patterns, "teams:a"));
}

TEST(Matches, StarMatchesEveryChannel) {
    const ChannelPatterns patterns{"*"};
    EXPECT_TRUE(matches(patterns, "lobby"));
    EXPECT_TRUE(matches(patterns, "team:a"));
    EXPECT_TRUE(matches(patterns, ""));
}

TEST(Matches, OnlyStarMatchesTheEmptyChannel) {
    EXPECT_FALSE(matches(ChannelPatterns{"lobby", "team:*", ""}, ""));
    EXPECT_FALSE(matches(ChannelPatterns{}, ""));
    EXPECT_FALSE(matches(ChannelPatterns{}, "lobby"));
}

TEST(AnonymousGrant, RestrictsToThePublicChannels) {
    AuthOptions options;
    options.allow_anonymous = true;
    options.public_channels = {"lobby", "public:*"};
    const Grant grant = auth::anonymous_grant(options);
    EXPECT_TRUE(grant.restricted);
    EXPECT_FALSE(grant.id);
    EXPECT_FALSE(grant.name);
    EXPECT_FALSE(grant.info);
    EXPECT_EQ(grant.user, "");  // fixed: an anonymous member may not declare a user
    EXPECT_FALSE(grant.namespace_guid);
    EXPECT_TRUE(grant.may_enter("sales"));
    EXPECT_FALSE(grant.expires);
    EXPECT_EQ(grant.join, options.public_channels);
    EXPECT_EQ(grant.publish, options.public_channels);
    EXPECT_TRUE(grant.may_join("public:news"));
    EXPECT_TRUE(grant.may_publish("lobby"));
    EXPECT_FALSE(grant.may_join("team:a"));
    EXPECT_FALSE(grant.may_publish(""));
}

TEST(AnonymousGrant, WithoutPublicChannelsMayJoinNothing) {
    const Grant grant = auth::anonymous_grant(AuthOptions{});
    EXPECT_TRUE(grant.restricted);
    EXPECT_FALSE(grant.may_join("lobby"));
    EXPECT_FALSE(grant.may_join(""));
}

}  // namespace
}  // namespace presence

// SPDX-License-Identifier: Apache-2.0
// The application's answers to the HTTP hooks, read as decisions.
#include "server/http_hooks.h"

#include <gtest/gtest.h>

namespace presence {
namespace {

TEST(HookAnswer, AnAllowGoesOnAsIs) {
    const auto decision = parse_hook_answer(HookEvent::publish, R"({"allow": true})");
    ASSERT_TRUE(decision);
    EXPECT_TRUE(decision->allow);
    EXPECT_FALSE(decision->name);
    EXPECT_FALSE(decision->info);
}

TEST(HookAnswer, OnlyAJoinTakesReplacements) {
    const std::string body = R"j({"allow": true, "name": "bob (guest)", "info": "checked"})j";
    const auto join = parse_hook_answer(HookEvent::join, body);
    ASSERT_TRUE(join);
    EXPECT_EQ(join->name, "bob (guest)");
    EXPECT_EQ(join->info, "checked");
    const auto subscribe = parse_hook_answer(HookEvent::subscribe, body);
    ASSERT_TRUE(subscribe);
    EXPECT_FALSE(subscribe->name);
    const auto name_only = parse_hook_answer(HookEvent::join, R"({"allow": true, "name": "x", "info": 5})");
    ASSERT_TRUE(name_only);
    EXPECT_EQ(name_only->name, "x");
    EXPECT_FALSE(name_only->info);
}

TEST(HookAnswer, ARefusalCarriesTheEventsCodeUnlessItsOwnFits) {
    const auto plain = parse_hook_answer(HookEvent::invite, R"({"allow": false})");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->allow);
    EXPECT_EQ(plain->code, ErrorCode::invitation_denied);
    EXPECT_EQ(plain->text, "");
    const auto new_channel = parse_hook_answer(HookEvent::subscribe, R"({"allow": false, "code": 6, "text": "no"})");
    ASSERT_TRUE(new_channel);
    EXPECT_EQ(new_channel->code, ErrorCode::new_channel_denied);
    EXPECT_EQ(new_channel->text, "no");
    EXPECT_EQ(parse_hook_answer(HookEvent::join, R"({"allow": false, "code": 1})")->code,
              ErrorCode::member_already_exists);
    EXPECT_EQ(parse_hook_answer(HookEvent::publish, R"({"allow": false, "code": 6})")->code,
              ErrorCode::publish_denied);
    EXPECT_EQ(parse_hook_answer(HookEvent::get_members, R"({"allow": false, "code": -32602})")->code,
              ErrorCode::send_members_denied);
    EXPECT_EQ(parse_hook_answer(HookEvent::join, R"({"allow": false, "code": "2"})")->code,
              ErrorCode::new_member_denied);
}

TEST(HookAnswer, AnythingButAnObjectWithABooleanAllowIsNoDecision) {
    for (const char* body : {"", "yes", "[]", "{}", R"({"allow": "true"})", R"({"allow": 1})", "null",
                             R"({"allow": true)"})
        EXPECT_FALSE(parse_hook_answer(HookEvent::join, body)) << body;
}

}  // namespace
}  // namespace presence

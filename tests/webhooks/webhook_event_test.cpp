// SPDX-License-Identifier: Apache-2.0
#include "webhooks/webhook_event.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace presence {
namespace {

namespace json = boost::json;

TEST(WebhookEvent, MemberEventCarriesTheMember) {
    const Member ann{"id-1", "Ann \"A\"", "line\nbreak é"};
    EXPECT_EQ(webhook_event_json(WebhookEvent::member_added, "", "room", &ann, 1700000000123),
              R"({"name":"member_added","channel":"room","namespace":"","member":{"id":"id-1","name":"Ann \"A\"",)"
              R"("info":"line\nbreak é"},"time_ms":1700000000123})");
}

TEST(WebhookEvent, ChannelEventHasNoMember) {
    EXPECT_EQ(webhook_event_json(WebhookEvent::channel_vacated, "guid-1", "a \"b\"", nullptr, 5),
              R"({"name":"channel_vacated","channel":"a \"b\"","namespace":"guid-1","time_ms":5})");
}

TEST(WebhookEvent, EveryKindHasItsName) {
    EXPECT_EQ(name_of(WebhookEvent::channel_occupied), "channel_occupied");
    EXPECT_EQ(name_of(WebhookEvent::channel_vacated), "channel_vacated");
    EXPECT_EQ(name_of(WebhookEvent::member_added), "member_added");
    EXPECT_EQ(name_of(WebhookEvent::member_removed), "member_removed");
}

TEST(WebhookEvent, BodyListsTheEventsInOrder) {
    const Member bob{"b", "Bob", ""};
    const std::vector<std::string> events{
        webhook_event_json(WebhookEvent::channel_occupied, "", "room", nullptr, 1),
        webhook_event_json(WebhookEvent::member_added, "", "room", &bob, 2),
    };
    const std::string body = webhook_body("batch-1", 3, "node \"a\"", events);
    const json::object parsed = json::parse(body).as_object();
    EXPECT_EQ(parsed.at("id"), "batch-1");
    EXPECT_EQ(parsed.at("time_ms"), 3);
    EXPECT_EQ(parsed.at("node"), "node \"a\"");
    const json::array& list = parsed.at("events").as_array();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].at("name"), "channel_occupied");
    EXPECT_EQ(list[1].at("member").at("name"), "Bob");
    EXPECT_EQ(webhook_body("x", 0, "", {}), R"({"id":"x","time_ms":0,"node":"","events":[]})");
}

}  // namespace
}  // namespace presence

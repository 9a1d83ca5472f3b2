// SPDX-License-Identifier: Apache-2.0
// A frame's delivery as engines carry it between nodes: what the domain writes, it reads
// back whole; anything else is refused.
#include "domain/delivery.h"

#include <gtest/gtest.h>

namespace presence {
namespace {

void expect_same(const Delivery& a, const Delivery& b) {
    EXPECT_EQ(a.view, b.view);
    EXPECT_EQ(a.about, b.about);
    EXPECT_EQ(a.channel, b.channel);
    EXPECT_EQ(a.of_user, b.of_user);
    ASSERT_EQ(a.invitation.has_value(), b.invitation.has_value());
    if (!a.invitation) return;
    EXPECT_EQ(a.invitation->inviter_id, b.invitation->inviter_id);
    EXPECT_EQ(a.invitation->channel, b.invitation->channel);
    EXPECT_EQ(a.invitation->wants_answer, b.invitation->wants_answer);
}

Delivery read_back(const Delivery& d) {
    const std::string tag = delivery_tag(d);
    EXPECT_TRUE(is_delivery_tag(tag)) << tag;
    Delivery out;
    out.about = "left over";
    out.invitation = Invitation{"x", "y", true};
    EXPECT_TRUE(read_delivery_tag(tag, out)) << tag;
    return out;
}

TEST(DeliveryTag, ThePlainDeliveryOfAPublishIsEmpty) {
    EXPECT_EQ(delivery_tag(Delivery{}), "");
    expect_same(read_back(Delivery{}), Delivery{});
}

TEST(DeliveryTag, EveryViewComesBackWithItsMemberAndChannel) {
    for (const View view : {View::any, View::change, View::diff, View::count, View::user, View::update}) {
        Delivery d;
        d.view = view;
        d.about = "member 1";
        d.channel = "12:room\nwith: colons";
        d.of_user = view == View::change;
        expect_same(read_back(d), d);
    }
}

TEST(DeliveryTag, AnInvitationComesBackWithWhetherToAnswer) {
    for (const bool wants_answer : {false, true}) {
        Delivery d;
        d.invitation = Invitation{"inviter", "", wants_answer};
        expect_same(read_back(d), d);
        d.invitation->channel = "the room";
        expect_same(read_back(d), d);
    }
}

TEST(DeliveryTag, AnythingElseIsRefusedAndLeavesTheDeliveryAsItWas) {
    for (const std::string_view bad :
         {"c", "x00:0:", "c80:0:", "c40:0:", "c0", "c00:", "c00:0", "c02:a0:", "c0-1:0:", "c0:0:",
          "c00:0:x", "a20:0:0:", "a20:0:0:3:ab", "c09999999999999999999999:0:"}) {
        EXPECT_FALSE(is_delivery_tag(bad)) << bad;
        Delivery d;
        d.about = "kept";
        EXPECT_FALSE(read_delivery_tag(bad, d)) << bad;
        EXPECT_EQ(d.about, "kept");
    }
}

}  // namespace
}  // namespace presence

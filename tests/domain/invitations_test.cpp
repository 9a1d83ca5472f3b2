// SPDX-License-Identifier: Apache-2.0
// Invitations and the invitation-response extension: who is invited, how an inviter learns
// of an acceptance or a refusal, what is remembered and what is refused. Rates and caps
// of invitations are in limits_test.cpp; the wire in tests/interop/test_invitation.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service_fixture.h"

namespace presence {
namespace {

class InvitationsTest : public ServiceTest {
protected:
    void SetUp() override { start(); }

    // The inviter says hello with invitation-response, so that it hears the answers.
    void join_all() {
        ann = join(a, "Ann", {}, "invitation-response");
        bob = join(b, "Bob");
        cid = join(c, "Cid");
    }
    std::vector<Message> answers(const RecordingLink& link) const { return link.of(Method::invitation_response); }

    std::string ann, bob, cid;
};

TEST_F(InvitationsTest, EachInviteeGetsTheInviterAndTheChannel) {
    join_all();
    const std::size_t before = a.frames.size();
    invite(a, "room", {bob, cid});
    for (const RecordingLink* link : {&b, &c}) {
        ASSERT_EQ(link->of(Method::channel_invitation).size(), 1u);
        EXPECT_EQ(link->last().member, (Member{ann, "Ann", ""}));
        EXPECT_EQ(link->last().channel, "room");
    }
    EXPECT_EQ(a.frames.size(), before) << "a successful invitation is not answered";
    EXPECT_FALSE(engine.channel_exists("room")) << "the channel need not exist";
}

TEST_F(InvitationsTest, AnInvitationNeedsAChannelAndInvitees) {
    join_all();
    invite(a, "", {bob});
    EXPECT_EQ(last_error(a), -32602);
    invite(a, "room", {});
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_EQ(a.last().error->text, "members[] must name the invitees");
    send(a, Method::channel_invitation, "room");
    EXPECT_EQ(last_error(a), -32602);
    EXPECT_TRUE(b.of(Method::channel_invitation).empty());
}

TEST_F(InvitationsTest, AnInviterMustHaveJoined) {
    join_all();
    connect(d);
    invite(d, "room", {bob});
    EXPECT_EQ(last_error(d), 3);
    EXPECT_TRUE(b.of(Method::channel_invitation).empty());
}

// The other invitees are still invited; the error names the unknown id.
TEST_F(InvitationsTest, AnInviteeThatIsNoMemberIsError3AboutItsId) {
    join_all();
    invite(a, "room", {"ghost", bob});
    EXPECT_EQ(last_error(a), 3);
    EXPECT_EQ(a.last().member, (Member{"ghost", "", ""}));
    EXPECT_EQ(a.last().channel, "room");
    EXPECT_EQ(b.of(Method::channel_invitation).size(), 1u);
}

TEST_F(InvitationsTest, AnInvitationRefusedByTheHookIsError40AboutTheInvitee) {
    std::vector<std::string> asked;
    hooks.before_invite = [&](const std::string& channel, const Member& inviter, const Member& invitee) {
        asked.push_back(channel + " " + inviter.name + " " + invitee.name);
        return invitee.name != "Bob";
    };
    join_all();
    invite(a, "room", {bob, cid});
    EXPECT_EQ(last_error(a), 40);
    EXPECT_EQ(a.last().member, (Member{bob, "Bob", ""}));
    EXPECT_TRUE(b.of(Method::channel_invitation).empty());
    EXPECT_EQ(c.of(Method::channel_invitation).size(), 1u);
    EXPECT_EQ(asked, (std::vector<std::string>{"room Ann Bob", "room Ann Cid"}));
}

TEST_F(InvitationsTest, SubscribingAcceptsAndTheInviterThatSaidHelloIsTold) {
    join_all();
    invite(a, "room", {bob});
    subscribe(b, "room");
    ASSERT_EQ(answers(a).size(), 1u);
    const Message answer = answers(a)[0];
    EXPECT_EQ(answer.member, (Member{bob, "Bob", ""}));
    EXPECT_EQ(answer.channel, "room");
    EXPECT_EQ(answer.text, "accepted");
    EXPECT_FALSE(answer.error);
}

TEST_F(InvitationsTest, AnInvitationIsSettledOnce) {
    join_all();
    invite(a, "room", {bob});
    subscribe(b, "room");
    unsubscribe(b, "room");
    subscribe(b, "room");
    EXPECT_EQ(answers(a).size(), 1u);
    refuse(b, ann, "room");
    EXPECT_EQ(last_error(b), -32602) << "nothing pending any more";
    EXPECT_EQ(answers(a).size(), 1u);
}

// The inviter learns that the invitee tried, and why it failed.
TEST_F(InvitationsTest, AFailedAcceptanceCarriesTheSubscribesError) {
    hooks.before_new_channel_member = [](const std::string&, const Member& m) { return m.name != "Bob"; };
    join_all();
    invite(a, "room", {bob});
    subscribe(b, "room");
    EXPECT_EQ(last_error(b), 10);
    ASSERT_EQ(answers(a).size(), 1u);
    EXPECT_EQ(answers(a)[0].text, "accepted");
    ASSERT_TRUE(answers(a)[0].error);
    EXPECT_EQ(answers(a)[0].error->code, 10);
}

TEST_F(InvitationsTest, AnInviterThatDidNotSayHelloIsNotTold) {
    join_all();
    invite(c, "room", {bob});
    subscribe(b, "room");
    refuse(b, cid, "room");
    EXPECT_EQ(last_error(b), -32602) << "the acceptance settled it";
    invite(c, "other", {bob});
    refuse(b, cid, "other");
    EXPECT_EQ(b.last().method, Method::channel_invitation) << "the refusal is taken, not answered";
    EXPECT_TRUE(answers(c).empty());
}

TEST_F(InvitationsTest, ARefusalIsToldToTheInviter) {
    join_all();
    invite(a, "room", {bob});
    const std::size_t frames = b.frames.size();
    refuse(b, ann, "room");
    EXPECT_EQ(b.frames.size(), frames) << "the refusal itself is not answered";
    ASSERT_EQ(answers(a).size(), 1u);
    EXPECT_EQ(answers(a)[0].text, "refused");
    EXPECT_EQ(answers(a)[0].member->id, bob);
    EXPECT_EQ(answers(a)[0].channel, "room");
    subscribe(b, "room");
    EXPECT_EQ(answers(a).size(), 1u) << "a refused invitation is settled";
}

TEST_F(InvitationsTest, RefusalErrors) {
    join_all();
    invite(a, "room", {bob});
    connect(d);
    refuse(d, ann, "room");
    EXPECT_EQ(last_error(d), 3);
    refuse(b, ann, "");
    EXPECT_EQ(last_error(b), -32602);
    EXPECT_EQ(b.last().error->text, "channel.name is required");
    refuse(b, ann, "room", "maybe");
    EXPECT_EQ(b.last().error->text, "message.text must be \"refused\"");
    refuse(b, cid, "room");
    EXPECT_EQ(b.last().error->text, "no pending invitation from that member");
    refuse(b, ann, "other");
    EXPECT_EQ(last_error(b), -32602);
    EXPECT_TRUE(answers(a).empty());
    refuse(b, ann, "room");
    EXPECT_EQ(answers(a).size(), 1u) << "still pending after the refused refusals";
}

TEST_F(InvitationsTest, TheSameInvitationTwiceIsRememberedOnce) {
    join_all();
    invite(a, "room", {bob});
    invite(a, "room", {bob});
    EXPECT_EQ(b.of(Method::channel_invitation).size(), 2u);
    subscribe(b, "room");
    EXPECT_EQ(answers(a).size(), 1u);
}

TEST_F(InvitationsTest, EveryInvitationToTheChannelIsAnsweredBySubscribing) {
    join_all();
    hello(c, "invitation-response");
    invite(a, "room", {bob});
    invite(c, "room", {bob});
    invite(c, "other", {bob});
    subscribe(b, "room");
    EXPECT_EQ(answers(a).size(), 1u);
    ASSERT_EQ(answers(c).size(), 1u);
    EXPECT_EQ(answers(c)[0].channel, "room");
}

TEST_F(InvitationsTest, PastTheCapTheOldestPendingInvitationIsForgotten) {
    PresenceOptions o = open_options();
    o.max_pending_invitations = 2;
    start(o);
    join_all();
    hello(c, "invitation-response");
    join(d, "Dan", {}, "invitation-response");
    invite(a, "room", {bob});
    invite(c, "room", {bob});
    invite(d, "room", {bob});
    subscribe(b, "room");
    EXPECT_TRUE(answers(a).empty());
    EXPECT_EQ(answers(c).size(), 1u);
    EXPECT_EQ(answers(d).size(), 1u);
}

TEST_F(InvitationsTest, LeavingForgetsThePendingInvitations) {
    join_all();
    invite(a, "room", {bob});
    send(b, Method::member_remove);
    send_join(b, "Bob");
    refuse(b, ann, "room");
    EXPECT_EQ(last_error(b), -32602);
    subscribe(b, "room");
    EXPECT_TRUE(answers(a).empty());
}

// Over the invitee's rate an invitation is neither delivered nor remembered.
TEST_F(InvitationsTest, AnInvitationNotDeliveredIsNotPending) {
    PresenceOptions o = open_options();
    o.max_invitations_received_per_minute = 1;
    start(o);
    join_all();
    invite(a, "one", {bob});
    invite(a, "two", {bob});
    EXPECT_EQ(b.of(Method::channel_invitation).size(), 1u);
    refuse(b, ann, "two");
    EXPECT_EQ(last_error(b), -32602);
    refuse(b, ann, "one");
    EXPECT_EQ(answers(a).size(), 1u);
}

// An answer to an inviter that has gone meanwhile goes nowhere, and harms nobody.
TEST_F(InvitationsTest, AnAnswerToAnInviterThatLeftGoesNowhere) {
    join_all();
    invite(a, "room", {bob});
    service->disconnect(a);
    subscribe(b, "room");
    EXPECT_EQ(b.last().method, Method::channel_member_new);
    EXPECT_TRUE(answers(b).empty());
}

}  // namespace
}  // namespace presence

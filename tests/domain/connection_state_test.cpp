// SPDX-License-Identifier: Apache-2.0
// What the server holds for one connection, over links that record what they are sent: the
// ids of its requests, the frames it has not acknowledged, its resume backlog and its
// pending invitations, all counted against one budget of bytes.
#include <gtest/gtest.h>

#include "engine/memory/memory_engine.h"
#include "domain/presence_service.h"
#include "protocol/codec.h"
#include "recording_link.h"

namespace presence {
namespace {

using protocol::Method;

class ConnectionStateTest : public ::testing::Test {
protected:
    void start(PresenceOptions options) {
        options.max_requests_per_second = 0;
        service.emplace(engine, options, hooks);
    }
    void join(RecordingLink& link, std::string_view hello = {}) {
        service->connect(link);
        if (!hello.empty())
            send(link, "ext@presence@hello", R"("message":{"text":")" + std::string(hello) + "\"}");
        send(link, "sgc@presence@member@new");
    }
    void send(RecordingLink& link, std::string_view method, std::string_view rest = {}) {
        service->receive(link, request_frame(method, rest));
    }
    // A request with `id`, answered with error 3 before joining.
    void request_with_id(RecordingLink& link, const std::string& id) {
        send(link, "sgc@presence@get@members", R"("id":")" + id + "\"");
    }
    void publish_to_all(RecordingLink& link, std::size_t bytes) {
        send(link, "sgc@presence@publish@msg", R"("message":{"text":")" + std::string(bytes, 'x') + "\"}");
    }
    static std::string id_of(const RecordingLink& link) { return *link.of(Method::session).at(0).text; }

    ServerHooks hooks;
    MemoryEngine engine;
    std::optional<PresenceService> service;
    RecordingLink a, b;
};

TEST_F(ConnectionStateTest, AnIdLongerThanTheLimitIsRefusedAndNotAcknowledged) {
    PresenceOptions o;
    o.max_id_bytes = 8;
    start(o);
    service->connect(a);
    request_with_id(a, "12345678");
    ASSERT_EQ(a.of(Method::acknowledgment).size(), 1u);
    request_with_id(a, "123456789");
    EXPECT_EQ(a.of(Method::acknowledgment).size(), 1u);
    EXPECT_EQ(a.last().error->code, -32602);
    EXPECT_EQ(a.last().error->text, "id is longer than 8 bytes");
}

// The ids of a connection's requests fit in its budget: past it a request with a new id is
// refused, unacknowledged and not acted on.
TEST_F(ConnectionStateTest, RequestIdsAreRememberedWithinTheBudget) {
    PresenceOptions o;
    o.max_connection_state_bytes = 10 * protocol::SeenIds::cost("id-00");
    o.max_invalid_frames = 100;
    start(o);
    service->connect(a);
    for (int i = 0; i < 10; ++i) request_with_id(a, "id-0" + std::to_string(i));
    ASSERT_EQ(a.of(Method::acknowledgment).size(), 10u);
    request_with_id(a, "id-10");
    EXPECT_EQ(a.of(Method::acknowledgment).size(), 10u);
    EXPECT_EQ(a.last().error->code, -32602);
    request_with_id(a, "id-03");  // a re-send of one it remembers is still acknowledged
    EXPECT_EQ(a.of(Method::acknowledgment).size(), 11u);
    EXPECT_EQ(a.closed, 0);
}

// A peer that reads but never acknowledges is closed once what waits for its
// acknowledgment fills its budget, and nothing more is kept for it.
TEST_F(ConnectionStateTest, AConnectionThatDoesNotAcknowledgeIsClosedAtItsBudget) {
    PresenceOptions o;
    o.ack.enabled = true;
    o.max_connection_state_bytes = 64 * 1024;
    start(o);
    join(a);
    join(b);
    for (int i = 0; i < 10; ++i) publish_to_all(b, 10 * 1024);
    EXPECT_EQ(a.closed, 1008);
    EXPECT_EQ(b.closed, 1008) << "b never acknowledged either";
    EXPECT_EQ(service->limits_hit().state_budget, 2u);
    EXPECT_LT(a.of(Method::publish_msg).size(), 7u);
    const std::size_t frames = a.frames.size();
    RecordingLink c;
    join(c);
    EXPECT_EQ(a.frames.size(), frames) << "a closing connection is sent nothing more";
}

// The close is reported with what tells the connection apart in a log: its member and the
// peer its link describes.
TEST_F(ConnectionStateTest, TheCloseAtTheBudgetIsReportedWithTheMemberAndThePeer) {
    std::vector<ConnectionError> reported;
    hooks.on_error = [&reported](const ConnectionError& error) { reported.push_back(error); };
    PresenceOptions o;
    o.ack.enabled = true;
    o.max_connection_state_bytes = 64 * 1024;
    start(o);
    join(a);
    a.address = "[2001:db8::7]:52100";
    for (int i = 0; i < 10 && !a.closed; ++i) publish_to_all(a, 10 * 1024);
    ASSERT_EQ(a.closed, 1008);
    ASSERT_EQ(reported.size(), 1u);
    EXPECT_EQ(reported[0].session_id, id_of(a));
    EXPECT_EQ(reported[0].member_id, id_of(a));
    EXPECT_EQ(reported[0].address, "[2001:db8::7]:52100");
    EXPECT_EQ(reported[0].what, "not acknowledging: over 65536 bytes held for this connection");
}

// Only a publish's deliveries are timed (the transport measures them); joins, answers and
// acknowledgments are not.
TEST_F(ConnectionStateTest, OnlyPublishesAreSentWithTheTimeTheyWereMade) {
    start({});
    join(a);
    join(b);
    send(a, "sgc@presence@get@members");
    EXPECT_EQ(a.timed + b.timed, 0u);
    publish_to_all(a, 10);
    EXPECT_EQ(a.timed, 1u);
    EXPECT_EQ(b.timed, 1u);
    ASSERT_TRUE(service->broadcast("from the application", ""));
    EXPECT_EQ(a.timed, 2u);
    EXPECT_EQ(b.timed, 2u);
}

TEST_F(ConnectionStateTest, AConnectionThatAcknowledgesStaysWithinItsBudget) {
    PresenceOptions o;
    o.ack.enabled = true;
    o.max_connection_state_bytes = 64 * 1024;
    start(o);
    join(a);
    for (int i = 0; i < 20; ++i) {
        publish_to_all(a, 10 * 1024);
        for (const auto& frame : a.frames)
            if (!frame.id.empty()) send(a, "sgc@presence@acknowledgment", R"("id":")" + frame.id + "\"");
    }
    EXPECT_EQ(a.closed, 0);
    EXPECT_EQ(a.of(Method::publish_msg).size(), 20u);
}

// The resume backlog gives way first: a resume then starts again from the member lists.
TEST_F(ConnectionStateTest, TheBacklogIsTrimmedToTheBudgetAndAResumeResyncs) {
    PresenceOptions o;
    o.max_connection_state_bytes = 16 * 1024;
    start(o);
    join(a, "resume");
    const std::string token = *a.of(Method::resume_token).at(0).text;
    join(b);
    for (int i = 0; i < 5; ++i) publish_to_all(b, 8 * 1024);
    EXPECT_EQ(a.closed, 0);
    EXPECT_EQ(a.of(Method::publish_msg).size(), 5u);
    service->lose(a);
    RecordingLink again;
    service->connect(again);
    send(again, "ext@presence@resume", R"("message":{"text":")" + token + ":3\"}");
    EXPECT_EQ(again.of(Method::resume).at(0).text, "resync");
}

// So do the channels a connection takes counts only of: its own requests, refused past it.
TEST_F(ConnectionStateTest, CountsOnlyChannelsAreTakenWithinTheBudget) {
    PresenceOptions o;
    o.max_connection_state_bytes = 16 * 1024;
    o.max_invalid_frames = 1000;
    start(o);
    join(a);
    int taken = 0;
    for (; taken < 1000; ++taken) {
        send(a, "ext@presence@channel@counts",
             R"("channel":{"name":")" + std::string(200, 'c') + std::to_string(taken) + R"("},"message":{"text":"on"})");
        if (a.last().method != Method::count) break;
    }
    EXPECT_LT(taken, 100);
    EXPECT_EQ(a.last().error->code, -32602);
    EXPECT_EQ(a.closed, 0);
}

// Pending invitations count too: past the budget the oldest are forgotten, as past their
// number.
TEST_F(ConnectionStateTest, PendingInvitationsAreForgottenPastTheBudget) {
    PresenceOptions o;
    o.max_invitations_per_minute = 0;
    o.max_invitations_received_per_minute = 0;
    // Room for four invitations of a session id (36 bytes) to "room-N".
    o.max_connection_state_bytes = 4 * (sizeof(Invitation) + 36 + 6);
    start(o);
    join(a, "invitation-response");
    join(b);
    for (int i = 0; i < 8; ++i)
        send(a, "sgc@presence@channel@invitation",
             R"("channel":{"name":"room-)" + std::to_string(i) + R"("},"members":[{"id":")" + id_of(b) + "\"}]");
    EXPECT_EQ(b.of(Method::channel_invitation).size(), 8u);
    EXPECT_EQ(b.closed, 0);
    send(b, "ext@presence@channel@invitation@response",
         R"("member":{"id":")" + id_of(a) + R"("},"channel":{"name":"room-0"},"message":{"text":"refused"})");
    EXPECT_EQ(b.last().error->code, -32602) << "the oldest invitation was forgotten";
    send(b, "ext@presence@channel@invitation@response",
         R"("member":{"id":")" + id_of(a) + R"("},"channel":{"name":"room-7"},"message":{"text":"refused"})");
    EXPECT_EQ(a.last().method, Method::invitation_response);
}

}  // namespace
}  // namespace presence

// SPDX-License-Identifier: Apache-2.0
// A connection's life as the presence rules see it: its session frame, how it ends
// (closed, lost, its grant ended, closed by the application or by a shutdown) and what
// the others are told, bad frames and acknowledgment. Resuming itself is in
// resume_test.cpp; the wire in tests/interop/test_session.py, test_disconnect.py, test_ack.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "service_fixture.h"

namespace presence {
namespace {

using namespace std::chrono_literals;

class SessionsTest : public ServiceTest {
protected:
    void SetUp() override {
        hooks.on_connect = [this](const std::string& id) { events.push_back("connect " + id); };
        hooks.on_disconnect = [this](const std::string& id) { events.push_back("disconnect " + id); };
        hooks.on_error = [this](const ConnectionError& e) { errors.push_back(e); };
        start();
    }
    // Joins and enters "room"; with `resume`, says hello asking to resume first.
    std::string enter(RecordingLink& link, bool resume = false, Grant grant = {}) {
        const std::string id = connect(link, std::move(grant));
        if (resume) hello(link, "resume");
        send_join(link);
        subscribe(link, "room");
        return id;
    }
    // Whether `link` was told, last, that `id` left the room and then presence.
    static bool heard_leave(const RecordingLink& link, const std::string& id) {
        const std::size_t n = link.frames.size();
        if (n < 2) return false;
        const Message& channel = link.frames[n - 2];
        const Message& whole = link.frames[n - 1];
        return channel.method == Method::channel_member_remove && channel.member->id == id &&
               whole.method == Method::member_remove && whole.member->id == id;
    }
    bool has_event(const std::string& event) const {
        return std::find(events.begin(), events.end(), event) != events.end();
    }

    std::vector<std::string> events;
    std::vector<ConnectionError> errors;
};

TEST_F(SessionsTest, AConnectionIsFirstSentItsSessionId) {
    const std::string first = connect(a);
    const std::string second = connect(b);
    ASSERT_EQ(a.frames.size(), 1u);
    EXPECT_EQ(a.frames[0].method, Method::session);
    EXPECT_EQ(first.size(), 36u);
    EXPECT_NE(first, second);
    EXPECT_EQ(events, (std::vector<std::string>{"connect " + first, "connect " + second}));
    EXPECT_EQ(service->connections(), 2u);
    send_join(a);
    EXPECT_EQ(engine.find_member(first)->id, first) << "the session id is the member id";
}

TEST_F(SessionsTest, AGrantThatFixesTheIdMakesItTheSessionId) {
    Grant g;
    g.id = "ann";
    EXPECT_EQ(connect(a, g), "ann");
}

TEST_F(SessionsTest, AClosedConnectionsDepartureIsToldToTheOthers) {
    const std::string ann = enter(a);
    enter(b);
    service->disconnect(a);
    EXPECT_TRUE(heard_leave(b, ann));
    EXPECT_EQ(engine.find_member(ann), nullptr);
    EXPECT_FALSE(engine.is_subscribed("room", ann));
    EXPECT_EQ(events.back(), "disconnect " + ann);
    EXPECT_EQ(service->connections(), 1u);
}

TEST_F(SessionsTest, ASecondDisconnectIsANoOp) {
    const std::string ann = enter(a);
    enter(b);
    service->disconnect(a);
    const std::size_t heard = b.frames.size();
    const std::size_t told = events.size();
    service->disconnect(a);
    service->lose(a);
    EXPECT_EQ(b.frames.size(), heard);
    EXPECT_EQ(events.size(), told);
}

TEST_F(SessionsTest, AConnectionThatNeverJoinedLeavesUnannounced) {
    enter(b);
    const std::string id = connect(a);
    const std::size_t heard = b.frames.size();
    service->disconnect(a);
    EXPECT_EQ(b.frames.size(), heard);
    EXPECT_EQ(events.back(), "disconnect " + id);
}

TEST_F(SessionsTest, ALostConnectionThatCannotResumeLeavesAtOnce) {
    const std::string ann = enter(a);
    enter(b);
    service->lose(a);
    EXPECT_TRUE(heard_leave(b, ann));
    EXPECT_EQ(service->detached(), 0u);
}

// The hold (the transport's count of the connection) is kept until the member ends.
TEST_F(SessionsTest, ALostMemberStaysUnseenUntilItsGraceEnds) {
    const std::string ann = enter(a, true);
    enter(b);
    auto hold = std::make_shared<int>(1);
    const std::weak_ptr<int> held = hold;
    const std::size_t heard = b.frames.size();
    service->lose(a, std::move(hold));
    EXPECT_EQ(service->detached(), 1u);
    EXPECT_EQ(service->connections(), 1u);
    service->expire(protocol::Clock::now());
    EXPECT_EQ(b.frames.size(), heard);
    EXPECT_NE(engine.find_member(ann), nullptr);
    EXPECT_FALSE(held.expired());
    EXPECT_FALSE(has_event("disconnect " + ann));
    service->expire(later());
    EXPECT_TRUE(heard_leave(b, ann));
    EXPECT_EQ(service->detached(), 0u);
    EXPECT_TRUE(held.expired());
    EXPECT_TRUE(has_event("disconnect " + ann));
}

// A resumable connection that has not joined has nothing to keep.
TEST_F(SessionsTest, ALostConnectionWithoutAMemberIsNotKept) {
    connect(a);
    hello(a, "resume");
    service->lose(a);
    EXPECT_EQ(service->detached(), 0u);
    EXPECT_EQ(service->connections(), 0u);
}

TEST_F(SessionsTest, AConnectionWhoseGrantEndsIsToldWhyAndClosedAfterItsDeparture) {
    const auto now = std::chrono::system_clock::now();
    Grant soon;
    soon.id = "ann";
    soon.expires = now + 1min;
    Grant later_on = soon;
    later_on.id = "bob";
    later_on.expires = now + 1h;
    enter(a, false, soon);
    enter(b, false, later_on);
    enter(c);
    service->end_grants(now + 2min);
    EXPECT_EQ(a.closed, 1008);
    EXPECT_EQ(a.reason, "token expired");
    EXPECT_TRUE(heard_leave(b, "ann"));
    EXPECT_TRUE(heard_leave(c, "ann"));
    EXPECT_EQ(b.closed, 0);
    EXPECT_EQ(c.closed, 0);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].session_id, "ann");
    EXPECT_EQ(errors[0].what, "token expired");
    publish(c, "room");
    EXPECT_NE(a.last().method, Method::publish_msg) << "nothing is sent once closing";
    EXPECT_EQ(b.last().method, Method::publish_msg);
}

TEST_F(SessionsTest, TheApplicationClosesAConnectionByItsId) {
    const std::string ann = enter(a);
    enter(b);
    EXPECT_TRUE(service->close_connection(ann, 4000, "bye"));
    EXPECT_EQ(a.closed, 4000);
    EXPECT_EQ(a.reason, "bye");
    EXPECT_TRUE(heard_leave(b, ann));
    EXPECT_EQ(service->connections(), 1u);
    const std::size_t told = events.size();
    service->disconnect(a);
    EXPECT_EQ(events.size(), told) << "the transport's disconnect finds nothing left";
    EXPECT_FALSE(service->close_connection(ann, 4000, "again"));
    EXPECT_FALSE(service->close_connection("nobody", 4000, "bye"));
}

TEST_F(SessionsTest, ClosingALostMemberEndsItAtOnce) {
    const std::string ann = enter(a, true);
    enter(b);
    service->lose(a);
    EXPECT_TRUE(service->close_connection(ann, 4000, "bye"));
    EXPECT_TRUE(heard_leave(b, ann));
    EXPECT_EQ(service->detached(), 0u);
}

// Each link is closed; the transport then calls disconnect for each.
TEST_F(SessionsTest, CloseAllClosesEveryLinkAndEndsTheLostMembers) {
    const std::string ann = enter(a);
    const std::string bob = enter(b);
    const std::string cid = enter(c, true);
    service->lose(c);
    service->close_all(1001, "shutting down");
    EXPECT_EQ(a.closed, 1001);
    EXPECT_EQ(b.reason, "shutting down");
    EXPECT_EQ(service->detached(), 0u);
    EXPECT_EQ(engine.find_member(cid), nullptr);
    const std::size_t heard = a.frames.size();
    EXPECT_TRUE(service->broadcast("late", ""));
    EXPECT_EQ(a.frames.size(), heard) << "nothing is sent once closing";
    service->disconnect(a);
    service->disconnect(b);
    EXPECT_EQ(service->connections(), 0u);
    EXPECT_EQ(engine.count_members(), 0u);
    EXPECT_TRUE(has_event("disconnect " + bob));
}

TEST_F(SessionsTest, DisconnectAllDropsEveryLinkAndForgetsEveryone) {
    const std::string ann = enter(a);
    enter(b);
    const std::string cid = enter(c, true);
    service->lose(c);
    service->disconnect_all();
    EXPECT_TRUE(a.dropped);
    EXPECT_TRUE(b.dropped);
    EXPECT_EQ(service->connections(), 0u);
    EXPECT_EQ(service->detached(), 0u);
    EXPECT_EQ(engine.count_members(), 0u);
    EXPECT_TRUE(has_event("disconnect " + ann));
    EXPECT_TRUE(has_event("disconnect " + cid));
}

TEST_F(SessionsTest, AFrameTheTransportCouldNotHandOverIsRefusedAsMalformed) {
    PresenceOptions o = open_options();
    o.max_invalid_frames = 1;
    start(o);
    const std::string id = connect(a);
    service->refuse(a, ErrorCode::invalid_request, "bad broker frame");
    EXPECT_EQ(last_error(a), -32600);
    EXPECT_EQ(a.last().error->text, "bad broker frame");
    EXPECT_EQ(a.last().member, (Member{id, "", ""}));
    EXPECT_EQ(a.closed, 0);
    service->refuse(a, ErrorCode::invalid_request, "bad broker frame");
    EXPECT_EQ(a.closed, 1008);
}

// Only malformed requests count; any other request resets the count.
TEST_F(SessionsTest, TooManyMalformedRequestsInARowCloseTheConnection) {
    PresenceOptions o = open_options();
    o.max_invalid_frames = 2;
    start(o);
    join(a);
    for (int i = 0; i < 2; ++i) service->receive(a, "garbage");
    send(a, Method::get_members);
    for (int i = 0; i < 2; ++i) subscribe(a, "");
    send(a, Method::get_members, "nowhere");  // error 5: an ordinary answer resets the count too
    for (int i = 0; i < 2; ++i) service->receive(a, "garbage");
    EXPECT_EQ(a.closed, 0);
    service->receive(a, "garbage");
    EXPECT_EQ(a.closed, 1008);
    EXPECT_EQ(a.reason, "too many invalid messages");
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors.back().what, "too many invalid messages");
}

TEST_F(SessionsTest, ErrorsAreReportedWithTheMemberAndThePeer) {
    const std::string id = connect(a);
    a.address = "198.51.100.7:4242";
    service->report_error(a, "reset by peer");
    send_join(a);
    service->report_error(a, "again");
    service->report_error(b, "unknown link");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].session_id, id);
    EXPECT_EQ(errors[0].member_id, "");
    EXPECT_EQ(errors[0].address, "198.51.100.7:4242");
    EXPECT_EQ(errors[0].what, "reset by peer");
    EXPECT_EQ(errors[1].member_id, id);
}

// A request with an id is acknowledged first; the same id again is acknowledged and ignored.
TEST_F(SessionsTest, ARequestIdIsAcknowledgedAndActedOnOnce) {
    join(a);
    join(b);
    Message m = request(Method::publish_msg, "", "once");
    m.id = "req-1";
    send(a, m);
    const std::size_t n = a.frames.size();
    EXPECT_EQ(a.frames[n - 2].method, Method::acknowledgment);
    EXPECT_EQ(a.frames[n - 2].id, "req-1");
    EXPECT_EQ(a.frames[n - 1].method, Method::publish_msg);
    send(a, m);
    EXPECT_EQ(a.last().method, Method::acknowledgment);
    EXPECT_EQ(b.of(Method::publish_msg).size(), 1u);
    m.id = "req-2";
    send(a, m);
    EXPECT_EQ(b.of(Method::publish_msg).size(), 2u);
}

// The option hides every string but the acknowledgments, which are never encoded.
TEST_F(SessionsTest, WithBase64EveryStringIsSentEncodedButAcknowledgments) {
    PresenceOptions o = open_options();
    o.encode_base64 = true;
    start(o);
    const std::string id = connect(a);
    EXPECT_EQ(id.size(), 36u);
    EXPECT_EQ(a.raw[0].find("sgc@presence@session"), std::string::npos);
    EXPECT_EQ(a.raw[0].find(id), std::string::npos);
    EXPECT_NE(a.raw[0].find(R"("method":"sgc@b64:)"), std::string::npos);
    Message m = request(Method::ping);
    m.id = "req-1";
    send(a, m);
    EXPECT_EQ(a.raw.at(1), protocol::encode_acknowledgment("req-1"));
    EXPECT_EQ(a.last().method, Method::pong);
    EXPECT_NE(a.raw.back().find("sgc@b64:"), std::string::npos);
}

// --- Acknowledgment of what the server sends -------------------------------------------

class AcknowledgedTest : public SessionsTest {
protected:
    void SetUp() override {
        SessionsTest::SetUp();
        PresenceOptions o = open_options();
        o.ack.enabled = true;
        o.ack.timeout = 1min;
        o.ack.max_retries = 2;
        start(o);
    }
    void acknowledge(RecordingLink& link, const std::string& id) {
        Message m = request(Method::acknowledgment);
        m.id = id;
        send(link, m);
    }
};

TEST_F(AcknowledgedTest, WhatIsNotAcknowledgedIsSentAgainThenDropped) {
    connect(a);
    const Message session = a.frames.at(0);
    ASSERT_FALSE(session.id.empty());
    service->resend_unacknowledged(protocol::Clock::now());
    EXPECT_EQ(a.frames.size(), 1u) << "not due yet";
    service->resend_unacknowledged(later());
    ASSERT_EQ(a.frames.size(), 2u);
    EXPECT_EQ(a.frames[1], session);
    service->resend_unacknowledged(later() + 1h);
    EXPECT_EQ(service->ack_resends(), 2u);
    EXPECT_EQ(service->ack_drops(), 0u);
    service->resend_unacknowledged(later() + 2h);
    EXPECT_EQ(a.frames.size(), 3u);
    EXPECT_EQ(service->ack_drops(), 1u);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].what, "message " + session.id + " was never acknowledged; dropped");
}

TEST_F(AcknowledgedTest, WhatIsAcknowledgedIsNotSentAgain) {
    connect(a);
    connect(b);
    acknowledge(a, a.frames.at(0).id);
    service->resend_unacknowledged(later());
    EXPECT_EQ(a.frames.size(), 1u);
    EXPECT_EQ(b.frames.size(), 2u);
    EXPECT_EQ(service->ack_resends(), 1u);
}

}  // namespace
}  // namespace presence

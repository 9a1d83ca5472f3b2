// SPDX-License-Identifier: Apache-2.0
// Large rooms over real loopback sockets: member pages, counts, coalesced diffs and
// counts-only channels, driven by bare WebSocket peers that speak the extension frames.
// The diff interval is an hour, so that nothing is sent by the clock: a diff goes out when
// a connection that asked for views asks for a list or a count, which makes every frame
// count exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "presence/server.h"
#include "test_peer.h"

namespace presence::test {
namespace {

using protocol::Message;
using protocol::Method;

class LargeRoomsTest : public ::testing::Test {
protected:
    void start(std::chrono::milliseconds diff_interval = std::chrono::hours(1)) {
        ServerOptions options;
        options.port = 0;
        options.presence.diff_interval = diff_interval;
        options.presence.max_page_members = 3;
        server = std::make_unique<Server>(options);
        server->start();
    }
    std::unique_ptr<TestPeer> peer(const std::string& name, const std::string& hello = "") {
        auto p = std::make_unique<TestPeer>(server->port());
        if (!hello.empty()) p->hello(hello);
        p->join(name);
        return p;
    }
    // Members that join (and subscribe) one after the other; with `hello` = "diffs" none of
    // them is sent the others' joins, so each may be asked for its own frames later.
    std::vector<std::unique_ptr<TestPeer>> crowd(std::size_t n, const std::string& channel = "",
                                                 const std::string& hello = "") {
        std::vector<std::unique_ptr<TestPeer>> out;
        for (std::size_t i = 0; i < n; ++i) {
            out.push_back(peer("m" + std::to_string(i), hello));
            if (!channel.empty()) out.back()->subscribe(channel);
        }
        return out;
    }
    static std::vector<std::string> ids(const std::vector<Member>& members) {
        std::vector<std::string> out;
        for (const Member& m : members) out.push_back(m.id);
        return out;
    }
    static std::vector<std::string> ids(const std::vector<std::unique_ptr<TestPeer>>& peers) {
        std::vector<std::string> out;
        for (const auto& p : peers) out.push_back(p->session_id());
        std::sort(out.begin(), out.end());
        return out;
    }

    std::unique_ptr<Server> server;
};

TEST_F(LargeRoomsTest, HelloOffersPagesAndDiffs) {
    start();
    TestPeer p(server->port());
    const std::string features = p.hello("member-pages,diffs");
    EXPECT_NE(features.find("member-pages"), std::string::npos) << features;
    EXPECT_NE(features.find("diffs"), std::string::npos) << features;
}

TEST_F(LargeRoomsTest, NoDiffsWhenTheIntervalIsZero) {
    start(std::chrono::milliseconds(0));
    TestPeer p(server->port());
    EXPECT_EQ(p.hello("diffs").find("diffs"), std::string::npos);
}

TEST_F(LargeRoomsTest, PagesListEveryMemberOnceInTheOrderOfIds) {
    start();
    auto members = crowd(7, "room");
    // Not in the room, and told of nobody's join one by one: it gets its answers only.
    auto asker = peer("asker", "diffs");
    std::vector<std::string> listed;
    std::string cursor;
    std::size_t pages = 0;
    do {
        asker->send(request(Method::get_members_page, "room", cursor.empty() ? "3" : "3:" + cursor));
        const Message page = asker->expect(Method::members_page);
        EXPECT_EQ(page.channel, "room");
        EXPECT_LE(page.members->size(), 3u);
        for (const std::string& id : ids(*page.members)) listed.push_back(id);
        cursor = page.text.value_or("");
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(pages, 3u);
    EXPECT_EQ(listed, ids(members));
}

TEST_F(LargeRoomsTest, APageDoesNotShiftWhenMembersArriveBeforeTheCursor) {
    start();
    auto members = crowd(4, "room");
    auto asker = peer("asker", "diffs");
    asker->send(request(Method::get_members_page, "room", "2"));
    const Message first = asker->expect(Method::members_page);
    auto later = crowd(6, "room");
    asker->send(request(Method::get_members_page, "room", "3:" + *first.text));
    const Message second = asker->expect(Method::members_page);
    for (const std::string& id : ids(*second.members)) EXPECT_GT(id, *first.text);
}

TEST_F(LargeRoomsTest, BadPageRequestsAreAnsweredWithAnError) {
    start();
    auto p = peer("ann");
    for (const std::string text : {"", "0", "4", "x", "-1", "3x"}) {
        p->send(request(Method::get_members_page, "", text));
        const Message error = p->expect(Method::error_member_channel);
        EXPECT_EQ(error.error->code, -32602) << text;
    }
    p->send(request(Method::get_members_page, "nowhere", "3"));
    EXPECT_EQ(p->expect(Method::error_member_channel).error->code, 5);
    p->send(request(Method::get_members_page, "", "3"));
    EXPECT_EQ(p->expect(Method::members_page).members->size(), 1u);
}

TEST_F(LargeRoomsTest, CountsOfAChannelOfEveryMemberAndOfNoChannel) {
    start();
    auto members = crowd(4, "room");
    auto outside = peer("outside");
    auto asker = peer("asker");
    asker->send(request(Method::get_count, "room"));
    EXPECT_EQ(asker->expect(Method::count).text, "4");
    asker->send(request(Method::get_count, ""));
    const Message all = asker->expect(Method::count);
    EXPECT_EQ(all.channel, "");
    EXPECT_EQ(all.text, "6");
    asker->send(request(Method::get_count, "nowhere"));
    EXPECT_EQ(asker->expect(Method::count).text, "0");
}

// Twenty joins reach the member that asked for diffs as one diff; a member that did not
// ask still gets each of them.
TEST_F(LargeRoomsTest, JoinsArriveAsOneDiffInsteadOfOneFrameEach) {
    start();
    auto watcher = peer("watcher", "diffs");
    auto plain = peer("plain");
    watcher->subscribe("room");
    plain->subscribe("room");
    watcher->send(request(Method::get_members, "room"));
    EXPECT_EQ(watcher->expect(Method::diff).channel, "room");
    watcher->expect(Method::send_members);

    auto members = crowd(20, "room");
    for (std::size_t i = 0; i < members.size(); ++i) {
        EXPECT_EQ(plain->expect(Method::member_new).member, members[i]->member());
        EXPECT_EQ(plain->expect(Method::channel_member_new).member, members[i]->member());
    }
    watcher->send(request(Method::get_members, "room"));
    const Message diff = watcher->expect(Method::diff);
    EXPECT_EQ(diff.channel, "room");
    EXPECT_EQ(diff.text, "20 22");
    std::vector<std::string> joined = ids(*diff.members);
    std::sort(joined.begin(), joined.end());
    EXPECT_EQ(joined, ids(members));
    EXPECT_EQ(watcher->expect(Method::send_members).members->size(), 22u);
}

TEST_F(LargeRoomsTest, AJoinAndALeaveWithinOneIntervalCancelOut) {
    start();
    auto watcher = peer("watcher", "diffs");
    watcher->subscribe("room");
    auto stay = peer("stay");
    stay->subscribe("room");
    auto passing = peer("passing");
    passing->subscribe("room");
    passing->send(request(Method::channel_member_remove, "room"));
    passing->expect(Method::channel_member_remove);
    watcher->send(request(Method::get_members, "room"));
    const Message diff = watcher->expect(Method::diff);
    EXPECT_EQ(diff.channel, "room");
    EXPECT_EQ(diff.text, "2 2");  // the watcher's own subscription is in it too
    EXPECT_EQ(ids(*diff.members), (std::vector<std::string>{watcher->session_id(), stay->session_id()}));
}

TEST_F(LargeRoomsTest, ALeaveOfAMemberKnownBeforeIsInTheDiff) {
    start();
    auto watcher = peer("watcher", "diffs");
    watcher->subscribe("room");
    auto leaver = peer("leaver");
    leaver->subscribe("room");
    watcher->send(request(Method::get_members, "room"));
    watcher->expect(Method::diff);
    watcher->expect(Method::send_members);
    leaver->send(request(Method::channel_member_remove, "room"));
    leaver->expect(Method::channel_member_remove);
    watcher->send(request(Method::get_members, "room"));
    const Message diff = watcher->expect(Method::diff);
    EXPECT_EQ(diff.text, "0 1");
    EXPECT_EQ(ids(*diff.members), std::vector<std::string>{leaver->session_id()});
    EXPECT_EQ(watcher->expect(Method::send_members).members->size(), 1u);
}

// A counts-only channel sends its count, not its members, whoever comes and goes.
TEST_F(LargeRoomsTest, ACountsOnlyChannelSendsCountsInsteadOfMembers) {
    start();
    auto members = crowd(5, "", "diffs");
    auto watcher = peer("watcher");
    watcher->subscribe("stage");
    watcher->send(request(Method::channel_counts, "stage", "on"));
    EXPECT_EQ(watcher->expect(Method::count).text, "1");
    for (auto& m : members) m->subscribe("stage");
    watcher->send(request(Method::get_count, "stage"));
    const Message pushed = watcher->expect(Method::count);
    EXPECT_EQ(pushed.channel, "stage");
    EXPECT_EQ(pushed.text, "6");
    EXPECT_EQ(watcher->expect(Method::count).text, "6");  // the answer
    watcher->send(request(Method::channel_counts, "stage", "off"));
    EXPECT_EQ(watcher->expect(Method::count).text, "6");
    auto late = peer("late");
    EXPECT_EQ(watcher->expect(Method::member_new).member, late->member());
    late->subscribe("stage");
    EXPECT_EQ(watcher->expect(Method::channel_member_new).member, late->member());
}

TEST_F(LargeRoomsTest, CountsOnlyWantsOnOrOff) {
    start();
    auto p = peer("ann");
    p->send(request(Method::channel_counts, "room", "maybe"));
    EXPECT_EQ(p->expect(Method::error_member_channel).error->code, -32602);
}

// Diffs also come by the clock: every join reaches the watcher, never one frame per member.
TEST_F(LargeRoomsTest, DiffsGoOutAtTheInterval) {
    start(std::chrono::milliseconds(20));
    auto watcher = peer("watcher", "diffs");
    watcher->subscribe("room");
    auto members = crowd(10, "room");
    std::set<std::string> seen;
    const auto all_seen = [&] {
        return std::all_of(members.begin(), members.end(), [&](const auto& m) { return seen.contains(m->session_id()); });
    };
    for (int frames = 0; !all_seen() && frames < 100; ++frames) {
        const Message diff = watcher->expect(Method::diff);
        if (diff.channel != "room") continue;
        for (const std::string& id : ids(*diff.members)) seen.insert(id);
    }
    seen.erase(watcher->session_id());
    EXPECT_EQ(std::vector<std::string>(seen.begin(), seen.end()), ids(members));
}

}  // namespace
}  // namespace presence::test

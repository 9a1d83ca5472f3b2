// SPDX-License-Identifier: Apache-2.0
// When the presence rules need waking to send diffs and users' leaves: never while nobody
// takes views and nothing waits, at the diff interval from the first change, and at the
// end of a leave's grace whatever the diff interval.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "engine/memory/memory_engine.h"
#include "domain/presence_service.h"
#include "recording_link.h"

namespace presence {
namespace {

using namespace std::chrono_literals;
using protocol::Method;

class FlushTest : public ::testing::Test {
protected:
    // Each wake records when the service next needs one, as the server would arm its timer.
    void start(std::chrono::milliseconds diff_interval, std::chrono::milliseconds leave_grace) {
        PresenceOptions o;
        o.diff_interval = diff_interval;
        o.user_leave_grace = leave_grace;
        service.emplace(engine, o, hooks);
        service->on_next_flush([this] { woken_for.push_back(service->next_flush()); });
    }
    void join(RecordingLink& link, std::string_view hello = {}, std::string_view user = {}) {
        service->connect(link);
        if (!hello.empty())
            service->receive(link, request_frame("ext@presence@hello",
                                                 R"("message":{"text":")" + std::string(hello) + "\"}"));
        service->receive(link, request_frame("sgc@presence@member@new",
                                             R"("member":{"user":")" + std::string(user) + "\"}"));
    }

    ServerHooks hooks;
    MemoryEngine engine;
    std::optional<PresenceService> service;
    std::vector<std::optional<protocol::Clock::time_point>> woken_for;
    RecordingLink a, b, c;
};

TEST_F(FlushTest, NothingToWakeForWhileNobodyTakesViews) {
    start(100ms, 2s);
    join(a);
    join(b, {}, "bob");
    service->disconnect(b);
    EXPECT_FALSE(service->next_flush());
    EXPECT_TRUE(woken_for.empty());
}

TEST_F(FlushTest, DiffsAreDueAnIntervalAfterTheFirstChange) {
    start(1h, 0ms);
    const auto before = protocol::Clock::now();
    join(a, "diffs");
    const auto after = protocol::Clock::now();
    ASSERT_TRUE(service->next_flush());
    const auto due = *service->next_flush();
    EXPECT_EQ(woken_for, (std::vector<std::optional<protocol::Clock::time_point>>{due}));
    EXPECT_GE(due, before + 1h);
    EXPECT_LE(due, after + 1h);
    join(b);
    EXPECT_EQ(*service->next_flush(), due) << "later changes join the same diff";
    EXPECT_EQ(woken_for.size(), 1u);
    service->flush_views(due - 1ms);
    EXPECT_TRUE(a.of(Method::diff).empty());
    service->flush_views(due);
    EXPECT_FALSE(a.of(Method::diff).empty());
    EXPECT_FALSE(service->next_flush());
}

// A users' leave is due at the end of its grace, however long the diff interval.
TEST_F(FlushTest, AUsersLeaveIsDueAtTheEndOfItsGrace) {
    start(1h, 500ms);
    join(a, "users");
    join(b, {}, "bob");
    EXPECT_FALSE(service->next_flush());
    const auto before = protocol::Clock::now();
    service->disconnect(b);
    const auto after = protocol::Clock::now();
    ASSERT_TRUE(service->next_flush());
    EXPECT_GE(*service->next_flush(), before + 500ms);
    EXPECT_LE(*service->next_flush(), after + 500ms);
    EXPECT_EQ(woken_for, (std::vector<std::optional<protocol::Clock::time_point>>{service->next_flush()}));
    service->flush_views(*service->next_flush());
    EXPECT_EQ(a.of(Method::member_remove).size(), 1u);
    EXPECT_FALSE(service->next_flush());
}

}  // namespace
}  // namespace presence

// SPDX-License-Identifier: Apache-2.0
// The tool's own pieces that its figures rest on: the histogram's quantiles and the cheap
// looks into frames.
#include <gtest/gtest.h>

#include "load/histogram.h"
#include "load/wire.h"

namespace presence::bench {
namespace {

TEST(Histogram, QuantilesAreWithinASixteenthOfTheValue) {
    Histogram h;
    for (std::uint64_t ns = 1; ns <= 100000; ++ns) h.record(ns * 1000);
    EXPECT_EQ(h.count(), 100000u);
    EXPECT_EQ(h.max(), 100000000u);
    EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), 50e6, 50e6 / 16);
    EXPECT_NEAR(static_cast<double>(h.quantile(0.99)), 99e6, 99e6 / 16);
    EXPECT_LE(h.quantile(0.999), h.max());
}

TEST(Histogram, SmallValuesAreExactAndMergingAddsCounts) {
    Histogram a, b;
    a.record(3);
    b.record(7);
    b.record(7);
    a.merge(b);
    EXPECT_EQ(a.count(), 3u);
    EXPECT_EQ(a.quantile(0.3), 3u);
    EXPECT_EQ(a.quantile(1.0), 7u);
    EXPECT_EQ(Histogram().quantile(0.5), 0u);
}

TEST(Wire, AStampWrittenIntoAFrameIsReadBack) {
    std::string text = stamped_text(64);
    EXPECT_EQ(text.size(), 64u);
    const std::string frame = R"({"jsonrpc":"2.0","method":"sgc@presence@publish@msg","message":{"text":")" + text + "\"}}";
    std::string copy = frame;
    write_stamp(copy.data() + copy.find("#T"), {1234567890123456789u, 42});
    Stamp s;
    ASSERT_TRUE(read_stamp(copy, s));
    EXPECT_EQ(s.sent_ns, 1234567890123456789u);
    EXPECT_EQ(s.sequence, 42u);
    EXPECT_FALSE(read_stamp("no stamp here", s));
    EXPECT_FALSE(read_stamp("#T12", s));
}

TEST(Wire, TheMethodIsFoundWhereverItIs) {
    EXPECT_EQ(method_of(R"({"jsonrpc":"2.0","method":"sgc@presence@session","message":{"text":"x"}})"), method_session);
    EXPECT_EQ(method_of(R"({"method":"sgc@presence@member@new","jsonrpc":"2.0"})"), method_member_new);
    EXPECT_EQ(method_of(R"({"jsonrpc":"2.0"})"), "");
}

TEST(Wire, MembersOfAnAnswerAreCountedNotTheRequester) {
    const std::string answer =
        R"({"jsonrpc":"2.0","method":"sgc@presence@send@members","member":{"id":"a","name":"","info":""},)"
        R"("channel":{"name":"storm"},"members":[{"id":"a","name":"","info":""},{"id":"b","name":"","info":""}]})";
    EXPECT_EQ(count_members(answer), 2u);
    EXPECT_EQ(count_members(R"({"members":[]})"), 0u);
}

TEST(Wire, ADiffGivesItsJoinedMembersAndTheCountAfterIt) {
    const std::string diff =
        R"({"jsonrpc":"2.0","method":"ext@presence@diff","channel":{"name":"storm"},"message":{"text":"2 12874"},)"
        R"("members":[{"id":"b","name":"","info":""},{"id":"c","name":"","info":""},{"id":"d","name":"","info":""}]})";
    Diff d;
    ASSERT_TRUE(read_diff(diff, d));
    EXPECT_EQ(d.joined, 2u);
    EXPECT_EQ(d.count, 12874u);
    EXPECT_EQ(channel_name(diff), "storm");
}

TEST(Wire, ADiffNeverCountsMoreJoinedThanItLists) {
    Diff d;
    ASSERT_TRUE(read_diff(R"({"channel":{"name":""},"message":{"text":"3 3"},"members":[{"id":"a"}]})", d));
    EXPECT_EQ(d.joined, 1u);
    EXPECT_EQ(channel_name(R"({"channel":{"name":""},"message":{"text":"3 3"}})"), "");
}

TEST(Wire, ATextThatIsNotTwoNumbersIsNoDiff) {
    Diff d;
    for (const char* frame : {R"({"message":{"text":"2"}})", R"({"message":{"text":"2 "}})",
                              R"({"message":{"text":"two 3"}})", R"({"message":{"text":"2 3 4"}})",
                              R"({"message":{"text":""}})", R"({"members":[]})"})
        EXPECT_FALSE(read_diff(frame, d)) << frame;
    EXPECT_EQ(channel_name(R"({"members":[]})"), "");
}

TEST(Wire, APageGivesItsCursorAndItsLastMemberNotTheRequester) {
    const std::string page =
        R"({"jsonrpc":"2.0","method":"ext@presence@members@page","member":{"id":"z","name":"","info":""},)"
        R"("channel":{"name":"storm"},"message":{"text":"c"},)"
        R"("members":[{"id":"a","name":"","info":""},{"id":"c","name":"","info":""}]})";
    EXPECT_EQ(method_of(page), method_members_page);
    EXPECT_EQ(page_cursor(page), "c");
    EXPECT_EQ(last_member_id(page), "c");
    EXPECT_EQ(count_members(page), 2u);
}

TEST(Wire, TheLastPageHasAnEmptyCursorAndMayListNobody) {
    const std::string page = R"({"member":{"id":"z"},"message":{"text":""},"members":[]})";
    EXPECT_EQ(page_cursor(page), "");
    EXPECT_EQ(last_member_id(page), "");
}

TEST(Wire, OnlyTheJoinedMembersUpToTheBoundAreCounted) {
    // b and d joined, c left: of the joined, only b sorts at most "c".
    const std::string diff =
        R"({"method":"ext@presence@diff","channel":{"name":"storm"},"message":{"text":"2 9"},)"
        R"("members":[{"id":"b","name":"","info":""},{"id":"d","name":"","info":""},{"id":"a","name":"","info":""}]})";
    EXPECT_EQ(count_joined_up_to(diff, 2, "c"), 1u);
    EXPECT_EQ(count_joined_up_to(diff, 2, "d"), 2u);
    EXPECT_EQ(count_joined_up_to(diff, 2, "a"), 0u);
    EXPECT_EQ(count_joined_up_to(diff, 0, "z"), 0u);
    EXPECT_EQ(count_joined_up_to(diff, 5, "z"), 3u);  // never more than it lists
}

}  // namespace
}  // namespace presence::bench

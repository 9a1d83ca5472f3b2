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

}  // namespace
}  // namespace presence::bench

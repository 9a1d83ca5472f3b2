// SPDX-License-Identifier: Apache-2.0
#include "protocol/hello_features.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace presence::protocol {
namespace {

const std::vector<std::string_view> none;

TEST(HelloFeatures, AnswerNamesWhatIsOfferedToAllAndWhatWasAskedFor) {
    EXPECT_EQ(hello_answer("", none), "invitation-response,heartbeat,resume");
    EXPECT_EQ(hello_answer("updates, member-pages,bogus,diffs", none),
              "invitation-response,heartbeat,resume,member-pages,diffs,updates");
    EXPECT_EQ(hello_answer("resume,member-pages,diffs,users,updates", none),
              "invitation-response,heartbeat,resume,member-pages,diffs,users,updates");
}

TEST(HelloFeatures, AnswerLeavesOutWhatTheOperatorTurnedOff) {
    const std::vector<std::string_view> off = {extension::resume, extension::diffs};
    EXPECT_EQ(hello_answer("resume,diffs,users", off), "invitation-response,heartbeat,users");
}

TEST(HelloFeatures, OnlyTheFeaturesMarkedSoCanBeTurnedOff) {
    const std::vector<std::string_view> off = {extension::heartbeat, extension::users};
    EXPECT_EQ(hello_answer("users", off), "invitation-response,heartbeat,resume,users");
}

TEST(HelloFeatures, RequestNamesTheAlwaysFeaturesAndThoseWhoseOptionIsOn) {
    EXPECT_EQ(hello_request([](std::string_view) { return false; }), "invitation-response,heartbeat");
    EXPECT_EQ(hello_request([](std::string_view name) { return name == "diffs" || name == "member-pages"; }),
              "invitation-response,heartbeat,diffs");
    EXPECT_EQ(hello_request([](std::string_view) { return true; }),
              "invitation-response,heartbeat,resume,diffs,users,updates");
}

TEST(HelloFeatures, NamesAreUnique) {
    std::set<std::string_view> names;
    for (const HelloFeature& feature : hello_features) EXPECT_TRUE(names.insert(feature.name).second) << feature.name;
}

}  // namespace
}  // namespace presence::protocol

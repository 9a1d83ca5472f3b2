// SPDX-License-Identifier: Apache-2.0
#include "tools/log_lines.h"

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace presence::tools {
namespace {

using namespace std::chrono;

// 2024-02-29T23:59:58.007Z: a leap day, milliseconds that need their zeros.
const system_clock::time_point when = sys_days{2024y / February / 29} + 23h + 59min + 58s + 7ms + 900us;

TEST(LogLine, TextIsTimeLevelMessage) {
    EXPECT_EQ(log_line(when, LogLevel::warning, "engine unreachable", LogFormat::text),
              "2024-02-29T23:59:58.007Z warning engine unreachable\n");
    EXPECT_EQ(log_line(system_clock::time_point{}, LogLevel::debug, "x", LogFormat::text),
              "1970-01-01T00:00:00.000Z debug x\n");
}

TEST(LogLine, JsonIsOneObjectPerLine) {
    const std::string line = log_line(when, LogLevel::error, "a \"quoted\"\nsecond line\\", LogFormat::json);
    ASSERT_EQ(line.find('\n'), line.size() - 1);
    const boost::json::object entry = boost::json::parse(line).as_object();
    EXPECT_EQ(entry.size(), 3u);
    EXPECT_EQ(entry.at("time"), "2024-02-29T23:59:58.007Z");
    EXPECT_EQ(entry.at("level"), "error");
    EXPECT_EQ(entry.at("message"), "a \"quoted\"\nsecond line\\");
}

TEST(LogLine, JsonKeepsUtf8AndReplacesWhatIsNot) {
    const auto message = [](const std::string& text) {
        return boost::json::parse(log_line(when, LogLevel::info, text, LogFormat::json)).at("message");
    };
    EXPECT_EQ(message("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(message("node \xff\xfe"), "node ??");
}

TEST(LogLine, TextPutsFieldsAfterTheMessageQuotingWhatWouldBeAmbiguous) {
    const std::array<LogField, 4> fields{LogField{"address", "[::1]:52100"}, LogField{"member", "a b=\"c\"\nd"},
                                         LogField{"empty", ""}, LogField{"last", "x"}};
    EXPECT_EQ(log_line(when, LogLevel::debug, "connection s: too big", LogFormat::text, fields),
              "2024-02-29T23:59:58.007Z debug connection s: too big address=[::1]:52100 "
              "member=\"a b=\\\"c\\\"\\nd\" last=x\n");
}

TEST(LogLine, JsonHasAMemberPerField) {
    const std::array<LogField, 3> fields{LogField{"address", "127.0.0.1:52100"}, LogField{"member", "m\xff"},
                                         LogField{"empty", ""}};
    const boost::json::object entry =
        boost::json::parse(log_line(when, LogLevel::debug, "connection s: too big", LogFormat::json, fields))
            .as_object();
    EXPECT_EQ(entry.size(), 5u);
    EXPECT_EQ(entry.at("message"), "connection s: too big");
    EXPECT_EQ(entry.at("address"), "127.0.0.1:52100");
    EXPECT_EQ(entry.at("member"), "m?");
}

TEST(LogLevelNames, FollowLogLevel) {
    EXPECT_EQ(log_level_named("error"), LogLevel::error);
    EXPECT_EQ(log_level_named("warning"), LogLevel::warning);
    EXPECT_EQ(log_level_named("info"), LogLevel::info);
    EXPECT_EQ(log_level_named("debug"), LogLevel::debug);
    EXPECT_EQ(log_format_named("text"), LogFormat::text);
    EXPECT_EQ(log_format_named("json"), LogFormat::json);
}

TEST(Log, ShowsItsLevelAndMoreUrgent) {
    const Log log(LogLevel::warning, LogFormat::text);
    EXPECT_TRUE(log.shows(LogLevel::error));
    EXPECT_TRUE(log.shows(LogLevel::warning));
    EXPECT_FALSE(log.shows(LogLevel::info));
    EXPECT_FALSE(log.shows(LogLevel::debug));
}

TEST(Log, JournalPrioritiesAreThoseOfSyslog) {
    EXPECT_EQ(journal_priority(LogLevel::error), "<3>");
    EXPECT_EQ(journal_priority(LogLevel::warning), "<4>");
    EXPECT_EQ(journal_priority(LogLevel::info), "<6>");
    EXPECT_EQ(journal_priority(LogLevel::debug), "<7>");
}

TEST(LoggingHooks, ConnectionsOnlyAtDebug) {
    for (const LogLevel level : {LogLevel::error, LogLevel::warning, LogLevel::info}) {
        const Log log(level, LogFormat::text);
        const ServerHooks hooks = logging_hooks(log);
        EXPECT_TRUE(hooks.on_log);
        EXPECT_FALSE(hooks.on_connect || hooks.on_disconnect || hooks.on_error);
    }
    const Log log(LogLevel::debug, LogFormat::text);
    const ServerHooks hooks = logging_hooks(log);
    EXPECT_TRUE(hooks.on_log && hooks.on_connect && hooks.on_disconnect && hooks.on_error);
}

}  // namespace
}  // namespace presence::tools

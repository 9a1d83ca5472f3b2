// SPDX-License-Identifier: Apache-2.0
#include "tools/log_lines.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "protocol/text.h"

namespace presence::tools {

namespace {

std::size_t index_of(const std::vector<std::string>& names, std::string_view name) {
    return static_cast<std::size_t>(std::ranges::find(names, name) - names.begin());
}

std::string iso_time(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(time);
    const auto day = floor<days>(ms);
    const year_month_day date{day};
    const hh_mm_ss clock{ms - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
    return text;
}

// JSON strings are UTF-8: bytes that are not (a name from a peer, say) become '?'.
std::string utf8(std::string_view message) {
    std::string text(message);
    if (!protocol::is_valid_utf8(text)) std::ranges::replace_if(text, [](unsigned char c) { return c >= 0x80; }, '?');
    return text;
}

bool needs_quotes(std::string_view value) {
    return std::ranges::any_of(value, [](unsigned char c) { return c <= ' ' || c == '"' || c == '=' || c == 0x7f; });
}

void append_fields(std::string& line, std::span<const LogField> fields) {
    for (const LogField& field : fields) {
        if (field.value.empty()) continue;
        line.append(" ").append(field.key).append("=");
        if (needs_quotes(field.value))
            line += boost::json::serialize(boost::json::value(utf8(field.value)));
        else
            line.append(field.value);
    }
}

}  // namespace

LogLevel log_level_named(std::string_view name) { return static_cast<LogLevel>(index_of(log_level_names, name)); }

LogFormat log_format_named(std::string_view name) { return static_cast<LogFormat>(index_of(log_format_names, name)); }

std::string log_line(std::chrono::system_clock::time_point time, LogLevel level, std::string_view message,
                     LogFormat format, std::span<const LogField> fields) {
    const std::string& level_name = log_level_names[static_cast<std::size_t>(level)];
    if (format == LogFormat::text) {
        std::string line = iso_time(time) + " " + level_name + " " + std::string(message);
        append_fields(line, fields);
        return line + "\n";
    }
    boost::json::object entry{{"time", iso_time(time)}, {"level", level_name}, {"message", utf8(message)}};
    for (const LogField& field : fields)
        if (!field.value.empty()) entry[field.key] = utf8(field.value);
    return boost::json::serialize(entry) + "\n";
}

std::string_view journal_priority(LogLevel level) {
    switch (level) {
    case LogLevel::error: return "<3>";
    case LogLevel::warning: return "<4>";
    case LogLevel::info: return "<6>";
    case LogLevel::debug: break;
    }
    return "<7>";
}

void Log::write(LogLevel level, std::string_view message, std::span<const LogField> fields) const {
    if (!shows(level)) return;
    const std::string line = log_line(std::chrono::system_clock::now(), level, message, format_, fields);
    std::lock_guard lock(mutex_);
    if (to_journal_) std::cerr << journal_priority(level);
    std::cerr << line << std::flush;
}

ServerHooks logging_hooks(const Log& log) {
    ServerHooks hooks;
    hooks.on_log = [&log](LogLevel level, const std::string& line) { log.write(level, line); };
    if (!log.shows(LogLevel::debug)) return hooks;
    hooks.on_connect = [&log](const std::string& id) { log.write(LogLevel::debug, "connection " + id + " opened"); };
    hooks.on_disconnect = [&log](const std::string& id) {
        log.write(LogLevel::debug, "connection " + id + " closed");
    };
    hooks.on_error = [&log](const ConnectionError& error) {
        const std::array<LogField, 2> fields{LogField{"address", error.address}, LogField{"member", error.member_id}};
        log.write(LogLevel::debug, "connection " + error.session_id + ": " + error.what, fields);
    };
    return hooks;
}

}  // namespace presence::tools

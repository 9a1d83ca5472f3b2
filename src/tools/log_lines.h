// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "presence/server_hooks.h"

// The log of presence-server, on stderr: one line per entry, either text,
//   2024-05-01T12:34:56.789Z info listening on ws://127.0.0.1:8080
// or a JSON object, {"time":"2024-05-01T12:34:56.789Z","level":"info","message":"..."}.
// An entry about one connection has fields too: key=value after the text's message, or
// members of their own in the JSON object.
namespace presence::tools {

enum class LogFormat { text, json };

// The names of the levels, most urgent first, as LogLevel orders them.
inline const std::vector<std::string> log_level_names{"error", "warning", "info", "debug"};
inline const std::vector<std::string> log_format_names{"text", "json"};

// `name` is one of log_level_names / log_format_names.
LogLevel log_level_named(std::string_view name);
LogFormat log_format_named(std::string_view name);

// A field of an entry; one whose value is empty is left out.
struct LogField {
    std::string_view key;
    std::string_view value;
};

// One entry, its newline included. The time is UTC, to the millisecond. In text, a value
// with a space, a quote, an equals sign or a control character is written as a JSON string.
std::string log_line(std::chrono::system_clock::time_point time, LogLevel level, std::string_view message,
                     LogFormat format, std::span<const LogField> fields = {});

// The priority prefix of sd-daemon(3) for an entry of `level`: "<3>" for an error, "<4>",
// "<6>" and "<7>" for the others. The journal takes it off and files the line under it.
std::string_view journal_priority(LogLevel level);

// Writes the entries of `threshold` and those more urgent, from any thread, each whole;
// with `to_journal`, each after its priority prefix.
class Log {
public:
    Log(LogLevel threshold, LogFormat format, bool to_journal = false)
        : threshold_(threshold), format_(format), to_journal_(to_journal) {}

    bool shows(LogLevel level) const { return level <= threshold_; }
    void write(LogLevel level, std::string_view message, std::span<const LogField> fields = {}) const;

private:
    const LogLevel threshold_;
    const LogFormat format_;
    const bool to_journal_;
    mutable std::mutex mutex_;
};

// Hooks that write the server's own entries to `log` at their level, and those of single
// connections (opened, closed, failed) at debug: only when `log` shows debug are they set at
// all, so that no other level pays for them. A failure's entry has the fields address and,
// once the connection has joined, member. `log` must outlive the server.
ServerHooks logging_hooks(const Log& log);

}  // namespace presence::tools

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/json/object.hpp>
#include <mutex>
#include <optional>
#include <string>

#include "tools/line_editor.h"

namespace presence::tools {

// The value of the `token` query parameter of `url`, as written there; "" for none.
std::string token_in(const std::string& url);
// `text` with each occurrence of `secret` replaced.
std::string hidden(std::string text, const std::string& secret);
// What a remote member wrote may hold control characters: at a terminal they would move the
// cursor or change colours, so they are shown as '?' (line feeds stay).
std::string printable(std::string text);

// Prints whole lines, flushed one by one, from any thread, never the token. With a line
// editor, through it: above the command being typed. Otherwise an event that comes while
// the prompt waits for input takes the prompt's place, and the prompt follows it.
class Printer {
public:
    Printer(bool as_json, std::string token, LineEditor* editor)
        : json_(as_json), token_(std::move(token)), editor_(editor) {}

    void event(const std::string& text, const boost::json::object& object);
    void prompt(bool shown);

private:
    bool json_;
    const std::string token_;
    LineEditor* const editor_;
    bool prompting_ = false;
    std::mutex mutex_;
};

// Lines of stdin; stop() from another thread ends a wait for the next one.
class LineReader {
public:
    LineReader();
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // The next line, or nullopt at the end of input or after stop().
    std::optional<std::string> next();
    void stop();

private:
    // false once stopped.
    bool fill();

    int wake_[2];
    std::string buffer_;
    bool end_ = false;
};

}  // namespace presence::tools

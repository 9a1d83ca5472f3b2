// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>

struct editline;
struct history;

namespace presence::tools {

// Lines typed at a terminal, with editing and a history of the lines entered (libedit,
// emacs keys, ~/.editrc). Lines shown from other threads while one is being typed appear
// above it, and the prompt and the line typed so far are drawn again below them.
// Both stdin and stdout must be the terminal.
class LineEditor {
public:
    LineEditor(const char* program, std::string prompt);
    ~LineEditor();
    LineEditor(const LineEditor&) = delete;
    LineEditor& operator=(const LineEditor&) = delete;

    // The next line, without its newline; nullopt at the end of input (Ctrl-D) or once
    // stop() was called. One thread only.
    std::optional<std::string> next();

    // From any thread: prints `line` (a line feed is added), above the line being typed.
    void show(std::string line);
    // From any thread: next() returns nullopt, now or when next called.
    void stop();

private:
    static int read_char(editline* el, wchar_t* c);
    int read_char(wchar_t* c);
    void show_pending();
    void wake();

    const std::string prompt_;
    struct editline* el_ = nullptr;
    struct history* history_ = nullptr;
    int wake_[2] = {-1, -1};  // a byte on this pipe: lines to show, or stop()

    std::mutex mutex_;
    std::deque<std::string> pending_;  // to show above the line being typed
    bool reading_ = false;             // next() is inside libedit
    bool stopped_ = false;
};

}  // namespace presence::tools

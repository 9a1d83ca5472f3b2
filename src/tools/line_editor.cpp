// SPDX-License-Identifier: Apache-2.0
#include "tools/line_editor.h"

#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cwchar>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace presence::tools {
namespace {

constexpr int history_size = 1000;

// Lines shown go out through stdout's buffer, as libedit's own output does, so that the
// two keep their order.
void write_out(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

}  // namespace

LineEditor::LineEditor(const char* program, std::string prompt) : prompt_(std::move(prompt)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    el_ = el_init(program, stdin, stdout, stderr);
    history_ = history_init();
    if (el_ == nullptr || history_ == nullptr) throw std::runtime_error("cannot set up line editing");
    HistEvent event;
    history(history_, &event, H_SETSIZE, history_size);
    history(history_, &event, H_SETUNIQUE, 1);
    el_set(el_, EL_CLIENTDATA, this);
    el_set(el_, EL_PROMPT, +[](editline* el) -> char* {
        void* self = nullptr;
        el_get(el, EL_CLIENTDATA, &self);
        return const_cast<char*>(static_cast<LineEditor*>(self)->prompt_.c_str());
    });
    el_set(el_, EL_EDITOR, "emacs");
    el_set(el_, EL_HIST, history, history_);
    // On a signal (Ctrl-C), the terminal is set back before the program ends.
    el_set(el_, EL_SIGNAL, 1);
    el_set(el_, EL_GETCFN, static_cast<el_rfunc_t>(&LineEditor::read_char));
    el_source(el_, nullptr);
}

LineEditor::~LineEditor() {
    if (el_ != nullptr) el_end(el_);
    if (history_ != nullptr) history_end(history_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

std::optional<std::string> LineEditor::next() {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return std::nullopt;
        reading_ = true;
    }
    int count = 0;
    const char* read = el_gets(el_, &count);
    std::optional<std::string> line;
    if (read != nullptr && count > 0) {
        line.emplace(read, static_cast<std::size_t>(count));
        if (line->back() == '\n') line->pop_back();
        HistEvent event;
        if (!line->empty()) history(history_, &event, H_ENTER, line->c_str());
    }
    std::lock_guard lock(mutex_);
    reading_ = false;
    // At the end of input the cursor is still after the prompt.
    if (!line) write_out(stopped_ ? "\r\033[J" : "\n");
    while (!pending_.empty()) {
        write_out(pending_.front() + "\n");
        pending_.pop_front();
    }
    return line;
}

void LineEditor::show(std::string line) {
    std::lock_guard lock(mutex_);
    if (!reading_) return write_out(line + "\n");
    pending_.push_back(std::move(line));
    wake();
}

void LineEditor::stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    wake();
}

void LineEditor::wake() { [[maybe_unused]] const auto n = ::write(wake_[1], "x", 1); }

int LineEditor::read_char(editline* el, wchar_t* c) {
    void* self = nullptr;
    el_get(el, EL_CLIENTDATA, &self);
    return static_cast<LineEditor*>(self)->read_char(c);
}

// libedit's way to get the next character, in its place: waits for stdin and for lines to
// show, and decodes UTF-8 (the locale's multibyte text) as libedit's own function does.
// 1 for a character, 0 at the end of input or once stopped, -1 on an error.
int LineEditor::read_char(wchar_t* c) {
    char bytes[MB_LEN_MAX];
    std::size_t have = 0;
    for (;;) {
        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (fds[1].revents != 0) {
            char drained[64];
            while (::read(wake_[0], drained, sizeof drained) > 0) {
            }
            std::lock_guard lock(mutex_);
            if (stopped_) return 0;
            show_pending();
        }
        if (fds[0].revents == 0) continue;
        const ssize_t n = ::read(STDIN_FILENO, bytes + have, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return static_cast<int>(n);
        ++have;
        std::mbstate_t state{};
        const std::size_t decoded = std::mbrtowc(c, bytes, have, &state);
        if (decoded == static_cast<std::size_t>(-2) && have < sizeof bytes) continue;  // more bytes to come
        if (decoded <= have) return 1;
        have = 0;  // not a character: dropped, as libedit does
    }
}

// Called with the mutex held, inside libedit's read of a character: the lines being typed
// are wiped, the pending lines written in their place, and libedit draws the prompt and
// the line again below them, the cursor where it was.
void LineEditor::show_pending() {
    if (pending_.empty()) return;
    int columns = 0;
    el_get(el_, EL_GETTC, "co", &columns);
    const LineInfoW* typed = el_wline(el_);
    int width = static_cast<int>(prompt_.size());
    for (const wchar_t* p = typed->buffer; p < typed->cursor; ++p) width += std::max(0, ::wcwidth(*p));
    const int rows_above = columns > 0 ? width / columns : 0;
    std::string out = "\r";
    if (rows_above > 0) out += "\033[" + std::to_string(rows_above) + "A";
    out += "\033[J";
    // The terminal is in libedit's raw mode, where a line feed may not return the carriage.
    for (const std::string& line : pending_) {
        for (const char c : line) out += c == '\n' ? std::string_view("\r\n") : std::string_view(&c, 1);
        out += "\r\n";
    }
    pending_.clear();
    write_out(out);
    el_set(el_, EL_REFRESH);
}

}  // namespace presence::tools

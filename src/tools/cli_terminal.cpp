// SPDX-License-Identifier: Apache-2.0
#include "tools/cli_terminal.h"

#include <poll.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cerrno>
#include <iostream>
#include <string_view>
#include <system_error>
#include <utility>

namespace presence::tools {

std::string token_in(const std::string& url) {
    const std::size_t query = url.find('?');
    for (std::size_t at = query; at != std::string::npos; at = url.find('&', at + 1)) {
        if (url.compare(at + 1, 6, "token=") != 0) continue;
        const std::size_t start = at + 7;
        return url.substr(start, url.find('&', start) - start);
    }
    return {};
}

std::string hidden(std::string text, const std::string& secret) {
    if (secret.empty()) return text;
    constexpr std::string_view mask = "[hidden]";
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + mask.size()))
        text.replace(at, secret.size(), mask);
    return text;
}

std::string printable(std::string text) {
    std::ranges::replace_if(text, [](unsigned char c) { return (c < 0x20 && c != '\n') || c == 0x7f; }, '?');
    return text;
}

void Printer::event(const std::string& text, const boost::json::object& object) {
    std::string line = hidden(json_ ? boost::json::serialize(object) : text, token_);
    if (editor_) return editor_->show(printable(std::move(line)));
    std::lock_guard lock(mutex_);
    std::cout << (prompting_ ? "\r" : "") << line << '\n' << (prompting_ ? "> " : "") << std::flush;
}

void Printer::prompt(bool shown) {
    std::lock_guard lock(mutex_);
    prompting_ = shown;
    if (shown) std::cout << "> " << std::flush;
}

LineReader::LineReader() {
    if (::pipe(wake_) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
}

LineReader::~LineReader() {
    ::close(wake_[0]);
    ::close(wake_[1]);
}

std::optional<std::string> LineReader::next() {
    for (;;) {
        if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        if (end_) return buffer_.empty() ? std::nullopt : std::optional(std::exchange(buffer_, {}));
        if (!fill()) return std::nullopt;
    }
}

void LineReader::stop() { [[maybe_unused]] const auto n = ::write(wake_[1], "x", 1); }

bool LineReader::fill() {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) return errno == EINTR;
    if (fds[1].revents) return false;
    char chunk[4096];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0) return errno == EINTR;
    if (n == 0) end_ = true;
    buffer_.append(chunk, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    return true;
}

}  // namespace presence::tools

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "presence/client.h"

namespace presence::test {

using namespace std::chrono_literals;

// "id/name/info", as event lines show a member.
std::string describe(const Member& m);

// Records every event of a Client as one line of text, in order, so tests can wait for
// and count exact lines. Channels appear in brackets: "publish [room] <member> text".
class EventLog {
public:
    // Answers invitations by channel name; refuses when unset. Set before events().
    std::function<bool(const std::string& channel)> accept_invitation;

    // Callbacks that record into this log; it must outlive the client.
    ClientEvents events();

    // Waits until `line` was logged `times` times.
    testing::AssertionResult wait_for(const std::string& line, std::size_t times = 1,
                                      std::chrono::milliseconds timeout = 10s);
    // Waits until a line starting with `prefix` was logged `times` times.
    testing::AssertionResult wait_for_prefix(const std::string& prefix, std::size_t times = 1,
                                             std::chrono::milliseconds timeout = 10s);
    std::size_t count(const std::string& line) const;
    std::size_t count_prefix(std::string_view prefix) const;
    std::vector<std::string> lines() const;
    // The session id from the "session <id>" line, "" before it.
    std::string session_id() const;

    void add(std::string line);

private:
    testing::AssertionResult wait(const std::function<std::size_t()>& counted, std::size_t times,
                                  std::chrono::milliseconds timeout, const std::string& what);
    std::string dump() const;  // with the lock held

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
};

}  // namespace presence::test

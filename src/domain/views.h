// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/answers.h"
#include "domain/connection.h"
#include "domain/engine.h"
#include "domain/frames.h"
#include "domain/string_keys.h"
#include "protocol/message.h"

namespace presence {

// The views a connection may take of presence instead of every change one by one: diffs
// (a channel's changes coalesced over an interval), counts (a channel's member count
// only), users (a user's first join and last leave), and members' updates. It alone
// changes a connection's view flags, so that it can count the connections that take each
// view and do no work for a view nobody takes.
class Views {
public:
    Views(Engine& engine, const PresenceOptions& options, const ServerHooks& hooks, const Frames& frames,
          const Answers& answers)
        : engine_(engine), options_(options), hooks_(hooks), frames_(frames), answers_(answers) {}

    // The views asked for at hello.
    void choose(Connection& c, bool diffs, bool users, bool updates);
    // Before the connection ends, or is replaced by the one it resumes.
    void drop(Connection& c);
    // Drops the counts of channels the connection's grant no longer allows.
    void keep_to_grant(Connection& c);

    void get_count(Connection& c, const protocol::Message& request);
    void set_counts_only(Connection& c, const protocol::Message& request);
    void get_users(Connection& c, const protocol::Message& request);
    // Whether `self` may list `channel`, the error answered otherwise. A list must not be
    // older than the diffs that follow it, so the channel's pending diff goes first.
    bool may_list(Connection& c, const protocol::Message& request, const Member& self, const std::string& channel);

    // From the engine: the view of this node changed.
    void changed(Change change, const Member& member, std::string_view channel);
    void updated(const Member& member);

    // Sends the diffs and counts of the channels that changed, once the diff interval has
    // passed since the first change, and the users' leaves whose grace ended.
    void flush(protocol::Clock::time_point now);
    std::optional<protocol::Clock::time_point> next_flush() const;
    void on_next_flush(std::function<void()> wake) { wake_ = std::move(wake); }

private:
    // Changes the views `c` takes, keeping count of the connections that take each.
    template <typename Edit>
    void change(Connection& c, Edit edit);
    void flush_diff(const std::string& channel);
    FramePtr count_frame(const std::string& channel, View view) const;
    std::size_t count_of(std::string_view channel) const;
    void count_user(Change change, const Member& member, std::string_view channel);
    void announce_user(Change change, const Member& member, std::string_view channel);
    void flush_leaves(protocol::Clock::time_point now);

    // One channel's joins and leaves since its last diff, in the order of their first
    // change. A join then a leave of the same member cancel out; a leave then a join stay
    // both, as the member may have come back with another name or info.
    struct PendingDiff {
        struct Entry {
            std::optional<Member> left;
            std::optional<Member> joined;
        };
        std::vector<std::string> order;
        StringMap<Entry> entries;
    };

    // A user's last leave of a channel, waiting out its grace; keyed by channel, a NUL
    // and the user.
    struct PendingLeave {
        std::string key;
        std::string channel;
        FramePtr frame;
        protocol::Clock::time_point deadline;
    };

    Engine& engine_;
    const PresenceOptions& options_;
    const ServerHooks& hooks_;
    const Frames& frames_;
    const Answers& answers_;
    // How many connections of each user each channel ("" for presence) has in this node's
    // view. Every node counts from the changes it sees, in the order it sees them, and
    // tells its own connections only: each of them hears one first join and one last leave
    // per stay of a user, whichever node its connections are on.
    StringMap<StringMap<std::size_t>> user_counts_;
    std::size_t user_viewers_ = 0;  // connections that take users
    std::list<PendingLeave> pending_leaves_;  // oldest first
    StringMap<std::list<PendingLeave>::iterator> leave_index_;
    std::size_t viewers_ = 0;   // connections that take diffs or counts
    std::size_t counters_ = 0;  // connections that take counts only, of some channel
    StringMap<PendingDiff> pending_diffs_;
    protocol::Clock::time_point next_flush_{};  // of the pending diffs
    std::function<void()> wake_;
};

}  // namespace presence

// SPDX-License-Identifier: Apache-2.0
#include "event_log.h"

#include <algorithm>

namespace presence::test {
namespace {

std::string bracketed(const std::string& channel) { return "[" + channel + "]"; }

// The order of members[] is not part of the protocol.
std::string describe_all(std::vector<Member> members) {
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.name < b.name; });
    std::string out;
    for (const Member& m : members) out += (out.empty() ? "" : ", ") + describe(m);
    return out;
}

}  // namespace

std::string describe(const Member& m) { return m.id + "/" + m.name + "/" + m.info; }

ClientEvents EventLog::events() {
    ClientEvents e;
    e.on_connect = [this] { add("connect"); };
    e.on_disconnect = [this](int code, const std::string& reason) {
        add("disconnect " + std::to_string(code) + " " + reason);
    };
    e.on_error = [this](const std::string& what) { add("error " + what); };
    e.on_reconnecting = [this] { add("reconnecting"); };
    e.on_resume = [this](bool complete) { add(complete ? "resume complete" : "resume incomplete"); };
    e.on_session = [this](const std::string& id) { add("session " + id); };
    e.on_new_member = [this](const Member& m) { add("member+ " + describe(m)); };
    e.on_remove_member = [this](const Member& m) { add("member- " + describe(m)); };
    e.on_new_channel_member = [this](const std::string& channel, const Member& m) {
        add("channel+ " + bracketed(channel) + " " + describe(m));
    };
    e.on_remove_channel_member = [this](const std::string& channel, const Member& m) {
        add("channel- " + bracketed(channel) + " " + describe(m));
    };
    e.on_publish_msg = [this](const std::string& channel, const Member& m, const std::string& text) {
        add("publish " + bracketed(channel) + " " + describe(m) + " " + text);
    };
    e.on_get_members = [this](const std::string& channel, const std::vector<Member>& members) {
        add("members " + bracketed(channel) + " " + describe_all(members));
    };
    e.on_members_page = [this](const std::string& channel, const std::vector<Member>& members,
                               const std::string& next) {
        add("page " + bracketed(channel) + " " + describe_all(members) + " next=" + next);
    };
    e.on_count = [this](const std::string& channel, std::size_t count) {
        add("count " + bracketed(channel) + " " + std::to_string(count));
    };
    e.on_diff = [this](const std::string& channel, const std::vector<Member>& joined,
                       const std::vector<Member>& left, std::size_t count) {
        add("diff " + bracketed(channel) + " +" + describe_all(joined) + " -" + describe_all(left) + " " +
            std::to_string(count));
    };
    // In the server's order: the members of one user next to each other.
    e.on_get_users = [this](const std::string& channel, const std::vector<Member>& members) {
        std::string line = "users " + bracketed(channel);
        for (const Member& m : members) line += " " + (m.user.empty() ? "" : m.user + ":") + describe(m);
        add(line);
    };
    e.on_update_member = [this](const Member& m) { add("update " + describe(m)); };
    e.on_error_member_channel = [this](const std::string& channel, const Member& m, int code,
                                       const std::string& text) {
        add("error-member-channel " + bracketed(channel) + " " + describe(m) + " " + std::to_string(code) + " " +
            text);
    };
    e.on_error_publish_msg = [this](const std::string& channel, const Member& m, const std::string& text,
                                    int code, const std::string& error_text) {
        add("error-publish " + bracketed(channel) + " " + describe(m) + " " + text + " " + std::to_string(code) +
            " " + error_text);
    };
    e.on_channel_invitation = [this](const Member& inviter, const std::string& channel) {
        const bool accept = accept_invitation && accept_invitation(channel);
        add("invitation " + describe(inviter) + " " + bracketed(channel) + (accept ? " accept" : " refuse"));
        return accept;
    };
    e.on_channel_invitation_response = [this](const Member& invitee, const std::string& channel, bool accepted,
                                              const std::optional<RemoteError>& error) {
        std::string line = "invitation-response " + describe(invitee) + " " + bracketed(channel) +
                           (accepted ? " accepted" : " refused");
        if (error) line += " " + std::to_string(error->code) + " " + error->text;
        add(std::move(line));
    };
    return e;
}

void EventLog::add(std::string line) {
    {
        std::lock_guard lock(mutex_);
        lines_.push_back(std::move(line));
    }
    changed_.notify_all();
}

testing::AssertionResult EventLog::wait_for(const std::string& line, std::size_t times,
                                            std::chrono::milliseconds timeout) {
    return wait([&] { return static_cast<std::size_t>(std::count(lines_.begin(), lines_.end(), line)); }, times,
                timeout, "\"" + line + "\"");
}

testing::AssertionResult EventLog::wait_for_prefix(const std::string& prefix, std::size_t times,
                                                   std::chrono::milliseconds timeout) {
    return wait(
        [&] {
            return static_cast<std::size_t>(std::count_if(lines_.begin(), lines_.end(),
                                                          [&](const std::string& l) { return l.starts_with(prefix); }));
        },
        times, timeout, "a line starting with \"" + prefix + "\"");
}

testing::AssertionResult EventLog::wait(const std::function<std::size_t()>& counted, std::size_t times,
                                        std::chrono::milliseconds timeout, const std::string& what) {
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, timeout, [&] { return counted() >= times; })) return testing::AssertionSuccess();
    return testing::AssertionFailure() << "waited in vain for " << what << " x" << times << "; events so far:\n"
                                       << dump();
}

std::size_t EventLog::count(const std::string& line) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count(lines_.begin(), lines_.end(), line));
}

std::size_t EventLog::count_prefix(std::string_view prefix) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(lines_.begin(), lines_.end(), [&](const std::string& l) { return l.starts_with(prefix); }));
}

std::vector<std::string> EventLog::lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
}

std::string EventLog::session_id() const {
    std::lock_guard lock(mutex_);
    for (const std::string& line : lines_)
        if (line.starts_with("session ")) return line.substr(8);
    return {};
}

std::string EventLog::dump() const {
    std::string out;
    for (const std::string& line : lines_) out += "  " + line + "\n";
    return out;
}

}  // namespace presence::test

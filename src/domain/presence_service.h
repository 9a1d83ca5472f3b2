// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/engine.h"
#include "domain/connection.h"
#include "presence/error_codes.h"
#include "domain/limits_hit.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"
#include "protocol/message.h"

namespace presence {

// The presence rules: turns one connection's requests into engine calls, hook calls and
// frames for the members concerned. Knows nothing of sockets. Single-threaded: every call
// comes from the thread (or strand) that owns this object.
class PresenceService final : private EngineListener {
public:
    using LimitsHit = presence::LimitsHit;

    // Error frames answered, by code, since the start.
    class ErrorsAnswered {
    public:
        static constexpr std::array codes{
            ErrorCode::member_already_exists, ErrorCode::new_member_denied, ErrorCode::member_not_exists,
            ErrorCode::channel_not_exists, ErrorCode::new_channel_denied, ErrorCode::subscription_denied,
            ErrorCode::subscription_already_exists, ErrorCode::subscription_not_exists, ErrorCode::publish_denied,
            ErrorCode::send_members_denied, ErrorCode::invitation_denied, ErrorCode::too_many_requests,
            ErrorCode::too_many_channels, ErrorCode::too_many_invitations, ErrorCode::channel_full,
            ErrorCode::too_many_updates, ErrorCode::parse_error, ErrorCode::invalid_request,
            ErrorCode::method_not_found, ErrorCode::invalid_params};

        void count(ErrorCode code) {
            for (std::size_t i = 0; i < codes.size(); ++i)
                if (codes[i] == code) ++counts_[i];
        }
        // The count of codes[i].
        std::uint64_t at(std::size_t i) const { return counts_[i]; }
        ErrorsAnswered& operator+=(const ErrorsAnswered& more) {
            for (std::size_t i = 0; i < codes.size(); ++i) counts_[i] += more.counts_[i];
            return *this;
        }

    private:
        std::array<std::uint64_t, codes.size()> counts_{};
    };

    // What this node's members did, since the start: for operators (the admin API).
    struct Activity {
        std::uint64_t joins = 0;
        std::uint64_t leaves = 0;     // whatever the reason: leave, close, loss, expiry
        std::uint64_t publishes = 0;  // the application's broadcasts included
        bool operator==(const Activity&) const = default;
        Activity& operator+=(const Activity& more) {
            joins += more.joins;
            leaves += more.leaves;
            publishes += more.publishes;
            return *this;
        }
    };

    PresenceService(Engine& engine, PresenceOptions options, const ServerHooks& hooks);

    // Connections are known by their link. connect() sends the session frame;
    // disconnect() announces the departure of the link's member, and is a no-op for
    // a link already disconnected.
    void connect(Link& link, Grant grant = {});
    void receive(Link& link, std::string_view frame);
    void disconnect(Link& link);
    // The link was lost without a closing handshake. A member that can resume stays for
    // the grace period, keeping `hold` (the transport's count of the connection) until it
    // resumes or ends; otherwise as disconnect().
    void lose(Link& link, std::shared_ptr<const void> hold = {});
    // Ends the members whose grace period for resuming ran out before `now`.
    void expire(protocol::Clock::time_point now);
    // Closes (1008) the connections whose grant ended before `now`.
    void end_grants(std::chrono::system_clock::time_point now);
    // Closes every connection (each still gets disconnect() from its transport), and
    // ends the members waiting to resume.
    void close_all(unsigned short code, std::string_view reason);
    // Disconnects and drops whatever is still connected, for a shutdown that cannot
    // wait longer.
    void disconnect_all();
    // A frame the transport could not hand over (a bad broker framing): answered with
    // `code` and counted as a malformed request of the link's connection.
    void refuse(Link& link, ErrorCode code, std::string text);
    // A transport failure of one connection, for the on_error hook.
    void report_error(const Link& link, std::string_view what) const;
    // Ends the connection whose session id (a member's id) is `id`, for the application:
    // its departure is announced at once, as for a closed connection, then it is closed
    // with `code`. A member waiting to resume is ended. False when there is no such
    // connection here.
    bool close_connection(std::string_view id, unsigned short code, std::string_view reason);

    // False, and nothing sent, when `text` or `channel` is not UTF-8: no client could read it.
    bool broadcast(std::string_view text, std::string_view channel);
    // Re-sends what is due for acknowledgment on every connection.
    void resend_unacknowledged(protocol::Clock::time_point now);
    // Sends the diffs and counts of the channels that changed, once the diff interval has
    // passed since the first change, and the users' leaves whose grace ended.
    void flush_views(protocol::Clock::time_point now);
    // When flush_views next has something to send; none while nothing waits.
    std::optional<protocol::Clock::time_point> next_flush() const;
    // `wake` is called whenever next_flush() may have come earlier.
    void on_next_flush(std::function<void()> wake) { wake_ = std::move(wake); }

    const Engine& engine() const { return engine_; }
    std::size_t connections() const { return connections_.size(); }
    // Members whose connection was lost and who may still resume it.
    std::size_t detached() const { return detached_.size(); }
    const LimitsHit& limits_hit() const { return limits_hit_; }
    const ErrorsAnswered& errors_answered() const { return errors_answered_; }
    const Activity& activity() const { return activity_; }
    // Frames re-sent for want of an acknowledgment, and frames dropped after the last retry.
    std::uint64_t ack_resends() const { return ack_resends_; }
    std::uint64_t ack_drops() const { return ack_drops_; }
    const PresenceOptions& options() const { return options_; }
    // The connection of `link`, or nullptr: for a transport that decides on requests
    // before they come in (HTTP hooks).
    const Connection* connection_of(const Link& link) const;
    // `frame`, a request of `link` that the transport's hooks refused: acknowledged and
    // answered with `code` as when a before_* hook refuses it.
    void deny(Link& link, std::string_view frame, ErrorCode code, std::string text);

private:
    using Message = protocol::Message;

    bool remembers_id(Connection& c, const protocol::Decoded& decoded);
    void dispatch(Connection& c, const Message& request);
    void hello(Connection& c, const Message& request);
    void resume(Connection& c, const Message& request);
    void take_over(Connection& fresh, std::unique_ptr<Connection> resumed, std::uint64_t received);
    void keep_to_grant(Connection& c);
    std::unique_ptr<Connection> claim(const std::string& token, const Connection& claimant);
    void end_detached(std::unique_ptr<Connection> c);
    // Before a connection object is destroyed.
    void forget(Connection& c);
    void join(Connection& c, const Message& request);
    void leave(Connection& c, const Message& request);
    void subscribe(Connection& c, const Message& request);
    void unsubscribe(Connection& c, const Message& request);
    void publish(Connection& c, const Message& request);
    void get_members(Connection& c, const Message& request);
    bool may_list(Connection& c, const Message& request, const Member& self, const std::string& channel);
    FramePtr members_frame(const Member& self, const std::string& channel) const;
    void get_members_page(Connection& c, const Message& request);
    void get_count(Connection& c, const Message& request);
    void set_counts_only(Connection& c, const Message& request);
    FramePtr count_frame(const std::string& channel, View view) const;
    std::size_t count_of(std::string_view channel) const;
    // Changes the views `c` asked for, keeping count of the connections that have each.
    template <typename Edit>
    void change_views(Connection& c, Edit edit);
    void flush_diff(const std::string& channel);
    void get_users(Connection& c, const Message& request);
    void count_user(Change change, const Member& member, std::string_view channel);
    void announce_user(Change change, const Member& member, std::string_view channel);
    void flush_leaves(protocol::Clock::time_point now);
    void invite(Connection& c, const Message& request);
    void refuse_invitation(Connection& c, const Message& request);
    void update_member(Connection& c, const Message& request);

    std::optional<ErrorCode> try_subscribe(const Connection& c, const Member& self, const std::string& channel);
    std::optional<ErrorCode> invite_one(Connection& c, const Member& self, const std::string& channel,
                                        const Member* invitee);
    void remove_from_channel(const Member& self, const std::string& channel);
    void remove_member(Connection& c);
    void settle_invitations(Connection& invitee, const std::string& channel,
                            std::optional<ErrorCode> error);
    void answer_invitation(const Invitation& invitation, const Member& invitee,
                           std::string_view answer, std::optional<ErrorCode> error);

    FramePtr announcement(Change change, const Member& member, std::string_view channel) override;
    std::shared_ptr<Frame> change_frame(Change change, const Member& member, std::string_view channel,
                                        View view) const;
    void reaped(const Member& member, const std::vector<std::string>& channels) override;
    void changed(Change change, const Member& member, std::string_view channel) override;
    FramePtr update_announcement(const Member& member) override;
    void updated(const Member& member) override;

    // The requester's own member, or nullptr after answering error 3.
    const Member* self_of(Connection& c, const Message& request);
    bool valid_channel(Connection& c, const Message& request, bool required);
    bool fits(Connection& c, const Message& request, const Member& member);
    bool within(Connection& c, const Message& request, std::string_view field,
                std::size_t size, std::size_t limit);
    void answer_error(Connection& c, const Message& request, ErrorCode code,
                      std::string_view text = {}, const Member* about = nullptr);
    void reject(Connection& c, const Message& request, ErrorCode code, std::string text);

    std::shared_ptr<Frame> make_frame(Message message) const;
    // Fans a published message out to `channel`, its frame timed from now.
    void publish_frame(std::string_view channel, Message message);
    // A frame outside acknowledgment and the resume numbering.
    Bytes make_aside(const Message& message) const;

    Engine& engine_;
    PresenceOptions options_;
    const ServerHooks& hooks_;

    struct Detached {
        std::unique_ptr<Connection> connection;
        protocol::Clock::time_point deadline;
    };

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

    std::unordered_map<const Link*, std::unique_ptr<Connection>> connections_;
    // The users extension: how many connections of each user each channel ("" for presence)
    // has in this node's view. Every node counts from the changes it sees, in the order it
    // sees them, and tells its own connections only: each of them hears one first join and
    // one last leave per stay of a user, whichever node its connections are on.
    StringMap<StringMap<std::size_t>> user_counts_;
    std::size_t user_viewers_ = 0;  // connections that asked for users
    std::list<PendingLeave> pending_leaves_;  // oldest first
    StringMap<std::list<PendingLeave>::iterator> leave_index_;
    std::size_t viewers_ = 0;  // connections that asked for diffs or counts
    std::size_t counters_ = 0;  // connections that asked for counts only, of some channel
    StringMap<PendingDiff> pending_diffs_;
    protocol::Clock::time_point next_flush_{};  // of the pending diffs
    std::function<void()> wake_;
    std::unordered_map<std::string, Link*> resumable_;  // token → link, attached ones
    std::unordered_map<std::string, Detached> detached_;  // token → lost connection
    Expiries expiries_;
    LimitsHit limits_hit_;
    ErrorsAnswered errors_answered_;
    Activity activity_;
    std::uint64_t ack_resends_ = 0;
    std::uint64_t ack_drops_ = 0;
};

}  // namespace presence

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "presence/acknowledgment.h"
#include "presence/member.h"

namespace boost::asio {
class io_context;
}

namespace presence {

class Broker;

/// The client's settings, as the sgcWebSockets Presence client has them.
struct ClientOptions {
    /// ws://host[:port][/path], or wss:// for TLS: the server's certificate must then be
    /// trusted and name the URL's host (a DNS name or an IP address).
    std::string url = "ws://127.0.0.1:8080/";
    /// The namespace (Guid) on the server: 1 to 100 printable ASCII characters, or empty for
    /// the server's default one. A server that does not have it puts a plain connection in
    /// its default namespace, and refuses it on a broker.
    std::string guid;
    std::string name;                          ///< Presence.Name
    std::string info;                          ///< Presence.Info
    AckOptions ack;                            ///< Acknowledgment of what the client sends
    bool encode_base64 = false;                ///< EncodeBase64 of what the client sends
    /// Bounds the TCP connect, the TLS handshake, the WebSocket handshake and the closing
    /// handshake.
    std::chrono::milliseconds connect_timeout{10'000};
    /// Bytes waiting to be written; a message that does not fit is dropped (on_error).
    std::size_t max_send_queue_bytes = 4 * 1024 * 1024;
    std::string ca_file;  ///< PEM CA certificates to trust for wss:// instead of the system's
    /// WebSocket ping/pong, so that a server that vanished without closing (cable pulled,
    /// host frozen) is noticed: on_error, then the connection is lost (1006; see resume).
    std::chrono::milliseconds heartbeat_interval{15'000};  ///< silence from the server before a ping; 0 = none
    std::chrono::milliseconds heartbeat_timeout{10'000};   ///< silence after the ping: the server is gone
    /// Resume (docs/protocol.md): a connection lost without a closing handshake (a drop, a
    /// reset, a heartbeat timeout) after joining is restored on a new one, as the same member,
    /// when the server offers resume. Connection attempts wait reconnect_delay first, twice as
    /// long after each failure up to reconnect_max_delay (each wait a random time between
    /// half of it and all of it), and stop after reconnect_give_up. The defaults are
    /// presence.js's; it alone never gives up (web/README.md says why).
    bool resume = true;  ///< ask the server to keep this member across a lost connection
    std::chrono::milliseconds reconnect_delay{500};
    std::chrono::milliseconds reconnect_max_delay{10'000};
    std::chrono::milliseconds reconnect_give_up{30'000};
    /// Diffs (docs/protocol.md): other members' joins and leaves arrive summed up per
    /// channel and interval (on_diff) instead of one by one, when the server offers it.
    /// This client's own joins and subscriptions are confirmed one by one as always.
    bool diffs = false;
    /// Users (docs/protocol.md): the user this client's member belongs to, for the servers
    /// that list a user's connections together; empty for none. A signed token's user
    /// claim takes precedence.
    std::string user;
    /// Users: other users' joins and leaves arrive once per user (its first connection in,
    /// its last out) instead of once per connection, when the server offers it.
    bool users = false;
    /// Updates (docs/protocol.md): other members' changes of their name or info arrive
    /// (on_update_member) when the server offers it, and so do this client's own.
    bool updates = false;
};

/// An error the server answered with (error.code, error.text).
struct RemoteError {
    int code = 0;
    std::string text;

    bool operator==(const RemoteError&) const = default;
};

/// The sgcWebSockets Presence client events. Unset callbacks are skipped.
struct ClientEvents {
    /// A WebSocket is open: after connect(), and again for each new connection that
    /// restores a lost one.
    std::function<void()> on_connect;
    /// After on_connect only, once per connect(): the client is done. `code` and `reason` are
    /// the server's close frame: after close() (normally 1000), or when the server closed.
    /// 1006 when a connection was lost and cannot be restored (resume is off on either
    /// side, or the client had not joined yet), or when restoring it failed for
    /// reconnect_give_up (the reason is the last failure). 1000 when close() comes while
    /// the client is reconnecting.
    std::function<void(int code, const std::string& reason)> on_disconnect;
    /// A connection was lost and the client now reconnects to resume its member. Then
    /// on_connect for each connection made, and on_resume, on_session (the server forgot the
    /// member) or on_disconnect (given up or closed). Requests made meanwhile are dropped
    /// (on_error); with acknowledgment on they are re-sent once the member is resumed.
    std::function<void()> on_reconnecting;
    /// The lost connection is back as the same member, with the same session id. `complete`:
    /// the frames missed meanwhile follow as the usual events. Not `complete`: some were
    /// lost; fresh member lists of the member's channels follow (on_get_members).
    std::function<void(bool complete)> on_resume;
    /// Transport failures, bad frames from the server, dropped messages, calls made while
    /// not connected. The client carries on where it can.
    std::function<void(const std::string& what)> on_error;
    /// Joined: the server's session id is now this client's member id. Again, with a new
    /// id, when a lost member could not be resumed because the server had forgotten it: the
    /// client has joined afresh and enters again the channels it was confirmed in.
    std::function<void(const std::string& session_id)> on_session;
    std::function<void(const Member&)> on_new_member;
    std::function<void(const Member&)> on_remove_member;
    std::function<void(const std::string& channel, const Member&)> on_new_channel_member;
    std::function<void(const std::string& channel, const Member&)> on_remove_channel_member;
    /// `channel` is empty for a message to every member.
    std::function<void(const std::string& channel, const Member& sender, const std::string& text)>
        on_publish_msg;
    std::function<void(const std::string& channel, const std::vector<Member>& members)>
        on_get_members;
    std::function<void(const std::string& channel, const Member&, int code, const std::string& text)>
        on_error_member_channel;
    std::function<void(const std::string& channel, const Member&, const std::string& text, int code,
                       const std::string& error_text)>
        on_error_publish_msg;
    /// Return true to accept: the client then subscribes to `channel`. Unset = refuse.
    /// A refusal is told to the inviter only when the server announced that extension.
    std::function<bool(const Member& inviter, const std::string& channel)> on_channel_invitation;
    /// Extension: the answer of someone this client invited (only from servers that know it).
    std::function<void(const Member& invitee, const std::string& channel, bool accepted,
                       const std::optional<RemoteError>& error)>
        on_channel_invitation_response;
    /// Extension: one page of a channel's members (get_members_page), in the order of their
    /// ids. `next_cursor` asks for the next page; empty after the last one.
    std::function<void(const std::string& channel, const std::vector<Member>& members,
                       const std::string& next_cursor)>
        on_members_page;
    /// Extension: a channel's member count (every member's when `channel` is empty), the
    /// answer to get_count() and set_counts_only(), and then, for a counts-only channel,
    /// each time it changed.
    std::function<void(const std::string& channel, std::size_t count)> on_count;
    /// Extension (ClientOptions::diffs): who joined and who left `channel` (presence as a
    /// whole when empty) over one interval, and its member count after. Apply `left`
    /// first, then `joined`; a member may be in both (it left and came back).
    std::function<void(const std::string& channel, const std::vector<Member>& joined,
                       const std::vector<Member>& left, std::size_t count)>
        on_diff;
    /// Extension: the answer to get_users(): the members of `channel` with the members of
    /// one user next to each other (Member::user), and members of no user on their own.
    std::function<void(const std::string& channel, const std::vector<Member>& members)> on_get_users;
    /// Extension (ClientOptions::updates): a member, this client included, changed its
    /// name or info; `member` is the member as it is now.
    std::function<void(const Member&)> on_update_member;
};

/// A Presence client: one WebSocket connection (sub-protocol presence.esegece.com, or
/// GUID.presence.esegece.com with GUID = options.guid) to a Presence server, ours or
/// sgcWebSockets', or one namespace on the WebSocket of a Broker (presence/broker.h).
///
/// Threading: all network work and every callback run on one thread, the io thread.
/// By default the client owns an io_context and that thread: connect() starts it, close()
/// and the destructor join it. With the io_context constructor, callbacks run inside your
/// io_context, serialised on one strand, and close() does not wait.
/// Every public function may be called from any thread, callbacks included: it hands the
/// work to the io thread and returns. Calls are carried out in the order they were made.
/// Rules: callbacks must not throw or block for long; never destroy a Client inside one of
/// its own callbacks; with your own io_context, destroy the Client where none of its
/// callbacks can be running (on that io_context's thread, or once run() has returned).
/// No callback runs after the destructor.
///
/// Requests go out as they are made: one made before on_session reaches the server before
/// the member exists, and the server answers it with error 3.
class Client {
public:
    /// Throws std::invalid_argument when options.url is not a ws:// or wss:// URL, or
    /// options.guid is not a Guid.
    explicit Client(ClientOptions options, ClientEvents events = {});
    Client(boost::asio::io_context& io, ClientOptions options, ClientEvents events = {});
    /// On `broker`'s WebSocket and thread, which are then the client's; options.url and the
    /// connection settings (timeouts, TLS, heartbeat, send queue) are the broker's.
    /// Throws std::invalid_argument when options.guid is not a Guid.
    Client(Broker& broker, ClientOptions options, ClientEvents events = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Opens the connection; on_connect, then on_session once joined, or on_error on failure.
    /// May be called again after a disconnect.
    void connect();
    /// Closes the connection (close code 1000), or stops reconnecting; on_disconnect follows.
    /// A member that was being resumed stays on the server until its grace period ends.
    /// With the client's own thread, returns once the connection is closed and the thread
    /// joined, unless called from a callback. On a broker that has its own thread, returns
    /// once on_disconnect has run, unless called from a callback.
    void close();

    void subscribe(const std::string& channel);
    void unsubscribe(const std::string& channel);
    /// To `channel`'s members, or to every member when `channel` is empty.
    void publish(const std::string& text, const std::string& channel = "");
    void invite(const std::string& channel, const std::string& member_id);
    void get_members();  ///< every member
    void get_members(const std::string& channel);
    /// Extension (our server): up to `limit` members of `channel` (every member when empty)
    /// after `cursor` (a next_cursor of on_members_page; empty for the first page).
    void get_members_page(const std::string& channel, std::size_t limit, const std::string& cursor = "");
    /// Extension (our server): the member count of `channel` (every member when empty), in on_count.
    void get_count(const std::string& channel);
    /// Extension (our server): the members of `channel` (every member when empty) by user,
    /// in on_get_users.
    void get_users(const std::string& channel);
    /// Extension (our server): with `on`, the announcements of `channel` are replaced by
    /// its count, sent when it changed (at most once per diff interval).
    void set_counts_only(const std::string& channel, bool on);
    /// Extension (our server): changes this member's name and/or info (nullopt keeps one as
    /// it is). The server may keep fields its token fixes, and limits how often (error 45).
    /// What this client joins with from now on (after a lost member was forgotten) is the
    /// new name and info.
    void update_member(const std::optional<std::string>& name, const std::optional<std::string>& info);
    /// Sends `text` as one frame, exactly as given.
    void write_data(const std::string& text);

    /// This client's member id (the session id), empty until on_session; kept while
    /// reconnecting.
    std::string session_id() const;
    const ClientOptions& options() const;
    std::string guid() const;  ///< options().guid
    static std::string_view version();  ///< this library's version

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace presence

#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "presence/acknowledgment.h"
#include "presence/member.h"

namespace boost::asio {
class io_context;
}

namespace presence {

// The client's settings, as the sgcWebSockets Presence client has them.
struct ClientOptions {
    std::string url = "ws://127.0.0.1:8080/";  // ws://host[:port][/path]; no TLS
    std::string name;                          // Presence.Name
    std::string info;                          // Presence.Info
    AckOptions ack;                            // Acknowledgment of what the client sends
    bool encode_base64 = false;                // EncodeBase64 of what the client sends
    // Bounds the TCP connect, the WebSocket handshake and the closing handshake.
    std::chrono::milliseconds connect_timeout{10'000};
    // Bytes waiting to be written; a message that does not fit is dropped (on_error).
    std::size_t max_send_queue_bytes = 4 * 1024 * 1024;
};

// An error the server answered with (error.code, error.text).
struct RemoteError {
    int code = 0;
    std::string text;

    bool operator==(const RemoteError&) const = default;
};

// The sgcWebSockets Presence client events. Unset callbacks are skipped.
struct ClientEvents {
    std::function<void()> on_connect;  // the WebSocket is open
    // After on_connect only: the connection is gone. `code` is the server's close code,
    // or 1006 when the connection dropped without one.
    std::function<void(int code, const std::string& reason)> on_disconnect;
    // Transport failures, bad frames from the server, dropped messages, calls made while
    // not connected. The client carries on where it can.
    std::function<void(const std::string& what)> on_error;
    // Joined: the server's session id is now this client's member id.
    std::function<void(const std::string& session_id)> on_session;
    std::function<void(const Member&)> on_new_member;
    std::function<void(const Member&)> on_remove_member;
    std::function<void(const std::string& channel, const Member&)> on_new_channel_member;
    std::function<void(const std::string& channel, const Member&)> on_remove_channel_member;
    // `channel` is empty for a message to every member.
    std::function<void(const std::string& channel, const Member& sender, const std::string& text)>
        on_publish_msg;
    std::function<void(const std::string& channel, const std::vector<Member>& members)>
        on_get_members;
    std::function<void(const std::string& channel, const Member&, int code, const std::string& text)>
        on_error_member_channel;
    std::function<void(const std::string& channel, const Member&, const std::string& text, int code,
                       const std::string& error_text)>
        on_error_publish_msg;
    // Return true to accept: the client then subscribes to `channel`. Unset = refuse.
    // A refusal is told to the inviter only when the server announced that extension.
    std::function<bool(const Member& inviter, const std::string& channel)> on_channel_invitation;
    // Extension: the answer of someone this client invited (only from servers that know it).
    std::function<void(const Member& invitee, const std::string& channel, bool accepted,
                       const std::optional<RemoteError>& error)>
        on_channel_invitation_response;
};

// A Presence client: one WebSocket connection (sub-protocol presence.esegece.com) to a
// Presence server, ours or sgcWebSockets'.
//
// Threading: all network work and every callback run on one thread, the io thread.
// By default the client owns an io_context and that thread: connect() starts it, close()
// and the destructor join it. With the io_context constructor, callbacks run inside your
// io_context, serialised on one strand, and close() does not wait.
// Every public function may be called from any thread, callbacks included: it hands the
// work to the io thread and returns. Calls are carried out in the order they were made.
// Rules: callbacks must not throw or block for long; never destroy a Client inside one of
// its own callbacks; with your own io_context, destroy the Client where none of its
// callbacks can be running (on that io_context's thread, or once run() has returned).
// No callback runs after the destructor.
//
// Requests go out as they are made: one made before on_session reaches the server before
// the member exists, and the server answers it with error 3.
class Client {
public:
    // Throws std::invalid_argument when options.url is not a ws:// URL.
    explicit Client(ClientOptions options, ClientEvents events = {});
    Client(boost::asio::io_context& io, ClientOptions options, ClientEvents events = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Opens the connection; on_connect, then on_session once joined, or on_error on failure.
    // May be called again after a disconnect.
    void connect();
    // Closes the connection (close code 1000); on_disconnect follows. With the client's own
    // thread, returns once the connection is closed and the thread joined, unless called
    // from a callback.
    void close();

    void subscribe(const std::string& channel);
    void unsubscribe(const std::string& channel);
    // To `channel`'s members, or to every member when `channel` is empty.
    void publish(const std::string& text, const std::string& channel = "");
    void invite(const std::string& channel, const std::string& member_id);
    void get_members();  // every member
    void get_members(const std::string& channel);
    // Sends `text` as one frame, exactly as given.
    void write_data(const std::string& text);

    // This client's member id (the session id), empty until on_session.
    std::string session_id() const;
    const ClientOptions& options() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace presence

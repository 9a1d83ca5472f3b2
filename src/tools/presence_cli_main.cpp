// SPDX-License-Identifier: Apache-2.0
// presence-cli: a Presence member on the command line. Commands come from stdin, one per
// line; every event is printed as it happens, one line each (readable, or JSON with --json).
// At a terminal, commands are typed with line editing and history, and events appear above
// the command being typed. The token of the URL is never printed.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <algorithm>
#include <clocale>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

#include "presence/client.h"
#include "protocol/codec.h"
#include "tools/command_line.h"
#include "tools/cli_terminal.h"
#include "tools/line_editor.h"

namespace {

namespace json = boost::json;
namespace po = boost::program_options;
using presence::tools::LineEditor;
using presence::tools::LineReader;
using presence::tools::Printer;
using presence::tools::hidden;
using presence::tools::token_in;
using presence::tools::parse_command_line;
using presence::tools::seconds;
using presence::Member;
using presence::protocol::member_object;
using namespace std::chrono_literals;

constexpr auto answers_grace = 1s;  // how long EOF waits for answers still due

constexpr const char* commands_help =
    "commands:\n"
    "  join <room>               subscribe to a room\n"
    "  leave <room>              unsubscribe from a room\n"
    "  say <room> <text...>      publish; room * or - means everyone\n"
    "  members [room]            list the members of a room, or everyone\n"
    "  invite <room> <member-id> invite a member to a room\n"
    "  quit                      leave and exit (as does the end of input)\n"
    "  help                      this list";

struct CliOptions {
    presence::ClientOptions client;
    bool json = false;
    bool refuse_invitations = false;
};

std::string room_of(const std::string& channel) { return channel.empty() ? "*" : channel; }
std::string channel_of(const std::string& room) { return room == "*" || room == "-" ? "" : room; }
std::string describe(const Member& m) { return (m.name.empty() ? "?" : m.name) + " (" + m.id + ")"; }

// One member: reads commands, prints events, tracks the answers still due.
class Cli {
public:
    // `editing`: commands are typed at a terminal, with a line editor.
    Cli(const CliOptions& options, bool editing)
        : options_(options),
          editor_(editing ? std::make_unique<LineEditor>("presence-cli", "> ") : nullptr),
          printer_(options.json, token_in(options.client.url), editor_.get()),
          client_(options.client, events()) {}

    int run() {
        client_.connect();
        if (!wait_joined()) return 1;
        // Without an editor, a prompt only where someone types.
        const bool prompted = !editor_ && ::isatty(STDIN_FILENO);
        for (;;) {
            if (prompted) printer_.prompt(true);
            const std::optional<std::string> line = editor_ ? editor_->next() : input_.next();
            if (prompted) printer_.prompt(false);
            if (!line) break;
            if (!execute(*line)) break;
        }
        if (lost()) return 1;
        wait_for_answers();
        {
            std::lock_guard lock(mutex_);
            closing_ = true;
        }
        client_.close();
        return 0;
    }

private:
    // false to quit.
    bool execute(const std::string& line) {
        std::istringstream in(line);
        std::string command, room;
        in >> command >> room;
        std::string rest;
        std::getline(in >> std::ws, rest);
        if (command.empty()) return true;
        if (command == "quit") return false;
        if (command == "help") return help();
        if (command == "join" && !room.empty() && rest.empty()) return request([&] { client_.subscribe(room); });
        if (command == "leave" && !room.empty() && rest.empty()) return request([&] { client_.unsubscribe(room); });
        if (command == "say" && !room.empty() && !rest.empty())
            return request([&] { client_.publish(rest, channel_of(room)); });
        if (command == "members" && rest.empty())
            return request([&] { client_.get_members(channel_of(room)); });
        if (command == "invite" && !room.empty() && !rest.empty() && rest.find(' ') == std::string::npos) {
            client_.invite(room, rest);
            return true;
        }
        error("cannot read '" + line + "' (try help)");
        return true;
    }

    template <typename Send>
    bool request(Send send) {
        {
            std::lock_guard lock(mutex_);
            ++pending_;
        }
        send();
        return true;
    }

    bool help() {
        printer_.event(commands_help, {{"event", "help"}, {"text", commands_help}});
        return true;
    }

    void error(const std::string& what) { printer_.event("error: " + what, {{"event", "error"}, {"text", what}}); }

    // The session normally follows the handshake at once; a server that never sends it
    // gets as long again as the connect took at most.
    bool wait_joined() {
        std::unique_lock lock(mutex_);
        const auto limit = 2 * options_.client.connect_timeout;
        if (changed_.wait_for(lock, limit, [this] { return joined_ || gone_; })) return joined_ && !gone_;
        lock.unlock();
        error("no session from the server");
        return false;
    }

    // At the end of input, answers to the last commands may still be on their way.
    void wait_for_answers() {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, answers_grace, [this] { return pending_ == 0 || gone_; });
    }

    bool lost() {
        std::lock_guard lock(mutex_);
        return gone_;
    }

    // One of the answers due has come (a count, not a match: answers carry no request id).
    void answered() {
        {
            std::lock_guard lock(mutex_);
            if (pending_ > 0) --pending_;
        }
        changed_.notify_all();
    }

    void joined(const std::string& id) {
        self_ = id;
        {
            std::lock_guard lock(mutex_);
            joined_ = true;
        }
        changed_.notify_all();
    }

    // The connection is gone (or never came): unless we are closing, stop reading commands.
    void gone() {
        bool closing = false;
        {
            std::lock_guard lock(mutex_);
            gone_ = true;
            closing = closing_;
        }
        changed_.notify_all();
        if (closing) return;
        if (editor_) editor_->stop();
        input_.stop();
    }

    presence::ClientEvents events() {
        presence::ClientEvents e;
        e.on_connect = [this] {
            printer_.event("connected to " + options_.client.url, {{"event", "connect"}, {"url", options_.client.url}});
        };
        e.on_session = [this](const std::string& id) {
            printer_.event("session " + id, {{"event", "session"}, {"id", id}});
            joined(id);
        };
        e.on_disconnect = [this](int code, const std::string& reason) {
            printer_.event("disconnected (" + std::to_string(code) + (reason.empty() ? "" : " " + reason) + ")",
                           {{"event", "disconnect"}, {"code", code}, {"reason", reason}});
            gone();
        };
        e.on_reconnecting = [this] { printer_.event("connection lost, reconnecting", {{"event", "reconnecting"}}); };
        e.on_resume = [this](bool complete) {
            printer_.event(complete ? "resumed" : "resumed; some events were lost, member lists follow",
                           {{"event", "resume"}, {"complete", complete}});
        };
        e.on_error = [this](const std::string& what) {
            error(what);
            if (!self_.empty()) return;
            gone();  // before joining, every error is fatal
        };
        e.on_new_member = [this](const Member& m) {
            printer_.event("joined " + describe(m), {{"event", "member-join"}, {"member", member_object(m)}});
        };
        e.on_remove_member = [this](const Member& m) {
            printer_.event("left " + describe(m), {{"event", "member-leave"}, {"member", member_object(m)}});
        };
        e.on_new_channel_member = [this](const std::string& channel, const Member& m) {
            printer_.event(room_of(channel) + ": " + m.name + " joined",
                           {{"event", "channel-join"}, {"channel", channel}, {"member", member_object(m)}});
            if (m.id == self_) answered();
        };
        e.on_remove_channel_member = [this](const std::string& channel, const Member& m) {
            printer_.event(room_of(channel) + ": " + m.name + " left",
                           {{"event", "channel-leave"}, {"channel", channel}, {"member", member_object(m)}});
            if (m.id == self_) answered();
        };
        e.on_publish_msg = [this](const std::string& channel, const Member& m, const std::string& text) {
            printer_.event(room_of(channel) + " <" + m.name + "> " + text,
                           {{"event", "publish"}, {"channel", channel}, {"member", member_object(m)}, {"text", text}});
            if (m.id == self_) answered();
        };
        e.on_get_members = [this](const std::string& channel, const std::vector<Member>& members) {
            std::string text = "members " + room_of(channel) + ":";
            json::array list;
            for (const Member& m : members) {
                text += (list.empty() ? " " : ", ") + describe(m);
                list.push_back(member_object(m));
            }
            printer_.event(text, {{"event", "members"}, {"channel", channel}, {"members", std::move(list)}});
            answered();
        };
        e.on_error_member_channel = [this](const std::string& channel, const Member& m, int code,
                                           const std::string& text) {
            printer_.event("error " + room_of(channel) + ": " + std::to_string(code) + " " + text,
                           {{"event", "request-error"},
                            {"channel", channel},
                            {"member", member_object(m)},
                            {"code", code},
                            {"text", text}});
            answered();
        };
        e.on_error_publish_msg = [this](const std::string& channel, const Member& m, const std::string& message,
                                        int code, const std::string& text) {
            printer_.event("error publishing to " + room_of(channel) + ": " + std::to_string(code) + " " + text,
                           {{"event", "publish-error"},
                            {"channel", channel},
                            {"member", member_object(m)},
                            {"message", message},
                            {"code", code},
                            {"text", text}});
            answered();
        };
        e.on_channel_invitation = [this](const Member& inviter, const std::string& channel) {
            const bool accept = !options_.refuse_invitations;
            printer_.event(describe(inviter) + " invites you to " + channel + (accept ? ": accepted" : ": refused"),
                           {{"event", "invitation"},
                            {"channel", channel},
                            {"member", member_object(inviter)},
                            {"accepted", accept}});
            return accept;
        };
        e.on_channel_invitation_response = [this](const Member& invitee, const std::string& channel, bool accepted,
                                                  const std::optional<presence::RemoteError>& error) {
            std::string text = channel + ": " + describe(invitee) + (accepted ? " accepted" : " refused") +
                               " your invitation";
            json::object object{
                {"event", "invitation-response"}, {"channel", channel}, {"member", member_object(invitee)},
                {"accepted", accepted}};
            if (error) {
                text += " (" + std::to_string(error->code) + " " + error->text + ")";
                object["error"] = json::object{{"code", error->code}, {"text", error->text}};
            }
            printer_.event(text, object);
        };
        return e;
    }

    const CliOptions& options_;
    const std::unique_ptr<LineEditor> editor_;  // at a terminal only
    Printer printer_;
    LineReader input_;
    std::string self_;  // our member id; io thread only

    std::mutex mutex_;
    std::condition_variable changed_;
    bool joined_ = false;
    bool gone_ = false;
    bool closing_ = false;
    int pending_ = 0;

    presence::Client client_;  // last: its callbacks use everything above
};

// What the command line gives in seconds.
struct CliDurations {
    double connect_timeout = 10;
    double ack_interval = 300;
    double ack_timeout = 240;
    double heartbeat_interval = 15;
    double heartbeat_timeout = 10;
};

po::options_description describe_options(CliOptions& o, CliDurations& t) {
    presence::ClientOptions& c = o.client;
    po::options_description d("presence-cli options");
    d.add_options()
        ("help,h", "show this help and the commands, and exit")
        ("version", "show the version and exit")
        ("url", po::value(&c.url)->default_value(c.url),
         "server to connect to, ws://host:port/path, or wss://host:port/path over TLS")
        ("ca-file", po::value(&c.ca_file), "PEM CA certificates to trust for wss:// (default: the system's)")
        ("guid", po::value(&c.guid), "the server's namespace to join (default: its default namespace)")
        ("name", po::value(&c.name), "member name (required)")
        ("info", po::value(&c.info)->default_value(c.info), "member info")
        ("json", po::bool_switch(&o.json), "print one JSON object per event")
        ("base64", po::bool_switch(&c.encode_base64), "Base64-encode every string sent")
        ("ack", po::bool_switch(&c.ack.enabled), "acknowledgment: re-send what the server does not acknowledge")
        ("ack-interval", po::value(&t.ack_interval)->default_value(t.ack_interval), "seconds between re-send rounds")
        ("ack-timeout", po::value(&t.ack_timeout)->default_value(t.ack_timeout),
         "seconds without acknowledgment before a message is re-sent")
        ("ack-retries", po::value(&c.ack.max_retries)->default_value(c.ack.max_retries),
         "re-sends before a message is dropped (0 = no limit)")
        ("refuse-invitations", po::bool_switch(&o.refuse_invitations), "refuse invitations (default: accept)")
        ("connect-timeout", po::value(&t.connect_timeout)->default_value(t.connect_timeout),
         "seconds allowed for connecting")
        ("heartbeat-interval", po::value(&t.heartbeat_interval)->default_value(t.heartbeat_interval),
         "seconds of silence from the server before a ping (0 = no heartbeat)")
        ("heartbeat-timeout", po::value(&t.heartbeat_timeout)->default_value(t.heartbeat_timeout),
         "seconds of silence after the ping before the server is given up");
    return d;
}

}  // namespace

int main(int argc, char** argv) {
    CliOptions options;
    CliDurations durations;
    const po::options_description description = describe_options(options, durations);
    if (const auto done = parse_command_line(argc, argv, description, "presence-cli", commands_help))
        return *done;
    if (options.client.name.empty()) {
        std::cerr << "presence-cli: --name is required\n" << description;
        return 2;
    }
    options.client.connect_timeout = seconds(durations.connect_timeout);
    options.client.ack.interval = seconds(durations.ack_interval);
    options.client.ack.timeout = seconds(durations.ack_timeout);
    options.client.heartbeat_interval = seconds(durations.heartbeat_interval);
    options.client.heartbeat_timeout = seconds(durations.heartbeat_timeout);
    const bool editing = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    // The line editor reads and shows multibyte text as the locale has it (UTF-8).
    if (editing) std::setlocale(LC_CTYPE, "");
    try {
        Cli cli(options, editing);
        return cli.run();
    } catch (const std::exception& e) {
        std::cerr << "presence-cli: " << hidden(e.what(), token_in(options.client.url)) << std::endl;
        return 2;
    }
}

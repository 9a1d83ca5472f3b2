// SPDX-License-Identifier: Apache-2.0
// A chat client: commands from stdin, events printed as they come, invitations accepted.
//
//   example-chat ws://127.0.0.1:8080 alice
//   /join ROOM   /leave ROOM   /invite ROOM MEMBER-ID   /members [ROOM]   /quit
//   Any other line is said in the room entered last.
#include <chrono>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <presence/client.h>

namespace {

using presence::Member;

// Both threads print: the io thread its events, the main thread its complaints.
void print(const std::string& line) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::cout << line << std::endl;
}

// The room plain lines go to: set on the io thread, read on the main one.
class CurrentRoom {
public:
    void set(const std::string& room) { std::lock_guard lock(mutex_); room_ = room; }
    std::string get() { std::lock_guard lock(mutex_); return room_; }

private:
    std::mutex mutex_;
    std::string room_;
};

std::string tag(const std::string& channel) { return channel.empty() ? "[everyone]" : "[" + channel + "]"; }
std::string who(const Member& m) { return m.name + " (" + m.id + ")"; }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " URL NAME\n";
        return 2;
    }
    CurrentRoom room;
    std::promise<bool> joined;
    bool settled = false;  // io thread only
    const auto settle = [&](bool ok) {
        if (!std::exchange(settled, true)) joined.set_value(ok);
    };

    std::optional<presence::Client> client;  // made below; its callbacks use it
    presence::ClientEvents events;
    events.on_session = [&](const std::string& id) { print("you are " + id); settle(true); };
    events.on_error = [&](const std::string& what) { print("error: " + what); settle(false); };
    events.on_disconnect = [&](int code, const std::string& reason) {
        print("disconnected: " + std::to_string(code) + (reason.empty() ? "" : " " + reason));
        settle(false);
    };
    events.on_new_channel_member = [&](const std::string& channel, const Member& m) {
        // Before printing: whoever reads the line may start typing into the room.
        if (m.id == client->session_id()) room.set(channel);
        print(tag(channel) + " " + who(m) + " joined");
    };
    events.on_remove_channel_member = [&](const std::string& channel, const Member& m) {
        if (m.id == client->session_id() && room.get() == channel) room.set("");
        print(tag(channel) + " " + who(m) + " left");
    };
    events.on_publish_msg = [](const std::string& channel, const Member& m, const std::string& text) {
        // The server's own messages (Server::broadcast) come from an empty member.
        print(tag(channel) + " <" + (m.id.empty() ? "server" : m.name) + "> " + text);
    };
    events.on_get_members = [](const std::string& channel, const std::vector<Member>& members) {
        std::string line = tag(channel) + " members:";
        for (const Member& m : members) line.append(" ").append(who(m));
        print(line);
    };
    events.on_error_member_channel = [](const std::string& channel, const Member&, int code,
                                        const std::string& text) {
        print(tag(channel) + " error " + std::to_string(code) + ": " + text);
    };
    // Accepting is enough: the client then enters the room by itself.
    events.on_channel_invitation = [](const Member& inviter, const std::string& channel) {
        print(who(inviter) + " invites you to " + channel + ": accepted");
        return true;
    };
    events.on_channel_invitation_response = [](const Member& invitee, const std::string& channel,
                                               bool accepted, const std::optional<presence::RemoteError>&) {
        print(tag(channel) + " " + who(invitee) + (accepted ? " accepted" : " declined") + " your invitation");
    };

    presence::ClientOptions options;
    options.url = argv[1];
    options.name = argv[2];
    try {
        client.emplace(options, events);
    } catch (const std::invalid_argument& e) {
        std::cerr << argv[0] << ": " << e.what() << std::endl;
        return 2;
    }
    auto session = joined.get_future();
    client->connect();
    // Requests sent before the session would be refused; 15 s outlasts the connect timeout.
    if (session.wait_for(std::chrono::seconds(15)) != std::future_status::ready || !session.get()) {
        client->close();
        return 1;
    }
    for (std::string line; std::getline(std::cin, line) && line != "/quit";) {
        std::istringstream words(line);
        std::string command, channel, member;
        words >> command >> channel >> member;
        if (command == "/join") client->subscribe(channel);
        else if (command == "/leave") client->unsubscribe(channel);
        else if (command == "/invite") client->invite(channel, member);
        else if (command == "/members") client->get_members(channel);  // no room: everyone
        else if (line.starts_with("/")) print("commands: /join, /leave, /invite, /members, /quit");
        else if (const std::string target = room.get(); !target.empty()) client->publish(line, target);
        else print("join a room first");
    }
    client->close();
    return 0;
}

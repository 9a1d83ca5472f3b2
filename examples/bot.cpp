// SPDX-License-Identifier: Apache-2.0
// A bot that answers in a room: "ping" gets "pong", "time" the time, anything else an
// echo. Runs until Ctrl-C, or until the connection ends.
//
//   example-bot ws://127.0.0.1:8080 bot lobby
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <ctime>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <presence/client.h>

namespace {

using presence::Member;

constexpr std::string_view echo_prefix = "you said: ";

std::string time_of_day() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char text[16];
    std::strftime(text, sizeof text, "%H:%M:%S", &local);
    return text;
}

std::optional<std::string> answer_to(const std::string& text) {
    if (text == "ping") return "pong";
    if (text == "time") return time_of_day();
    // Echoes are not echoed: two bots in one room would otherwise answer each other forever.
    if (text.starts_with(echo_prefix)) return std::nullopt;
    return std::string(echo_prefix) + text;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: " << argv[0] << " URL NAME ROOM\n";
        return 2;
    }
    const std::string room = argv[3];
    // The main thread only waits, for a signal or for the end of the connection.
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code&, int) {});

    std::optional<presence::Client> client;  // made below; its callbacks use it
    bool entered = false;                    // io thread only
    presence::ClientEvents events;
    events.on_session = [&](const std::string&) {
        // Once: a client whose lost member had to be made anew re-enters its rooms itself.
        if (!std::exchange(entered, true)) client->subscribe(room);
    };
    events.on_new_channel_member = [&](const std::string& channel, const Member& m) {
        if (m.id == client->session_id()) std::cout << "answering in " << channel << std::endl;
    };
    events.on_publish_msg = [&](const std::string& channel, const Member& sender, const std::string& text) {
        // Our own answers come back to us too, as to every member of the room; and the
        // server's own messages (from an empty member) are no conversation.
        if (channel != room || sender.id == client->session_id() || sender.id.empty()) return;
        if (const auto answer = answer_to(text)) client->publish(*answer, channel);
    };
    events.on_error_member_channel = [](const std::string& channel, const Member&, int code,
                                        const std::string& text) {
        std::cerr << channel << ": error " << code << " " << text << std::endl;
    };
    events.on_error = [](const std::string& what) { std::cerr << "error: " << what << std::endl; };
    events.on_disconnect = [&](int code, const std::string& reason) {
        std::cerr << "disconnected: " << code << " " << reason << std::endl;
        io.stop();
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
    client->connect();
    io.run();
    client->close();
    return 0;
}

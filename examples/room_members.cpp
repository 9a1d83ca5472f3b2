// SPDX-License-Identifier: Apache-2.0
// A client that joins a room, prints who is in it, and exits: the request/answer pattern,
// with the main thread waiting for a callback.
//
//   example-room-members ws://127.0.0.1:8080 alice lobby
#include <chrono>
#include <future>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <presence/client.h>

using presence::Member;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: " << argv[0] << " URL NAME ROOM\n";
        return 2;
    }
    const std::string room = argv[3];

    // Callbacks run on the client's io thread; the first outcome is the one the main thread gets.
    std::promise<std::string> outcome;  // empty: listed; otherwise what went wrong
    bool settled = false;               // io thread only
    const auto settle = [&](const std::string& failure) {
        if (!std::exchange(settled, true)) outcome.set_value(failure);
    };

    std::optional<presence::Client> client;  // made below; its callbacks use it
    presence::ClientEvents events;
    events.on_session = [&](const std::string&) {
        // Requests are carried out in order: the list will include us.
        client->subscribe(room);
        client->get_members(room);
    };
    events.on_get_members = [&](const std::string& channel, const std::vector<Member>& members) {
        std::cout << "members of " << channel << ":\n";
        for (const Member& m : members) std::cout << "  " << m.name << " (" << m.id << ")\n";
        std::cout << std::flush;
        settle("");
    };
    events.on_error_member_channel = [&](const std::string&, const Member&, int code, const std::string& text) {
        settle("refused: " + std::to_string(code) + " " + text);
    };
    events.on_error = [&](const std::string& what) { settle("error: " + what); };
    events.on_disconnect = [&](int code, const std::string&) { settle("disconnected: " + std::to_string(code)); };

    presence::ClientOptions options;
    options.url = argv[1];
    options.name = argv[2];
    try {
        client.emplace(options, events);
    } catch (const std::invalid_argument& e) {
        std::cerr << argv[0] << ": " << e.what() << std::endl;
        return 2;
    }
    auto done = outcome.get_future();
    client->connect();
    // Longer than the connect timeout (10 s), so that a failure to connect is reported as such.
    const bool answered = done.wait_for(std::chrono::seconds(15)) == std::future_status::ready;
    const std::string failure = answered ? done.get() : "no answer from the server";
    client->close();
    if (!failure.empty()) std::cerr << failure << std::endl;
    return failure.empty() ? 0 : 1;
}

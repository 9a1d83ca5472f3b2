// SPDX-License-Identifier: Apache-2.0
// An embedded Presence server whose hooks set the house rules: members named "admin..."
// are refused, so are the rooms "private-...", and every join is logged. Runs until Ctrl-C.
//
//   example-embedded-server [--port 8080]        (--port 0: any free port)
//   then, for instance: example-chat ws://127.0.0.1:8080 alice
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <string>

#include <presence/server.h>

namespace {

using presence::Member;

presence::ServerHooks house_rules() {
    presence::ServerHooks hooks;
    // A refusal reaches the member as an error: 2 for its name, 10 for the room.
    hooks.before_new_member = [](const Member& m) { return !m.name.starts_with("admin"); };
    hooks.before_new_channel_member = [](const std::string& room, const Member&) {
        return !room.starts_with("private-");
    };
    // Hooks run on the server's thread, and must not block: a line to stdout is fine.
    hooks.on_new_member = [](const Member& m) {
        std::cout << m.name << " (" << m.id << ") is here" << std::endl;
    };
    hooks.on_new_channel_member = [](const std::string& room, const Member& m) {
        std::cout << m.name << " joined " << room << std::endl;
    };
    hooks.on_remove_member = [](const Member& m) { std::cout << m.name << " left" << std::endl; };
    return hooks;
}

}  // namespace

int main(int argc, char** argv) {
    presence::ServerOptions options;
    if (argc == 3 && std::string(argv[1]) == "--port") {
        options.port = static_cast<std::uint16_t>(std::stoul(argv[2]));
    } else if (argc != 1) {
        std::cerr << "usage: " << argv[0] << " [--port PORT]\n";
        return 2;
    }
    try {
        // Before the address is printed: whoever reads it may stop us at once.
        boost::asio::io_context io;
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([](const boost::system::error_code&, int) {});

        presence::Server server(options, house_rules());
        server.start();  // on a thread of its own
        std::cout << "listening on " << options.host << ":" << server.port() << std::endl;
        io.run();       // until a signal
        server.stop();  // members are told the server is going away (1001)
    } catch (const std::exception& e) {
        std::cerr << argv[0] << ": " << e.what() << std::endl;
        return 1;
    }
    return 0;
}

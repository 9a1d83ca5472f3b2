// SPDX-License-Identifier: Apache-2.0
// Events from the server itself: the application publishes into a room with
// Server::broadcast. Here a clock says "tick HH:MM:SS" to the room "clock" every second,
// until Ctrl-C.
//
//   example-server-events [--port 8080]          (--port 0: any free port)
//   then: example-chat ws://127.0.0.1:8080 alice, and type "/join clock"
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <string>

#include <presence/server.h>

namespace {

std::string time_of_day() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char text[16];
    std::strftime(text, sizeof text, "%H:%M:%S", &local);
    return text;
}

void tick_every_second(boost::asio::steady_timer& timer, presence::Server& server) {
    timer.async_wait([&timer, &server](const boost::system::error_code& error) {
        if (error) return;  // cancelled: we are stopping
        server.broadcast("tick " + time_of_day(), "clock");
        // From the last expiry, not from now, so that the ticks do not drift.
        timer.expires_at(timer.expiry() + std::chrono::seconds(1));
        tick_every_second(timer, server);
    });
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
        // The clock and the signals share the main thread; the server has its own.
        boost::asio::io_context io;
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        boost::asio::steady_timer clock(io, std::chrono::seconds(1));
        signals.async_wait([&clock](const boost::system::error_code&, int) { clock.cancel(); });

        presence::Server server(options);
        server.start();
        std::cout << "listening on " << options.host << ":" << server.port() << std::endl;
        tick_every_second(clock, server);
        io.run();  // until a signal stops the clock
        server.stop();
    } catch (const std::exception& e) {
        std::cerr << argv[0] << ": " << e.what() << std::endl;
        return 1;
    }
    return 0;
}

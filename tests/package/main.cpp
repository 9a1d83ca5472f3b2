// SPDX-License-Identifier: Apache-2.0
// The consumer of an installed (or add_subdirectory) Presence, run by scripts/test-package.sh:
// a presence::Server on a free loopback port, and a presence::Client that connects to it and
// waits, at most 10 s, for its session. Once with each on its own thread; once with both on
// an io_context of the consumer's, which works only if the libraries and the consumer share
// Asio's per-thread state. Prints OK and exits 0 when both sessions came; exits 1 otherwise.
#include <presence/client.h>
#include <presence/server.h>
#include <presence/version.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace {

constexpr auto session_limit = std::chrono::seconds(10);

// The session id of one client, from whichever thread runs its callbacks.
class SessionWait {
public:
    presence::ClientEvents events() {
        presence::ClientEvents events;
        events.on_session = [this](const std::string& id) {
            std::lock_guard lock(mutex_);
            session_ = id;
            arrived_.notify_all();
        };
        events.on_error = [](const std::string& what) { std::cerr << "client: " << what << "\n"; };
        return events;
    }

    // The session id, or "" if none came within session_limit.
    std::string wait() {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, session_limit, [this] { return !session_.empty(); });
        return session_;
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::string session_;
};

presence::ServerOptions loopback_any_port() {
    presence::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
}

presence::ClientOptions options_for(const presence::Server& server) {
    presence::ClientOptions options;
    options.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/";
    options.name = "consumer";
    return options;
}

std::string session_on_their_threads() {
    presence::Server server(loopback_any_port());
    server.start();
    SessionWait session;
    presence::Client client(options_for(server), session.events());
    client.connect();
    std::string id = session.wait();
    client.close();
    server.stop();
    return id;
}

std::string session_on_our_io_context() {
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    std::thread runner([&io] { io.run(); });

    presence::Server server(io, loopback_any_port());
    server.start();
    SessionWait session;
    auto client = std::make_unique<presence::Client>(io, options_for(server), session.events());
    client->connect();
    std::string id = session.wait();
    client->close();
    // Destroyed on the io_context's thread, where none of its callbacks can be running.
    std::promise<void> destroyed;
    boost::asio::post(io, [&] {
        client.reset();
        destroyed.set_value();
    });
    destroyed.get_future().wait();
    server.stop();
    work.reset();
    runner.join();
    return id;
}

}  // namespace

int main() {
    std::string own_threads = session_on_their_threads();
    std::string our_io = own_threads.empty() ? "" : session_on_our_io_context();
    if (own_threads.empty() || our_io.empty()) {
        std::cerr << "no session within " << session_limit.count() << " s "
                  << (own_threads.empty() ? "with the libraries' threads" : "on our io_context") << "\n";
        return 1;
    }
    std::cout << "OK: presence " << presence::version() << ", sessions " << own_threads << " and " << our_io
              << "\n";
    return 0;
}

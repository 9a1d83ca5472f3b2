// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "load_connection.h"

namespace presence::bench {

// The tool's event loops: one io_context per thread, connection i on thread i % threads.
// Connections are opened a window at a time, each finished upgrade (or failure) opening
// the next, so that the server's accept queue is not flooded.
class Pool : private ConnectionHandler {
public:
    explicit Pool(std::size_t threads);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    void create(std::size_t count, ConnectionHandler& handler);
    void open_all(const Target& target, const std::vector<boost::asio::ip::address>& sources, std::size_t window);

    // Runs f(connection) for every connection, each on its own thread.
    template <typename F>
    void for_each(F f) {
        for (std::size_t t = 0; t < ios_.size(); ++t)
            boost::asio::post(*ios_[t], [this, t, f] {
                for (std::size_t i = t; i < connections_.size(); i += ios_.size()) f(*connections_[i]);
            });
    }

    boost::asio::io_context& io_of(const LoadConnection& c) { return *ios_[c.thread()]; }
    std::size_t threads() const { return ios_.size(); }
    std::size_t size() const { return connections_.size(); }
    LoadConnection& at(std::size_t i) { return *connections_[i]; }

    void stop();  // ends the threads; connections stay readable for the figures

private:
    void open_next();
    void on_open(LoadConnection& c) override;
    void on_message(LoadConnection& c, std::string_view payload) override;
    void on_failure(LoadConnection& c, std::string_view what) override;

    std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
    std::vector<std::unique_ptr<LoadConnection>> connections_;
    std::vector<std::thread> threads_;
    ConnectionHandler* handler_ = nullptr;
    Target target_;
    std::vector<boost::asio::ip::address> sources_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace presence::bench

// SPDX-License-Identifier: Apache-2.0
#include "pool.h"

namespace presence::bench {

Pool::Pool(std::size_t threads) {
    for (std::size_t t = 0; t < threads; ++t) {
        ios_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.push_back(boost::asio::make_work_guard(*ios_.back()));
    }
    for (auto& io : ios_) threads_.emplace_back([&io] { io->run(); });
}

Pool::~Pool() {
    stop();
    // Closed on their own threads' contexts, which no longer run: nothing else touches them.
    connections_.clear();
}

void Pool::create(std::size_t count, ConnectionHandler& handler) {
    handler_ = &handler;
    for (std::size_t i = 0; i < count; ++i)
        connections_.push_back(std::make_unique<LoadConnection>(*ios_[i % ios_.size()], static_cast<ConnectionHandler&>(*this), i, i % ios_.size()));
}

void Pool::open_all(const Target& target, const std::vector<boost::asio::ip::address>& sources, std::size_t window) {
    target_ = target;
    sources_ = sources;
    for (std::size_t i = 0; i < window; ++i) open_next();
}

void Pool::open_next() {
    const std::size_t i = next_.fetch_add(1);
    if (i >= connections_.size()) return;
    boost::asio::post(*ios_[i % ios_.size()], [this, i] { connections_[i]->open(target_, sources_[i % sources_.size()]); });
}

void Pool::on_open(LoadConnection& c) {
    open_next();
    handler_->on_open(c);
}

void Pool::on_message(LoadConnection& c, std::string_view payload) { handler_->on_message(c, payload); }

void Pool::on_failure(LoadConnection& c, std::string_view what) {
    if (!c.was_opened()) open_next();
    handler_->on_failure(c, what);
}

void Pool::stop() {
    for (auto& io : ios_) io->stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

}  // namespace presence::bench

#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
#include <utility>

#include "server/engine_factory.h"
#include "presence/presence_service.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"

namespace presence {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// What every session of one server shares. All of it is used on `strand` only. Sessions
// hold it by shared_ptr, so it outlives the Server object for as long as they run.
struct ServerCore {
    ServerCore(boost::asio::io_context& io, ServerOptions server_options, ServerHooks server_hooks)
        : options(std::move(server_options)),
          hooks(std::move(server_hooks)),
          strand(boost::asio::make_strand(io)),
          engine(make_engine(options.engine, strand, hooks.on_log)),
          service(*engine, options.presence, hooks) {}

    // A connection closed by a closing handshake: announce it, and tell a stopping server
    // when it was the last.
    void disconnected(Link& link) {
        service.disconnect(link);
        after_disconnect();
    }
    // A connection lost without a closing handshake: its member may resume.
    void lost(Link& link) {
        service.lose(link);
        after_disconnect();
    }
    void after_disconnect() {
        if (stopping && service.connections() == 0 && on_idle) std::exchange(on_idle, nullptr)();
    }

    ServerOptions options;
    ServerHooks hooks;
    Strand strand;
    std::unique_ptr<Engine> engine;
    PresenceService service;
    bool stopping = false;
    std::function<void()> on_idle;  // called once
};

}  // namespace presence

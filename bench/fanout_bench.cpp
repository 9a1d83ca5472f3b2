// A first, rough fan-out figure: N members in one channel, one of them publishes M
// messages, every member receives every message. Servers and clients share the machine:
// each server runs on its own thread, all clients on this one. With several nodes (they
// need a Redis engine), clients are spread over them in turn and the publisher is on the
// first.
//   fanout-bench [clients=1000] [messages=2000] [payload bytes=64] [engine=memory] [nodes=1]
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <iostream>
#include <thread>
#include <memory>
#include <vector>

#include "presence/server.h"
#include "protocol/codec.h"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using presence::protocol::Message;
using presence::protocol::Method;
using Clock = std::chrono::steady_clock;

namespace {

struct Subscriber {
    explicit Subscriber(boost::asio::io_context& io) : ws(io) {}
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
};

std::string frame(Method method, std::string channel, std::optional<std::string> text = {}) {
    Message m;
    m.method = method;
    m.channel = std::move(channel);
    m.text = std::move(text);
    return presence::protocol::encode(m, false);
}

void join(Subscriber& s, std::uint16_t port) {
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(s.ws).connect(endpoint);
    beast::get_lowest_layer(s.ws).socket().set_option(boost::asio::ip::tcp::no_delay(true));
    s.ws.handshake("127.0.0.1", "/");
    s.ws.read(s.buffer);  // the session frame
    s.buffer.consume(s.buffer.size());
    Message member;
    member.method = Method::member_new;
    member.member = presence::Member{};
    s.ws.write(boost::asio::buffer(presence::protocol::encode(member, false)));
    s.ws.write(boost::asio::buffer(frame(Method::channel_member_new, "room")));
}

// Once each client has its answer, its node has handled its join and subscription.
void settle(Subscriber& s) {
    s.ws.write(boost::asio::buffer(frame(Method::get_members, "room")));
    for (;;) {
        s.ws.read(s.buffer);
        const std::string_view text(static_cast<const char*>(s.buffer.data().data()), s.buffer.size());
        const bool answer = text.find("sgc@presence@send@members") != std::string_view::npos;
        s.buffer.consume(s.buffer.size());
        if (answer) return;
    }
}

// Every node lists every member: the nodes' views agree.
void wait_for_views(const std::vector<std::unique_ptr<presence::Server>>& nodes, std::size_t clients) {
    for (const auto& node : nodes)
        while (node->members().size() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t clients = argc > 1 ? std::stoul(argv[1]) : 1000;
    const std::size_t messages = argc > 2 ? std::stoul(argv[2]) : 2000;
    const std::size_t payload = argc > 3 ? std::stoul(argv[3]) : 64;
    const std::string engine = argc > 4 ? argv[4] : "memory";
    const std::size_t node_count = argc > 5 ? std::stoul(argv[5]) : 1;

    std::vector<std::unique_ptr<presence::Server>> nodes;
    for (std::size_t i = 0; i < node_count; ++i) {
        presence::ServerOptions options;
        options.port = 0;
        options.max_send_queue_bytes = 64 * 1024 * 1024;
        options.presence.max_requests_per_second = 0;  // one publisher sends as fast as it can
        options.engine.url = engine;
        options.engine.key_prefix = "fanout-bench:";
        nodes.push_back(std::make_unique<presence::Server>(options));
        nodes.back()->start();
    }

    boost::asio::io_context io;
    std::vector<std::unique_ptr<Subscriber>> subscribers;
    for (std::size_t i = 0; i < clients; ++i) {
        subscribers.push_back(std::make_unique<Subscriber>(io));
        join(*subscribers.back(), nodes[i % node_count]->port());
    }
    for (auto& s : subscribers) settle(*s);
    wait_for_views(nodes, clients);

    const std::size_t expected = clients * messages;
    std::size_t delivered = 0;
    Clock::time_point last;
    std::function<void(Subscriber&)> read = [&](Subscriber& s) {
        s.ws.async_read(s.buffer, [&](beast::error_code ec, std::size_t) {
            if (ec) return;
            const std::string_view text(static_cast<const char*>(s.buffer.data().data()), s.buffer.size());
            if (text.find("sgc@presence@publish@msg") != std::string_view::npos && ++delivered == expected) {
                last = Clock::now();
                io.stop();
            }
            s.buffer.consume(s.buffer.size());
            read(s);
        });
    };
    for (auto& s : subscribers) read(*s);

    const std::string publish = frame(Method::publish_msg, "room", std::string(payload, 'x'));
    Subscriber& publisher = *subscribers.front();
    std::size_t sent = 0;
    std::function<void()> write = [&] {
        if (sent++ == messages) return;
        publisher.ws.async_write(boost::asio::buffer(publish), [&](beast::error_code ec, std::size_t) {
            if (!ec) write();
        });
    };
    const Clock::time_point first = Clock::now();
    write();
    io.run();

    const double seconds = std::chrono::duration<double>(last - first).count();
    std::cout << "engine " << engine << ", nodes " << node_count << ", clients " << clients
              << ", messages " << messages << ", payload " << payload << " B: " << delivered << " deliveries in " << seconds << " s = "
              << static_cast<long long>(delivered / seconds) << " deliveries/s\n";
    for (auto& s : subscribers) beast::get_lowest_layer(s->ws).close();
    for (auto& node : nodes) node->stop();
}

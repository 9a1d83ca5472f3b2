// SPDX-License-Identifier: Apache-2.0
#include "server/engine_factory.h"

#include <regex>
#include <stdexcept>

#include "engine/memory/memory_engine.h"
#include "engine/redis/redis_engine.h"
#include "protocol/guid.h"

namespace presence {
namespace {

// Node ids appear in Redis keys and in event headers, where a space or newline would
// split them.
std::string checked_node_id(const std::string& id) {
    if (id.empty()) return protocol::new_guid();
    static const std::regex allowed("[A-Za-z0-9._:-]{1,64}");
    if (!std::regex_match(id, allowed))
        throw std::invalid_argument("node id must be 1 to 64 of A-Z a-z 0-9 . _ : -, not: " + id);
    return id;
}

redis::RedisEngineOptions redis_options(const EngineOptions& options) {
    static const std::regex url("redis://([^:/]+)(?::([0-9]{1,5}))?/?");
    std::smatch m;
    if (!std::regex_match(options.url, m, url))
        throw std::invalid_argument("engine must be \"memory\" or redis://HOST[:PORT], not: " + options.url);
    redis::RedisEngineOptions out;
    out.connection.host = m[1];
    if (m[2].matched) {
        const unsigned long port = std::stoul(m[2]);
        if (port == 0 || port > 65535) throw std::invalid_argument("bad Redis port in " + options.url);
        out.connection.port = static_cast<std::uint16_t>(port);
    }
    if (options.node_timeout < std::chrono::milliseconds(100))
        throw std::invalid_argument("node timeout must be at least 100 ms");
    out.node_id = checked_node_id(options.node_id);
    out.key_prefix = options.key_prefix;
    out.node_timeout = options.node_timeout;
    return out;
}

}  // namespace

std::unique_ptr<Engine> make_engine(const EngineOptions& options, boost::asio::any_io_executor executor,
                                    std::function<void(LogLevel, const std::string&)> log) {
    if (options.url == "memory") return std::make_unique<MemoryEngine>();
    return std::make_unique<redis::RedisEngine>(std::move(executor), redis_options(options), std::move(log));
}

}  // namespace presence

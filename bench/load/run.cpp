// SPDX-License-Identifier: Apache-2.0
#include "run.h"

#include <iostream>
#include <memory>
#include <stdexcept>

#include "process_stats.h"
#include "scenario.h"

namespace presence::bench {

namespace {

namespace ip = boost::asio::ip;

// Limits of the spawned server raised so that only the workload limits it: no request
// rate limit, connections unlimited in number and per address, room in the send queues
// for a burst, no heartbeat and no resume bookkeeping on idle or closing connections.
const std::vector<std::string> spawn_flags = {
    "--host", "127.0.0.1", "--port", "0", "--max-connections", "0", "--max-connections-per-address", "0",
    "--max-requests-per-second", "0", "--max-channels-per-member", "0", "--max-send-queue-bytes", "67108864",
    "--heartbeat-interval", "0", "--resume-grace", "0", "--log-level", "warning"};

// ws://IPV4:PORT[/PATH]: the tool connects to an address, it resolves no names.
Target target_of(const std::string& url) {
    const std::string scheme = "ws://";
    const std::size_t colon = url.find(':', scheme.size());
    const std::size_t slash = url.find('/', scheme.size());
    if (!url.starts_with(scheme) || colon == std::string::npos || (slash != std::string::npos && slash < colon))
        throw std::runtime_error("--url must be ws://ADDRESS:PORT/PATH, not " + url);
    Target t;
    boost::system::error_code ec;
    const ip::address address = ip::make_address(url.substr(scheme.size(), colon - scheme.size()), ec);
    const std::string port = url.substr(colon + 1, slash == std::string::npos ? std::string::npos : slash - colon - 1);
    if (ec || port.empty() || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
        throw std::runtime_error("--url must be ws://ADDRESS:PORT/PATH, not " + url);
    t.endpoint = ip::tcp::endpoint(address, static_cast<std::uint16_t>(std::stoul(port)));
    t.path = slash == std::string::npos ? "/" : url.substr(slash);
    return t;
}

std::vector<ip::address> source_addresses(std::size_t count) {
    std::vector<ip::address> sources;
    for (std::size_t i = 1; i <= std::max<std::size_t>(count, 1); ++i) {
        if (i > 254) throw std::runtime_error("--sources: at most 254 (127.0.0.1 .. 127.0.0.254)");
        sources.push_back(ip::make_address_v4("127.0.0." + std::to_string(i)));
    }
    return sources;
}

bool run_scenario(Environment& env) {
    const std::string& s = env.options.scenario;
    if (s == "broadcast" || s == "raw") return run_broadcast(env);
    if (s == "fanout") return run_fanout(env);
    if (s == "connections") return run_connections(env);
    if (s == "join-storm") return run_join_storm(env);
    throw std::runtime_error("unknown scenario " + s + "; one of " + scenario_names);
}

}  // namespace

int run(BenchOptions options) {
    if (options.scenario == "raw") options.raw = true;
    if (options.scenario == "join-storm" && options.raw) throw std::runtime_error("join-storm needs the presence protocol");
    if (options.page > 0 && !(options.scenario == "join-storm" && options.diffs))
        throw std::runtime_error("--page needs join-storm with --diffs (the pages replace its get@members there)");
    if (options.subprotocol.empty() && !options.raw) options.subprotocol = "presence.esegece.com";
    if (options.threads == 0) throw std::runtime_error("--threads must be at least 1");
    if (options.spawn.empty() == options.url.empty()) throw std::runtime_error("give either --url or --spawn");

    const std::uint64_t files = raise_file_limit();
    std::unique_ptr<SpawnedServer> server;
    Report report(options);
    Environment env{options, report, {}, source_addresses(options.sources), options.server_pid,
                    std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                           std::chrono::duration<double>(options.timeout))};
    if (!options.spawn.empty()) {
        std::vector<std::string> args = spawn_flags;
        args.insert(args.end(), options.server_args.begin(), options.server_args.end());
        server = std::make_unique<SpawnedServer>(options.spawn, args, options.server_cpu);
        env.server_pid = server->pid();
        env.target.endpoint = ip::tcp::endpoint(ip::make_address_v4("127.0.0.1"), server->port());
    } else {
        env.target = target_of(options.url);
    }
    env.target.subprotocol = options.subprotocol;
    report.add("file_limit", static_cast<double>(files), "open files");

    const bool completed = run_scenario(env);
    if (!completed) report.fail("the scenario did not complete");
    report.print();
    if (!options.json_file.empty()) report.write_json(options.json_file);
    return completed ? 0 : 1;
}

}  // namespace presence::bench

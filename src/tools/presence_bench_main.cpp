// SPDX-License-Identifier: Apache-2.0
// presence-bench: the load generator. Options in, a scenario of bench/load/ run, its
// figures out (a table on stdout, JSON with --json).
#include <boost/program_options.hpp>
#include <iostream>

#include "load/run.h"

namespace po = boost::program_options;

namespace {

po::options_description describe(presence::bench::BenchOptions& o) {
    po::options_description d(std::string("presence-bench SCENARIO [options]; SCENARIO is one of ") +
                              presence::bench::scenario_names);
    d.add_options()
        ("help,h", "show this help and exit")
        ("url", po::value(&o.url), "the server to load: ws://ADDRESS:PORT/PATH")
        ("spawn", po::value(&o.spawn), "start this presence-server (limits raised for the load) and load it")
        ("server-arg", po::value(&o.server_args)->composing(), "one more flag for the spawned server; repeat for more")
        ("server-pid", po::value(&o.server_pid), "with --url: the server's process, to read its RSS and CPU time")
        ("server-cpu", po::value(&o.server_cpu), "pin the spawned server to this CPU")
        ("threads", po::value(&o.threads)->default_value(o.threads), "the tool's event loops")
        ("sources", po::value(&o.sources)->default_value(o.sources),
         "connect from 127.0.0.1 .. 127.0.0.N, for more connections than one address has ports")
        ("clients,n", po::value(&o.clients)->default_value(o.clients),
         "N members (broadcast, raw), N subscribers (fanout), C connections, M members (join-storm)")
        ("channels", po::value(&o.channels)->default_value(o.channels), "K channels the connections are spread over")
        ("messages", po::value(&o.messages)->default_value(o.messages), "publishes in all (0 = until --duration)")
        ("duration", po::value(&o.duration)->default_value(o.duration), "seconds of publishing")
        ("rate", po::value(&o.rate)->default_value(o.rate), "fanout: publishes per second (0 = saturation)")
        ("window", po::value(&o.window)->default_value(o.window), "fanout at saturation: publishes in flight")
        ("payload", po::value(&o.payload)->default_value(o.payload), "bytes of each message's text or raw payload (at least 36)")
        ("raw", po::bool_switch(&o.raw), "plain WebSocket messages to a relay server, no presence protocol")
        ("no-join", po::bool_switch()->notifier([&o](bool no) { o.join = !no; }),
         "connections: stay at the session, neither joining nor subscribing (idle connections, not members)")
        ("diffs", po::bool_switch(&o.diffs),
         "join-storm: say hello with diffs and count the members of ext@presence@diff frames instead of each "
         "subscription announced (the spawned server's interval: --server-arg=--diff-interval --server-arg=SECONDS)")
        ("page", po::value(&o.page)->default_value(o.page),
         "join-storm --diffs: each client reads the room in pages of this many members (ext@presence@get@members@page, "
         "the next page asked once the last one came; at most the server's --max-page-members) instead of one "
         "get@members; 0 = one get@members")
        ("subprotocol", po::value(&o.subprotocol), "sub-protocol offered (default presence.esegece.com; none with --raw)")
        ("timeout", po::value(&o.timeout)->default_value(o.timeout), "seconds before the run is abandoned as failed")
        ("connect-window", po::value(&o.connect_window)->default_value(o.connect_window), "upgrades in flight while connecting")
        ("json", po::value(&o.json_file), "write every figure to this JSON file");
    return d;
}

}  // namespace

int main(int argc, char** argv) {
    presence::bench::BenchOptions options;
    const po::options_description description = describe(options);
    po::options_description hidden;
    hidden.add_options()("scenario", po::value(&options.scenario));
    po::options_description all;
    all.add(description).add(hidden);
    po::positional_options_description positional;
    positional.add("scenario", 1);
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
        po::notify(vm);
        if (vm.count("help") || options.scenario.empty()) {
            std::cout << description << '\n';
            return vm.count("help") ? 0 : 2;
        }
        return presence::bench::run(options);
    } catch (const std::exception& e) {
        std::cerr << "presence-bench: " << e.what() << '\n';
        return 2;
    }
}

// SPDX-License-Identifier: Apache-2.0
#include "report.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <sys/utsname.h>
#include <thread>

namespace presence::bench {

namespace {

boost::json::object options_object(const BenchOptions& o) {
    boost::json::array server_args;
    for (const std::string& a : o.server_args) server_args.emplace_back(a);
    return {{"scenario", o.scenario}, {"url", o.url},         {"spawn", o.spawn},
            {"server_args", server_args}, {"server_cpu", o.server_cpu}, {"threads", o.threads},
            {"sources", o.sources},   {"clients", o.clients}, {"channels", o.channels},
            {"messages", o.messages}, {"duration", o.duration}, {"rate", o.rate},
            {"window", o.window},     {"payload", o.payload}, {"raw", o.raw}, {"join", o.join}, {"diffs", o.diffs},
            {"page", o.page},         {"subprotocol", o.subprotocol}};
}

std::string now_utc() {
    const std::time_t t = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return text;
}

}  // namespace

Report::Report(const BenchOptions& options) : options_(options) {}

void Report::add(const std::string& key, double value, const std::string& unit) {
    rows_.push_back({key, value, unit});
    figures_[key] = value;
}

void Report::add_latency(const std::string& key, const Histogram& h) {
    const auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    add(key + "_p50_ms", ms(h.quantile(0.5)), "ms");
    add(key + "_p99_ms", ms(h.quantile(0.99)), "ms");
    add(key + "_p999_ms", ms(h.quantile(0.999)), "ms");
    add(key + "_max_ms", ms(h.max()), "ms");
}

void Report::fail(const std::string& why) {
    if (error_.empty()) error_ = why;
}

void Report::print() const {
    std::printf("presence-bench %s%s\n", options_.scenario.c_str(), options_.raw ? " (raw frames)" : "");
    for (const Row& r : rows_) std::printf("  %-32s %16.3f %s\n", r.key.c_str(), r.value, r.unit.c_str());
    std::printf("  %-32s %16s\n", "completed", completed() ? "yes" : ("NO: " + error_).c_str());
    std::fflush(stdout);
}

void Report::write_json(const std::string& path) const {
    utsname machine{};
    ::uname(&machine);
    const boost::json::object document{
        {"scenario", options_.scenario},
        {"date", now_utc()},
        {"kernel", std::string(machine.release)},
        {"cpus", std::thread::hardware_concurrency()},
        {"options", options_object(options_)},
        {"completed", completed()},
        {"error", error_},
        {"figures", figures_}};
    std::ofstream out(path);
    out << boost::json::serialize(document) << '\n';
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace presence::bench

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "bench_options.h"
#include "histogram.h"

namespace presence::bench {

// The figures of one run: a table on stdout and, with --json, one JSON object.
class Report {
public:
    explicit Report(const BenchOptions& options);

    void add(const std::string& key, double value, const std::string& unit);
    void add_latency(const std::string& key, const Histogram& h);  // p50, p99, p99.9, max in ms
    void fail(const std::string& why);  // the scenario did not complete
    bool completed() const { return error_.empty(); }

    void print() const;
    void write_json(const std::string& path) const;

private:
    struct Row {
        std::string key;
        double value;
        std::string unit;
    };
    const BenchOptions& options_;
    std::vector<Row> rows_;
    boost::json::object figures_;
    std::string error_;
};

}  // namespace presence::bench

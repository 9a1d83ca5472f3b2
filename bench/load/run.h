// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bench_options.h"

namespace presence::bench {

inline constexpr const char* scenario_names = "broadcast, fanout, connections, join-storm, raw";

// Runs options.scenario against the server of options.url or a spawned one; prints the
// figures, writes them as JSON if asked. Returns the exit status: 0 when the scenario
// completed. Throws std::runtime_error on options that cannot work.
int run(BenchOptions options);

}  // namespace presence::bench

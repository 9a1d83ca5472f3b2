// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "domain/engine.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"

namespace presence {

// The engine `options.url` names, working on `executor`. Throws std::invalid_argument
// for a URL or node id it cannot use.
std::unique_ptr<Engine> make_engine(const EngineOptions& options, boost::asio::any_io_executor executor,
                                    std::function<void(LogLevel, const std::string&)> log);

}  // namespace presence

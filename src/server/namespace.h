// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include "domain/engine.h"
#include "domain/frame.h"
#include "domain/presence_service.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"

namespace presence {

// One presence instance of a server, named by its Guid (the default one by ""): its own
// members, channels, hooks and options. Not movable: the service refers to the hooks.
struct Namespace {
    Namespace(std::string guid, std::unique_ptr<Engine> engine, PresenceOptions options, ServerHooks hooks);
    Namespace(const Namespace&) = delete;
    Namespace& operator=(const Namespace&) = delete;

    const std::string guid;
    const ServerHooks hooks;
    const std::unique_ptr<Engine> engine;
    PresenceService service;
    // Put in front of every frame of this namespace on a broker connection.
    const Bytes broker_prefix;
};

}  // namespace presence

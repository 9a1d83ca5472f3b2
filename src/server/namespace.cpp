// SPDX-License-Identifier: Apache-2.0
#include "server/namespace.h"

#include "protocol/broker_framing.h"

namespace presence {

Namespace::Namespace(std::string guid_, std::unique_ptr<Engine> engine_, PresenceOptions options, ServerHooks hooks_)
    : guid(std::move(guid_)),
      hooks(std::move(hooks_)),
      engine(std::move(engine_)),
      service(*engine, std::move(options), hooks),
      broker_prefix(std::make_shared<const std::string>(protocol::broker_prefix(guid))) {}

}  // namespace presence

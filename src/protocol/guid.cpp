// SPDX-License-Identifier: Apache-2.0
#include "protocol/guid.h"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace presence::protocol {

std::string new_guid() {
    thread_local boost::uuids::random_generator generate;
    return boost::uuids::to_string(generate());
}

}  // namespace presence::protocol

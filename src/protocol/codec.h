// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "protocol/message.h"

namespace presence::protocol {

// Why a frame was rejected. `id` and `method` are filled in when the frame got far
// enough to carry them, so the receiver can still acknowledge it and answer with the
// error method that fits the request.
struct DecodeError {
    ErrorCode code = ErrorCode::parse_error;
    std::string text;
    std::string id;
    std::optional<Method> method;
};

struct Decoded {
    Message message;
    std::optional<DecodeError> error;

    bool ok() const { return !error.has_value(); }
};

// Reads one text frame. Every string value that starts with "sgc@b64:" is decoded,
// whatever the receiver's own Base64 setting; decoded bytes that are not valid UTF-8 are
// read as Latin-1 and converted to UTF-8.
Decoded decode(std::string_view frame);

// Writes one frame. With `base64`, every non-empty string value but `jsonrpc` is
// written as "sgc@b64:" + Base64 of its bytes.
std::string encode(const Message& message, bool base64);

// A member as frames carry it: {"id", "name", "info"}, each string Base64-encoded with
// `base64`; without the fields `carried` leaves out.
boost::json::object member_object(const Member& m, bool base64 = false, Carried carried = {});

// The acknowledgment of `id`: never Base64-encoded.
std::string encode_acknowledgment(std::string_view id);

inline constexpr std::string_view base64_prefix = "sgc@b64:";

}  // namespace presence::protocol

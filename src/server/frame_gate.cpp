// SPDX-License-Identifier: Apache-2.0
#include "server/frame_gate.h"

#include <algorithm>

#include "presence/close_codes.h"
#include "protocol/text.h"

namespace presence {
namespace {

constexpr unsigned char opcode_close = 0x8;
constexpr std::size_t max_control_payload = 125;
// RFC 6455 7.4.2: codes from 5000 up are not defined for any use.
constexpr std::uint32_t first_undefined_code = 5000;

std::size_t header_length(const std::array<unsigned char, 14>& header) {
    const unsigned length = header[1] & 0x7f;
    const bool masked = (header[1] & 0x80) != 0;
    return 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + (masked ? 4 : 0);
}

std::uint64_t payload_length(const std::array<unsigned char, 14>& header) {
    const unsigned length = header[1] & 0x7f;
    if (length < 126) return length;
    const std::size_t bytes = length == 126 ? 2 : 8;
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < bytes; ++i) n = (n << 8) | header[2 + i];
    return n;
}

}  // namespace

std::size_t FrameCheck::scan(const unsigned char* bytes, std::size_t size) {
    if (violation_) return 0;
    std::size_t i = 0;
    while (i < size) {
        if (payload_left_ > 0 && !close_) {
            // Data is Beast's to check: skipped whole.
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, size - i));
            payload_left_ -= n;
            i += n;
            continue;
        }
        const bool ok = payload_left_ > 0 ? step_close(bytes[i]) : step_header(bytes[i]);
        if (!ok) return i;
        ++i;
    }
    return size;
}

bool FrameCheck::step_header(unsigned char byte) {
    header_[header_size_++] = byte;
    if (header_size_ < 2) return true;
    // The most significant bit of a 64-bit length must be 0 (RFC 6455 5.2).
    if (header_size_ == 3 && (header_[1] & 0x7f) == 127 && (byte & 0x80) != 0)
        return fail(close_code::protocol_error, "payload length over 2^63");
    if (header_size_ < header_length(header_)) return true;
    const bool masked = (header_[1] & 0x80) != 0;
    payload_left_ = payload_length(header_);
    close_ = (header_[0] & 0x0f) == opcode_close && masked && payload_left_ <= max_control_payload;
    if (masked) std::copy_n(header_.begin() + header_size_ - 4, 4, mask_.begin());
    close_payload_.clear();
    header_size_ = 0;
    return true;
}

bool FrameCheck::step_close(unsigned char byte) {
    close_payload_.push_back(static_cast<char>(byte ^ mask_[close_payload_.size() % 4]));
    --payload_left_;
    if (close_payload_.size() == 2) {
        const auto code = static_cast<std::uint32_t>(static_cast<unsigned char>(close_payload_[0]) << 8 |
                                                     static_cast<unsigned char>(close_payload_[1]));
        if (code >= first_undefined_code) return fail(close_code::protocol_error, "close code out of range");
    }
    if (payload_left_ > 0 || close_payload_.size() <= 2) return true;
    if (!protocol::is_valid_utf8(std::string_view(close_payload_).substr(2)))
        return fail(close_code::invalid_payload, "close reason is not UTF-8");
    return true;
}

bool FrameCheck::fail(unsigned short code, std::string_view reason) {
    violation_ = Violation{code, reason};
    return false;
}

}  // namespace presence

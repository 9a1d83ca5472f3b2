// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The WebSocket close codes the server sends and the client reports (RFC 6455, 7.4.1;
/// 4000 is ours). presence.js uses the same numbers, checked against this header by a test.
namespace presence::close_code {

/// close() on either side.
inline constexpr unsigned short normal = 1000;
/// The server is shutting down.
inline constexpr unsigned short going_away = 1001;
/// A frame that breaks RFC 6455.
inline constexpr unsigned short protocol_error = 1002;
/// A binary frame: the protocol is text only.
inline constexpr unsigned short unsupported_data = 1003;
/// Never sent: a close frame without a code reads as this one.
inline constexpr unsigned short no_status = 1005;
/// Never sent: the connection was lost without a closing handshake.
inline constexpr unsigned short abnormal = 1006;
/// A text frame or a close reason that is not UTF-8.
inline constexpr unsigned short invalid_payload = 1007;
/// Too many malformed requests in a row, too slow a reader, not acknowledging, or its token expired.
inline constexpr unsigned short policy_violation = 1008;
/// A frame larger than the server accepts.
inline constexpr unsigned short message_too_big = 1009;
/// Disconnected by the server's operator (Server::disconnect, the admin API).
inline constexpr unsigned short disconnected = 4000;

}  // namespace presence::close_code

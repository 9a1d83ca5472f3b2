// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>

#include "presence/server_options.h"
#include "server/corked_stream.h"

namespace presence {

// A TLS connection. TLS sits on the corked stream, so that the records a fan-out burst
// makes in one loop turn still leave in one system call.
using TlsStream = boost::beast::ssl_stream<CorkedStream>;

inline CorkedStream& corked(TlsStream& stream) { return stream.next_layer(); }

// The context of every TLS connection: TLS 1.2 (with the suites of `options`) or later, the
// certificate chain and key of `options`. Throws std::runtime_error naming the file it
// cannot use, or the cipher list that matches nothing.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options);

}  // namespace presence

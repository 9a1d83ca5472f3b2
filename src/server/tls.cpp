// SPDX-License-Identifier: Apache-2.0
#include "server/tls.h"

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace presence {
namespace ssl = boost::asio::ssl;

namespace {

void need(const std::string& file, const std::string& what, const std::string& other) {
    if (file.empty()) throw std::runtime_error("TLS needs a " + what + " file as well as the " + other);
}

}  // namespace

std::unique_ptr<ssl::context> make_tls_context(const TlsOptions& options) {
    need(options.cert_file, "certificate", "key " + options.key_file);
    need(options.key_file, "private key", "certificate " + options.cert_file);
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    // The server's order, so that a client offering weaker suites first still gets a strong one.
    SSL_CTX_set_options(context->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(context->native_handle(), options.ciphers.c_str()) != 1)
        throw std::runtime_error("no TLS 1.2 cipher suite matches the list: " + options.ciphers);
    boost::system::error_code ec;
    context->use_certificate_chain_file(options.cert_file, ec);
    if (ec)
        throw std::runtime_error("cannot use the TLS certificate chain " + options.cert_file + ": " + ec.message());
    context->use_private_key_file(options.key_file, ssl::context::pem, ec);
    // A key that does not match the certificate fails here too ("key values mismatch").
    if (ec) throw std::runtime_error("cannot use the TLS private key " + options.key_file + ": " + ec.message());
    return context;
}

}  // namespace presence

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Throwaway certificates for TLS tests, valid for one day:
#   DIR/ca.pem, DIR/ca.key          a certificate authority
#   DIR/server.pem, DIR/server.key  a server certificate it signed, for IP 127.0.0.1 and
#                                   DNS localhost
#   DIR/other-ca.pem                an unrelated authority, which must not be trusted for it
# Keys are EC P-256, so this is fast. Run again, it keeps a set that is still valid for an
# hour and makes a new one otherwise.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: make_test_cert.sh DIR" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

if [ -s ca.pem ] && [ -s ca.key ] && [ -s server.key ] && [ -s other-ca.pem ] &&
   [ -s server.pem ] && openssl x509 -in server.pem -noout -checkend 3600 >/dev/null 2>&1; then
    exit 0
fi

umask 077
cat > openssl.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

new_ca() {  # KEY PEM NAME
    new_key "$1"
    openssl req -config openssl.cnf -new -x509 -days 1 -key "$1" -subj "/CN=$3" \
        -extensions ca -out "$2"
}

new_ca ca.key ca.pem "Presence test CA"
new_ca other-ca.key other-ca.pem "Presence unrelated test CA"
rm -f other-ca.key

new_key server.key
openssl req -config openssl.cnf -new -key server.key -subj "/CN=localhost" -out server.csr
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile openssl.cnf -extensions server -out server.pem 2>/dev/null
rm -f server.csr ca.srl openssl.cnf

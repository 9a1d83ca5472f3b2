# SPDX-License-Identifier: Apache-2.0
"""wss:// and https:// on one port, with throwaway certificates
(tests/support/make_test_cert.sh): what a client that trusts the authority gets, what one
that does not, or one that speaks plain ws://, gets; the cipher suites TLS 1.2 agrees on;
and a server that cannot load its key."""

import asyncio
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import websockets
from websockets.exceptions import InvalidHandshake

from presence_harness import (
    START_TIMEOUT, SUPPORT_DIR, TIMEOUT, PresenceTestCase, ServerProcess, server_path)
from test_operations_http import KEY, api, free_port, request, scrape, wait_until


def make_certs(test_class):
    """Certificates in a temporary directory, deleted after the tests of `test_class`."""
    directory = tempfile.mkdtemp(prefix="presence-tls-")
    test_class.addClassCleanup(shutil.rmtree, directory, ignore_errors=True)
    subprocess.run([os.path.join(SUPPORT_DIR, "make_test_cert.sh"), directory],
                   check=True, capture_output=True, timeout=START_TIMEOUT)
    return lambda name: os.path.join(directory, name)


def trusting(ca_file):
    return ssl.create_default_context(cafile=ca_file)


class Tls(PresenceTestCase):

    @classmethod
    def setUpClass(cls):
        cls.cert = staticmethod(make_certs(cls))
        cls.SERVER_ARGS = ("--tls-cert", cls.cert("server.pem"), "--tls-key", cls.cert("server.key"))
        cls.trusted = trusting(cls.cert("ca.pem"))

    async def test_members_meet_over_wss(self):
        self.assertTrue(self.server.url.startswith("wss://"))
        a = await self.connect("alice", ssl=self.trusted)
        await a.join("alice")
        b = await self.connect("bob", ssl=self.trusted)
        await b.join("bob", others=[a])
        await a.barrier()

    def get(self, path, context):
        url = f"https://127.0.0.1:{self.server.port}{path}"
        with urllib.request.urlopen(url, context=context, timeout=TIMEOUT) as response:
            return response.status, response.read()

    def test_pages_and_health_over_https(self):
        status, body = self.get("/", self.trusted)
        self.assertEqual(status, 200)
        self.assertIn(b"<!doctype html>", body.lower())
        for path in ("/healthz", "/readyz", "/metrics"):
            status, _ = self.get(path, self.trusted)
            self.assertEqual(status, 200, path)

    async def test_a_client_that_does_not_trust_the_authority_refuses_the_server(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            await self.connect("mallory", ssl=trusting(self.cert("other-ca.pem")))
        with self.assertRaises(urllib.error.URLError) as refused:
            self.get("/healthz", trusting(self.cert("other-ca.pem")))
        self.assertIsInstance(refused.exception.reason, ssl.SSLCertVerificationError)

    async def test_a_plain_client_fails_and_others_go_on(self):
        a = await self.connect("alice", ssl=self.trusted)
        await a.join("alice")
        plain = f"ws://127.0.0.1:{self.server.port}/"
        with self.assertRaises((InvalidHandshake, ConnectionError, EOFError)):
            ws = await asyncio.wait_for(websockets.connect(plain, open_timeout=TIMEOUT), TIMEOUT)
            await ws.close()
        await a.barrier()
        await self.assert_serving_over_tls()

    def test_a_failed_tls_handshake_is_counted(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=TIMEOUT) as plain:
            plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                plain.recv(4096)  # the server ends the connection (perhaps after an alert): not TLS
            except ConnectionError:
                pass

        def failed():
            return scrape(self.server.port, self.trusted).value("presence_connections_accepted_total",
                                                                outcome="tls_failed") == 1

        wait_until(failed, "the failed handshake counted", TIMEOUT)

    async def assert_serving_over_tls(self):
        c = await self.connect("probe", ssl=self.trusted)
        answer = await c.barrier()
        self.assertEqual(answer["error"]["code"], 3, answer)


class TlsAdminAddress(PresenceTestCase):
    """The admin address is served over TLS, with the main port's certificate, when the
    main port is."""

    @classmethod
    def setUpClass(cls):
        cls.cert = staticmethod(make_certs(cls))
        cls.trusted = trusting(cls.cert("ca.pem"))

    def start_servers(self):
        self.admin_port = free_port()
        server = ServerProcess("--tls-cert", self.cert("server.pem"), "--tls-key", self.cert("server.key"),
                               "--admin-api-key", KEY, "--admin-address", f"127.0.0.1:{self.admin_port}")
        self.addCleanup(server.stop)
        return [server]

    def test_metrics_and_the_api_over_https_only(self):
        self.assertEqual(scrape(self.admin_port, self.trusted).value("presence_connections", namespace=""), 0)
        self.assertEqual(api(self.admin_port, "GET", "/api/info", context=self.trusted)[0], 200)
        self.assertEqual(request(self.admin_port, "GET", "/readyz", context=self.trusted)[0], 200)
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            request(self.admin_port, "GET", "/metrics")


def make_rsa_cert(test_class):
    """A self-signed RSA certificate and its key, deleted after the tests of `test_class`:
    the static-RSA suites need one to be offered at all."""
    directory = tempfile.mkdtemp(prefix="presence-tls-rsa-")
    test_class.addClassCleanup(shutil.rmtree, directory, ignore_errors=True)
    cert, key = os.path.join(directory, "rsa.pem"), os.path.join(directory, "rsa.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=START_TIMEOUT)
    return cert, key


def tls12_offering(ciphers):
    """A client context that speaks TLS 1.2 only, offering `ciphers`; it checks nothing of
    the certificate: these tests are about the suite agreed on."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(ciphers + ":@SECLEVEL=0")
    return context


class TlsCipherSuites(unittest.TestCase):
    """TLS 1.2 agrees only on ECDHE key exchange (forward secrecy) with an AEAD cipher,
    unless --tls-ciphers says otherwise; TLS 1.3 is on."""

    @classmethod
    def setUpClass(cls):
        cls.cert, cls.key = make_rsa_cert(cls)

    def serve(self, *args):
        server = ServerProcess("--tls-cert", self.cert, "--tls-key", self.key, *args)
        self.addCleanup(server.stop)
        return server

    def handshake(self, server, context):
        """The (version, suite) agreed on, or the SSLError of a refusal."""
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
            try:
                with context.wrap_socket(sock) as tls:
                    return tls.version(), tls.cipher()[0]
            except ssl.SSLError as refused:
                return refused

    def test_static_rsa_and_cbc_suites_are_refused(self):
        server = self.serve()
        for suite in ("AES128-GCM-SHA256", "AES256-SHA256", "AES128-SHA", "ECDHE-RSA-AES128-SHA",
                      "ECDHE-RSA-AES256-SHA384"):
            with self.subTest(suite=suite):
                self.assertIsInstance(self.handshake(server, tls12_offering(suite)), ssl.SSLError)

    def test_ecdhe_with_an_aead_cipher_is_agreed_on(self):
        server = self.serve()
        for suite in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                      "ECDHE-RSA-CHACHA20-POLY1305"):
            with self.subTest(suite=suite):
                self.assertEqual(self.handshake(server, tls12_offering(suite)), ("TLSv1.2", suite))

    def test_tls_1_3_is_on(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.assertEqual(self.handshake(self.serve(), context)[0], "TLSv1.3")

    def test_the_suites_are_an_option(self):
        server = self.serve("--tls-ciphers", "ECDHE-RSA-AES128-SHA")
        self.assertEqual(self.handshake(server, tls12_offering("ECDHE-RSA-AES128-SHA")),
                         ("TLSv1.2", "ECDHE-RSA-AES128-SHA"))
        self.assertIsInstance(self.handshake(server, tls12_offering("ECDHE-RSA-AES128-GCM-SHA256")),
                              ssl.SSLError)

    def test_a_list_that_matches_no_suite_stops_the_start(self):
        result = subprocess.run([server_path(), "--port", "0", "--tls-cert", self.cert, "--tls-key", self.key,
                                 "--tls-ciphers", "NO-SUCH-SUITE"],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=START_TIMEOUT)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("NO-SUCH-SUITE", result.stderr)


class TlsFiles(unittest.TestCase):
    """presence-server refuses to start, naming the file, when it cannot use one."""

    @classmethod
    def setUpClass(cls):
        cls.cert = staticmethod(make_certs(cls))

    def start(self, *args):
        return subprocess.run([server_path(), "--port", "0", *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=START_TIMEOUT)

    def assert_refused(self, result, *named):
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stdout, "")
        for name in named:
            self.assertIn(name, result.stderr)

    def test_a_missing_key_file(self):
        missing = self.cert("missing.key")
        self.assert_refused(self.start("--tls-cert", self.cert("server.pem"), "--tls-key", missing),
                            missing)

    def test_a_key_of_another_certificate(self):
        self.assert_refused(self.start("--tls-cert", self.cert("server.pem"),
                                       "--tls-key", self.cert("ca.key")),
                            self.cert("ca.key"))

    def test_a_certificate_without_its_key(self):
        self.assert_refused(self.start("--tls-cert", self.cert("server.pem")),
                            self.cert("server.pem"))


if __name__ == "__main__":
    unittest.main()

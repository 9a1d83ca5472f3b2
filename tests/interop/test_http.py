# SPDX-License-Identifier: Apache-2.0
"""The plain HTTP side of the server's port: the demo page and the browser client it
carries, with their content types and revalidation, health and readiness, metrics, and
what is not there (test_operations_http.py covers metrics and the admin API in depth)."""

import http.client
import json
import unittest

from presence_harness import ServerProcess


class Http(unittest.TestCase):

    def setUp(self):
        self.server = ServerProcess()
        self.addCleanup(self.server.stop)

    def get(self, path, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        self.addCleanup(connection.close)
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()

    def test_the_page_is_at_the_root(self):
        for path in ("/", "/index.html"):
            response, body = self.get(path)
            self.assertEqual(response.status, 200)
            self.assertEqual(response.getheader("Content-Type"), "text/html; charset=utf-8")
            self.assertIn(b"<!doctype html>", body.lower())

    def test_the_browser_client_and_its_declarations_are_served(self):
        response, body = self.get("/presence.js")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/javascript; charset=utf-8")
        self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff")
        self.assertIn(b"PresenceClient", body)
        response, body = self.get("/presence.d.ts")
        self.assertEqual(response.status, 200)
        self.assertIn(b"PresenceClient", body)

    def test_a_current_copy_is_revalidated_with_its_etag(self):
        response, body = self.get("/presence.js")
        self.assertEqual(response.getheader("Cache-Control"), "no-cache")
        etag = response.getheader("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')
        again, empty = self.get("/presence.js", {"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(empty, b"")
        self.assertEqual(again.getheader("ETag"), etag)
        stale, full = self.get("/presence.js", {"If-None-Match": '"0000000000000000"'})
        self.assertEqual(stale.status, 200)
        self.assertEqual(full, body)

    def test_health_and_readiness(self):
        for path in ("/healthz", "/readyz"):
            response, body = self.get(path)
            self.assertEqual(response.status, 200, path)
            self.assertEqual(response.getheader("Content-Type"), "application/json")
            self.assertEqual(json.loads(body), {"status": "ok", "connections": 0})

    def test_metrics_are_served_beside_the_page(self):
        response, body = self.get("/metrics")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        self.assertIn(b"\npresence_connections{namespace=\"\"} 0\n", body)

    def test_anything_else_is_not_found(self):
        for path in ("/nothing", "/presence.js/x", "/../CMakeLists.txt", "/api/info"):
            response, _ = self.get(path)
            self.assertEqual(response.status, 404, path)


if __name__ == "__main__":
    unittest.main()

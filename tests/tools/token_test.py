#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""presence-token against the real presence-server: the tokens it makes are accepted by the
server and read by PyJWT (a JWT library we did not write), a tampered one is refused, and
its check gives the server's verdict. Every wait is bounded."""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import jwt
import websockets

SERVER = os.environ.get("PRESENCE_SERVER", "presence-server")
TOKEN = os.environ.get("PRESENCE_TOKEN", "presence-token")
SECRET = "a secret shared by the issuer and the server"
PROTOCOL = "presence.esegece.com"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from line_process import WAIT, Process, ProcessTest  # noqa: E402  (tests/support)


class Server(Process):
    def __init__(self, *extra):
        super().__init__([SERVER, "--host", "127.0.0.1", "--port", "0", *extra])
        self.url = f"ws://127.0.0.1:{int(self.next_line().rsplit(':', 1)[1])}"


def run_tool(*args, env=None, stdin=None):
    return subprocess.run([TOKEN, *args], input=stdin, capture_output=True, text=True, timeout=WAIT,
                          env={**os.environ, **(env or {})})


def tampered(token):
    """The token with one character of its claims changed: the signature no longer fits."""
    header, payload, signature = token.split(".")
    i = len(payload) // 2
    payload = payload[:i] + ("A" if payload[i] != "A" else "B") + payload[i + 1:]
    return ".".join((header, payload, signature))


async def upgrade(url, token):
    """The session id the server gives a connection presenting `token`, or the HTTP status
    and body of its refusal."""
    try:
        async with websockets.connect(f"{url}/?token={token}", subprotocols=[PROTOCOL], open_timeout=WAIT,
                                      close_timeout=WAIT, ping_interval=None) as ws:
            session = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            return session["message"]["text"]
    except websockets.exceptions.InvalidStatusCode as refusal:
        return refusal.status_code


class TokenTest(ProcessTest):
    def setUp(self):
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = folder.name
        self.secret_file = self.write("secret", SECRET + "\n")

    def write(self, name, text):
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def key_pair(self, kind):
        """(private key file, public key file) made by openssl: "rsa" or "ec" (P-256)."""
        private = os.path.join(self.folder, f"{kind}.key")
        public = os.path.join(self.folder, f"{kind}.pub")
        make = (["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"] if kind == "rsa"
                else ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        subprocess.run([*make, "-out", private], check=True, capture_output=True, timeout=6 * WAIT)
        subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], check=True,
                       capture_output=True, timeout=WAIT)
        return private, public

    def mint(self, *args, env=None):
        done = run_tool("mint", *args, env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, "")
        return done.stdout.strip()

    def check(self, token, *key):
        return run_tool("check", *key, stdin=token + "\n")

    def test_a_minted_hs256_token_is_accepted_and_a_tampered_one_refused(self):
        server = self.start(Server, "--auth-hs256-secret", SECRET)
        token = self.mint("--secret-file", self.secret_file, "--id", "alice", "--name", "Alice",
                          "--channels", "lobby,team:*", "--publish", "team:a", "--user", "al", "--info", "i")
        self.assertEqual(asyncio.run(upgrade(server.url, token)), "alice")
        self.assertEqual(asyncio.run(upgrade(server.url, tampered(token))), 401)

        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        self.assertEqual({k: v for k, v in claims.items() if k not in ("exp", "iat")},
                         {"sub": "alice", "name": "Alice", "info": "i", "user": "al",
                          "channels": ["lobby", "team:*"], "publish": ["team:a"]})
        self.assertAlmostEqual(claims["exp"] - time.time(), 3600, delta=WAIT)

    def test_rs256_and_es256_tokens_from_private_keys_are_accepted(self):
        for kind, algorithm in (("rsa", "RS256"), ("ec", "ES256")):
            with self.subTest(algorithm):
                private, public = self.key_pair(kind)
                server = self.start(Server, "--auth-public-key", public)
                token = self.mint("--private-key", private, "--id", f"member-{kind}", "--expires-in", "60")
                self.assertEqual(jwt.get_unverified_header(token)["alg"], algorithm)
                with open(public) as f:
                    claims = jwt.decode(token, f.read(), algorithms=[algorithm])
                self.assertEqual(claims["sub"], f"member-{kind}")
                self.assertEqual(asyncio.run(upgrade(server.url, token)), f"member-{kind}")
                self.assertEqual(asyncio.run(upgrade(server.url, tampered(token))), 401)

    def test_the_secret_may_come_from_the_servers_variable_and_on_the_command_line_with_a_warning(self):
        from_variable = self.mint("--id", "a", env={"PRESENCE_AUTH_HS256_SECRET": SECRET})
        self.assertEqual(jwt.decode(from_variable, SECRET, algorithms=["HS256"])["sub"], "a")
        given = run_tool("mint", "--secret", SECRET, "--id", "b")
        self.assertEqual(given.returncode, 0)
        self.assertIn("warning", given.stderr)
        self.assertEqual(jwt.decode(given.stdout.strip(), SECRET, algorithms=["HS256"])["sub"], "b")

    def test_the_namespace_is_the_ns_claim(self):
        token = self.mint("--secret-file", self.secret_file, "--namespace", "sales")
        self.assertEqual(jwt.decode(token, SECRET, algorithms=["HS256"])["ns"], "sales")

    def test_mint_needs_exactly_one_key(self):
        private, _ = self.key_pair("ec")
        for args in ((), ("--secret-file", self.secret_file, "--private-key", private)):
            done = run_tool("mint", *args, env={"PRESENCE_AUTH_HS256_SECRET": ""} if not args else None)
            self.assertEqual(done.returncode, 2, args)
            self.assertIn("give one key", done.stderr)

    def test_check_gives_the_servers_verdict(self):
        token = self.mint("--secret-file", self.secret_file, "--id", "alice", "--channels", "lobby")
        done = self.check(token, "--secret-file", self.secret_file)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn('"sub":"alice"', done.stdout)
        self.assertRegex(done.stdout, r"expires: \S+Z \(in \d+ s\)")
        self.assertIn("verdict: accepted: member id alice; user alice; may join lobby; may publish lobby", done.stdout)

        refused = self.check(tampered(token), "--secret-file", self.secret_file)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("verdict: refused: bad signature", refused.stdout)

        expired = jwt.encode({"sub": "alice", "exp": int(time.time()) - 3600}, SECRET, algorithm="HS256")
        done = self.check(expired, "--secret-file", self.secret_file)
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stdout, r"expires: \S+Z \(\d+ s ago\)")
        self.assertIn("verdict: refused: token expired", done.stdout)

        server = self.start(Server, "--auth-hs256-secret", SECRET)
        self.assertEqual(asyncio.run(upgrade(server.url, expired)), 401)

    def test_check_with_the_wrong_key_refuses(self):
        _, public = self.key_pair("ec")
        token = self.mint("--secret-file", self.secret_file)
        done = self.check(token, "--public-key", public)
        self.assertEqual(done.returncode, 1)
        self.assertIn("verdict: refused: no key for algorithm HS256", done.stdout)


if __name__ == "__main__":
    unittest.main()

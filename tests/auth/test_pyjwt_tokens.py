#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Our token verifier against tokens signed by PyJWT, a JWT implementation we did not write.

Run by ctest with PRESENCE_VERIFY_TOKEN naming the verify-token program. Each token is
signed here with PyJWT (keys from the cryptography package) and verified by verify-token,
whose printed grant must carry the claims we signed.
"""

import json
import os
import subprocess
import tempfile
import unittest

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

VERIFY_TOKEN = os.environ.get("PRESENCE_VERIFY_TOKEN", "verify-token")
WAIT = 30  # seconds; bounds each run, never a pass criterion
NOW = 1_700_000_000
SECRET = "a shared secret of thirty-two bytes or more"
EVERY_CLAIM = {
    "sub": "alice",
    "name": "Alice",
    "info": '{"role":"admin"}',
    "channels": ["lobby", "team:*"],
    "publish": ["team:*"],
    "exp": NOW + 600,
    "nbf": NOW - 10,
    "iat": NOW - 10,
}


def public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class PyJwtTokens(unittest.TestCase):
    def setUp(self):
        self.key_files = []

    def tearDown(self):
        for path in self.key_files:
            os.remove(path)

    def key_file(self, private_key):
        fd, path = tempfile.mkstemp(suffix=".pem")
        self.key_files.append(path)
        with os.fdopen(fd, "wb") as f:
            f.write(public_pem(private_key))
        return path

    def verify(self, token, *options):
        """The grant printed for `token`, or the error as {"error": ...}."""
        result = subprocess.run([VERIFY_TOKEN, "--now", str(NOW), *options, token],
                                capture_output=True, text=True, timeout=WAIT)
        self.assertIn(result.returncode, (0, 1), result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 1, result.stdout)
        return json.loads(lines[0])

    def assert_every_claim(self, grant):
        self.assertEqual(grant, {
            "restricted": True,
            "id": "alice",
            "name": "Alice",
            "info": '{"role":"admin"}',
            "user": "alice",  # no user claim: the subject
            "join": ["lobby", "team:*"],
            "publish": ["team:*"],
            "expires": NOW + 600 + 30,  # exp plus the clock leeway
        })

    def test_hs256_token_maps_every_claim(self):
        token = jwt.encode(EVERY_CLAIM, SECRET, algorithm="HS256")
        self.assert_every_claim(self.verify(token, "--hs256-secret", SECRET))

    def test_rs256_token_maps_every_claim(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(EVERY_CLAIM, key, algorithm="RS256")
        self.assert_every_claim(self.verify(token, "--public-key", self.key_file(key)))

    def test_es256_token_maps_every_claim(self):
        key = ec.generate_private_key(ec.SECP256R1())
        token = jwt.encode(EVERY_CLAIM, key, algorithm="ES256", headers={"kid": "key-1"})
        self.assert_every_claim(self.verify(token, "--public-key", self.key_file(key)))

    def test_publish_defaults_to_channels(self):
        token = jwt.encode({"exp": NOW + 600, "channels": ["a", "b:*"]}, SECRET, algorithm="HS256")
        grant = self.verify(token, "--hs256-secret", SECRET)
        self.assertEqual(grant["join"], ["a", "b:*"])
        self.assertEqual(grant["publish"], ["a", "b:*"])
        self.assertNotIn("id", grant)
        self.assertEqual(grant["user"], "")  # fixed: no user
        self.assertNotIn("ns", grant)

    def test_user_and_namespace_claims(self):
        token = jwt.encode({"exp": NOW + 600, "sub": "tab-1", "user": "alice", "ns": "sales"}, SECRET,
                           algorithm="HS256")
        grant = self.verify(token, "--hs256-secret", SECRET)
        self.assertEqual((grant["id"], grant["user"], grant["ns"]), ("tab-1", "alice", "sales"))

    def test_es256_signed_by_another_key_is_refused(self):
        signer = ec.generate_private_key(ec.SECP256R1())
        configured = ec.generate_private_key(ec.SECP256R1())
        token = jwt.encode(EVERY_CLAIM, signer, algorithm="ES256")
        self.assertEqual(self.verify(token, "--public-key", self.key_file(configured)),
                         {"error": "bad signature"})

    def test_rs256_signed_by_another_key_is_refused(self):
        signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        configured = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(EVERY_CLAIM, signer, algorithm="RS256")
        self.assertEqual(self.verify(token, "--public-key", self.key_file(configured)),
                         {"error": "bad signature"})

    def test_expired_token_is_refused(self):
        token = jwt.encode({"exp": NOW - 31}, SECRET, algorithm="HS256")
        self.assertEqual(self.verify(token, "--hs256-secret", SECRET), {"error": "token expired"})

    def test_token_without_exp_is_refused(self):
        token = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")
        self.assertEqual(self.verify(token, "--hs256-secret", SECRET), {"error": "claim exp is required"})

    def test_hs384_is_refused(self):
        token = jwt.encode({"exp": NOW + 600}, SECRET, algorithm="HS384")
        self.assertEqual(self.verify(token, "--hs256-secret", SECRET), {"error": "unsupported algorithm HS384"})

    def test_alg_none_is_refused(self):
        token = jwt.encode({"exp": NOW + 600}, None, algorithm="none")
        self.assertEqual(self.verify(token, "--hs256-secret", SECRET), {"error": "unsupported algorithm none"})


if __name__ == "__main__":
    unittest.main()

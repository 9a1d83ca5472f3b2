"""14. Signed tokens: tokens made with PyJWT, a library we did not write, decide who may
connect, as whom, and where (docs/security.md)."""

import asyncio
import os
import tempfile
import time
import unittest

import jwt
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from presence_harness import (
    CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH, MEMBER_NEW, PROTOCOL, PUBLISH,
    TIMEOUT, Client, PresenceTestCase, frame, sgc_error)

SECRET = "correct horse battery staple"


def hs256(**claims):
    claims.setdefault("exp", int(time.time()) + 600)
    return jwt.encode(claims, SECRET, algorithm="HS256")


class TokenCase(PresenceTestCase):

    async def connect_with(self, name, token=None, header=None):
        """A connection presenting `token` in the URL, or `header` as Authorization."""
        url = self.server.url + (f"?token={token}" if token else "")
        headers = {"Authorization": header} if header else None
        ws = await asyncio.wait_for(
            websockets.connect(url, subprotocols=[PROTOCOL], open_timeout=TIMEOUT,
                               close_timeout=TIMEOUT, ping_interval=None, extra_headers=headers),
            TIMEOUT)
        c = Client(self, ws, name, self.server)
        self.clients.append(c)
        return c

    async def refused(self, token=None, header=None):
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refusal:
            await self.connect_with("refused", token, header)
        self.assertEqual(refusal.exception.status_code, 401)

    async def session_of(self, client):
        f = await client.recv()
        self.assertEqual(f["method"], "sgc@presence@session", f)
        client.session_id = f["message"]["text"]
        return client.session_id


class Hs256Tokens(TokenCase):

    SERVER_ARGS = ("--auth-hs256-secret", SECRET)

    async def test_the_claims_fix_identity_and_channels(self):
        token = hs256(sub="alice", name="Alice", info="admin", channels=["team:*"], publish=["team:a"])
        a = await self.connect_with("alice", token=token)
        self.assertEqual(await self.session_of(a), "alice")
        await a.send(frame(MEMBER_NEW, member={"id": "alice", "name": "Mallory", "info": "x"}))
        await a.expect(frame(MEMBER_NEW, member={"id": "alice", "name": "Alice", "info": "admin"}))
        a.member = {"id": "alice", "name": "Alice", "info": "admin"}
        await a.subscribe("team:b")
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="lobby"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="lobby", error=sgc_error(10)))
        await a.subscribe("team:a")
        await a.send(a.request(PUBLISH, channel="team:a", text="hi"))
        await a.expect(frame(PUBLISH, member=a.member, channel="team:a", text="hi"))
        await a.send(a.request(PUBLISH, channel="team:b", text="hi"))
        await a.expect(frame(ERROR_PUBLISH, member=a.member, channel="team:b", text="hi",
                             error=sgc_error(20)))

    async def test_the_user_claim_fixes_the_user_of_every_connection_it_opens(self):
        token = hs256(user="alice", name="Alice", channels=["*"])
        tabs = []
        for _ in range(2):
            tab = await self.connect_with("alice", token=token)
            await self.session_of(tab)
            await tab.send(frame(MEMBER_NEW, member={"id": tab.session_id, "name": "x", "user": "mallory"}))
            tab.member = {"id": tab.session_id, "name": "Alice", "info": "", "user": "alice"}
            await tab.expect(frame(MEMBER_NEW, member=tab.member))
            tabs.append(tab)
        self.assertNotEqual(tabs[0].session_id, tabs[1].session_id)
        await self.refused(token=hs256(user=""))

    async def test_the_token_may_come_in_the_authorization_header(self):
        a = await self.connect_with("alice", header="Bearer " + hs256(sub="alice"))
        self.assertEqual(await self.session_of(a), "alice")

    async def test_requests_without_a_valid_token_are_refused_with_401(self):
        await self.refused()
        await self.refused(token=hs256(exp=int(time.time()) - 3600))
        await self.refused(token=jwt.encode({"exp": int(time.time()) + 600}, "another secret",
                                            algorithm="HS256"))
        await self.refused(token=jwt.encode({"exp": int(time.time()) + 600}, None, algorithm="none"))
        await self.refused(header="Bearer not.a.token")
        await self.assert_serving_with(hs256(sub="probe"))

    async def test_a_connection_ends_with_its_token(self):
        # Accepted within the 30 s clock leeway, so it ends 4 to 5 s from now: time enough
        # to connect on a loaded machine.
        a = await self.connect_with("alice", token=hs256(sub="alice", exp=int(time.time()) - 25))
        await self.session_of(a)
        await a.expect_closed(1008, timeout=30)

    async def assert_serving_with(self, token):
        c = await self.connect_with("probe", token=token)
        await self.session_of(c)


class Es256Tokens(TokenCase):

    def setUp(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        fd, self.key_file = tempfile.mkstemp(suffix=".pem")
        with os.fdopen(fd, "wb") as f:
            f.write(self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        self.addCleanup(os.remove, self.key_file)
        self.SERVER_ARGS = ("--auth-public-key", self.key_file)
        super().setUp()

    async def test_an_es256_token_is_accepted_and_an_hs256_one_refused(self):
        token = jwt.encode({"sub": "bob", "exp": int(time.time()) + 600}, self.key, algorithm="ES256")
        b = await self.connect_with("bob", token=token)
        self.assertEqual(await self.session_of(b), "bob")
        await self.refused(token=hs256(sub="bob"))


class AnonymousMembers(TokenCase):

    SERVER_ARGS = ("--auth-hs256-secret", SECRET, "--auth-allow-anonymous",
                   "--auth-public-channels", "lobby,public:*")

    async def test_without_a_token_only_the_public_channels(self):
        c = await self.connect_with("guest")
        await self.session_of(c)
        await c.join("guest")
        await c.subscribe("lobby")
        await c.subscribe("public:news")
        await c.send(c.request(CHANNEL_MEMBER_NEW, channel="staff"))
        await c.expect(frame(ERROR_MEMBER_CHANNEL, member=c.member, channel="staff", error=sgc_error(10)))

    async def test_a_bad_token_is_still_refused(self):
        await self.refused(token=hs256(exp=int(time.time()) - 3600))


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: Apache-2.0
"""14. Signed tokens: tokens made with PyJWT, a library we did not write, decide who may
connect, as whom, and where (docs/security.md)."""

import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import os
import tempfile
import time
import unittest

import jwt
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from presence_harness import (
    CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH, GET_MEMBERS, INVALID_PARAMS,
    MEMBER_NEW, PROTOCOL, PUBLISH, SESSION, TIMEOUT, Client, PresenceTestCase,
    frame, sgc_error)
from test_namespaces import BROKER, endpoint_id, prefix

SECRET = "correct horse battery staple"


def hs256(**claims):
    claims.setdefault("exp", int(time.time()) + 600)
    return jwt.encode(claims, SECRET, algorithm="HS256")


def base64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hand_signed(header, payload):
    """An HS256 token of these exact JSON texts, made by hand: PyJWT cannot write a name
    twice."""
    signing_input = base64url(header.encode()) + "." + base64url(payload.encode())
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64url(mac)


class TokenCase(PresenceTestCase):

    async def connect_with(self, name, token=None, header=None, subprotocol=PROTOCOL):
        """A connection presenting `token` in the URL, or `header` as Authorization."""
        url = self.server.url + (f"?token={token}" if token else "")
        headers = {"Authorization": header} if header else None
        ws = await asyncio.wait_for(
            websockets.connect(url, subprotocols=[subprotocol], open_timeout=TIMEOUT,
                               close_timeout=TIMEOUT, ping_interval=None, extra_headers=headers),
            TIMEOUT)
        c = Client(self, ws, name, self.server)
        self.clients.append(c)
        return c

    async def refused(self, token=None, header=None, subprotocol=PROTOCOL):
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refusal:
            await self.connect_with("refused", token, header, subprotocol)
        self.assertEqual(refusal.exception.status_code, 401)

    def refusal_reason(self, token, subprotocol=PROTOCOL):
        """The body of the 401 an upgrade with `token` gets, over a plain HTTP client."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        try:
            conn.request("GET", "/?token=" + token, headers={
                "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
                "Sec-WebSocket-Protocol": subprotocol})
            response = conn.getresponse()
            self.assertEqual(response.status, 401)
            return response.read().decode().strip()
        finally:
            conn.close()

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
        a.member = {"id": "alice", "name": "Alice", "info": "admin", "user": "alice"}
        await a.expect(frame(MEMBER_NEW, member=a.member))
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
            self.assertEqual((await tab.recv())["error"]["code"], -32602)  # no other user
            await tab.send(frame(MEMBER_NEW, member={"id": tab.session_id, "name": "x"}))
            tab.member = {"id": tab.session_id, "name": "Alice", "info": "", "user": "alice"}
            await tab.expect(frame(MEMBER_NEW, member=tab.member))
            tabs.append(tab)
        self.assertNotEqual(tabs[0].session_id, tabs[1].session_id)
        await self.refused(token=hs256(user=""))

    async def test_without_a_user_claim_the_subject_is_the_user(self):
        a = await self.connect_with("alice", token=hs256(sub="alice", name="Alice", channels=["*"]))
        await self.session_of(a)
        await a.send(frame(MEMBER_NEW, member={"id": "alice", "name": "x"}))
        await a.expect(frame(MEMBER_NEW, member={"id": "alice", "name": "Alice", "info": "", "user": "alice"}))

    async def test_a_token_with_a_claim_twice_is_refused(self):
        now = int(time.time())
        header = '{"alg":"HS256","typ":"JWT"}'
        # The same claims once: accepted, so that the refusals below are the duplicates'.
        await self.assert_serving_with(hand_signed(header, f'{{"exp":{now + 600},"sub":"alice"}}'))
        # Two exp, the expired one first: a reader keeping the last would accept it.
        twice = hand_signed(header, f'{{"exp":{now - 3600},"exp":{now + 600},"sub":"alice"}}')
        await self.refused(token=twice)
        self.assertEqual(self.refusal_reason(twice), "duplicate claim exp")
        channels = hand_signed(header, f'{{"exp":{now + 600},"channels":["a"],"channels":["*"]}}')
        self.assertEqual(self.refusal_reason(channels), "duplicate claim channels")
        algs = hand_signed('{"alg":"none","alg":"HS256"}', f'{{"exp":{now + 600}}}')
        self.assertEqual(self.refusal_reason(algs), "duplicate header parameter alg")

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


class NamespaceTokens(TokenCase):
    """A token with `ns` is valid in that namespace only (docs/security.md, Namespaces)."""

    SERVER_ARGS = ("--auth-hs256-secret", SECRET, "--namespace", "sales", "--namespace", "support")

    async def test_a_plain_connection_reaches_only_the_tokens_namespace(self):
        sales = hs256(ns="sales", channels=["*"])
        await self.assert_serving_with(sales, f"sales.{PROTOCOL}")
        for other in (PROTOCOL, f"support.{PROTOCOL}", f"nosuch.{PROTOCOL}"):
            await self.refused(token=sales, subprotocol=other)
            self.assertEqual(self.refusal_reason(sales, other), "token for another namespace")

        default_only = hs256(ns="")
        await self.assert_serving_with(default_only, PROTOCOL)
        await self.assert_serving_with(default_only, f"nosuch.{PROTOCOL}")  # the default one
        await self.refused(token=default_only, subprotocol=f"sales.{PROTOCOL}")

        every = hs256()
        for protocol in (PROTOCOL, f"sales.{PROTOCOL}", f"support.{PROTOCOL}"):
            await self.assert_serving_with(every, protocol)

    async def test_a_broker_connection_reaches_only_the_tokens_namespace(self):
        b = await self.connect_with("broker", token=hs256(ns="sales", channels=["*"]), subprotocol=BROKER)
        # The first message is the session of sales: the default namespace, which would
        # come first, is not reached.
        first = await b.recv_raw()
        self.assertTrue(first.startswith(prefix("sales")), first)
        session = json.loads(first[len(prefix("sales")):])
        self.assertEqual(session["method"], SESSION)

        await b.send_raw(prefix("") + json.dumps(frame(GET_MEMBERS, channel="")))
        answer = await b.recv_raw()
        self.assertTrue(answer.startswith(prefix("sales")), answer)
        error = json.loads(answer[len(prefix("sales")):])["error"]
        self.assertEqual(error, {"code": INVALID_PARAMS,
                                 "text": f'no namespace for the endpoint id "{endpoint_id("")}"'})

        member = {"id": session["message"]["text"], "name": "sam", "info": ""}
        await b.send_raw(prefix("sales") + json.dumps(frame(MEMBER_NEW, member=member)))
        self.assertEqual(await b.recv_raw(), prefix("sales") + json.dumps(frame(MEMBER_NEW, member=member),
                                                                          separators=(",", ":")))

    async def test_a_broker_connection_for_a_namespace_not_served_is_refused(self):
        await self.refused(token=hs256(ns="marketing"), subprotocol=BROKER)
        self.assertEqual(self.refusal_reason(hs256(ns="marketing"), BROKER), "token for another namespace")
        await self.refused(token=hs256(ns="marketing"), subprotocol=f"marketing.{PROTOCOL}")

    async def assert_serving_with(self, token, subprotocol):
        c = await self.connect_with("probe", token=token, subprotocol=subprotocol)
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

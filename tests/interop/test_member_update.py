# SPDX-License-Identifier: Apache-2.0
"""Member updates (ext@presence@member@update), spoken by hand: a joined member changes its
name or info; members that said hello with "updates" are told, sgc clients are not; lists
show the new values; a signed token's name stays; past the rate, error 45 and the
connection carries on."""

import unittest

from presence_harness import (
    ERROR_MEMBER_CHANNEL, GET_MEMBERS, HELLO, INVALID_PARAMS, MEMBER_NEW, SEND_MEMBERS,
    PresenceTestCase, frame, sgc_error)
from test_auth import SECRET, TokenCase, hs256

UPDATE = "ext@presence@member@update"


async def say_hello(client, features="updates"):
    await client.send(frame(HELLO, text=features))
    answer = await client.recv()
    return answer["message"]["text"].split(",")


class MemberUpdate(PresenceTestCase):

    SERVER_ARGS = ("--max-info-updates-per-second", "0.001", "--info-update-burst", "3")

    async def watcher_and_plain(self):
        watcher = await self.connect("watcher")
        self.assertIn("updates", await say_hello(watcher))
        await watcher.join("watcher")
        plain = await self.joined("plain", others=[watcher])
        return watcher, plain

    async def test_hello_names_updates_only_when_asked(self):
        c = await self.connect("c")
        self.assertNotIn("updates", await say_hello(c, "invitation-response"))
        self.assertIn("updates", await say_hello(c, "updates"))

    async def test_an_update_reaches_who_asked_and_every_list(self):
        watcher, plain = await self.watcher_and_plain()
        await plain.send(frame(UPDATE, member={"id": plain.session_id, "info": "desk 7"}))
        changed = {"id": plain.session_id, "name": "plain", "info": "desk 7"}
        await watcher.expect(frame(UPDATE, member=changed))
        await plain.barrier()  # an sgc client, not even told of its own update
        plain.member = changed
        answer = await watcher.barrier()
        self.assertIn(changed, answer["members"])
        await watcher.send(frame(UPDATE, member={"name": "Wendy"}))  # no id: its own
        wendy = {"id": watcher.session_id, "name": "Wendy", "info": ""}
        await watcher.expect(frame(UPDATE, member=wendy))
        await plain.send(plain.request(GET_MEMBERS, channel=""))
        listed = (await plain.recv())["members"]
        self.assertIn(wendy, listed)

    async def test_nothing_before_joining_and_nothing_for_someone_else(self):
        watcher, plain = await self.watcher_and_plain()
        await plain.send(frame(UPDATE, member={"id": watcher.session_id, "name": "Mallory"}))
        await plain.expect(frame(ERROR_MEMBER_CHANNEL, member=plain.member, channel="",
                                 error=sgc_error(3)))
        outsider = await self.connect("outsider")
        await outsider.send(frame(UPDATE, member={"name": "x"}))
        got = await outsider.recv()
        self.assertEqual(got["error"]["code"], 3)
        await watcher.barrier()

    async def test_too_long_a_name_is_invalid_params(self):
        watcher, _ = await self.watcher_and_plain()
        await watcher.send(frame(UPDATE, member={"name": "x" * 257}))
        got = await watcher.recv()
        self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL)
        self.assertEqual(got["error"]["code"], INVALID_PARAMS)
        answer = await watcher.barrier()
        self.assertIn(watcher.member, answer["members"])

    async def test_over_the_rate_error_45_and_the_connection_carries_on(self):
        watcher, plain = await self.watcher_and_plain()
        for i in range(3):
            await plain.send(frame(UPDATE, member={"info": str(i)}))
            await watcher.expect(frame(UPDATE, member={**plain.member, "info": str(i)}))
        plain.member = {**plain.member, "info": "2"}
        # More refusals in a row than --max-invalid-frames (16): 45 is no malformed request.
        for _ in range(20):
            await plain.send(frame(UPDATE, member={"info": "flood"}))
            got = await plain.recv()
            self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL, got)
            self.assertEqual(got["member"], plain.member)
            self.assertEqual(got["error"]["code"], 45)
            self.assertIn("member updates per second", got["error"]["text"])
        answer = await plain.barrier()
        self.assertIn(plain.member, answer["members"])
        await watcher.barrier()
        await plain.subscribe("room")


class FixedByToken(TokenCase):

    SERVER_ARGS = ("--auth-hs256-secret", SECRET)

    async def test_the_tokens_name_stays(self):
        a = await self.connect_with("alice", token=hs256(sub="alice", name="Alice", channels=["*"]))
        await self.session_of(a)
        self.assertIn("updates", await say_hello(a))
        await a.send(frame(MEMBER_NEW, member={"id": "alice", "name": "Mallory"}))
        # The subject is also the user (docs/security.md, Users).
        a.member = {"id": "alice", "name": "Alice", "info": "", "user": "alice"}
        await a.expect(frame(MEMBER_NEW, member=a.member))
        await a.send(frame(UPDATE, member={"name": "Mallory", "info": "desk 4"}))
        await a.expect(frame(UPDATE, member={"id": "alice", "name": "Alice", "info": "desk 4", "user": "alice"}))
        await a.send(frame(GET_MEMBERS, channel=""))
        got = await a.recv()
        self.assertEqual(got["method"], SEND_MEMBERS)
        self.assertEqual(got["members"], [{"id": "alice", "name": "Alice", "info": "desk 4", "user": "alice"}])


if __name__ == "__main__":
    unittest.main()

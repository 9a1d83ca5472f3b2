# SPDX-License-Identifier: Apache-2.0
"""Large rooms: member pages, counts, coalesced diffs and counts-only channels, spoken by
hand. The diff interval is a minute (the longest the server takes), longer than any test
here, so a diff goes out only when the connection that asked for it asks for a list or a
count: every frame is then exactly predictable."""

import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, GET_MEMBERS,
    INVALID_PARAMS, SEND_MEMBERS, PresenceTestCase, frame)

HELLO = "ext@presence@hello"
GET_PAGE = "ext@presence@get@members@page"
PAGE = "ext@presence@members@page"
GET_COUNT = "ext@presence@get@count"
COUNT = "ext@presence@count"
COUNTS = "ext@presence@channel@counts"
DIFF = "ext@presence@diff"


class LargeRooms(PresenceTestCase):

    SERVER_ARGS = ("--diff-interval", "60", "--max-page-members", "2")

    async def crowd(self, n, channel=None):
        """Members who each read what the later ones' joins and subscriptions announce."""
        members = []
        for i in range(n):
            c = await self.joined(f"m{i}", others=members)
            if channel:
                await c.subscribe(channel, others=members)
            members.append(c)
        return members

    async def with_diffs(self, name):
        c = await self.connect(name)
        await c.send(frame(HELLO, text="member-pages,diffs"))
        answer = await c.recv()
        self.assertEqual(answer["method"], HELLO)
        self.assertIn("diffs", answer["message"]["text"].split(","))
        self.assertIn("member-pages", answer["message"]["text"].split(","))
        await c.join(name)
        return c

    async def test_pages_list_every_member_once_by_id(self):
        members = await self.crowd(5, "room")
        asker = members[0]
        listed, cursor, pages = [], "", 0
        while True:
            text = "2" if not cursor else "2:" + cursor
            await asker.send(asker.request(GET_PAGE, channel="room", text=text))
            page = await asker.recv()
            self.assertEqual(page["method"], PAGE, page)
            self.assertEqual(page["member"], asker.member)
            self.assertEqual(page["channel"], {"name": "room"})
            listed += [m["id"] for m in page["members"]]
            cursor = page["message"]["text"]
            pages += 1
            if not cursor or pages > 5:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(listed, sorted(m.session_id for m in members))

    async def test_a_limit_over_the_servers_is_invalid_params(self):
        a = await self.joined("ann")
        await a.send(a.request(GET_PAGE, channel="", text="3"))
        got = await a.recv()
        self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL)
        self.assertEqual(got["error"]["code"], INVALID_PARAMS)

    async def test_count(self):
        members = await self.crowd(3, "room")
        a = members[0]
        await a.send(a.request(GET_COUNT, channel="room"))
        await a.expect(frame(COUNT, channel="room", text="3"))
        await a.send(a.request(GET_COUNT, channel="nowhere"))
        await a.expect(frame(COUNT, channel="nowhere", text="0"))

    async def test_joins_and_leaves_arrive_as_one_diff(self):
        watcher = await self.with_diffs("watcher")
        await watcher.subscribe("room")
        members = await self.crowd(4, "room")
        passing = members[3]
        await passing.send(passing.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        await passing.expect(frame(CHANNEL_MEMBER_REMOVE, member=passing.member, channel="room"))
        for m in members[:3]:
            await m.expect(frame(CHANNEL_MEMBER_REMOVE, member=passing.member, channel="room"))
        await watcher.send(watcher.request(GET_MEMBERS, channel="room"))
        diff = await watcher.recv()
        self.assertEqual(diff["method"], DIFF, diff)
        self.assertEqual(diff["channel"], {"name": "room"})
        # The watcher's own subscription is summed up too; passing came and went.
        self.assertEqual(diff["message"]["text"], "4 4")
        self.assertEqual(diff["members"], [watcher.member] + [m.member for m in members[:3]])
        answer = await watcher.recv()
        self.assertEqual(answer["method"], SEND_MEMBERS)

        # A member known before that leaves is in the next diff, after the joined ones (none).
        leaver = members[0]
        await leaver.send(leaver.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        await leaver.expect(frame(CHANNEL_MEMBER_REMOVE, member=leaver.member, channel="room"))
        await watcher.send(watcher.request(GET_MEMBERS, channel="room"))
        await watcher.expect(frame(DIFF, channel="room", text="0 3", members=[leaver.member]))

    async def test_a_client_without_hello_still_gets_every_frame(self):
        plain = await self.joined("plain")
        await plain.subscribe("room")
        b = await self.joined("bob", others=[plain])
        await b.subscribe("room", others=[plain])
        await plain.barrier()

    async def test_counts_only_channel(self):
        members = await self.crowd(3)
        watcher = await self.joined("watcher", others=members)
        await watcher.subscribe("stage")
        await watcher.send(watcher.request(COUNTS, channel="stage", text="on"))
        await watcher.expect(frame(COUNT, channel="stage", text="1"))
        for i, m in enumerate(members):
            await m.subscribe("stage", others=members[:i])
        await watcher.send(watcher.request(GET_COUNT, channel="stage"))
        await watcher.expect(frame(COUNT, channel="stage", text="4"))  # the changes, summed up
        await watcher.expect(frame(COUNT, channel="stage", text="4"))  # the answer
        await watcher.send(watcher.request(COUNTS, channel="stage", text="off"))
        await watcher.expect(frame(COUNT, channel="stage", text="4"))
        late = await self.joined("late", others=[watcher] + members)
        await late.send(late.request(CHANNEL_MEMBER_NEW, channel="stage"))
        await watcher.expect(frame(CHANNEL_MEMBER_NEW, member=late.member, channel="stage"))

    async def test_counts_only_wants_on_or_off(self):
        a = await self.joined("ann")
        await a.send(a.request(COUNTS, channel="room", text="yes"))
        got = await a.recv()
        self.assertEqual(got["error"]["code"], INVALID_PARAMS)


if __name__ == "__main__":
    unittest.main()

// SPDX-License-Identifier: Apache-2.0
// The extensions of docs/protocol.md through presence.js against the real server: pages of a
// big room, counts and counts only, diffs, users and member updates, and namespaces. The
// other members are raw peers speaking the frames by hand, so that what presence.js sends
// and reads is checked against the wire as written down, not only against the server.
import assert from 'node:assert/strict';
import test from 'node:test';
import { byMethod, joined, newClient, next, rawPeer, record, serverFor, within } from './support.mjs';

const M = 'sgc@presence@';
const X = 'ext@presence@';

// A raw peer that said hello with `features` (when given), joined as `name` (of `user`,
// when given) and entered `channels`, every frame written by hand.
async function rawJoin(t, server, { name, user, features, channels = [] }) {
  const peer = await rawPeer(server.url);
  t.after(() => peer.close());
  const { frame: session } = await peer.received.next(byMethod(`${M}session`), 'the session');
  const id = session.message.text;
  const mine = (method) => (f) => f?.method === method && f.member?.id === id;
  if (features) peer.send({ jsonrpc: '2.0', method: `${X}hello`, message: { text: features } });
  const member = { id, name, info: '', ...(user ? { user } : {}) };
  peer.send({ jsonrpc: '2.0', method: `${M}member@new`, member });
  const { frame: joinedFrame } = await peer.received.next(mine(`${M}member@new`), `${name} to join`);
  for (const channel of channels) {
    peer.send({ jsonrpc: '2.0', method: `${M}channel@member@new`, member, channel: { name: channel } });
    await peer.received.next((f) => mine(`${M}channel@member@new`)(f) && f.channel.name === channel,
      `${name} to be in ${channel}`);
  }
  return { ...peer, member: joinedFrame.member };
}

// `peer` publishes `text` to `channel`; resolves once `client` has it. What `client` was
// sent before the marker has then arrived too.
async function marker(peer, client, channel, text) {
  const got = next(client, 'publish', (ch, sender, t) => ch === channel && t === text);
  peer.send({ jsonrpc: '2.0', method: `${M}publish@msg`, member: peer.member, channel: { name: channel }, message: { text } });
  await got;
}

// Resolves once `done()` holds, checked now and after each `event` of `client`.
async function until(client, event, done) {
  if (!done()) await next(client, event, done);
}

const plain = (m) => ({ ...m, user: m.user ?? '' });
const ids = (members) => members.map((m) => m.id);

test('the pages of a big room list each member once, in the order of their ids', async (t) => {
  const server = await serverFor(t, ['--max-page-members', '10']);
  const peers = [];
  for (let i = 0; i < 23; i += 1) peers.push(await rawJoin(t, server, { name: `guest ${i}`, channels: ['big'] }));
  const [ann] = await joined(t, server, { name: 'Ann' });
  ann.subscribe('big');
  await next(ann, 'channelMemberNew', (ch, m) => ch === 'big' && m.id === ann.sessionId);

  const pages = record(ann, 'membersPage');
  const listed = [];
  let cursor = '';
  do {
    const page = await within(ann.getMembersPage('big', 7, cursor), 'a page');
    assert.ok(page.members.length <= 7);
    listed.push(...page.members);
    cursor = page.nextCursor;
  } while (cursor);
  const everyone = [...peers.map((p) => plain(p.member)), ann.member];
  assert.deepEqual(ids(listed), ids(everyone).sort());
  assert.deepEqual(listed, everyone.sort((a, b) => (a.id < b.id ? -1 : 1)));
  assert.equal(pages.length, Math.ceil(24 / 7));
  assert.deepEqual(pages.at(-1)[2], '');

  await assert.rejects(ann.getMembersPage('big', 11), { code: -32602 });
  await assert.rejects(ann.getMembersPage('no such room', 5), { code: 5 });
  assert.equal((await ann.getMembersPage('', 10)).members.length, 10);
});

test('counts, and a counts-only channel that gets its count instead of its announcements', async (t) => {
  const server = await serverFor(t);
  const host = await rawJoin(t, server, { name: 'Host', channels: ['stage'] });
  const [ann] = await joined(t, server, { name: 'Ann' });
  ann.subscribe('stage');
  await next(ann, 'channelMemberNew', (ch, m) => ch === 'stage' && m.id === ann.sessionId);
  assert.equal(await ann.getCount('stage'), 2);
  assert.equal(await ann.getCount(), 2);
  assert.equal(await ann.getCount('nowhere'), 0);

  const counts = record(ann, 'count');
  const joins = record(ann, 'channelMemberNew');
  assert.equal(await ann.setCountsOnly('stage', true), 2);
  const three = next(ann, 'count', (ch, n) => ch === 'stage' && n === 3);
  const guest = await rawJoin(t, server, { name: 'Guest', channels: ['stage'] });
  await three;
  await marker(host, ann, 'stage', 'after the guest');
  assert.deepEqual(joins.filter(([ch]) => ch === 'stage'), []);
  // The hand-written ask is answered as presence.js reads it.
  guest.send({ jsonrpc: '2.0', method: `${X}get@count`, member: guest.member, channel: { name: 'stage' } });
  const { frame } = await guest.received.next(byMethod(`${X}count`), 'the count, by hand');
  assert.deepEqual(frame, { jsonrpc: '2.0', method: `${X}count`, channel: { name: 'stage' }, message: { text: '3' } });

  assert.equal(await ann.setCountsOnly('stage', false), 3);
  const announced = next(ann, 'channelMemberNew', (ch, m) => ch === 'stage' && m.name === 'Late');
  await rawJoin(t, server, { name: 'Late', channels: ['stage'] });
  await announced;
  assert.ok(counts.every(([ch]) => ch === 'stage'));
});

test('with diffs, others\' joins and leaves come summed up, with the count', async (t) => {
  const server = await serverFor(t);
  const [ann] = await joined(t, server, { name: 'Ann', diffs: true });
  ann.subscribe('room');
  // Its own subscription is still confirmed one by one.
  await next(ann, 'channelMemberNew', (ch, m) => ch === 'room' && m.id === ann.sessionId);
  const memberEvents = record(ann, 'channelMemberNew');
  const diffs = record(ann, 'diff');

  // Those who joined `channel`, by name, as the diffs so far tell (this client's own join
  // may be in them too: a diff is applied as set operations).
  const joinedTo = (channel) => diffs.filter(([ch]) => ch === channel).flatMap(([, j]) => j)
    .filter((m) => m.id !== ann.sessionId).map((m) => m.name).sort();
  const others = ['Bob', 'Cid', 'Dan'];
  const bob = await rawJoin(t, server, { name: 'Bob', channels: ['room'] });
  const cid = await rawJoin(t, server, { name: 'Cid', channels: ['room'] });
  const dan = await rawJoin(t, server, { name: 'Dan', channels: ['room'] });
  await until(ann, 'diff', () => joinedTo('room').length === 3);
  assert.deepEqual(joinedTo('room'), others);
  assert.equal(diffs.filter(([ch]) => ch === 'room').at(-1)[3], 4);
  // Presence as a whole has its diffs too, channel ''.
  await until(ann, 'diff', () => joinedTo('').length === 3);
  assert.deepEqual(joinedTo(''), others);

  const left = next(ann, 'diff', (ch, j, l) => ch === 'room' && l.some((m) => m.id === cid.member.id));
  cid.close();
  const [, , gone, count] = await left;
  assert.deepEqual(gone, [plain(cid.member)]);
  assert.equal(count, 3);
  await marker(bob, ann, 'room', 'marker');
  assert.deepEqual(memberEvents, [], 'no one-by-one announcements of others');
  assert.equal(await ann.getCount('room'), 3);
  dan.close();
});

test('users: two tabs of one user are announced once and listed together', async (t) => {
  const server = await serverFor(t, ['--user-leave-grace', '0']);
  const [bob] = await joined(t, server, { name: 'Bob', users: true });
  const bobSees = record(bob, 'memberNew');
  const bobLoses = record(bob, 'memberRemove');
  const [tab1] = await joined(t, server, { name: 'Ann', info: 'tab 1', user: 'ann' });
  assert.equal(tab1.member.user, 'ann');
  await until(bob, 'memberNew', () => bobSees.some(([m]) => m.id === tab1.sessionId));
  const [tab2] = await joined(t, server, { name: 'Ann', info: 'tab 2', user: 'ann' });
  // A third connection of the user, written by hand.
  const tab3 = await rawJoin(t, server, { name: 'Ann', user: 'ann', features: 'users' });
  assert.equal(tab3.member.user, 'ann');
  const cid = await rawJoin(t, server, { name: 'Cid' });
  await until(bob, 'memberNew', () => bobSees.some(([m]) => m.id === cid.member.id));
  assert.deepEqual(bobSees.map(([m]) => m.name), ['Ann', 'Cid'], 'Ann once');
  assert.deepEqual(bobSees[0][0], tab1.member);

  const users = await bob.getUsers();
  const anns = users.filter((m) => m.user === 'ann');
  assert.deepEqual(ids(anns), [tab1.sessionId, tab2.sessionId, tab3.member.id].sort());
  assert.deepEqual(ids(users.slice(users.indexOf(anns[0]), users.indexOf(anns[0]) + 3)), ids(anns), 'next to each other');
  assert.deepEqual(users.find((m) => m.id === cid.member.id), plain(cid.member));
  // The raw tab reads the others as the wire says: with the user field.
  tab3.send({ jsonrpc: '2.0', method: `${X}get@users`, member: tab3.member, channel: { name: '' } });
  const { frame } = await tab3.received.next(byMethod(`${X}users`), 'the users, by hand');
  const entry = frame.users.find((u) => u.user === 'ann');
  assert.deepEqual(entry.members.map((m) => m.id), ids(anns));

  // Leaves go out on a timer after their grace: one told for the first two tabs would
  // come before the last tab's.
  await tab1.close();
  await tab2.close();
  const annLeft = next(bob, 'memberRemove', (m) => m.user === 'ann');
  tab3.close();
  await annLeft;
  assert.deepEqual(bobLoses, [[plain(tab3.member)]], 'Ann left once, with her last tab');
});

test('member updates reach every member that asked for them, this one included', async (t) => {
  const server = await serverFor(t, ['--max-info-updates-per-second', '0.001', '--info-update-burst', '1']);
  const [ann] = await joined(t, server, { name: 'Ann', info: 'desk 4', updates: true });
  const watcher = await rawJoin(t, server, { name: 'Wes', features: 'updates' });
  const unaware = await rawJoin(t, server, { name: 'Una' });

  const own = next(ann, 'memberUpdate', (m) => m.id === ann.sessionId);
  ann.updateMember({ info: 'away' });
  const { frame } = await watcher.received.next(byMethod(`${X}member@update`), 'the update, by hand');
  assert.deepEqual(frame.member, { id: ann.sessionId, name: 'Ann', info: 'away' });
  assert.deepEqual(await own, [{ id: ann.sessionId, name: 'Ann', info: 'away', user: '' }]);
  assert.deepEqual(ann.member, { id: ann.sessionId, name: 'Ann', info: 'away', user: '' });

  const renamed = next(ann, 'memberUpdate', (m) => m.id === watcher.member.id);
  watcher.send({ jsonrpc: '2.0', method: `${X}member@update`, member: { id: watcher.member.id, name: 'Wesley' } });
  assert.deepEqual(await renamed, [{ id: watcher.member.id, name: 'Wesley', info: '', user: '' }]);

  // Past the burst: error 45, and nothing changes.
  const refused = next(ann, 'errorMemberChannel');
  ann.updateMember({ name: 'Anne' });
  assert.deepEqual((await refused).slice(2, 3), [45]);
  assert.deepEqual((await ann.getMembers()).find((m) => m.id === ann.sessionId).name, 'Ann');
  // A member that did not ask for updates was sent none.
  await marker(unaware, ann, '', 'marker');
  assert.ok(!unaware.received.frames.some(byMethod(`${X}member@update`)));
});

test('a guid joins the server\'s namespace of that name', async (t) => {
  const server = await serverFor(t, ['--namespace', 'sales']);
  const [seller, buyer, outsider] = await joined(t, server,
    { name: 'Seller', guid: 'sales' }, { name: 'Buyer', guid: 'sales' }, { name: 'Outsider' });
  assert.deepEqual(ids(await seller.getMembers()).sort(), [seller.sessionId, buyer.sessionId].sort());
  assert.deepEqual(ids(await outsider.getMembers()), [outsider.sessionId]);
  const unknown = newClient(server, { name: 'Lost', guid: 'nowhere', reconnect: { enabled: false } });
  t.after(() => unknown.close());
  // A plain connection to a namespace the server does not have is put in its default one.
  await within(unknown.connect(), 'the unknown namespace');
  assert.ok(ids(await outsider.getMembers()).includes(unknown.sessionId));
});

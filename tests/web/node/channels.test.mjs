// SPDX-License-Identifier: Apache-2.0
// Channels: subscribe, unsubscribe, publish, member lists, and the errors about them.
import assert from 'node:assert/strict';
import test from 'node:test';
import { joined, next, record, serverFor, within } from './support.mjs';

const byId = (a, b) => a.id.localeCompare(b.id);

// Ann and Bob in `room`, Cid in no channel.
async function roomWithTwo(t) {
  const server = await serverFor(t);
  const [ann, bob, cid] = await joined(t, server, { name: 'Ann' }, { name: 'Bob' }, { name: 'Cid' });
  const annIn = next(ann, 'channelMemberNew', (ch, m) => m.id === ann.sessionId);
  ann.subscribe('room');
  assert.deepEqual(await annIn, ['room', ann.member]);
  const annSeesBob = next(ann, 'channelMemberNew', (ch, m) => m.id === bob.sessionId);
  const bobIn = next(bob, 'channelMemberNew', (ch, m) => m.id === bob.sessionId);
  bob.subscribe('room');
  assert.deepEqual(await annSeesBob, ['room', bob.member]);
  await bobIn;
  return { ann, bob, cid };
}

test('subscribe announces to the channel and fills client.channels', async (t) => {
  const { ann, bob, cid } = await roomWithTwo(t);
  assert.deepEqual([...ann.channels], ['room']);
  assert.deepEqual([...bob.channels], ['room']);
  assert.deepEqual([...cid.channels], []);
  // channels is a copy: changing it changes nothing in the client.
  ann.channels.clear();
  assert.deepEqual([...ann.channels], ['room']);
});

test('unsubscribe announces to the channel, the leaver included', async (t) => {
  const { ann, bob } = await roomWithTwo(t);
  const annSees = next(ann, 'channelMemberRemove');
  const bobSees = next(bob, 'channelMemberRemove');
  bob.unsubscribe('room');
  assert.deepEqual(await annSees, ['room', bob.member]);
  assert.deepEqual(await bobSees, ['room', bob.member]);
  assert.deepEqual([...bob.channels], []);
  assert.deepEqual([...ann.channels], ['room']);
});

test('publish reaches the channel only, or everybody with no channel', async (t) => {
  const { ann, bob, cid } = await roomWithTwo(t);
  const cidGot = record(cid, 'publish');
  const annGets = next(ann, 'publish', (ch) => ch === 'room');
  const bobGets = next(bob, 'publish', (ch) => ch === 'room');
  bob.publish('hello, room', 'room');
  assert.deepEqual(await annGets, ['room', bob.member, 'hello, room']);
  assert.deepEqual(await bobGets, ['room', bob.member, 'hello, room']);

  // The server keeps the order per connection: when Cid has the broadcast, it would have
  // had the room message before it.
  const everyone = [ann, bob, cid].map((c) => next(c, 'publish', (ch) => ch === ''));
  ann.publish('hello, all');
  for (const got of await Promise.all(everyone)) assert.deepEqual(got, ['', ann.member, 'hello, all']);
  assert.deepEqual(cidGot, [['', ann.member, 'hello, all']]);
});

test('getMembers resolves with the list of a channel or of everybody', async (t) => {
  const { ann, bob, cid } = await roomWithTwo(t);
  const event = next(cid, 'members');
  const inRoom = await within(cid.getMembers('room'), "getMembers('room')");
  assert.deepEqual(inRoom.sort(byId), [ann.member, bob.member].sort(byId));
  assert.equal((await event)[0], 'room');
  assert.deepEqual((await event)[1].sort(byId), inRoom);

  const all = await within(ann.getMembers(), 'getMembers()');
  assert.deepEqual(all.sort(byId), [ann.member, bob.member, cid.member].sort(byId));
  // Concurrent requests each get their own answer.
  const [a, b] = await within(Promise.all([bob.getMembers('room'), bob.getMembers('')]), 'both');
  assert.equal(a.length, 2);
  assert.equal(b.length, 3);
});

test('errors: unsubscribe or publish outside a channel, a channel that does not exist', async (t) => {
  const { cid } = await roomWithTwo(t);
  const notIn = next(cid, 'errorMemberChannel');
  cid.unsubscribe('room');
  assert.deepEqual(await notIn, ['room', cid.member, 12, 'Subscription not exists.']);

  const publishNotIn = next(cid, 'errorPublish');
  cid.publish('hello?', 'room');
  assert.deepEqual(await publishNotIn, ['room', cid.member, 'hello?', 12, 'Subscription not exists.']);

  const publishNowhere = next(cid, 'errorPublish');
  cid.publish('anyone?', 'nowhere');
  assert.deepEqual(await publishNowhere, ['nowhere', cid.member, 'anyone?', 5, 'Channel not exists']);

  const twice = next(cid, 'errorMemberChannel');
  cid.subscribe('own');
  cid.subscribe('own');
  assert.deepEqual(await twice, ['own', cid.member, 11, 'Subscription already exists.']);
  assert.deepEqual([...cid.channels], ['own']);

  const listNowhere = next(cid, 'errorMemberChannel');
  await assert.rejects(within(cid.getMembers('nowhere'), "getMembers('nowhere')"),
    (e) => e.code === 5 && e.message === 'Channel not exists');
  assert.deepEqual(await listNowhere, ['nowhere', cid.member, 5, 'Channel not exists']);
});

test('writeData sends a frame as it is', async (t) => {
  const { ann } = await roomWithTwo(t);
  const got = next(ann, 'publish');
  ann.writeData(JSON.stringify({
    jsonrpc: '2.0', method: 'sgc@presence@publish@msg', channel: { name: 'room' }, message: { text: 'raw' },
  }));
  assert.deepEqual(await got, ['room', ann.member, 'raw']);
  const bad = next(ann, 'errorMemberChannel');
  ann.writeData('not json');
  assert.equal((await bad)[2], -32700);
});

// SPDX-License-Identifier: Apache-2.0
// Resume (docs/protocol.md, Extensions): a client whose connection is lost comes back as
// the same member, and the others see nothing. Ann is presence.js behind the fault proxy;
// Bob is a raw peer speaking the wire by hand. Ann's WebSocket is gated, so that the test
// decides when she may come back: after what she is to miss has happened.
import assert from 'node:assert/strict';
import test from 'node:test';
import {
  byMethod, fakeServer, faultProxyFor, gatedWebSocket, joined, newClient, next, rawMember, serverFor, spyWebSocket,
  within,
} from './support.mjs';

const M = 'sgc@presence@';
const EVENTS = ['state', 'disconnect', 'session', 'resumed', 'resync', 'memberNew', 'memberRemove',
  'channelMemberNew', 'channelMemberRemove', 'publish', 'members'];

// Every event of `client` from now on, in order, as [event, ...args].
function journal(client) {
  const log = [];
  for (const event of EVENTS) client.on(event, (...args) => log.push([event, ...args]));
  return log;
}

// Ann, through the proxy with a gated WebSocket, joined and in `channels`.
async function annBehindProxy(t, server, channels, options = {}) {
  const proxy = await faultProxyFor(t, server);
  const gate = gatedWebSocket(options.WebSocket);
  const ann = newClient(proxy, { name: 'Ann', info: 'desk 4', ...options, WebSocket: gate.WebSocket });
  t.after(() => ann.close());
  await within(ann.connect(), 'Ann to join');
  for (const channel of channels) {
    const inIt = next(ann, 'channelMemberNew', (ch, m) => ch === channel && m.id === ann.sessionId);
    ann.subscribe(channel);
    await inIt;
  }
  return { ann, proxy, gate };
}

// Bob, a raw peer in `channels`, once Ann has heard of him there: her journal starts after.
async function bobJoins(t, server, ann, channels) {
  const heard = channels.map((channel) => next(ann, 'channelMemberNew', (ch, m) => ch === channel && m.name === 'Bob'));
  const bob = await rawMember(t, server, 'Bob', channels);
  await within(Promise.all(heard), 'Ann to hear of Bob');
  return bob;
}

// Cuts Ann off with the gate shut: she knows she is lost and cannot come back yet.
async function cutOff(ann, proxy, gate) {
  gate.open = false;
  const lost = next(ann, 'disconnect');
  const reconnecting = next(ann, 'state', (s) => s === 'reconnecting');
  await proxy.cut();
  assert.equal((await lost)[0].code, 1006);
  await reconnecting;
}

// Bob publishes to `channel` and waits for his own copy: the server has then sent Ann hers.
async function publishFromBob(bob, channel, text) {
  const from = bob.received.frames.length;
  bob.send({ jsonrpc: '2.0', method: `${M}publish@msg`, member: bob.member, channel: { name: channel }, message: { text } });
  await bob.received.next((f) => f?.method === `${M}publish@msg` && f.message.text === text, `Bob's "${text}"`, from);
}

// Bob's frames, up to the answer of a get@members he asks now: nothing can be on its way
// to him before that answer any more.
async function bobsFramesUntilListed(bob, channel) {
  const from = bob.received.frames.length;
  bob.send({ jsonrpc: '2.0', method: `${M}get@members`, member: bob.member, channel: { name: channel } });
  const { frame, index } = await bob.received.next((f) => f?.method === `${M}send@members` && f.channel.name === channel,
    `Bob's member list of ${channel}`, from);
  return { frames: bob.received.frames.slice(0, index), members: frame.members };
}

// Bob joined after Ann: any frame about her but a message would be a change.
function assertBobSawNoChangeOf(frames, id) {
  const about = frames.filter((f) => f?.member?.id === id && f.method !== `${M}publish@msg`);
  assert.deepEqual(about.map((f) => f.method), [], 'Ann neither left nor joined again');
}

test('a lost connection resumes: the member goes on unseen and gets what it missed', async (t) => {
  const server = await serverFor(t);
  // With ids on her requests, the server's acknowledgments are among the frames counted.
  const { ann, proxy, gate } = await annBehindProxy(t, server, ['room'], { acknowledgment: { enabled: true } });
  const bob = await bobJoins(t, server, ann, ['room']);
  const me = ann.member;
  const log = journal(ann);

  await cutOff(ann, proxy, gate);
  await publishFromBob(bob, 'room', 'while you were away');
  const resumed = next(ann, 'resumed');
  const missed = next(ann, 'publish');
  gate.open = true;
  await resumed;
  assert.deepEqual(await missed, ['room', { ...bob.member, user: '' }, 'while you were away']);

  assert.deepEqual(log.map(([event]) => event), [
    'disconnect', 'state', 'state', 'resumed', 'publish',
  ]);
  assert.deepEqual(log.filter(([event]) => event === 'state'), [['state', 'reconnecting'], ['state', 'connected']]);
  assert.equal(ann.state, 'connected');
  assert.deepEqual(ann.member, me);
  assert.deepEqual([...ann.channels], ['room']);

  // Ann speaks on her new connection as her old self.
  ann.publish('back', 'room');
  await bob.received.next((f) => f?.method === `${M}publish@msg` && f.message.text === 'back' && f.member.id === me.id,
    "Ann's message");
  const { frames, members } = await bobsFramesUntilListed(bob, 'room');
  assertBobSawNoChangeOf(frames, me.id);
  assert.deepEqual(members.map((m) => m.id).sort(), [bob.member.id, me.id].sort());
});

test('a gap longer than the backlog resumes with a resync and fresh member lists', async (t) => {
  const server = await serverFor(t, ['--resume-backlog-frames', '2']);
  const { ann, proxy, gate } = await annBehindProxy(t, server, ['room', 'hall']);
  const bob = await bobJoins(t, server, ann, ['room']);
  const me = ann.member;
  const log = journal(ann);

  await cutOff(ann, proxy, gate);
  for (let i = 1; i <= 5; i += 1) await publishFromBob(bob, 'room', `missed ${i}`);
  const resync = next(ann, 'resync');
  const roomList = next(ann, 'members', (ch) => ch === 'room');
  const hallList = next(ann, 'members', (ch) => ch === 'hall');
  gate.open = true;
  await resync;
  const [, room] = await roomList;
  const [, hall] = await hallList;
  assert.deepEqual(room.map((m) => m.id).sort(), [bob.member.id, me.id].sort());
  assert.deepEqual(hall, [me]);
  assert.deepEqual(ann.member, me);
  assert.deepEqual([...ann.channels].sort(), ['hall', 'room']);
  assert.ok(!log.some(([event]) => ['session', 'resumed', 'publish', 'memberRemove'].includes(event)),
    'no new session, and no part of the lost frames');

  // The count started again after the resync: the next loss resumes without a gap.
  await cutOff(ann, proxy, gate);
  await publishFromBob(bob, 'room', 'one more');
  const resumed = next(ann, 'resumed');
  const missed = next(ann, 'publish');
  gate.open = true;
  await resumed;
  assert.deepEqual(await missed, ['room', { ...bob.member, user: '' }, 'one more']);
  const { frames } = await bobsFramesUntilListed(bob, 'room');
  assertBobSawNoChangeOf(frames, me.id);
});

test('a member whose grace ran out comes back as a new member, in its channels', async (t) => {
  // The server notices the stalled connection by its own heartbeat, Ann by hers.
  const server = await serverFor(t, ['--resume-grace', '0.3', '--heartbeat-interval', '0.2', '--heartbeat-timeout', '1']);
  const spy = spyWebSocket();
  const { ann, proxy, gate } = await annBehindProxy(t, server, ['room'],
    { heartbeatInterval: 200, heartbeatTimeout: 1000, WebSocket: spy.WebSocket });
  const bob = await bobJoins(t, server, ann, ['room']);
  const oldId = ann.sessionId;
  const log = journal(ann);

  gate.open = false;
  const lost = next(ann, 'state', (s) => s === 'reconnecting');
  await proxy.stall();
  await bob.received.next((f) => f?.method === `${M}member@remove` && f.member.id === oldId, 'Bob to see Ann leave');
  await lost;
  const session = next(ann, 'session');
  const back = next(ann, 'channelMemberNew', (ch, m) => ch === 'room' && m.name === 'Ann');
  gate.open = true;
  const [newId] = await session;
  assert.notEqual(newId, oldId);
  assert.deepEqual(ann.member, { id: newId, name: 'Ann', info: 'desk 4', user: '' });
  await back;
  await bob.received.next((f) => f?.method === `${M}member@new` && f.member.id === newId, 'Bob to see Ann join');
  await bob.received.next((f) => f?.method === `${M}channel@member@new` && f.member.id === newId && f.channel.name === 'room',
    'Bob to see Ann in room');
  assert.ok(!log.some(([event]) => event === 'resumed' || event === 'resync'));
  assert.deepEqual([...ann.channels], ['room']);
  const answer = await spy.received.next(byMethod('ext@presence@resume'), 'the answer to the resume');
  assert.equal(answer.frame.message.text, 'expired');
});

test('with Base64 on both sides the resume works the same', async (t) => {
  const server = await serverFor(t, ['--base64']);
  const { ann, proxy, gate } = await annBehindProxy(t, server, ['room'], { encodeBase64: true });
  const [bob] = await joined(t, server, { name: 'Bob' });
  const bobIn = next(bob, 'channelMemberNew', (ch, m) => m.id === bob.sessionId);
  bob.subscribe('room');
  await bobIn;
  const me = ann.member;

  await cutOff(ann, proxy, gate);
  const echoed = next(bob, 'publish');
  bob.publish('encoded', 'room');
  await echoed;
  const resumed = next(ann, 'resumed');
  const missed = next(ann, 'publish');
  gate.open = true;
  await resumed;
  assert.deepEqual(await missed, ['room', bob.member, 'encoded']);
  assert.deepEqual(ann.member, me);
});

// ---- Against a stand-in server: the resume request byte for byte, and the count ----

const RESUME = 'ext@presence@resume';
const b64 = (s) => `sgc@b64:${Buffer.from(s, 'utf8').toString('base64')}`;

// The client's next connection to the stand-in, given `session`: its first frame.
async function nextConnection(fake, index, session) {
  const peer = await fake.connection(index);
  peer.send({ jsonrpc: '2.0', method: `${M}session`, message: { text: session } });
  const first = await peer.received.next(() => true, `the first frame on connection ${index}`);
  return { peer, first: first.text };
}

// Sends a frame with id `id` and waits for its acknowledgment: the client has then handled
// every frame sent before it.
async function barrier(peer, id) {
  peer.send({ jsonrpc: '2.0', method: `${M}publish@msg`, member: { id: 'B2', name: 'Bob', info: '' },
    channel: { name: '' }, message: { text: id }, id });
  await peer.received.next((f) => f?.method === `${M}acknowledgment` && f.id === id, `the acknowledgment of ${id}`);
}

// Ends the connection without a closing handshake, as a lost network does.
async function lose(client, peer) {
  const lost = next(client, 'disconnect');
  peer.socket.terminate();
  assert.equal((await lost)[0].code, 1006);
}

test('the resume request comes first after session, with the token and every frame counted', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', info: 'desk 4' });
  t.after(() => client.close());
  const joining = client.connect();
  const { peer } = await nextConnection(fake, 0, 'S1');
  const ann = { id: 'S1', name: 'Ann', info: 'desk 4' };
  peer.send({ jsonrpc: '2.0', method: 'ext@presence@hello', message: { text: 'invitation-response,heartbeat,resume' } });
  peer.send({ jsonrpc: '2.0', method: `${RESUME}@token`, message: { text: 'T1' } });
  peer.send({ jsonrpc: '2.0', method: `${M}member@new`, member: ann });                       // 1
  await within(joining, 'connect()');
  peer.send({ jsonrpc: '2.0', method: 'ext@presence@pong' });                                  // not counted
  peer.socket.send('not json');                                                                // 2
  peer.send({ jsonrpc: '2.0', method: `${M}acknowledgment`, id: 'unknown' });                 // 3
  peer.send({ jsonrpc: '2.0', method: RESUME, message: { text: 'resumed' } });                // not counted
  await barrier(peer, 'p1');                                                                   // 4
  await lose(client, peer);

  const resumed = next(client, 'resumed');
  const second = await nextConnection(fake, 1, 'S2');
  assert.equal(second.first, `{"jsonrpc":"2.0","method":"${RESUME}","message":{"text":"T1:4"}}`);
  assert.equal(client.state, 'reconnecting');
  second.peer.send({ jsonrpc: '2.0', method: RESUME, member: ann, message: { text: 'resumed' } });
  await resumed;
  assert.equal(client.state, 'connected');
  assert.deepEqual(client.member, { ...ann, user: '' });
  await barrier(second.peer, 'p2');                                                            // 5
  assert.equal(second.peer.received.texts.length, 2, 'no hello, no join, no subscribe after a resume');
  await lose(client, second.peer);

  const session = next(client, 'session');
  const third = await nextConnection(fake, 2, 'S3');
  assert.equal(third.first, `{"jsonrpc":"2.0","method":"${RESUME}","message":{"text":"T1:5"}}`);
  third.peer.send({ jsonrpc: '2.0', method: RESUME, message: { text: 'expired' } });
  const join = await third.peer.received.next(byMethod(`${M}member@new`), 'member@new after expired');
  assert.deepEqual(third.peer.received.texts.slice(1, join.index + 1), [
    '{"jsonrpc":"2.0","method":"ext@presence@hello","message":{"text":"invitation-response,heartbeat,resume"}}',
    `{"jsonrpc":"2.0","method":"${M}member@new","member":{"id":"S3","name":"Ann","info":"desk 4"}}`,
  ]);
  third.peer.send({ jsonrpc: '2.0', method: `${M}member@new`, member: { ...ann, id: 'S3' } });
  assert.deepEqual(await session, ['S3']);
});

test('with Base64 the resume request is encoded, and encoded answers are read', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', encodeBase64: true });
  t.after(() => client.close());
  const joining = client.connect();
  const { peer } = await nextConnection(fake, 0, 'S1');
  const ann = { id: b64('S1'), name: b64('Ann'), info: '' };
  peer.send({ jsonrpc: '2.0', method: b64('ext@presence@hello'), message: { text: b64('heartbeat,resume') } });
  peer.send({ jsonrpc: '2.0', method: b64(`${RESUME}@token`), message: { text: b64('T1') } });
  peer.send({ jsonrpc: '2.0', method: b64(`${M}member@new`), member: ann });                  // 1
  await within(joining, 'connect()');
  await barrier(peer, 'p1');                                                                   // 2
  await lose(client, peer);

  const resync = next(client, 'resync');
  const second = await nextConnection(fake, 1, 'S2');
  assert.equal(second.first, `{"jsonrpc":"2.0","method":"${b64(RESUME)}","message":{"text":"${b64('T1:2')}"}}`);
  second.peer.send({ jsonrpc: '2.0', method: b64(RESUME), member: ann, message: { text: b64('resync') } });
  await resync;
  assert.equal(client.sessionId, 'S1');
  const listed = next(client, 'members');
  second.peer.send({ jsonrpc: '2.0', method: b64(`${M}send@members`), member: ann, channel: { name: b64('room') },
    members: [ann] });                                                                         // 1: counted from 0
  assert.deepEqual(await listed, ['room', [{ id: 'S1', name: 'Ann', info: '', user: '' }]]);
  await lose(client, second.peer);
  const third = await nextConnection(fake, 2, 'S3');
  assert.equal(third.first, `{"jsonrpc":"2.0","method":"${b64(RESUME)}","message":{"text":"${b64('T1:1')}"}}`);
});

test('after a close frame from the server the client joins afresh', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann' });
  t.after(() => client.close());
  const joining = client.connect();
  const { peer } = await nextConnection(fake, 0, 'S1');
  peer.send({ jsonrpc: '2.0', method: 'ext@presence@hello', message: { text: 'resume' } });
  peer.send({ jsonrpc: '2.0', method: `${RESUME}@token`, message: { text: 'T1' } });
  peer.send({ jsonrpc: '2.0', method: `${M}member@new`, member: { id: 'S1', name: 'Ann', info: '' } });
  await within(joining, 'connect()');
  const closed = next(client, 'disconnect');
  peer.socket.close(1001, 'going away');
  assert.equal((await closed)[0].code, 1001);
  const { first } = await nextConnection(fake, 1, 'S2');
  assert.equal(first, '{"jsonrpc":"2.0","method":"ext@presence@hello","message":{"text":"invitation-response,heartbeat,resume"}}');
});

test('with resume off, hello does not name it and a token is ignored', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', resume: false });
  t.after(() => client.close());
  const joining = client.connect();
  const { peer, first } = await nextConnection(fake, 0, 'S1');
  assert.equal(first, '{"jsonrpc":"2.0","method":"ext@presence@hello","message":{"text":"invitation-response,heartbeat"}}');
  peer.send({ jsonrpc: '2.0', method: 'ext@presence@hello', message: { text: 'resume' } });
  peer.send({ jsonrpc: '2.0', method: `${RESUME}@token`, message: { text: 'T1' } });
  peer.send({ jsonrpc: '2.0', method: `${M}member@new`, member: { id: 'S1', name: 'Ann', info: '' } });
  await within(joining, 'connect()');
  await lose(client, peer);
  const second = await nextConnection(fake, 1, 'S2');
  assert.match(second.first, /"method":"ext@presence@hello"/);
});

// SPDX-License-Identifier: Apache-2.0
// Heartbeat (docs/protocol.md, Extensions): after a silence the client pings; any frame
// shows the server alive; no frame in time and the connection is dead, to be resumed.
import assert from 'node:assert/strict';
import test from 'node:test';
import {
  byMethod, fakeServer, faultProxyFor, newClient, next, rawMember, record, serverFor, spyWebSocket, within,
} from './support.mjs';

const PING = '{"jsonrpc":"2.0","method":"ext@presence@ping"}';
const PONG = '{"jsonrpc":"2.0","method":"ext@presence@pong"}';
// A short silence before a ping, and a generous wait for its answer on a busy machine.
const FAST = { heartbeatInterval: 200, heartbeatTimeout: 1000 };

test('a stalled connection is found by the client heartbeat and resumed', async (t) => {
  // No heartbeat on the server: only the client's can notice.
  const server = await serverFor(t, ['--heartbeat-interval', '0']);
  const proxy = await faultProxyFor(t, server);
  const spy = spyWebSocket();
  const ann = newClient(proxy, { name: 'Ann', WebSocket: spy.WebSocket, ...FAST });
  t.after(() => ann.close());
  await within(ann.connect(), 'Ann to join');
  const bob = await rawMember(t, server, 'Bob');
  const me = ann.member;
  const errors = record(ann, 'error');
  const disconnects = record(ann, 'disconnect');

  // Answered pings keep the connection: a second ping is only sent after the first pong.
  const isPing = (f) => f?.method === 'ext@presence@ping';
  const first = await spy.sent.next(isPing, 'a ping');
  await spy.sent.next(isPing, 'a second ping', first.index + 1);
  assert.equal(first.text, PING);
  assert.equal((await spy.received.next(byMethod('ext@presence@pong'), 'a pong')).text, PONG);
  assert.deepEqual(errors, []);
  assert.deepEqual(disconnects, []);

  const resumed = next(ann, 'resumed');
  await proxy.stall();
  await resumed;
  assert.deepEqual(errors, [['heartbeat timeout: the server stopped answering']]);
  assert.deepEqual(disconnects, [[{ code: 1006, reason: 'heartbeat timeout' }]]);
  assert.deepEqual(ann.member, me);
  assert.equal(ann.state, 'connected');

  // The resumed connection has its heartbeat too.
  const after = spy.sent.texts.length;
  await spy.sent.next(isPing, 'a ping on the resumed connection', after);
  const from = bob.received.frames.length;
  bob.send({ jsonrpc: '2.0', method: 'sgc@presence@get@members', member: bob.member, channel: { name: '' } });
  const { frame } = await bob.received.next(byMethod('sgc@presence@send@members'), 'the member list', from);
  assert.deepEqual(frame.members.map((m) => m.id).sort(), [bob.member.id, me.id].sort());
  assert.ok(!bob.received.frames.some((f) => f?.method === 'sgc@presence@member@remove'), 'Bob never saw Ann leave');
});

test('no ping to a server that did not name the heartbeat, nor with heartbeatInterval 0', async (t) => {
  for (const [features, options] of [['invitation-response,resume', {}], ['heartbeat', { heartbeatInterval: 0 }]]) {
    const fake = await fakeServer(t);
    const client = newClient(fake, { name: 'Ann', heartbeatInterval: 10, heartbeatTimeout: 10, ...options });
    t.after(() => client.close());
    const joining = client.connect();
    const peer = await fake.connection();
    peer.send({ jsonrpc: '2.0', method: 'sgc@presence@session', message: { text: 'S1' } });
    peer.send({ jsonrpc: '2.0', method: 'ext@presence@hello', message: { text: features } });
    peer.send({ jsonrpc: '2.0', method: 'sgc@presence@member@new', member: { id: 'S1', name: 'Ann', info: '' } });
    await within(joining, 'connect()');
    // A ping would come after 10 ms of silence. Beside it, a client whose server named the
    // heartbeat pings after each 10 ms of silence: once it has pinged ten times, a ping of
    // the first would have been sent, and would come before a request it sends now.
    await pingsOfAnotherClient(t, fake, 10);
    client.publish('marker');
    const marker = await peer.received.next(byMethod('sgc@presence@publish@msg'), 'the marker');
    assert.ok(!peer.received.frames.slice(0, marker.index).some(byMethod('ext@presence@ping')), 'no ping');
    assert.equal(client.state, 'connected');
  }
});

// Another client of the fake server, with the heartbeat named and every ping answered:
// resolves once it has pinged `count` times.
async function pingsOfAnotherClient(t, fake, count) {
  const client = newClient(fake, { name: 'Cid', heartbeatInterval: 10, heartbeatTimeout: 5000 });
  t.after(() => client.close());
  const joining = client.connect();
  const peer = await fake.connection(1);
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@session', message: { text: 'S2' } });
  peer.send({ jsonrpc: '2.0', method: 'ext@presence@hello', message: { text: 'heartbeat' } });
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@member@new', member: { id: 'S2', name: 'Cid', info: '' } });
  await within(joining, 'the other client to connect');
  let from = 0;
  for (let i = 0; i < count; i += 1) {
    from = (await peer.received.next(byMethod('ext@presence@ping'), `ping ${i + 1} of the other client`, from)).index + 1;
    peer.socket.send(PONG);
  }
}

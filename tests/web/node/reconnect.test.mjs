// SPDX-License-Identifier: Apache-2.0
// Reconnect: a dropped client comes back to a restarted server, joins again with a new
// session and goes back into its channels.
import assert from 'node:assert/strict';
import test from 'node:test';
import {
  countedWebSocket, gatedWebSocket, joined, newClient, next, reconnectingClient, record, startServer, within,
} from './support.mjs';

test('after a server restart the client reconnects, rejoins and resubscribes', async (t) => {
  const first = await startServer();
  let second;
  t.after(async () => {
    await first.stop();
    await second?.stop();
  });
  const gate = gatedWebSocket();
  const [ann] = await joined(t, first, { name: 'Ann', info: 'desk 4', WebSocket: gate.WebSocket });
  for (const channel of ['room', 'hall']) {
    const inIt = next(ann, 'channelMemberNew', (ch) => ch === channel);
    ann.subscribe(channel);
    await inIt;
  }
  const oldId = ann.sessionId;
  const states = record(ann, 'state');
  const disconnect = next(ann, 'disconnect');
  const reconnecting = next(ann, 'state', (s) => s === 'reconnecting');
  gate.open = false;
  await first.stop();
  assert.equal((await disconnect)[0].code, 1001);
  await reconnecting;
  assert.equal(ann.sessionId, '');
  assert.equal(ann.member, null);
  assert.deepEqual([...ann.channels].sort(), ['hall', 'room'], 'kept, to subscribe again');

  // The new server on the same port, with Bob in `room` before Ann can come back.
  second = await startServer([], first.port);
  const [bob] = await joined(t, second, { name: 'Bob' });
  const bobIn = next(bob, 'channelMemberNew');
  bob.subscribe('room');
  await bobIn;
  const session = next(ann, 'session');
  const annBack = next(bob, 'memberNew', (m) => m.name === 'Ann');
  const annInRoom = next(bob, 'channelMemberNew', (ch, m) => m.name === 'Ann');
  const annInHall = next(ann, 'channelMemberNew', (ch, m) => ch === 'hall' && m.name === 'Ann');
  gate.open = true;

  const [newId] = await session;
  assert.notEqual(newId, oldId);
  assert.equal(ann.state, 'connected');
  assert.equal(states[0][0], 'reconnecting');
  assert.deepEqual(states.at(-1), ['connected']);
  assert.ok(!states.some(([s]) => s === 'disconnected' || s === 'closed'));
  const me = { id: newId, name: 'Ann', info: 'desk 4', user: '' };
  assert.deepEqual(ann.member, me);
  assert.deepEqual(await annBack, [me]);
  assert.deepEqual(await annInRoom, ['room', me]);
  await annInHall;
  assert.deepEqual([...ann.channels].sort(), ['hall', 'room']);
  const inRoom = await within(bob.getMembers('room'), "getMembers('room')");
  assert.deepEqual(inRoom.map((m) => m.name).sort(), ['Ann', 'Bob']);
});

test('connect() keeps trying until a server is there, then resolves', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const sockets = countedWebSocket();
  const gate = gatedWebSocket(sockets.WebSocket);
  gate.open = false;
  const client = newClient(server, { name: 'Ann', WebSocket: gate.WebSocket });
  t.after(() => client.close());
  const states = record(client, 'state');
  const joining = client.connect();
  await next(client, 'state', (s) => s === 'reconnecting');
  gate.open = true;
  await within(joining, 'connect()');
  assert.deepEqual(states[0], ['connecting']);
  assert.deepEqual(states.at(-1), ['connected']);
  assert.ok(client.sessionId);
});

test('close() while reconnecting stops for good and rejects a pending connect()', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const sockets = countedWebSocket();
  const gate = gatedWebSocket(sockets.WebSocket);
  gate.open = false;
  const client = newClient(server, { name: 'Ann', WebSocket: gate.WebSocket });
  const joining = client.connect();
  await next(client, 'state', (s) => s === 'reconnecting');
  const states = record(client, 'state');
  const rejected = assert.rejects(joining, /closed/);
  await within(client.close(), 'close()');
  await rejected;
  gate.open = true;
  // A reconnect timer left running would now get through. Another client with the same
  // delays makes ten attempts, each after such a timer would have fired: by then the
  // leftover attempt would have opened a connection.
  const opened = sockets.opened();
  await reconnectingClient(t, server, { enabled: true, initialDelay: 50, maxDelay: 200 }).attempts(10);
  assert.equal(sockets.opened(), opened, 'no connection opened after close()');
  assert.deepEqual(states, [['closed']]);
});

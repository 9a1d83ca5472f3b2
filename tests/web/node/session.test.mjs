// SPDX-License-Identifier: Apache-2.0
// Connecting, joining, the session, members arriving and leaving, close().
import assert from 'node:assert/strict';
import test from 'node:test';
import { PresenceClient } from '../../../web/presence.js';
import {
  countedWebSocket, joined, newClient, next, reconnectingClient, record, serverFor, startServer, within,
} from './support.mjs';

test('connect() goes connecting → connected and resolves once joined', async (t) => {
  const server = await serverFor(t);
  const client = newClient(server, { name: 'Ann', info: 'desk 4' });
  t.after(() => client.close());
  const states = record(client, 'state');
  const connects = record(client, 'connect');
  const sessions = record(client, 'session');
  assert.equal(client.state, 'disconnected');
  assert.equal(client.sessionId, '');
  assert.equal(client.member, null);

  await within(client.connect(), 'connect()');

  assert.deepEqual(states, [['connecting'], ['connected']]);
  assert.equal(connects.length, 1);
  assert.match(client.sessionId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(sessions, [[client.sessionId]]);
  assert.deepEqual(client.member, { id: client.sessionId, name: 'Ann', info: 'desk 4', user: '' });
  assert.equal(client.channels.size, 0);
  // Already connected: resolves at once.
  await within(client.connect(), 'a second connect()');
});

test('members see each other arrive and leave; close() ends in closed', async (t) => {
  const server = await serverFor(t);
  const [ann] = await joined(t, server, { name: 'Ann' });
  const bob = newClient(server, { name: 'Bob', info: 'line 1\r\nline 2' });
  const bobArrives = next(ann, 'memberNew', (m) => m.name === 'Bob');
  const bobSeesHimself = next(bob, 'memberNew', (m) => m.name === 'Bob');
  await within(bob.connect(), 'Bob to join');
  const [member] = await bobArrives;
  assert.deepEqual(member, bob.member);
  assert.equal(member.info, 'line 1\r\nline 2');
  assert.deepEqual((await bobSeesHimself)[0], bob.member);

  const bobId = bob.sessionId;
  const states = record(bob, 'state');
  const disconnects = record(bob, 'disconnect');
  const bobLeaves = next(ann, 'memberRemove', (m) => m.id === bobId);
  await within(bob.close(), 'close()');
  assert.deepEqual(states, [['closed']]);
  assert.equal(disconnects.length, 1);
  assert.equal(disconnects[0][0].code, 1000);
  assert.equal(bob.state, 'closed');
  assert.equal(bob.sessionId, '');
  assert.equal(bob.member, null);
  assert.deepEqual((await bobLeaves)[0], { id: bobId, name: 'Bob', info: 'line 1\r\nline 2', user: '' });
});

test('after close() the client does not come back', async (t) => {
  const server = await serverFor(t);
  const reconnect = { enabled: true, initialDelay: 1, maxDelay: 1 };
  const bobSockets = countedWebSocket();
  const [ann, bob] = await joined(t, server, { name: 'Ann' }, { name: 'Bob', reconnect, WebSocket: bobSockets.WebSocket });
  // The two joined at once: Bob's arrival may reach Ann after both connect() calls end,
  // but before the answer to a request she sends now.
  await ann.getMembers();
  const states = record(bob, 'state');
  const cameBack = record(ann, 'memberNew');
  await bob.close();
  // A reconnect starts by opening a connection, a millisecond after the loss. Another
  // client with the same delays makes ten attempts, each after such a timer would have
  // fired.
  const opened = bobSockets.opened();
  await reconnectingClient(t, server, reconnect).attempts(10);
  assert.equal(bobSockets.opened(), opened, 'no connection opened after close()');
  assert.deepEqual(cameBack, []);
  assert.deepEqual(states, [['closed']]);
  assert.deepEqual((await ann.getMembers()).map((m) => m.name), ['Ann']);
});

test('a closed client can connect again, with a new session', async (t) => {
  const server = await serverFor(t);
  const [ann] = await joined(t, server, { name: 'Ann' });
  const first = ann.sessionId;
  await ann.close();
  await within(ann.connect(), 'connect() after close()');
  assert.equal(ann.state, 'connected');
  assert.notEqual(ann.sessionId, first);
});

test('without reconnect, connect() to a dead port rejects and ends disconnected', async () => {
  const gone = await startServer();
  await gone.stop();
  const client = newClient(gone, { name: 'Ann', reconnect: { enabled: false } });
  const states = record(client, 'state');
  await assert.rejects(within(client.connect(), 'connect() to fail'), /connection lost/);
  assert.deepEqual(states, [['connecting'], ['disconnected']]);
});

test('requests while not connected emit error; getMembers rejects', async (t) => {
  const server = await serverFor(t);
  const client = newClient(server, { name: 'Ann' });
  const errors = record(client, 'error');
  client.subscribe('room');
  client.publish('hi');
  client.writeData('{}');
  await assert.rejects(client.getMembers(), /not connected/);
  assert.deepEqual(errors.map(([e]) => e), [
    'subscribe: not connected', 'publish: not connected', 'writeData: not connected',
    'getMembers: not connected',
  ]);
});

test('the constructor needs a url and a WebSocket outside a browser', () => {
  assert.throws(() => new PresenceClient({ name: 'Ann' }), /url is required/);
});

test('on() returns an unsubscribe; off() removes a handler; a throwing handler is reported', async (t) => {
  const server = await serverFor(t);
  const client = newClient(server, { name: 'Ann' });
  t.after(() => client.close());
  const calls = [];
  const off = client.on('state', (s) => calls.push(`a:${s}`));
  const b = (s) => calls.push(`b:${s}`);
  client.on('state', b);
  client.on('session', () => { throw new Error('boom'); });
  const errors = record(client, 'error');
  off();
  await client.connect();
  client.off('state', b);
  await client.close();
  assert.deepEqual(calls, ['b:connecting', 'b:connected']);
  assert.deepEqual(errors, [['session handler threw: boom']]);
});

// SPDX-License-Identifier: Apache-2.0
// Acknowledgment: ids on what the client sends, re-sent until acknowledged; what the
// server sends with an id is acknowledged, and a re-sent duplicate takes effect once.
import assert from 'node:assert/strict';
import test from 'node:test';
import { byMethod, fakeServer, joined, newClient, next, record, serverFor, spyWebSocket, within } from './support.mjs';

const ACK = 'sgc@presence@acknowledgment';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SERVER_ACK = ['--ack', '--ack-interval', '0.2', '--ack-timeout', '0.2', '--ack-retries', '2'];
const CLIENT_ACK = { enabled: true, interval: 100, timeout: 300, retries: 2 };
const b64 = (s) => `sgc@b64:${Buffer.from(s, 'utf8').toString('base64')}`;

test('with a server that acknowledges: ids both ways, each acknowledged', async (t) => {
  const server = await serverFor(t, SERVER_ACK);
  const spy = spyWebSocket();
  const [ann, bob] = await joined(t, server,
    { name: 'Ann', WebSocket: spy.WebSocket, acknowledgment: CLIENT_ACK }, { name: 'Bob' });
  const annIn = next(ann, 'channelMemberNew');
  ann.subscribe('room');
  await annIn;
  const got = next(bob, 'publish');
  ann.publish('hi');
  await got;

  // The client's requests (all but the hello) carry fresh GUIDs; the server acknowledges each.
  const requests = spy.sent.frames.filter((f) => f.method !== ACK && f.method !== 'ext@presence@hello');
  assert.deepEqual(requests.map((f) => f.method),
    ['sgc@presence@member@new', 'sgc@presence@channel@member@new', 'sgc@presence@publish@msg']);
  assert.equal(spy.sent.frames.find(byMethod('ext@presence@hello')).id, undefined);
  for (const { id } of requests) {
    assert.match(id, GUID);
    await spy.received.next((f) => f.method === ACK && f.id === id, `the server's acknowledgment of ${id}`);
  }
  // The server's frames carry ids (but the resume token, sent outside the numbered frames);
  // the client acknowledges each, unencoded.
  const fromServer = spy.received.frames.filter((f) => f.method !== ACK && f.method !== 'ext@presence@resume@token');
  assert.ok(fromServer.length >= 4);
  for (const { id } of fromServer) {
    assert.ok(id, 'a frame from an --ack server has an id');
    const ack = await spy.sent.next((f) => f.method === ACK && f.id === id, `the acknowledgment of ${id}`);
    assert.equal(ack.text, JSON.stringify({ jsonrpc: '2.0', method: ACK, id }));
  }
});

test('a frame the server re-sends takes effect once', async (t) => {
  const server = await serverFor(t, SERVER_ACK);
  const spy = spyWebSocket();
  const [ann, bob] = await joined(t, server, { name: 'Ann' }, { name: 'Bob', WebSocket: spy.WebSocket });
  const publishes = record(bob, 'publish');
  // Withhold Bob's first acknowledgment of each publish, so that the server sends it again.
  const withheld = new Set();
  spy.drop = (text) => {
    const frame = JSON.parse(text);
    const publish = spy.received.frames.find((f) => f.id === frame.id && f.method === 'sgc@presence@publish@msg');
    if (frame.method !== ACK || !publish || withheld.has(frame.id)) return false;
    withheld.add(frame.id);
    return true;
  };
  const from = spy.received.frames.length;
  ann.publish('one');
  ann.publish('two');
  for (const text of ['one', 'two']) {
    const first = await spy.received.next((f) => f.message?.text === text, `publish ${text}`, from);
    await spy.received.next((f) => f.id === first.frame.id, `publish ${text} again`, first.index + 1);
    // The client handles the duplicate before writing its acknowledgment.
    await spy.sent.next((f) => f.method === ACK && f.id === first.frame.id, `the acknowledgment of ${text}`);
  }
  assert.deepEqual(publishes.map(([, , text]) => text), ['one', 'two']);
});

test('an unacknowledged request is re-sent as the same bytes, then dropped with an error', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, {
    name: 'Zoë', encodeBase64: true, reconnect: { enabled: false },
    acknowledgment: { enabled: true, interval: 20, timeout: 20, retries: 2 },
  });
  t.after(() => client.close());
  const dropped = next(client, 'error');
  const joining = client.connect();
  const peer = await fake.connection();
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@session', message: { text: 'm1' } });
  const isJoin = byMethod(b64('sgc@presence@member@new'));
  const first = await peer.received.next(isJoin, 'member@new');
  const again = await peer.received.next(isJoin, 'member@new re-sent', first.index + 1);
  const third = await peer.received.next(isJoin, 'member@new re-sent twice', again.index + 1);
  assert.equal(again.text, first.text);
  assert.equal(third.text, first.text);
  // With Base64 on, the id is encoded like every other string.
  assert.match(first.frame.id, /^sgc@b64:/);
  assert.match(Buffer.from(first.frame.id.slice(8), 'base64').toString(), GUID);
  assert.deepEqual(await dropped, ['sgc@presence@member@new was not acknowledged: dropped']);
  assert.equal(peer.received.frames.filter(isJoin).length, 3);

  // The server's frame with an (encoded) id: acknowledged with the plain id, never encoded.
  peer.send({ jsonrpc: '2.0', method: b64('sgc@presence@member@new'), member: { id: 'm1', name: b64('Zoë'), info: '' },
    id: b64('srv-1') });
  await within(joining, 'connect()');
  const ack = await peer.received.next(byMethod(ACK), 'the acknowledgment');
  assert.equal(ack.text, '{"jsonrpc":"2.0","method":"sgc@presence@acknowledgment","id":"srv-1"}');
});

test('a duplicate id from the server is acknowledged again but ignored', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', reconnect: { enabled: false } });
  t.after(() => client.close());
  const joining = client.connect();
  const peer = await fake.connection();
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@session', message: { text: 'S1' }, id: 'a' });
  await peer.received.next(byMethod('sgc@presence@member@new'), 'member@new');
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@member@new', member: { id: 'S1', name: 'Ann', info: '' }, id: 'b' });
  await within(joining, 'connect()');
  const publishes = record(client, 'publish');
  const frame = { jsonrpc: '2.0', method: 'sgc@presence@publish@msg', channel: { name: '' }, message: { text: 'x' }, id: 'c' };
  peer.send(frame);
  peer.send(frame);
  peer.send({ ...frame, message: { text: 'y' }, id: 'd' });
  await peer.received.next((f) => f.id === 'd', 'the acknowledgment of d');
  assert.deepEqual(peer.received.frames.filter(byMethod(ACK)).map((f) => f.id), ['a', 'b', 'c', 'c', 'd']);
  assert.deepEqual(publishes.map(([, , text]) => text), ['x', 'y']);
});

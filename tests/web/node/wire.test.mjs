// What presence.js puts on the wire, checked byte for byte against a stand-in server
// (docs/protocol.md: the frames, their key order, only the parts each method carries).
import assert from 'node:assert/strict';
import test from 'node:test';
import { byMethod, fakeServer, newClient, next, within } from './support.mjs';

const M = 'sgc@presence@';

// A client joined to the fake server as member S1 (Ann, "desk 4"); `hello` says whether
// the fake answers the client's hello.
async function joinedToFake(t, { hello = true, options = {} } = {}) {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', info: 'desk 4', reconnect: { enabled: false }, ...options });
  t.after(() => client.close());
  const joining = client.connect();
  const peer = await fake.connection();
  peer.send({ jsonrpc: '2.0', method: `${M}session`, message: { text: 'S1' } });
  const join = await peer.received.next(byMethod(`${M}member@new`), 'member@new');
  peer.send({ jsonrpc: '2.0', method: `${M}member@new`, member: { id: 'S1', name: 'Ann', info: 'desk 4' } });
  if (hello) peer.send({ jsonrpc: '2.0', method: 'ext@presence@hello', message: { text: 'invitation-response' } });
  await within(joining, 'connect()');
  return { client, peer, join };
}

// The next frame the client writes after `action`.
async function written(peer, action) {
  const from = peer.received.texts.length;
  action();
  return (await peer.received.next(() => true, 'a frame from the client', from)).text;
}

test('session, hello, then member@new with the session id', async (t) => {
  const { client, peer, join } = await joinedToFake(t);
  assert.deepEqual(peer.received.texts.slice(0, 2), [
    '{"jsonrpc":"2.0","method":"ext@presence@hello","message":{"text":"invitation-response,heartbeat,resume"}}',
    '{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"id":"S1","name":"Ann","info":"desk 4"}}',
  ]);
  assert.equal(join.index, 1);
  assert.equal(peer.protocol, 'presence.esegece.com');
  assert.equal(client.sessionId, 'S1');
});

test('every request as docs/protocol.md writes it', async (t) => {
  const { client, peer } = await joinedToFake(t);
  const me = '"member":{"id":"S1","name":"Ann","info":"desk 4"}';
  const frame = (method, rest) => `{"jsonrpc":"2.0","method":"${M}${method}",${me}${rest}}`;
  const cases = [
    [() => client.subscribe('r'), frame('channel@member@new', ',"channel":{"name":"r"}')],
    [() => client.unsubscribe('r'), frame('channel@member@remove', ',"channel":{"name":"r"}')],
    [() => client.publish('hi', 'r'), frame('publish@msg', ',"channel":{"name":"r"},"message":{"text":"hi"}')],
    [() => client.publish('all'), frame('publish@msg', ',"channel":{"name":""},"message":{"text":"all"}')],
    [() => client.invite('r', 'B2'),
      frame('channel@invitation', ',"channel":{"name":"r"},"members":[{"id":"B2","name":"","info":""}]')],
    [() => client.invite('r', ['B2', 'C3']), frame('channel@invitation',
      ',"channel":{"name":"r"},"members":[{"id":"B2","name":"","info":""},{"id":"C3","name":"","info":""}]')],
    [() => client.writeData('exactly this'), 'exactly this'],
  ];
  for (const [action, expected] of cases) assert.equal(await written(peer, action), expected);
});

test('getMembers asks with get@members and resolves with send@members', async (t) => {
  const { client, peer } = await joinedToFake(t);
  const bob = { id: 'B2', name: 'Bob', info: '' };
  for (const channel of ['r', '']) {
    let listed;
    const request = await written(peer, () => { listed = client.getMembers(channel); });
    assert.equal(request,
      `{"jsonrpc":"2.0","method":"${M}get@members","member":{"id":"S1","name":"Ann","info":"desk 4"},"channel":{"name":"${channel}"}}`);
    peer.send({ jsonrpc: '2.0', method: `${M}send@members`, member: { id: 'S1', name: 'Ann', info: 'desk 4' },
      channel: { name: channel }, members: [bob, { id: 'S1', name: 'Ann', info: 'desk 4' }] });
    assert.deepEqual(await within(listed, 'getMembers'),
      [{ ...bob, user: '' }, { id: 'S1', name: 'Ann', info: 'desk 4', user: '' }]);
  }
});

test('a refusal goes out only to a server that announced invitation-response', async (t) => {
  const invitation = { jsonrpc: '2.0', method: `${M}channel@invitation`,
    member: { id: 'I9', name: 'Ivy', info: '' }, channel: { name: 'r' } };
  const knowing = await joinedToFake(t);
  assert.equal(await written(knowing.peer, () => knowing.peer.send(invitation)),
    '{"jsonrpc":"2.0","method":"ext@presence@channel@invitation@response","member":{"id":"I9","name":"","info":""},"channel":{"name":"r"},"message":{"text":"refused"}}');

  const plain = await joinedToFake(t, { hello: false });
  const from = plain.peer.received.texts.length;
  const invited = next(plain.client, 'invitation');
  plain.peer.send(invitation);
  await invited;
  // A frame with an id makes the client write its acknowledgment; a refusal would have
  // been written before it.
  plain.peer.send({ jsonrpc: '2.0', method: `${M}publish@msg`, member: invitation.member,
    channel: { name: '' }, message: { text: 'probe' }, id: 'probe' });
  await plain.peer.received.next((f) => f?.id === 'probe', 'the acknowledgment', from);
  assert.deepEqual(plain.peer.received.texts.slice(from),
    ['{"jsonrpc":"2.0","method":"sgc@presence@acknowledgment","id":"probe"}']);
});

test('an accepted invitation is a subscribe', async (t) => {
  const { peer } = await joinedToFake(t, { options: { onInvitation: async () => true } });
  const text = await written(peer, () => peer.send({ jsonrpc: '2.0', method: `${M}channel@invitation`,
    member: { id: 'I9', name: 'Ivy', info: '' }, channel: { name: 'r' } }));
  assert.equal(text,
    `{"jsonrpc":"2.0","method":"${M}channel@member@new","member":{"id":"S1","name":"Ann","info":"desk 4"},"channel":{"name":"r"}}`);
});

test('unknown methods and keys are ignored; bad frames are reported, the client carries on', async (t) => {
  const { client, peer } = await joinedToFake(t);
  const errors = [];
  client.on('error', (e) => errors.push(e));
  peer.send({ jsonrpc: '2.0', method: 'ext@presence@something-new', message: { text: 'x' } });
  peer.socket.send('not json');
  peer.send({ jsonrpc: '1.0', method: `${M}publish@msg` });
  peer.send({ jsonrpc: '2.0', method: `${M}publish@msg`, channel: { name: 'sgc@b64:not base64!' } });
  const got = next(client, 'publish');
  peer.send({ jsonrpc: '2.0', method: `${M}publish@msg`, member: { id: 'B2', name: 'Bob', info: '', extra: 1 },
    channel: { name: 'r' }, message: { text: 'still here' }, unknown: true });
  assert.deepEqual(await got, ['r', { id: 'B2', name: 'Bob', info: '', user: '' }, 'still here']);
  assert.equal(errors.length, 3);
  assert.match(errors[0], /not JSON/);
  assert.match(errors[1], /jsonrpc/);
  assert.match(errors[2], /Base64/);
});

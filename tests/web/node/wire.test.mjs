// SPDX-License-Identifier: Apache-2.0
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
  return { fake, client, peer, join };
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

test('the extensions\' requests as docs/protocol.md writes them', async (t) => {
  const { client, peer } = await joinedToFake(t);
  const me = '"member":{"id":"S1","name":"Ann","info":"desk 4"}';
  const frame = (method, rest) => `{"jsonrpc":"2.0","method":"ext@presence@${method}",${me}${rest}}`;
  // Their answers never come here: the promises are rejected when the client closes.
  const quietly = (promise) => { promise.catch(() => {}); };
  const cases = [
    [() => quietly(client.getMembersPage('r', 100)),
      frame('get@members@page', ',"channel":{"name":"r"},"message":{"text":"100"}')],
    [() => quietly(client.getMembersPage('', 5, '0a1d:x')),
      frame('get@members@page', ',"channel":{"name":""},"message":{"text":"5:0a1d:x"}')],
    [() => quietly(client.getCount('r')), frame('get@count', ',"channel":{"name":"r"}')],
    [() => quietly(client.getCount()), frame('get@count', ',"channel":{"name":""}')],
    [() => quietly(client.getUsers('r')), frame('get@users', ',"channel":{"name":"r"}')],
    [() => quietly(client.setCountsOnly('stage', true)), frame('channel@counts', ',"channel":{"name":"stage"},"message":{"text":"on"}')],
    [() => quietly(client.setCountsOnly('stage', false)), frame('channel@counts', ',"channel":{"name":"stage"},"message":{"text":"off"}')],
    // Only what changes: an absent field keeps its value.
    [() => client.updateMember({ info: 'away' }),
      '{"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"id":"S1","info":"away"}}'],
    [() => client.updateMember({ name: 'Anne' }),
      '{"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"id":"S1","name":"Anne"}}'],
    [() => client.updateMember({ name: '', info: '' }),
      '{"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"id":"S1","name":"","info":""}}'],
  ];
  for (const [action, expected] of cases) assert.equal(await written(peer, action), expected);
  await assert.rejects(client.getMembersPage('r', 0), RangeError);
  await assert.rejects(client.getMembersPage('r', 1.5), RangeError);
});

test('a member of a user says so at join and in every request; hello names the features asked for', async (t) => {
  const options = { user: 'ann', diffs: true, users: true, updates: true };
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', info: '', reconnect: { enabled: false }, ...options });
  t.after(() => client.close());
  const joining = client.connect();
  const peer = await fake.connection();
  peer.send({ jsonrpc: '2.0', method: `${M}session`, message: { text: 'S1' } });
  const join = await peer.received.next(byMethod(`${M}member@new`), 'member@new');
  assert.deepEqual(peer.received.texts.slice(0, join.index + 1), [
    '{"jsonrpc":"2.0","method":"ext@presence@hello","message":{"text":"invitation-response,heartbeat,resume,diffs,users,updates"}}',
    '{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"id":"S1","name":"Ann","info":"","user":"ann"}}',
  ]);
  peer.send({ jsonrpc: '2.0', method: `${M}member@new`, member: { id: 'S1', name: 'Ann', info: '', user: 'ann' } });
  await within(joining, 'connect()');
  assert.deepEqual(client.member, { id: 'S1', name: 'Ann', info: '', user: 'ann' });
  assert.equal(await written(peer, () => client.subscribe('r')),
    '{"jsonrpc":"2.0","method":"sgc@presence@channel@member@new","member":{"id":"S1","name":"Ann","info":"","user":"ann"},"channel":{"name":"r"}}');
  assert.equal(await written(peer, () => client.updateMember({ info: 'away' })),
    '{"jsonrpc":"2.0","method":"ext@presence@member@update","member":{"id":"S1","info":"away","user":"ann"}}');
});

test('a guid names the namespace in the sub-protocol', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', guid: 'sales', reconnect: { enabled: false } });
  t.after(() => client.close());
  client.connect().catch(() => {});
  assert.equal((await fake.connection()).protocol, 'sales.presence.esegece.com');
  assert.equal(client.guid, 'sales');
  for (const guid of ['with space', 'a@b', 'x'.repeat(101), 'ü']) {
    assert.throws(() => newClient(fake, { name: 'Ann', guid }), TypeError, guid);
  }
});

test('the extensions\' answers, as docs/protocol.md writes them, resolve the requests and are emitted', async (t) => {
  const { client, peer } = await joinedToFake(t);
  const ann = { id: 'S1', name: 'Ann', info: 'desk 4' };
  const bob = { id: 'B2', name: 'Bob', info: '' };
  const cid = { id: 'C3', name: 'Cid', info: '' };
  const dan = { id: 'D4', name: 'Dan', info: '' };
  const plain = (m) => ({ ...m, user: '' });
  const answer = (method, rest) => peer.send({ jsonrpc: '2.0', method: `ext@presence@${method}`, ...rest });

  const page = client.getMembersPage('room-42', 2);
  const pageEvent = next(client, 'membersPage');
  answer('members@page', { member: ann, channel: { name: 'room-42' }, message: { text: 'C3' }, members: [bob, cid] });
  assert.deepEqual(await within(page, 'the page'), { members: [plain(bob), plain(cid)], nextCursor: 'C3' });
  assert.deepEqual(await pageEvent, ['room-42', [plain(bob), plain(cid)], 'C3']);

  const count = client.getCount('room-42');
  const countEvent = next(client, 'count');
  answer('count', { channel: { name: 'room-42' }, message: { text: '12873' } });
  assert.equal(await within(count, 'the count'), 12873);
  assert.deepEqual(await countEvent, ['room-42', 12873]);

  // One entry per user, its members under it; a member of no user is an entry of its own.
  const users = client.getUsers('room-42');
  const usersEvent = next(client, 'users');
  answer('users', { member: ann, channel: { name: 'room-42' }, users: [
    { members: [dan] },
    { user: 'ann', members: [{ id: 'A1', name: 'Ann', info: 'tab 1' }, { ...ann, info: 'tab 2' }] },
  ] });
  const byUser = [plain(dan), { id: 'A1', name: 'Ann', info: 'tab 1', user: 'ann' }, { ...ann, info: 'tab 2', user: 'ann' }];
  assert.deepEqual(await within(users, 'the users'), byUser);
  assert.deepEqual(await usersEvent, ['room-42', byUser]);

  // Joined first, then left.
  const diff = next(client, 'diff');
  answer('diff', { channel: { name: 'room-42' }, message: { text: '2 12874' }, members: [bob, cid, dan] });
  assert.deepEqual(await diff, ['room-42', [plain(bob), plain(cid)], [plain(dan)], 12874]);

  const updated = next(client, 'memberUpdate');
  answer('member@update', { member: { ...ann, info: 'away' } });
  assert.deepEqual(await updated, [{ ...ann, info: 'away', user: '' }]);
  assert.deepEqual(client.member, { ...ann, info: 'away', user: '' });
  const other = next(client, 'memberUpdate');
  answer('member@update', { member: { ...bob, name: 'Robert' } });
  assert.deepEqual(await other, [{ ...bob, name: 'Robert', user: '' }]);
  assert.equal(client.member.name, 'Ann');
});

test('an error refuses the oldest waiting request of its channel when that request can get it', async (t) => {
  const { client, peer } = await joinedToFake(t);
  const error = (channel, code) => peer.send({ jsonrpc: '2.0', method: `${M}error@member@channel`,
    member: { id: 'S1', name: 'Ann', info: 'desk 4' }, channel: { name: channel }, error: { code, text: `error ${code}` } });
  const page = client.getMembersPage('gone', 10);
  const count = client.getCount('gone');
  error('gone', 5);
  await assert.rejects(within(page, 'the page'), { code: 5, message: 'error 5' });
  error('gone', 30);
  await assert.rejects(within(count, 'the count'), { code: 30 });

  // Error 10 answers a subscribe, never a list: the list's answer still resolves it.
  const users = client.getUsers('r');
  error('r', 10);
  peer.send({ jsonrpc: '2.0', method: 'ext@presence@users', channel: { name: 'r' }, users: [] });
  assert.deepEqual(await within(users, 'the users'), []);
});

test('count and diff frames that cannot be read are reported', async (t) => {
  const { client, peer } = await joinedToFake(t);
  const errors = [];
  client.on('error', (e) => errors.push(e));
  const diffs = [];
  client.on('diff', (...args) => diffs.push(args));
  const send = (method, text, members = []) => peer.send({ jsonrpc: '2.0', method: `ext@presence@${method}`,
    channel: { name: 'r' }, message: { text }, members });
  send('count', '-1');
  send('count', 'many');
  send('diff', '2 10', [{ id: 'B2', name: 'Bob', info: '' }]);  // more joined than members
  send('diff', '1');
  const good = next(client, 'count');
  send('count', '7');
  assert.deepEqual(await good, ['r', 7]);
  assert.deepEqual(errors, ['count frame without a count', 'count frame without a count',
    'diff frame with a bad message.text', 'diff frame with a bad message.text']);
  assert.deepEqual(diffs, []);
});

test('after updateMember the client joins afresh with the new name and info', async (t) => {
  const { fake, client, peer } = await joinedToFake(t, { options: { reconnect: { enabled: true, initialDelay: 10, maxDelay: 10 } } });
  client.updateMember({ name: 'Anne', info: 'away' });
  // A close frame from the server: the member is gone, the client joins as a new one.
  peer.socket.close(1000);
  const second = await fake.connection(1);
  second.send({ jsonrpc: '2.0', method: `${M}session`, message: { text: 'S2' } });
  const join = await second.received.next(byMethod(`${M}member@new`), 'the new join');
  assert.equal(join.text, '{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"id":"S2","name":"Anne","info":"away"}}');
});

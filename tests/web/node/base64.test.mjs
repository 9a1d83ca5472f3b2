// SPDX-License-Identifier: Apache-2.0
// EncodeBase64: "sgc@b64:" + Base64 of UTF-8, written by the client when asked to and
// always read.
import assert from 'node:assert/strict';
import test from 'node:test';
import { byMethod, fakeServer, joined, newClient, next, rawPeer, serverFor, within } from './support.mjs';

const NAME = 'Zoë 🚀 Ελένη';
const CHANNEL = 'café ☕';
const TEXT = 'héllo 世界 \u{1F600} "quoted"\n';
const b64 = (s) => `sgc@b64:${Buffer.from(s, 'utf8').toString('base64')}`;

test('non-ASCII names, channels and texts round-trip through the server', async (t) => {
  const server = await serverFor(t);
  const [zoe, bob] = await joined(t, server, { name: NAME, info: 'ü', encodeBase64: true }, { name: 'Bob' });
  assert.deepEqual(zoe.member, { id: zoe.sessionId, name: NAME, info: 'ü', user: '' });
  const bobIn = next(bob, 'channelMemberNew');
  bob.subscribe(CHANNEL);
  await bobIn;
  const bobSeesZoe = next(bob, 'channelMemberNew', (ch, m) => m.id === zoe.sessionId);
  const zoeIn = next(zoe, 'channelMemberNew');
  zoe.subscribe(CHANNEL);
  assert.deepEqual(await bobSeesZoe, [CHANNEL, zoe.member]);
  assert.deepEqual(await zoeIn, [CHANNEL, zoe.member]);
  assert.deepEqual([...zoe.channels], [CHANNEL]);
  const got = next(bob, 'publish');
  zoe.publish(TEXT, CHANNEL);
  assert.deepEqual(await got, [CHANNEL, zoe.member, TEXT]);
  const listed = await within(bob.getMembers(CHANNEL), 'getMembers');
  assert.deepEqual(listed.find((m) => m.id === zoe.sessionId), zoe.member);
});

test('with encodeBase64 every non-empty string on the wire is sgc@b64:, as in docs/protocol.md', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Zoë', encodeBase64: true, reconnect: { enabled: false } });
  t.after(() => client.close());
  const joining = client.connect();
  const peer = await fake.connection();
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@session', message: { text: 'm1' } });
  const hello = await peer.received.next(byMethod(b64('ext@presence@hello')), 'the hello');
  assert.equal(hello.text, `{"jsonrpc":"2.0","method":"${b64('ext@presence@hello')}","message":{"text":"${b64('invitation-response,heartbeat,resume')}"}}`);
  const join = await peer.received.next(byMethod(b64('sgc@presence@member@new')), 'member@new');
  assert.equal(join.text,
    '{"jsonrpc":"2.0","method":"sgc@b64:c2djQHByZXNlbmNlQG1lbWJlckBuZXc=","member":{"id":"sgc@b64:bTE=","name":"sgc@b64:Wm/Dqw==","info":""}}');
  // The server's frames may be encoded too: the client decodes them.
  peer.send({ jsonrpc: '2.0', method: b64('sgc@presence@member@new'), member: { id: b64('m1'), name: b64('Zoë'), info: '' } });
  await within(joining, 'connect()');
  assert.deepEqual(client.member, { id: 'm1', name: 'Zoë', info: '', user: '' });

  const from = peer.received.texts.length;
  client.publish('hi', 'room');
  // The publish example of docs/protocol.md, without its acknowledgment id.
  const publish = await peer.received.next(() => true, 'the publish', from);
  assert.equal(publish.text,
    '{"jsonrpc":"2.0","method":"sgc@b64:c2djQHByZXNlbmNlQHB1Ymxpc2hAbXNn","member":{"id":"sgc@b64:bTE=","name":"sgc@b64:Wm/Dqw==","info":""},"channel":{"name":"sgc@b64:cm9vbQ=="},"message":{"text":"sgc@b64:aGk="}}');
  // A string that happens to start with the prefix survives: it is encoded like any other.
  const tricky = await (async () => {
    const at = peer.received.texts.length;
    client.publish('sgc@b64:aGk=');
    return peer.received.next(() => true, 'the tricky publish', at);
  })();
  assert.equal(tricky.frame.message.text, b64('sgc@b64:aGk='));
  assert.equal(tricky.frame.channel.name, '');
});

test('a server started with --base64 is understood; its frames really are encoded', async (t) => {
  const server = await serverFor(t, ['--base64']);
  const raw = await rawPeer(server.url);
  t.after(() => raw.close());
  const [zoe, bob] = await joined(t, server, { name: NAME }, { name: 'Bob' });
  const got = next(bob, 'publish');
  zoe.publish(TEXT);
  assert.deepEqual(await got, ['', zoe.member, TEXT]);
  assert.equal(zoe.member.name, NAME);
  // The raw peer never joined, but its session frame shows the server's encoding.
  const { frame } = await raw.received.next(() => true, 'the session frame');
  assert.equal(frame.method, b64('sgc@presence@session'));
  assert.match(frame.message.text, /^sgc@b64:[A-Za-z0-9+/]+=*$/);
});

test('a non-canonical or non-UTF-8 Base64 string from the server is an error, not a guess', async (t) => {
  const fake = await fakeServer(t);
  const client = newClient(fake, { name: 'Ann', reconnect: { enabled: false } });
  t.after(() => client.close());
  const joining = client.connect();
  const peer = await fake.connection();
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@session', message: { text: 'S1' } });
  await peer.received.next(byMethod('sgc@presence@member@new'), 'member@new');
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@member@new', member: { id: 'S1', name: 'Ann', info: '' } });
  await within(joining, 'connect()');
  const errors = [];
  client.on('error', (e) => errors.push(e));
  // "aGj=": the last character has unused bits set; "/w==": the byte 0xFF; "aGk": no padding.
  for (const bad of ['sgc@b64:aGj=', 'sgc@b64:/w==', 'sgc@b64:aGk']) {
    peer.send({ jsonrpc: '2.0', method: 'sgc@presence@publish@msg', channel: { name: '' }, message: { text: bad } });
  }
  const got = next(client, 'publish');
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@publish@msg', channel: { name: '' }, message: { text: 'sgc@b64:aGk=' } });
  assert.equal((await got)[2], 'hi');
  assert.equal(errors.length, 3);
  errors.forEach((e) => assert.match(e, /bad frame from the server/));
});

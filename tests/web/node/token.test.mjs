// SPDX-License-Identifier: Apache-2.0
// Signed tokens: presence.js presents one in the URL; the token is made here with node's
// own crypto, not with the server's code.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import test from 'node:test';
import { newClient, serverFor, within } from './support.mjs';

const SECRET = 'a secret shared with the server';

function hs256(claims) {
  const part = (object) => Buffer.from(JSON.stringify(object)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;

test('the token fixes the member id and name; setToken() is used from the next connection', async (t) => {
  const server = await serverFor(t, ['--auth-hs256-secret', SECRET]);
  const client = newClient(server, {
    name: 'Mallory', token: hs256({ sub: 'ann', name: 'Ann', exp: inTenMinutes() }), resume: false,
  });
  t.after(() => client.close());
  await within(client.connect(), 'connect() with a token');
  assert.deepEqual(client.member, { id: 'ann', name: 'Ann', info: '', user: 'ann' });  // the subject is the user
  await within(client.close(), 'close()');

  client.setToken(hs256({ sub: 'bea', exp: inTenMinutes() }));
  await within(client.connect(), 'connect() with the new token');
  assert.equal(client.sessionId, 'bea');
});

test('without a token the server refuses the connection', async (t) => {
  const server = await serverFor(t, ['--auth-hs256-secret', SECRET]);
  const client = newClient(server, { name: 'Ann', reconnect: { enabled: false } });
  t.after(() => client.close());
  await assert.rejects(within(client.connect(), 'connect() to be refused'));
  assert.equal(client.state, 'disconnected');
});

// SPDX-License-Identifier: Apache-2.0
// Invitations: onInvitation decides; the inviter hears the answer (invitation-response).
import assert from 'node:assert/strict';
import test from 'node:test';
import { joined, next, serverFor } from './support.mjs';

test('an accepted invitation puts the invitee in the channel; the inviter hears "accepted"', async (t) => {
  const server = await serverFor(t);
  const asked = [];
  const [ann, bob] = await joined(t, server, { name: 'Ann' }, {
    name: 'Bob',
    onInvitation: (inviter, channel) => {
      asked.push([inviter, channel]);
      return true;
    },
  });
  const invitation = next(bob, 'invitation');
  const bobIn = next(bob, 'channelMemberNew', (ch, m) => m.id === bob.sessionId);
  const answer = next(ann, 'invitationResponse');
  ann.invite('lobby', bob.sessionId);
  assert.deepEqual(await invitation, [ann.member, 'lobby']);
  assert.deepEqual(await bobIn, ['lobby', bob.member]);
  assert.deepEqual(await answer, [bob.member, 'lobby', true, null]);
  assert.deepEqual(asked, [[ann.member, 'lobby']]);
  assert.deepEqual([...bob.channels], ['lobby']);
});

test('a refused invitation (sync, async, or no onInvitation) tells the inviter "refused"', async (t) => {
  const server = await serverFor(t);
  const [ann, bob, cid, dan] = await joined(t, server, { name: 'Ann' },
    { name: 'Bob', onInvitation: () => false },
    { name: 'Cid', onInvitation: async () => false },
    { name: 'Dan' });
  const answers = [bob, cid, dan].map((invitee) => next(ann, 'invitationResponse', (m) => m.id === invitee.sessionId));
  ann.invite('lobby', [bob.sessionId, cid.sessionId, dan.sessionId]);
  assert.deepEqual(await answers[0], [bob.member, 'lobby', false, null]);
  assert.deepEqual(await answers[1], [cid.member, 'lobby', false, null]);
  assert.deepEqual(await answers[2], [dan.member, 'lobby', false, null]);
  for (const c of [bob, cid, dan]) assert.equal(c.channels.size, 0);
});

test('onInvitation that throws refuses and reports the error', async (t) => {
  const server = await serverFor(t);
  const [ann, bob] = await joined(t, server, { name: 'Ann' },
    { name: 'Bob', onInvitation: () => { throw new Error('no thanks'); } });
  const error = next(bob, 'error');
  const answer = next(ann, 'invitationResponse');
  ann.invite('lobby', bob.sessionId);
  assert.deepEqual(await error, ['onInvitation threw: no thanks']);
  assert.deepEqual(await answer, [bob.member, 'lobby', false, null]);
});

test('inviting an id that is no member is error 3', async (t) => {
  const server = await serverFor(t);
  const [ann] = await joined(t, server, { name: 'Ann' });
  const error = next(ann, 'errorMemberChannel');
  ann.invite('lobby', 'nobody');
  assert.deepEqual(await error, ['lobby', { id: 'nobody', name: '', info: '', user: '' }, 3, 'Member not exists.']);
});

// SPDX-License-Identifier: Apache-2.0
// The demo page (web/index.html) in headless Chromium against the real presence-server.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TIMEOUT, join, joinRoom, launchBrowser, openPage, sendMessage, startServer, waitMessage,
  waitOnline, waitRoomMembers,
} from './support.mjs';

describe('demo page', { timeout: 120_000 }, () => {
  let server;
  let browser;
  let pages = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  afterEach(async () => {
    const errors = pages.flatMap((p) => p.errors ?? []);
    await Promise.all(pages.map((p) => p.context().close()));
    pages = [];
    assert.deepEqual(errors, [], 'no errors in the pages');
  });

  async function page() {
    const p = await openPage(browser);
    pages.push(p);
    return p;
  }

  test('two pages join as different names and see each other online', async () => {
    const ann = await page();
    const bob = await page();
    await join(ann, server.url, 'Ann', 'desk 4');
    await join(bob, server.url, 'Bob');
    await waitOnline(ann, ['Ann', 'Bob']);   // Bob joined later: announced to Ann
    await waitOnline(bob, ['Ann', 'Bob']);   // Ann was there before: listed with get@members
    const annInfo = bob.locator('#online-list li[data-member-name="Ann"] .info');
    assert.equal(await annInfo.textContent({ timeout: TIMEOUT }), 'desk 4');
    assert.equal(await bob.locator('#online-count').textContent(), '2');
  });

  test('a message typed in one page appears in the other', async () => {
    const ann = await page();
    const bob = await page();
    await join(ann, server.url, 'Ann');
    await join(bob, server.url, 'Bob');
    await joinRoom(ann, 'lobby');
    await joinRoom(bob, 'lobby');
    await waitRoomMembers(ann, 'lobby', ['Ann', 'Bob']);
    await waitRoomMembers(bob, 'lobby', ['Ann', 'Bob']);

    await sendMessage(ann, 'lobby', 'hello Bob');
    await waitMessage(bob, 'lobby', 'Ann', 'hello Bob');
    await waitMessage(ann, 'lobby', 'Ann', 'hello Bob');

    // Member data is text, never markup.
    const markup = '<img src=x onerror="window.pwned=1"><b>bold</b>';
    await sendMessage(bob, 'lobby', markup);
    await waitMessage(ann, 'lobby', 'Bob', markup);
    assert.equal(await ann.evaluate(() => document.querySelectorAll('#room-list img, #room-list b').length), 0);
    assert.equal(await ann.evaluate(() => window.pwned), undefined);
  });

  test('an accepted invitation puts both in the room and the inviter sees the answer', async () => {
    const ann = await page();
    const bob = await page();
    await join(ann, server.url, 'Ann');
    await join(bob, server.url, 'Bob');
    await waitOnline(ann, ['Bob']);
    await joinRoom(ann, 'garden');

    await ann.locator('#invite-room').selectOption('garden');
    await ann.locator('#online-list li[data-member-name="Bob"]').getByRole('button', { name: /Invite Bob/ }).click();

    const invitation = bob.locator('[data-testid="invitation"]');
    await invitation.waitFor({ state: 'visible', timeout: TIMEOUT });
    assert.match(await invitation.textContent(), /Ann invites you to #garden/);
    await invitation.getByRole('button', { name: /Accept/ }).click();

    await waitRoomMembers(bob, 'garden', ['Ann', 'Bob']);
    await waitRoomMembers(ann, 'garden', ['Ann', 'Bob']);
    await invitation.waitFor({ state: 'detached', timeout: TIMEOUT });
    await ann.locator('[data-testid="invitation-response"][data-accepted="true"]')
      .waitFor({ state: 'attached', timeout: TIMEOUT });
  });

  test('a refused invitation leaves the room alone and the inviter sees the answer', async () => {
    const ann = await page();
    const carol = await page();
    await join(ann, server.url, 'Ann');
    await join(carol, server.url, 'Carol');
    await waitOnline(ann, ['Carol']);
    await joinRoom(ann, 'attic');
    await ann.locator('#online-list li[data-member-name="Carol"]').getByRole('button', { name: /Invite Carol/ }).click();

    const invitation = carol.locator('[data-testid="invitation"]');
    await invitation.getByRole('button', { name: /Refuse/ }).click({ timeout: TIMEOUT });
    const response = ann.locator('[data-testid="invitation-response"][data-accepted="false"]');
    await response.waitFor({ state: 'attached', timeout: TIMEOUT });
    assert.match(await response.textContent(), /Carol refused your invitation to #attic/);
    await waitRoomMembers(ann, 'attic', ['Ann']);
    assert.equal(await carol.locator('[data-testid="room"]').count(), 0);
  });

  test('closing a page removes it from the other page\'s online list', async () => {
    const ann = await page();
    const bob = await page();
    await join(ann, server.url, 'Ann');
    await join(bob, server.url, 'Bob');
    await joinRoom(ann, 'kitchen');
    await joinRoom(bob, 'kitchen');
    await waitRoomMembers(ann, 'kitchen', ['Ann', 'Bob']);
    await waitOnline(ann, ['Ann', 'Bob']);

    pages.splice(pages.indexOf(bob), 1);
    await bob.context().close();
    await waitOnline(ann, ['Ann'], ['Bob']);
    await waitRoomMembers(ann, 'kitchen', ['Ann']);
  });
});

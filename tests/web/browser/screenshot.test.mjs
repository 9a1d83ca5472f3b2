// SPDX-License-Identifier: Apache-2.0
// Screenshots of the demo page with two members in a room, on a desktop-sized and a
// phone-sized (375x740) screen, for people to look at: <artifacts>/demo.png, demo-phone.png.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  join, joinRoom, launchBrowser, mkArtifacts, openPage, sendMessage, startServer, waitMessage,
  waitRoomMembers,
} from './support.mjs';

let server;
let browser;
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('screenshots of the demo page with two members in a room', { timeout: 120_000 }, async () => {
  server = await startServer();
  browser = await launchBrowser();
  const dir = mkArtifacts();
  const ann = await openPage(browser, { viewport: { width: 1200, height: 820 } });
  const bob = await openPage(browser, { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2,
                                        isMobile: true, hasTouch: true });
  await join(ann, server.url, 'Ann', 'Berlin office');
  await join(bob, server.url, 'Bob', 'on the road');
  await joinRoom(ann, 'lobby');
  await joinRoom(bob, 'lobby');
  await waitRoomMembers(ann, 'lobby', ['Ann', 'Bob']);
  await waitRoomMembers(bob, 'lobby', ['Ann', 'Bob']);
  await sendMessage(ann, 'lobby', 'Hi Bob! The demo is up.');
  await waitMessage(bob, 'lobby', 'Ann', 'Hi Bob! The demo is up.');
  await sendMessage(bob, 'lobby', 'Great, I can see you online.');
  await waitMessage(ann, 'lobby', 'Bob', 'Great, I can see you online.');
  await waitMessage(bob, 'lobby', 'Bob', 'Great, I can see you online.');

  for (const [page, file] of [[ann, 'demo.png'], [bob, 'demo-phone.png']]) {
    const target = path.join(dir, file);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: target, timeout: 15_000 });
    assert.ok(statSync(target).size > 1000, `${target} written`);
    console.log(`screenshot: ${target}`);
  }
  // An invitation waiting for an answer, on the phone.
  await ann.getByLabel('Room name').fill('garden');
  await ann.getByRole('button', { name: 'Join room' }).click();
  await waitRoomMembers(ann, 'garden', ['Ann']);
  await ann.locator('#invite-room').selectOption('garden');
  await ann.locator('#online-list li[data-member-name="Bob"]').getByRole('button', { name: /Invite Bob/ }).click();
  await bob.locator('[data-testid="invitation"]').waitFor({ state: 'visible', timeout: 15_000 });
  await bob.evaluate(() => window.scrollTo(0, 0));
  const invitation = path.join(dir, 'demo-phone-invitation.png');
  await bob.screenshot({ path: invitation, timeout: 15_000 });
  console.log(`screenshot: ${invitation}`);

  const full = path.join(dir, 'demo-phone-full.png');
  await bob.screenshot({ path: full, fullPage: true, timeout: 15_000 });
  console.log(`screenshot: ${full}`);
  assert.deepEqual([...ann.errors, ...bob.errors], []);
});

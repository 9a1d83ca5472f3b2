// SPDX-License-Identifier: Apache-2.0
// The demo page rides out a server restart: it shows "reconnecting", rejoins by itself
// (with a new session id) and re-enters its rooms.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  join, joinRoom, launchBrowser, openPage, startServer, waitOnline, waitRoomMembers, waitState,
} from './support.mjs';

let browser;
const servers = [];                            // every server started here, stopped at the end
after(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop()));
});
async function serve(options) {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

test('after a server restart on the same port the pages reconnect and re-join', { timeout: 120_000 }, async () => {
  let server = await serve();
  const { port, url } = server;
  browser = await launchBrowser();
  const ann = await openPage(browser);
  const bob = await openPage(browser);
  await join(ann, url, 'Ann');
  await join(bob, url, 'Bob');
  await joinRoom(ann, 'ops');
  await joinRoom(bob, 'ops');
  await waitRoomMembers(ann, 'ops', ['Ann', 'Bob']);
  await waitRoomMembers(bob, 'ops', ['Ann', 'Bob']);
  const sessionBefore = await ann.evaluate(() => window.presenceDemo.client.sessionId);

  await server.stop();                         // SIGTERM: the server closes every connection
  await waitState(ann, 'reconnecting');
  await waitState(bob, 'reconnecting');
  assert.match(await ann.locator('#connection-state').textContent(), /Reconnecting/);

  server = await serve({ port });
  await waitState(ann, 'connected', 30_000);
  await waitState(bob, 'connected', 30_000);
  assert.match(await ann.locator('#connection-state').textContent(), /Connected/);

  const sessionAfter = await ann.evaluate(() => window.presenceDemo.client.sessionId);
  assert.ok(sessionAfter && sessionAfter !== sessionBefore, 'a new session id after the reconnect');
  await waitOnline(bob, ['Ann', 'Bob']);
  await waitOnline(ann, ['Ann', 'Bob']);
  await waitRoomMembers(ann, 'ops', ['Ann', 'Bob']);
  await waitRoomMembers(bob, 'ops', ['Ann', 'Bob']);
  // Exactly one entry per member: the lists were rebuilt, not appended to.
  assert.equal(await ann.locator('#online-list li[data-member-id]').count(), 2);

  const errors = [...ann.errors, ...bob.errors].filter((e) => !/WebSocket connection to .* failed/.test(e));
  assert.deepEqual(errors, []);
});

test('joining while the server is down keeps trying, and can be cancelled', { timeout: 60_000 }, async () => {
  const first = await serve();
  const { port, url } = first;
  browser ??= await launchBrowser();
  const page = await openPage(browser);
  await page.goto(url);
  await first.stop();

  await page.getByLabel('Your name').fill('Dora');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await waitState(page, 'reconnecting');
  await page.getByText('The server does not answer yet; still trying…').waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await waitState(page, 'disconnected');
  await page.getByRole('button', { name: 'Join', exact: true }).waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await page.getByRole('button', { name: 'Join', exact: true }).isEnabled(), true);
  assert.equal(await page.locator('#app').isVisible(), false);

  const second = await serve({ port });
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await waitState(page, 'connected');
  await waitOnline(page, ['Dora']);
  await page.context().close();
  await second.stop();
});

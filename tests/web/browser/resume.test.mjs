// SPDX-License-Identifier: Apache-2.0
// The demo page resumes a lost connection (the resume extension): Ann's page reaches the
// server through the fault proxy, which cuts her connection; she comes back as the same
// member and Bob never sees her go.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultProxy } from '../node/support.mjs';
import {
  TIMEOUT, join, joinRoom, launchBrowser, openPage, sendMessage, startServer, waitMessage, waitOnline,
  waitRoomMembers, waitState,
} from './support.mjs';

let browser;
let server;
let proxy;
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await server?.stop();
});

test('a page whose connection is cut resumes as the same member', { timeout: 120_000 }, async () => {
  server = await startServer();
  proxy = await startFaultProxy(server.port);
  browser = await launchBrowser();
  const ann = await openPage(browser);
  const bob = await openPage(browser);
  // The page and its WebSocket both come through the proxy.
  await join(ann, `http://127.0.0.1:${proxy.port}/`, 'Ann');
  await join(bob, server.url, 'Bob');
  await joinRoom(ann, 'ops');
  await joinRoom(bob, 'ops');
  await waitRoomMembers(ann, 'ops', ['Ann', 'Bob']);
  await waitRoomMembers(bob, 'ops', ['Ann', 'Bob']);
  const sessionId = () => ann.evaluate(() => window.presenceDemo.client.sessionId);
  const before = await sessionId();

  await proxy.cut();
  await ann.locator('[data-testid="connection-resumed"]').waitFor({ state: 'attached', timeout: TIMEOUT });
  await waitState(ann, 'connected');
  assert.equal(await sessionId(), before);

  await sendMessage(bob, 'ops', 'still there?');
  await waitMessage(ann, 'ops', 'Bob', 'still there?');
  await sendMessage(ann, 'ops', 'yes');
  await waitMessage(bob, 'ops', 'Ann', 'yes');
  await waitRoomMembers(ann, 'ops', ['Ann', 'Bob']);
  await waitOnline(ann, ['Ann', 'Bob']);
  // Bob has Ann's message from after the cut, so anything about her leaving came before it.
  const bobNotices = await bob.locator('#notices li').allTextContents();
  assert.ok(!bobNotices.some((text) => /Ann went offline/.test(text)), bobNotices.join('\n'));
  const bobRoomLines = await bob.locator('[data-room="ops"] .msg.system').allTextContents();
  assert.ok(!bobRoomLines.some((text) => /Ann (left|joined)/.test(text)), bobRoomLines.join('\n'));

  const errors = [...ann.errors, ...bob.errors].filter((e) => !/WebSocket connection to .* failed/.test(e));
  assert.deepEqual(errors, []);
});

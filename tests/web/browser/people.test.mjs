// SPDX-License-Identifier: Apache-2.0
// The demo page with the extensions: tabs of one person shown once (users), a room's member
// count (counts and diffs), and the first page of a big room (pages), against the real
// server. The crowd of the big room is raw peers speaking the frames by hand. Screenshot:
// <artifacts>/demo-people.png.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { rawMember } from '../node/support.mjs';
import {
  TIMEOUT, join, joinRoom, launchBrowser, mkArtifacts, openPage, startServer, waitOnline, waitRoomMembers,
} from './support.mjs';

// Waits until `read(arg)`, run in the page (so it must use nothing from here), returns
// `expected`; says what it saw otherwise.
async function waitFor(page, what, read, expected, arg) {
  try {
    await page.waitForFunction(([r, want, a]) => JSON.stringify(eval(r)(a)) === JSON.stringify(want),
      [read.toString(), expected, arg], { timeout: TIMEOUT, polling: 50 });
  } catch (e) {
    throw new Error(`${what}: ${JSON.stringify(await page.evaluate(read, arg))}, wanted ${JSON.stringify(expected)}: ${e.message}`);
  }
}

const card = (room) => `[data-testid="room"][data-room="${room}"]`;
// Each person of the online list as name:tabs.
const onlinePeople = () => [...document.querySelectorAll('#online-list li[data-member-id]')]
  .map((li) => `${li.dataset.memberName}:${li.dataset.tabs}`).sort();
// A room's chips as name:tabs, its count, and whether more can be listed.
const roomView = (selector) => {
  const room = document.querySelector(selector);
  if (!room) return null;
  return {
    chips: [...room.querySelectorAll('[data-testid="room-members"] li')].map((li) => `${li.dataset.memberName}:${li.dataset.tabs}`).sort(),
    count: room.querySelector('[data-testid="room-member-count"]').textContent,
    more: !room.querySelector('.room-more').hidden,
  };
};
const notices = () => [...document.querySelectorAll('#notices li')].map((li) => li.textContent);
const roomLines = (selector) => [...document.querySelectorAll(`${selector} .msg.system`)].map((li) => li.textContent);

describe('the demo page with people and big rooms', { timeout: 180_000 }, () => {
  let server;
  let plainServer;  // one that does not offer diffs: every join and leave comes one by one
  let browser;
  let pages = [];

  before(async () => {
    server = await startServer();
    plainServer = await startServer({ args: ['--diff-interval', '0'] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await plainServer?.stop();
  });
  afterEach(async () => {
    const errors = pages.flatMap((p) => p.errors ?? []);
    await Promise.all(pages.map((p) => p.context().close()));
    pages = [];
    assert.deepEqual(errors, [], 'no errors in the pages');
  });

  async function page(viewport) {
    const p = await openPage(browser, viewport ? { viewport } : {});
    pages.push(p);
    return p;
  }

  async function twoTabs(server) {
    const [tab1, tab2, bob] = [await page(), await page(), await page()];
    await join(tab1, server.url, 'Ann');
    await join(tab2, server.url, 'Ann');
    await join(bob, server.url, 'Bob');
    for (const p of [tab1, tab2, bob]) await joinRoom(p, 'lobby');

    await waitFor(bob, 'Bob\'s online list', onlinePeople, ['Ann:2', 'Bob:1']);
    assert.equal(await bob.locator('#online-count').textContent(), '2');
    await waitFor(bob, 'Bob\'s lobby', roomView, { chips: ['Ann:2', 'Bob:1'], count: '3', more: false }, card('lobby'));
    await waitFor(tab1, 'Ann\'s online list', onlinePeople, ['Ann:2', 'Bob:1']);
    assert.match(await tab1.locator('#online-list li[data-member-name="Ann"]').textContent(), /you.*2 tabs/);

    // One tab closes: Ann is still there, in one tab, and nobody is told she left.
    pages.splice(pages.indexOf(tab2), 1);
    await tab2.context().close();
    await waitFor(bob, 'Bob\'s lobby', roomView, { chips: ['Ann:1', 'Bob:1'], count: '2', more: false }, card('lobby'));
    await waitFor(bob, 'Bob\'s online list', onlinePeople, ['Ann:1', 'Bob:1']);
    assert.ok(!(await bob.evaluate(notices)).some((text) => /Ann went offline/.test(text)));
    assert.ok(!(await bob.evaluate(roomLines, card('lobby'))).some((text) => /Ann left/.test(text)));

    // Her last tab closes: now she left.
    pages.splice(pages.indexOf(tab1), 1);
    await tab1.context().close();
    await waitOnline(bob, ['Bob'], ['Ann']);
    await waitFor(bob, 'Bob\'s lobby', roomView, { chips: ['Bob:1'], count: '1', more: false }, card('lobby'));
  }

  test('two tabs with one name are one person, shown once; the room counts both', () => twoTabs(server));
  test('the same with a server that sends no diffs', () => twoTabs(plainServer));

  test('a big room shows its count and its first page, and lists more on demand', async (t) => {
    const ws = { url: `ws://127.0.0.1:${server.port}/` };
    const crowd = [];
    for (let i = 0; i < 40; i += 1) crowd.push(await rawMember(t, ws, `Guest ${String(i).padStart(2, '0')}`, ['stadium']));
    const [tab1, tab2] = [await page(), await page()];
    const bob = await page({ width: 1200, height: 900 });
    await join(tab1, server.url, 'Ann', 'Berlin office');
    await join(tab2, server.url, 'Ann', 'Berlin office');
    await join(bob, server.url, 'Bob', 'on the road');
    await joinRoom(tab1, 'stadium');
    await joinRoom(tab2, 'stadium');
    await joinRoom(bob, 'lobby');
    await joinRoom(tab1, 'lobby');
    await joinRoom(tab2, 'lobby');
    await waitRoomMembers(bob, 'lobby', ['Ann', 'Bob']);
    await joinRoom(bob, 'stadium');

    // 43 members: the first page of 30 (and Bob himself, wherever his id falls) is listed;
    // the count says 43.
    const count = (selector) => document.querySelector(selector)?.querySelector('[data-testid="room-member-count"]').textContent;
    const more = (selector) => !document.querySelector(selector)?.querySelector('.room-more').hidden;
    await waitFor(bob, 'the stadium\'s count', count, '43', card('stadium'));
    await waitFor(bob, 'more to list', more, true, card('stadium'));
    const { chips } = await bob.evaluate(roomView, card('stadium'));
    const connections = chips.reduce((n, chip) => n + Number(chip.split(':')[1]), 0);
    assert.ok(connections === 30 || connections === 31, `${connections} listed: ${chips}`);
    assert.equal(await bob.locator(card('stadium')).locator('[data-testid="room-more-text"]').textContent(),
      `${connections} of 43 listed`);
    const everyone = [...crowd.map((p) => `${p.member.name}:1`), 'Ann:2', 'Bob:1'].sort();
    await waitFor(bob, 'Bob\'s online list', onlinePeople, everyone);

    const dir = mkArtifacts();
    const target = path.join(dir, 'demo-people.png');
    await bob.evaluate(() => window.scrollTo(0, 0));
    await bob.screenshot({ path: target, timeout: TIMEOUT });
    assert.ok(statSync(target).size > 1000, `${target} written`);
    console.log(`screenshot: ${target}`);

    await bob.locator(card('stadium')).getByRole('button', { name: /Show more members/ }).click();
    await waitFor(bob, 'the whole stadium', roomView, { chips: everyone, count: '43', more: false }, card('stadium'));

    // A guest leaves: the count and the list follow.
    crowd[0].close();
    await waitFor(bob, 'the stadium', roomView, { chips: everyone.filter((c) => c !== `${crowd[0].member.name}:1`), count: '42', more: false }, card('stadium'));
  });
});

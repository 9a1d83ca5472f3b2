// SPDX-License-Identifier: Apache-2.0
// The operator's console (/admin) in headless Chromium against the real server: raw
// members speaking the wire by hand, the console's figures checked against the admin API's
// own answers, a channel's members, a disconnect (close 4000), a publish, a wrong key, the
// admin address, and nodes sharing Redis. Screenshots: <artifacts>/console*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { byMethod, rawMember, within } from '../node/support.mjs';
import { TIMEOUT, launchBrowser, mkArtifacts, openPage, startServer } from './support.mjs';

const KEY = 'console-test-key-0123456789';
const PUBLISH = 'sgc@presence@publish@msg';
const REDIS = process.env.REDIS_SERVER || '/usr/bin/redis-server';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function server(t, args = []) {
  const s = await startServer({ args: ['--admin-api-key', KEY, ...args] });
  t.after(() => s.stop());
  return { ...s, ws: { url: `ws://127.0.0.1:${s.port}/` } };
}

async function api(base, path, body) {
  const res = await fetch(new URL(`api/${path}`, base), {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

// A console page, signed in with `key`, on `base` (the server's or its admin address's URL).
async function openConsole(base, key = KEY, options = {}) {
  const page = await openPage(browser, options);
  await page.goto(new URL('admin', base).href, { timeout: TIMEOUT });
  await page.getByLabel('Admin key').fill(key);
  await page.getByRole('button', { name: 'Open the console' }).click();
  return page;
}

async function signedIn(base, options) {
  const page = await openConsole(base, KEY, options);
  await page.getByTestId('console').waitFor({ state: 'visible' });
  return page;
}

// The figures the console shows, as its data attributes hold them.
function shown(page) {
  return page.evaluate(() => {
    const value = (id) => Number(document.getElementById(id).dataset.value);
    const totals = Object.fromEntries([...document.querySelectorAll('[data-testid^="chart-"]')]
      .map((n) => [n.dataset.rate, Number(n.dataset.total)]));
    return { connections: value('connections'), members: value('members'), channels: value('channels'),
             nodes: value('nodes'), totals };
  });
}

// Waits until the console shows `want` (some of what shown() gives).
async function waitShown(page, want, what) {
  try {
    await page.waitForFunction((w) => {
      const value = (id) => Number(document.getElementById(id).dataset.value);
      const total = (name) => Number(document.querySelector(`[data-rate="${name}"]`)?.dataset.total);
      return Object.entries(w).every(([k, v]) => (k === 'totals'
        ? Object.entries(v).every(([name, n]) => total(name) === n)
        : value(k) === v));
    }, want, { timeout: TIMEOUT, polling: 50 });
  } catch (e) {
    throw new Error(`${what}: the console shows ${JSON.stringify(await shown(page))}, ` +
                    `wanted ${JSON.stringify(want)}: ${e.message}`);
  }
}

// What the admin API answers, as the console should show it.
async function fromApi(base) {
  const info = await api(base, 'info');
  return { connections: info.connections, members: info.members, channels: info.channels,
           nodes: info.nodes.length, totals: info.totals };
}

async function memberNames(page) {
  return page.$$eval('[data-testid="member-list"] [data-testid="member"]', (items) => items.map((li) => li.dataset.memberName));
}

async function waitMembers(page, names) {
  try {
    await page.waitForFunction((want) => {
      const have = [...document.querySelectorAll('[data-testid="member-list"] [data-testid="member"]')]
        .map((li) => li.dataset.memberName);
      return have.length === want.length && want.every((n, i) => have[i] === n);
    }, names, { timeout: TIMEOUT, polling: 50 });
  } catch (e) {
    throw new Error(`members ${JSON.stringify(await memberNames(page))}, wanted ${JSON.stringify(names)}: ${e.message}`);
  }
}

function channel(page, name) {
  return page.locator(`[data-testid="channel"][data-channel="${name}"] button`);
}

async function screenshot(page, file, options = {}) {
  const target = path.join(mkArtifacts(), file);
  await page.screenshot({ path: target, timeout: TIMEOUT, ...options });
  assert.ok(statSync(target).size > 1000, `${target} written`);
  console.log(`screenshot: ${target}`);
}

// The page's own failures, without the refusals a test provoked on purpose.
function unexpectedErrors(page, ...allowed) {
  return page.errors.filter((e) => !allowed.some((a) => a.test(e)));
}

test('a wrong key is refused with a clear message; the right one opens the console', { timeout: 60_000 }, async (t) => {
  const s = await server(t);
  const page = await openConsole(s.url, 'not-the-key');
  const error = page.getByTestId('key-error');
  await page.waitForFunction(() => document.getElementById('key-error').textContent !== '', null, { timeout: TIMEOUT });
  assert.match(await error.textContent(), /refused this key \(401\): it is not the admin key/);
  assert.equal(await page.getByTestId('console').isVisible(), false);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await screenshot(page, 'console-wrong-key.png');

  await page.getByLabel('Admin key').fill(KEY);
  await page.getByRole('button', { name: 'Open the console' }).click();
  await page.getByTestId('console').waitFor({ state: 'visible' });
  assert.equal(await error.textContent(), '');
  // Kept for this tab: a reload opens the console again without asking.
  await page.reload();
  await page.getByTestId('console').waitFor({ state: 'visible' });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('key-form').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(unexpectedErrors(page, /401/), []);
  await page.context().close();
});

test('the console shows what the API says; a channel\'s members; disconnect; publish', { timeout: 120_000 }, async (t) => {
  const s = await server(t);
  const ann = await rawMember(t, s.ws, 'Ann', ['lobby', 'ops']);
  const bob = await rawMember(t, s.ws, 'Bob', ['lobby']);
  const cem = await rawMember(t, s.ws, 'Cem');
  const page = await signedIn(s.url);

  const want = await fromApi(s.url);
  assert.deepEqual([want.connections, want.members, want.channels, want.nodes], [3, 3, 2, 1]);
  assert.deepEqual([want.totals.joins, want.totals.leaves, want.totals.publishes], [3, 0, 0]);
  await waitShown(page, want, 'the figures');
  const list = await page.$$eval('[data-testid="channel"]', (items) => items.map((li) => [li.dataset.channel,
    Number(li.querySelector('button').dataset.members)]));
  assert.deepEqual(list, [['', 3], ['lobby', 2], ['ops', 1]]);
  // The filter asks the server for the matching channels.
  await page.getByLabel('Filter channels').fill('OP');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="channel"]')]
    .map((li) => li.dataset.channel).join(',') === 'ops', null, { timeout: TIMEOUT, polling: 50 });
  await page.getByLabel('Filter channels').fill('');

  // A channel's members.
  await channel(page, 'lobby').click();
  await waitMembers(page, ['Ann', 'Bob']);
  assert.equal(await page.getByTestId('detail-count').textContent(), '2');

  // Publish to the channel: its members have it, Cem (not in it) does not: Cem gets the
  // one to everyone that follows, and nothing before it.
  await page.getByTestId('publish-text').fill('maintenance at 22:00');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  for (const peer of [ann, bob]) {
    const { frame } = await peer.received.next((f) => f?.method === PUBLISH && f.message?.text === 'maintenance at 22:00',
      'the publish to lobby');
    assert.deepEqual([frame.channel.name, frame.member], ['lobby', { id: '', name: '', info: '' }]);
  }
  await page.getByTestId('action-status').filter({ hasText: 'Published to #lobby: 2 members reached.' }).waitFor();
  await channel(page, '').click();
  await waitMembers(page, ['Ann', 'Bob', 'Cem']);
  await page.getByTestId('publish-text').fill('hello everyone');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await cem.received.next((f) => f?.method === PUBLISH && f.message?.text === 'hello everyone', 'the publish to everyone');
  assert.deepEqual(cem.received.frames.filter(byMethod(PUBLISH)).map((f) => f.message.text), ['hello everyone']);
  await page.getByTestId('action-status').filter({ hasText: 'Published to everyone: 3 members reached.' }).waitFor();

  // The rates: both publishes are counted, and the chart drew them.
  await waitShown(page, { totals: { publishes: 2 } }, 'the publishes');
  assert.ok(Number(await page.getByTestId('chart-publishes').getAttribute('data-peak')) > 0);

  // Disconnect Bob: armed, confirmed; his connection is closed with 4000 and he leaves the list.
  await channel(page, 'lobby').click();
  await waitMembers(page, ['Ann', 'Bob']);
  await screenshot(page, 'console.png');
  const closed = once(bob.socket, 'close');
  await page.getByRole('button', { name: 'Disconnect Bob', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm: disconnect Bob', exact: true }).click();
  const [code, reason] = await within(closed, 'Bob closed', TIMEOUT);
  assert.deepEqual([code, String(reason)], [4000, 'disconnected by the server']);
  await waitMembers(page, ['Ann']);
  await page.getByTestId('action-status').filter({ hasText: `Disconnected Bob (${bob.member.id}).` }).waitFor();
  await ann.received.next((f) => f?.method === 'sgc@presence@member@remove' && f.member?.id === bob.member.id,
    'Bob gone, at Ann');
  const left = await fromApi(s.url);
  assert.deepEqual([left.connections, left.members, left.totals.leaves], [2, 2, 1]);
  await waitShown(page, left, 'after the disconnect');

  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'console-phone.png', { fullPage: true });
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  await once(probe, 'close');
  return port;
}

test('with an admin address, the console is there, and not on the main port', { timeout: 60_000 }, async (t) => {
  const adminPort = await freePort();
  const s = await server(t, ['--admin-address', `127.0.0.1:${adminPort}`]);
  const admin = `http://127.0.0.1:${adminPort}/`;
  await rawMember(t, s.ws, 'Ann', ['lobby']);
  const page = await openPage(browser);
  const answer = await page.goto(new URL('admin', s.url).href);
  assert.equal(answer.status(), 404);
  await page.context().close();

  const console_ = await signedIn(admin);
  await waitShown(console_, { connections: 1, members: 1, channels: 1 }, 'on the admin address');
  assert.deepEqual(unexpectedErrors(console_), []);
  await console_.context().close();
});

async function startRedis(t) {
  const port = await freePort();
  const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
                      { stdio: 'ignore' });
  t.after(() => redis.kill('SIGKILL'));
  return { url: `redis://127.0.0.1:${port}`, process: redis };
}

async function ready(s) {
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    const res = await fetch(new URL('readyz', s.url)).catch(() => null);
    if (res?.status === 200) return;
    await new Promise((resolve) => { setTimeout(resolve, 50); });  // polling a probe
  }
  throw new Error(`${s.url} not ready`);
}

test('nodes sharing Redis: each with its members, this one first', { timeout: 90_000, skip: !existsSync(REDIS) && `no ${REDIS}` }, async (t) => {
  const redis = await startRedis(t);
  const prefix = `console-test-${process.pid}:`;
  const nodes = [];
  for (const id of ['east-1', 'west-1']) nodes.push(await server(t, ['--engine', redis.url, '--node-id', id, '--redis-prefix', prefix]));
  await Promise.all(nodes.map(ready));
  await rawMember(t, nodes[0].ws, 'Ann', ['lobby']);
  await rawMember(t, nodes[1].ws, 'Bob', ['lobby']);
  await rawMember(t, nodes[1].ws, 'Cem', ['support']);
  const page = await signedIn(nodes[0].url);
  await waitShown(page, { connections: 1, members: 3, channels: 2, nodes: 2 }, 'both nodes');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="node"]')].map((li) => `${li.dataset.node}:${li.dataset.members}`);
    return rows.join(' ') === 'east-1:1 west-1:2';
  }, null, { timeout: TIMEOUT, polling: 50 });
  assert.equal(await page.locator('[data-testid="node"]').first().getByText('this node').count(), 1);
  await channel(page, 'lobby').click();
  await waitMembers(page, ['Ann', 'Bob']);
  await screenshot(page, 'console-nodes.png', { fullPage: true });

  // Redis away: the console says so, as /readyz does.
  redis.process.kill('SIGKILL');
  await page.getByTestId('banner').filter({ hasText: /^Engine trouble: .*Redis/ }).waitFor({ timeout: TIMEOUT });
  assert.equal(await page.getByTestId('poll-state').getAttribute('data-state'), 'degraded');
  await screenshot(page, 'console-engine-trouble.png');
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

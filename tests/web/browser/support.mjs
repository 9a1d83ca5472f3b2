// SPDX-License-Identifier: Apache-2.0
// Shared by the browser tests: the real presence-server as a child process, headless
// Debian Chromium through playwright-core, and bounded waits on the demo page's DOM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const webTests = path.resolve(here, '..');

export const SERVER = process.env.PRESENCE_SERVER
  ? path.resolve(webTests, process.env.PRESENCE_SERVER)
  : path.resolve(webTests, '../../build/src/tools/presence-server');
export const ARTIFACTS = process.env.PRESENCE_ARTIFACTS
  ? path.resolve(webTests, process.env.PRESENCE_ARTIFACTS)
  : path.resolve(webTests, '../../build/artifacts');

export const TIMEOUT = 15_000;          // every single wait on a page
export const STARTUP_TIMEOUT = 10_000;  // the server printing its address

// Starts presence-server on loopback (port 0 = any free port) with `args`, and resolves once
// it prints "presence-server listening on 127.0.0.1:PORT".
export async function startServer({ port = 0, args = [] } = {}) {
  const child = spawn(SERVER, ['--host', '127.0.0.1', '--port', String(port), ...args],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = once(child, 'exit');
  // Never leave a server behind, even when the test process ends abruptly.
  const reap = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', reap);
  exited.then(() => process.off('exit', reap));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`presence-server did not start within ${STARTUP_TIMEOUT} ms:\n${output}`)),
                             STARTUP_TIMEOUT);
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) { clearTimeout(timer); resolve(Number(match[1])); }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`presence-server exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  const actualPort = await ready;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}/`,
    process: child,
    // SIGTERM, then waits (bounded) for the process to end; SIGKILL if it does not.
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.PRESENCE_CHROMIUM || '/usr/bin/chromium',
    timeout: 30_000,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page in a fresh context (its own storage); collects page errors, so that a test can
// check that neither the page nor presence.js threw.
export async function openPage(browser, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 820 }, ...contextOptions });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e?.stack || e)));
  page.on('console', (msg) => { if (msg.type() === 'error') page.errors.push(`console: ${msg.text()}`); });
  page.on('response', (res) => { if (res.status() >= 400) page.errors.push(`HTTP ${res.status()} for ${res.url()}`); });
  return page;
}

export function mkArtifacts() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

// ---- The demo page ----

export async function stateOf(page) {
  return page.locator('#connection-state').getAttribute('data-state');
}

export async function waitState(page, state, timeout = TIMEOUT) {
  await page.waitForFunction((s) => document.getElementById('connection-state')?.dataset.state === s,
                             state, { timeout, polling: 50 });
}

export async function join(page, url, name, info = '') {
  await page.goto(url, { timeout: TIMEOUT });
  await page.getByLabel('Your name').fill(name);
  if (info) await page.getByLabel(/About you/).fill(info);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await waitState(page, 'connected');
  await page.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  await waitOnline(page, [name]);
}

export async function onlineNames(page) {
  return page.$$eval('#online-list li[data-member-id]', (items) => items.map((li) => li.dataset.memberName).sort());
}

// Waits until every name in `present` is in the online list and none of `absent` is.
export async function waitOnline(page, present, absent = [], timeout = TIMEOUT) {
  try {
    await page.waitForFunction(([yes, no]) => {
      const names = [...document.querySelectorAll('#online-list li[data-member-id]')].map((li) => li.dataset.memberName);
      return yes.every((n) => names.includes(n)) && no.every((n) => !names.includes(n));
    }, [present, absent], { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`online list ${JSON.stringify(await onlineNames(page))}: wanted ${JSON.stringify(present)}` +
                    ` without ${JSON.stringify(absent)}: ${e.message}`);
  }
}

export async function joinRoom(page, name) {
  await page.getByLabel('Room name').fill(name);
  await page.getByRole('button', { name: 'Join room' }).click();
  await waitRoomMembers(page, name, [await myName(page)], { exact: false });
}

export async function myName(page) {
  return page.evaluate(() => window.presenceDemo?.client?.member?.name);
}

export async function roomMemberNames(page, roomName) {
  return page.evaluate((r) => {
    const card = [...document.querySelectorAll('[data-testid="room"]')].find((c) => c.dataset.room === r);
    return card ? [...card.querySelectorAll('[data-testid="room-members"] li')].map((li) => li.dataset.memberName).sort() : null;
  }, roomName);
}

// Waits until the room's member list shows exactly `names` (or at least them: exact false).
export async function waitRoomMembers(page, roomName, names, { exact = true, timeout = TIMEOUT } = {}) {
  try {
    await page.waitForFunction(([r, want, exact]) => {
      const card = [...document.querySelectorAll('[data-testid="room"]')].find((c) => c.dataset.room === r);
      if (!card) return false;
      const have = [...card.querySelectorAll('[data-testid="room-members"] li')].map((li) => li.dataset.memberName);
      return want.every((n) => have.includes(n)) && (!exact || have.length === want.length);
    }, [roomName, names, exact], { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`room ${roomName} members ${JSON.stringify(await roomMemberNames(page, roomName))}: ` +
                    `wanted ${JSON.stringify(names)}: ${e.message}`);
  }
}

export async function sendMessage(page, roomName, text) {
  const card = page.locator('[data-testid="room"]').and(page.locator(`[data-room="${cssString(roomName)}"]`));
  await card.getByRole('textbox').fill(text);
  await card.getByRole('button', { name: 'Send' }).click();
}

export async function waitMessage(page, roomName, sender, text, timeout = TIMEOUT) {
  await page.waitForFunction(([r, s, t]) => {
    const card = [...document.querySelectorAll('[data-testid="room"]')].find((c) => c.dataset.room === r);
    return !!card && [...card.querySelectorAll('[data-testid="message"]')]
      .some((m) => m.dataset.senderName === s && m.querySelector('.text')?.textContent === t);
  }, [roomName, sender, text], { timeout, polling: 50 });
}

function cssString(text) { return text.replace(/["\\]/g, '\\$&'); }

// SPDX-License-Identifier: Apache-2.0
// Shared by the node/*.test.mjs files: a real presence-server per test, presence.js
// clients driven through `ws`, raw `ws` peers, the fault proxy, and bounded waits for
// events. The browser tests use the fault proxy from here too.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { PresenceClient } from '../../../web/presence.js';

const webTestsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = process.env.PRESENCE_SERVER
  ?? path.resolve(webTestsDir, '../../build/src/tools/presence-server');
const FAULT_PROXY = path.resolve(webTestsDir, '../support/fault_proxy.py');
// The proxy needs nothing but the standard library: any python3 will do.
const PYTHON = process.env.PRESENCE_PYTHON ?? 'python3';

export const TIMEOUT = 5000;

// Rejects after `ms` unless `promise` settles first; `what` names the wait in the error.
export function within(promise, what, ms = TIMEOUT) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Starts presence-server on loopback; `port` 0 lets it choose. Resolves once it listens.
export async function startServer(args = [], port = 0) {
  const proc = spawn(SERVER, ['--host', '127.0.0.1', '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout });
  const exited = once(proc, 'exit');
  const listening = new Promise((resolve, reject) => {
    lines.once('line', resolve);
    proc.once('error', reject);
    exited.then(([code]) => reject(new Error(`presence-server exited with ${code}`)));
  });
  const line = await within(listening, 'presence-server to listen');
  const match = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
  if (!match) throw new Error(`unexpected first line from presence-server: ${line}`);
  const boundPort = Number(match[1]);
  return {
    port: boundPort,
    url: `ws://127.0.0.1:${boundPort}/`,
    // SIGTERM, as an operator stops it; SIGKILL if it does not go in time.
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      try {
        await within(exited, 'presence-server to exit');
      } catch {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

// A presence.js client through `ws`; fast reconnects so that tests stay short.
export function newClient(server, options = {}) {
  return new PresenceClient({
    url: server.url,
    WebSocket,
    reconnect: { enabled: true, initialDelay: 50, maxDelay: 200 },
    connectTimeout: 3000,
    ...options,
  });
}

// The arguments of the next `event` for which `accept(...args)` holds, as an array.
export function next(client, event, accept = () => true, ms = TIMEOUT) {
  let off;
  const seen = new Promise((resolve) => {
    off = client.on(event, (...args) => {
      if (accept(...args)) resolve(args);
    });
  });
  return within(seen, `'${event}'`, ms).finally(off);
}

// Records every `event` of `client`, as argument arrays.
export function record(client, event) {
  const calls = [];
  client.on(event, (...args) => calls.push(args));
  return calls;
}

// Frames as they come, kept for next(): `texts` are the exact strings, `frames` them
// parsed (null for a text that is not JSON).
export class Frames {
  texts = [];
  frames = [];
  #waiters = new Set();

  push(text) {
    this.texts.push(text);
    this.frames.push(parseOrNull(text));
    this.#waiters.forEach((check) => check());
  }

  // The first frame from index `from` on that satisfies `accept`, with its index.
  next(accept, what = 'a frame', from = 0, ms = TIMEOUT) {
    const found = new Promise((resolve) => {
      const check = () => {
        const index = this.frames.findIndex((f, i) => i >= from && accept(f));
        if (index < 0) return;
        this.#waiters.delete(check);
        resolve({ frame: this.frames[index], text: this.texts[index], index });
      };
      this.#waiters.add(check);
      check();
    });
    return within(found, what, ms);
  }
}

export const byMethod = (method) => (frame) => frame?.method === method;

function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// A plain `ws` connection to the server that keeps every frame it receives.
export async function rawPeer(url, protocol = 'presence.esegece.com') {
  const socket = new WebSocket(url, protocol);
  const received = new Frames();
  socket.on('message', (data) => received.push(String(data)));
  await within(once(socket, 'open'), 'the raw peer to connect');
  return {
    socket,
    received,
    send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    close: () => socket.close(),
  };
}

// A raw peer that has joined as `name` and subscribed to `channels`, the wire spoken by
// hand; `member` is itself as the server announced it.
export async function rawMember(t, server, name, channels = []) {
  const peer = await rawPeer(server.url);
  t.after(() => peer.close());
  const { frame: session } = await peer.received.next(byMethod('sgc@presence@session'), 'the session');
  const id = session.message.text;
  const mine = (method) => (f) => f?.method === method && f.member?.id === id;
  peer.send({ jsonrpc: '2.0', method: 'sgc@presence@member@new', member: { id, name, info: '' } });
  const { frame: joinedFrame } = await peer.received.next(mine('sgc@presence@member@new'), `${name} to join`);
  for (const channel of channels) {
    peer.send({ jsonrpc: '2.0', method: 'sgc@presence@channel@member@new', member: joinedFrame.member, channel: { name: channel } });
    await peer.received.next((f) => mine('sgc@presence@channel@member@new')(f) && f.channel.name === channel,
      `${name} to be in ${channel}`);
  }
  return { ...peer, member: joinedFrame.member };
}

// A WebSocket for presence.js whose connections fail (to a closed loopback port) while the
// gate is shut: it lets a test decide when the client may come back.
export function gatedWebSocket(Base = WebSocket) {
  const gate = { open: true };
  gate.WebSocket = class extends Base {
    constructor(url, ...rest) {
      super(gate.open ? url : 'ws://127.0.0.1:1/', ...rest);
    }
  };
  return gate;
}

// A WebSocket for presence.js that counts the connections it is asked to open: `opened()`
// is how many so far, and `reached(n)` resolves once there were `n`.
export function countedWebSocket(Base = WebSocket) {
  let opened = 0;
  let waiters = [];
  const counted = {
    opened: () => opened,
    reached: (n, what) => within(new Promise((resolve) => {
      if (opened >= n) resolve();
      else waiters.push({ n, resolve });
    }), what),
  };
  counted.WebSocket = class extends Base {
    constructor(...args) {
      super(...args);
      opened += 1;
      waiters.filter((w) => opened >= w.n).forEach((w) => w.resolve());
      waiters = waiters.filter((w) => opened < w.n);
    }
  };
  return counted;
}

// A client that keeps trying to come back with `reconnect`, its connections all refused:
// it marks time in the event loop's own terms. Its attempts, made after the call, come
// after any reconnect timer of the same delays that was already running when it started:
// `attempts(n)` resolves once it has made `n` more.
export function reconnectingClient(t, server, reconnect) {
  const counted = countedWebSocket();
  const gate = gatedWebSocket(counted.WebSocket);
  gate.open = false;
  const client = newClient(server, { name: 'Clock', WebSocket: gate.WebSocket, reconnect });
  t.after(() => client.close());
  client.connect().catch(() => {});
  return {
    attempts: (n) => counted.reached(counted.opened() + n, `${n} reconnect attempts of another client`),
  };
}

// tests/support/fault_proxy.py in front of 127.0.0.1:`upstreamPort`. Connections to its
// `port` are forwarded until stall() (nothing forwarded any more, nothing closed) or cut()
// (the client's side reset, the server's kept open and silent); later ones are forwarded
// again. Resolves once it listens.
export async function startFaultProxy(upstreamPort) {
  const proc = spawn(PYTHON, [FAULT_PROXY, String(upstreamPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(proc, 'exit');
  const failed = new Promise((_, reject) => {
    proc.once('error', reject);
    exited.then(([code]) => reject(new Error(`the fault proxy exited with ${code}`)));
  });
  failed.catch(() => {});
  const answers = [];  // resolvers of the lines still to come, in order
  createInterface({ input: proc.stdout }).on('line', (line) => answers.shift()?.(line));
  const nextLine = (what) => within(Promise.race([new Promise((resolve) => answers.push(resolve)), failed]), what);
  const ask = async (command, expected) => {
    const answer = nextLine(`the fault proxy to ${command}`);
    proc.stdin.write(`${command}\n`);
    const line = await answer;
    if (!expected.test(line)) throw new Error(`the fault proxy answered ${command} with ${line}`);
    return line;
  };
  try {
    const port = Number(/^port (\d+)$/.exec(await nextLine('the fault proxy to listen'))?.[1]);
    if (!port) throw new Error('unexpected first line from the fault proxy');
    return {
      port,
      url: `ws://127.0.0.1:${port}/`,
      stall: () => ask('stall', /^ok$/),
      cut: () => ask('cut', /^ok$/),
      count: async () => Number(/^count (\d+)$/.exec(await ask('count', /^count \d+$/))[1]),
      // End of input makes it close everything and exit.
      async stop() {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.stdin.end();
        try {
          await within(exited, 'the fault proxy to exit');
        } catch {
          proc.kill('SIGKILL');
          await exited;
        }
      },
    };
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
}

export async function faultProxyFor(t, server) {
  const proxy = await startFaultProxy(server.port);
  t.after(() => proxy.stop());
  return proxy;
}

// A stand-in server on loopback that records what a client puts on the wire.
export async function fakeServer(t) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await within(once(server, 'listening'), 'the fake server to listen');
  t.after(() => new Promise((resolve) => {
    server.clients.forEach((socket) => socket.terminate());
    server.close(resolve);
  }));
  const connections = [];
  const arrived = new Frames();  // one entry per connection: its index
  server.on('connection', (socket, request) => {
    const received = new Frames();
    socket.on('message', (data) => received.push(String(data)));
    const protocol = request.headers['sec-websocket-protocol'];
    connections.push({ socket, received, protocol, send: (f) => socket.send(JSON.stringify(f)) });
    arrived.push(String(connections.length - 1));
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}/`,
    async connection(index = 0) {
      await arrived.next((i) => i === index, `connection ${index} to the fake server`);
      return connections[index];
    },
  };
}

// A WebSocket constructor for presence.js that records what goes each way, and can be
// told to withhold frames it would send (`drop(text) === true`).
export function spyWebSocket() {
  const spy = { sent: new Frames(), received: new Frames(), drop: () => false };
  spy.WebSocket = class extends WebSocket {
    constructor(...args) {
      super(...args);
      // Added before presence.js sets onmessage, so it sees every frame first.
      this.on('message', (data, isBinary) => isBinary || spy.received.push(String(data)));
    }

    send(data, ...rest) {
      if (spy.drop(data)) return;
      spy.sent.push(data);
      super.send(data, ...rest);
    }
  };
  return spy;
}

// Starts clients that join and closes them (and the server) when the test ends.
export async function joined(t, server, ...optionsList) {
  const clients = optionsList.map((options) => newClient(server, options));
  t.after(() => Promise.all(clients.map((c) => c.close())));
  await within(Promise.all(clients.map((c) => c.connect())), 'the clients to join');
  return clients;
}

export async function serverFor(t, args = []) {
  const server = await startServer(args);
  t.after(() => server.stop());
  return server;
}

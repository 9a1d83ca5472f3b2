// SPDX-License-Identifier: Apache-2.0
// presence.js: a Presence client for browsers (and Node 20, given a WebSocket constructor).
//
// It speaks the sgcWebSockets Presence protocol, sub-protocol presence.esegece.com, as
// docs/protocol.md specifies it, plus our extensions (ext@presence@…): hello, the
// invitation response, the heartbeat, resume, pages, counts, diffs, users and member
// updates. A dependency-free ES module, so that the page the server serves works offline.
// The methods, options and events are those of the C++ client (include/presence/client.h),
// named the JavaScript way.
//
//   const client = new PresenceClient({ url: 'ws://host:port/', name: 'Ann' });
//   client.on('publish', (channel, sender, text) => show(channel, sender, text));
//   client.on('resync', () => refreshEverything());   // a resume that lost frames
//   await client.connect();
//   client.subscribe('room-42');
//   addEventListener('pagehide', () => client.close());
//
// A connection lost without a closing handshake is resumed when the server offers it: the
// member goes on unseen by the others and gets what it missed ('resumed'), or fresh member
// lists of its channels ('resync'). Otherwise, as after any other drop, the client joins
// again as a new member ('session') and subscribes to its channels again. Hence the
// close() on pagehide above: a socket the browser merely drops looks lost, and the server
// would keep the member for its grace period.

// Kept equal to the project's version (CMakeLists.txt) and to package.json's by a test.
const VERSION = '0.1.0';
const SUBPROTOCOL = 'presence.esegece.com';
const B64_PREFIX = 'sgc@b64:';

const METHOD = Object.freeze({
  session: 'sgc@presence@session',
  memberNew: 'sgc@presence@member@new',
  memberRemove: 'sgc@presence@member@remove',
  channelMemberNew: 'sgc@presence@channel@member@new',
  channelMemberRemove: 'sgc@presence@channel@member@remove',
  publish: 'sgc@presence@publish@msg',
  getMembers: 'sgc@presence@get@members',
  sendMembers: 'sgc@presence@send@members',
  invitation: 'sgc@presence@channel@invitation',
  errorMemberChannel: 'sgc@presence@error@member@channel',
  errorPublish: 'sgc@presence@error@publish@msg',
  acknowledgment: 'sgc@presence@acknowledgment',
  hello: 'ext@presence@hello',
  invitationResponse: 'ext@presence@channel@invitation@response',
  ping: 'ext@presence@ping',
  pong: 'ext@presence@pong',
  resume: 'ext@presence@resume',
  resumeToken: 'ext@presence@resume@token',
  getMembersPage: 'ext@presence@get@members@page',
  membersPage: 'ext@presence@members@page',
  getCount: 'ext@presence@get@count',
  channelCounts: 'ext@presence@channel@counts',
  count: 'ext@presence@count',
  diff: 'ext@presence@diff',
  getUsers: 'ext@presence@get@users',
  users: 'ext@presence@users',
  memberUpdate: 'ext@presence@member@update',
});

// The hello features this client names, as the C++ client names them (the table of
// src/protocol/hello_features.h, which a test holds these to): always, or when the option
// of the same name is on.
const FEATURE = Object.freeze({
  invitationResponse: 'invitation-response',
  heartbeat: 'heartbeat',
  resume: 'resume',
  diffs: 'diffs',
  users: 'users',
  updates: 'updates',
});
const HELLO_ALWAYS = Object.freeze([FEATURE.invitationResponse, FEATURE.heartbeat]);
const HELLO_BY_OPTION = Object.freeze([FEATURE.resume, FEATURE.diffs, FEATURE.users, FEATURE.updates]);
// WebSocket close codes, as include/presence/close_codes.h names them.
const CLOSE = Object.freeze({
  normal: 1000,
  // Lost without a closing handshake: only then does the server keep the member for a resume.
  abnormal: 1006,
});
// The protocol asks receivers to remember at least the most recent 1024 ids.
const SEEN_IDS_KEPT = 1024;
// WebSocket.OPEN, as a literal: options.WebSocket need not carry the static constants.
const OPEN = 1;
// Error codes that only a subscribe request gets: the channel was not joined.
const SUBSCRIBE_REFUSED = new Set([6, 10]);
// The error codes that refuse a request awaiting an answer (see #ask), by the kind of
// answer it awaits: 5 the channel does not exist, 30 listing denied, -32602 a bad
// parameter (a page's limit above the server's).
const REFUSED = Object.freeze({
  members: new Set([5, 30]),
  page: new Set([5, 30, -32602]),
  users: new Set([5, 30]),
  count: new Set([30, -32602]),
});
// A Guid names the server's namespace in the sub-protocol (GUID.presence.esegece.com): at
// most 100 characters, and only those a browser accepts in a sub-protocol (a token).
const GUID = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$/;

// ---------------------------------------------------------------------------------------
// Base64 of UTF-8 ("sgc@b64:" strings)

function encodeBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  // In chunks: spreading a large array into fromCharCode overflows the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// Canonical Base64 only (docs/protocol.md, Base64): the unused bits of the last
// character must be zero, hence the short character classes before the padding.
const CANONICAL_BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

function decodeBase64(base64) {
  if (!CANONICAL_BASE64.test(base64)) throw new Error('bad Base64');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  // fatal: bytes that are not UTF-8 are an error, not U+FFFD; ignoreBOM: keep a leading
  // U+FEFF, it is part of the text.
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
}

function decodeString(value) {
  return value.startsWith(B64_PREFIX) ? decodeBase64(value.slice(B64_PREFIX.length)) : value;
}

// Every string anywhere in a frame may be encoded, independently of the others.
function decodeStrings(value) {
  if (typeof value === 'string') return decodeString(value);
  if (Array.isArray(value)) return value.map(decodeStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeStrings(v)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// Frames

// Writes a frame with the key order of docs/protocol.md and only the parts given.
// With base64, every non-empty string but jsonrpc's is encoded. A member's name or info
// that is undefined is left out (a member update carries only what changes); its user
// only when it has one, so that what an sgcWebSockets server gets stays as it was.
function buildFrame(method, parts, id, base64) {
  const text = (s) => (base64 && s !== '' ? B64_PREFIX + encodeBase64(s) : s);
  const member = (m) => {
    const out = { id: text(m.id) };
    if (m.name !== undefined) out.name = text(m.name);
    if (m.info !== undefined) out.info = text(m.info);
    if (m.user) out.user = text(m.user);
    return out;
  };
  const frame = { jsonrpc: '2.0', method: text(method) };
  if (parts.member) frame.member = member(parts.member);
  if (parts.channel !== undefined) frame.channel = { name: text(parts.channel) };
  if (parts.message !== undefined) frame.message = { text: text(parts.message) };
  if (parts.members) frame.members = parts.members.map(member);
  if (id) frame.id = text(id);
  return JSON.stringify(frame);
}

// The acknowledgment is never Base64-encoded.
function buildAcknowledgment(id) {
  return JSON.stringify({ jsonrpc: '2.0', method: METHOD.acknowledgment, id });
}

const asString = (value) => (typeof value === 'string' ? value : '');

function readMember(value) {
  return {
    id: asString(value?.id), name: asString(value?.name), info: asString(value?.info), user: asString(value?.user),
  };
}

// The users extension's list, one entry per user with its members under it, flattened:
// each member carries its entry's user.
function readUsers(entries) {
  return entries.flatMap((entry) => {
    const user = asString(entry?.user);
    return Array.isArray(entry?.members) ? entry.members.map((m) => ({ ...readMember(m), user })) : [];
  });
}

function listOf(frame) {
  if (Array.isArray(frame.members)) return frame.members.map(readMember);
  if (Array.isArray(frame.users)) return readUsers(frame.users);
  return [];
}

// A member count as the extensions write it: decimal digits only.
function readCount(text) {
  return /^[0-9]+$/.test(text) ? Number(text) : null;
}

// A decoded frame in the shape the handlers use. A client is lenient: missing or
// mistyped parts read as empty rather than failing the frame.
function readFrame(raw) {
  if (raw.jsonrpc !== '2.0') throw new Error('jsonrpc is not "2.0"');
  const frame = decodeStrings(raw);
  if (typeof frame.method !== 'string') throw new Error('method is not a string');
  const error = frame.error;
  return {
    method: frame.method,
    member: readMember(frame.member),
    channel: asString(frame.channel?.name),
    text: asString(frame.message?.text),
    error: error && typeof error === 'object'
      ? { code: Number.isInteger(error.code) ? error.code : 0, text: asString(error.text) }
      : null,
    members: listOf(frame),
  };
}

// The id and method of a frame, read on their own so that a frame that fails to decode
// can still be acknowledged ('' when unreadable).
function readQuietly(value) {
  try {
    return typeof value === 'string' ? decodeString(value) : '';
  } catch {
    return '';
  }
}

// A GUID from getRandomValues: crypto.randomUUID exists only in secure contexts, and the
// demo page may well be served over plain http.
function newId() {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function defaultUrl() {
  const location = globalThis.location;
  if (!location?.host) return '';
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}

// The server reads a signed token from the `token` query parameter: a browser cannot set
// headers on a WebSocket.
function withToken(url, token) {
  if (!token) return url;
  const u = new URL(url);
  u.searchParams.set('token', token);
  return u.toString();
}

function normalizeOptions(options) {
  const url = options.url ?? defaultUrl();
  if (!url) throw new TypeError('options.url is required outside a browser');
  const WebSocket = options.WebSocket ?? globalThis.WebSocket;
  if (typeof WebSocket !== 'function') throw new TypeError('no WebSocket: pass options.WebSocket');
  const guid = String(options.guid ?? '');
  if (guid && !GUID.test(guid)) throw new TypeError(`options.guid is not a Guid: ${guid}`);
  return {
    url,
    guid,
    name: String(options.name ?? ''),
    info: String(options.info ?? ''),
    user: String(options.user ?? ''),
    encodeBase64: Boolean(options.encodeBase64),
    acknowledgment: {
      enabled: false, interval: 300_000, timeout: 240_000, retries: 5, ...options.acknowledgment,
    },
    reconnect: { enabled: true, initialDelay: 500, maxDelay: 10_000, ...options.reconnect },
    connectTimeout: options.connectTimeout ?? 10_000,
    heartbeatInterval: options.heartbeatInterval ?? 15_000,
    heartbeatTimeout: options.heartbeatTimeout ?? 10_000,
    resume: options.resume ?? true,
    diffs: Boolean(options.diffs),
    users: Boolean(options.users),
    updates: Boolean(options.updates),
    token: options.token ? String(options.token) : '',
    WebSocket,
    onInvitation: options.onInvitation,
  };
}

function helloFeatures(options) {
  return [...HELLO_ALWAYS, ...HELLO_BY_OPTION.filter((name) => options[name])].join(',');
}

// The frames both sides count for a resume: all but the heartbeat's and resume's own.
function counted(method) {
  return method !== METHOD.pong && !method.startsWith(METHOD.resume);
}

function remember(set, id) {
  set.add(id);
  // A Set iterates in insertion order, so the first value is the oldest.
  if (set.size > SEEN_IDS_KEPT) set.delete(set.values().next().value);
}

// ---------------------------------------------------------------------------------------
// The client

export class PresenceClient {
  #opt;
  #state = 'disconnected';
  #handlers = new Map();     // event -> Set of handlers
  #conn = null;              // the current connection (see #open), null when there is none
  #member = null;            // this client as a member, once joined
  #channels = new Set();     // kept across reconnects: they are subscribed again
  #closing = false;          // close() was called: a drop is not a reason to reconnect
  #attempt = 0;              // reconnect attempts since the last join, for the backoff
  #reconnectTimer = null;
  #joinWaiters = [];         // connect() promises
  #closeWaiters = [];        // close() promises
  #answerWaiters = new Map();  // channel -> promises of requests awaiting an answer, oldest first
  // The server's resume token and the frames counted since, while it may resume this
  // member; after a loss also what the resumed connection takes over from the lost one.
  #resume = null;

  constructor(options = {}) {
    this.#opt = normalizeOptions(options);
  }

  // This library's version.
  static get version() { return VERSION; }

  get state() { return this.#state; }
  get guid() { return this.#opt.guid; }
  get sessionId() { return this.#member?.id ?? ''; }
  get member() { return this.#member && { ...this.#member }; }
  // A copy: the set is the client's record of confirmed subscriptions.
  get channels() { return new Set(this.#channels); }

  on(event, handler) {
    if (!this.#handlers.has(event)) this.#handlers.set(event, new Set());
    this.#handlers.get(event).add(handler);
    return () => this.off(event, handler);
  }

  off(event, handler) {
    this.#handlers.get(event)?.delete(handler);
  }

  // Resolves once joined; keeps trying while reconnect is enabled, rejects on close() or
  // (reconnect disabled) when the attempt fails.
  connect() {
    if (this.#state === 'connected') return Promise.resolve();
    const joined = new Promise((resolve, reject) => this.#joinWaiters.push({ resolve, reject }));
    if (this.#state === 'disconnected' || this.#state === 'closed') {
      this.#closing = false;
      this.#attempt = 0;
      this.#setState('connecting');
      this.#open();
    }
    return joined;
  }

  // Closes with 1000 and stops reconnecting; resolves once the socket is closed.
  close() {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const conn = this.#conn;
    if (!conn) {
      this.#finishClose();
      return Promise.resolve();
    }
    this.#closing = true;
    // No ping between the close frame and its answer: the handshake has its own timeout.
    conn.heartbeat = false;
    clearTimeout(conn.heartbeatTimer);
    const closed = new Promise((resolve) => this.#closeWaiters.push(resolve));
    try {
      conn.socket.close(CLOSE.normal);
    } catch (e) {
      this.#emit('error', `close: ${e.message}`);
    }
    // The closing handshake needs the server's answer; do not wait for it forever.
    conn.timers.push(setTimeout(() => this.#abandon(conn, 'close timeout'), this.#opt.connectTimeout));
    return closed;
  }

  subscribe(channel) {
    this.#userRequest('subscribe', METHOD.channelMemberNew, { channel });
  }

  unsubscribe(channel) {
    this.#userRequest('unsubscribe', METHOD.channelMemberRemove, { channel });
  }

  // An empty channel publishes to every member.
  publish(text, channel = '') {
    this.#userRequest('publish', METHOD.publish, { channel, message: text });
  }

  // Invitees are named by id only; the server ignores their other fields.
  invite(channel, memberId) {
    const ids = Array.isArray(memberId) ? memberId : [memberId];
    const members = ids.map((id) => ({ id, name: '', info: '' }));
    this.#userRequest('invite', METHOD.invitation, { channel, members });
  }

  // An empty channel lists every member. Resolves with the server's list (also emitted as
  // 'members'); rejects on error 5 or 30 for that channel, or when the connection goes.
  getMembers(channel = '') {
    return this.#ask('members', 'getMembers', METHOD.getMembers, { channel });
  }

  // Extension: up to `limit` members of the channel (every member when ''), in the order of
  // their ids, after `cursor` (a nextCursor of the previous page; '' for the first).
  // Resolves with { members, nextCursor } (also emitted as 'membersPage'); nextCursor is ''
  // after the last page.
  getMembersPage(channel, limit, cursor = '') {
    if (!Number.isInteger(limit) || limit < 1) {
      return Promise.reject(new RangeError('getMembersPage: limit must be a positive integer'));
    }
    const message = cursor ? `${limit}:${cursor}` : String(limit);
    return this.#ask('page', 'getMembersPage', METHOD.getMembersPage, { channel, message });
  }

  // Extension: the member count of the channel (every member's when ''); also emitted as
  // 'count'.
  getCount(channel = '') {
    return this.#ask('count', 'getCount', METHOD.getCount, { channel });
  }

  // Extension: the members of the channel (every member when '') by user: the members of
  // one user next to each other. Also emitted as 'users'.
  getUsers(channel = '') {
    return this.#ask('users', 'getUsers', METHOD.getUsers, { channel });
  }

  // Extension: with `on`, the channel's announcements to this member are replaced by its
  // count, sent ('count') when it changed. Resolves with the count the server answers with.
  // It lasts as long as the connection: a member that joins afresh asks again.
  setCountsOnly(channel, on) {
    return this.#ask('count', 'setCountsOnly', METHOD.channelCounts, { channel, message: on ? 'on' : 'off' });
  }

  // Extension: changes this member's name and/or info; a field left out keeps its value.
  // The server may keep fields a token fixes, and limits how often (error 45). The client
  // joins with the new values from now on; `member` shows them once the server confirms
  // (a 'memberUpdate' about this client, with options.updates).
  updateMember({ name, info } = {}) {
    if (name !== undefined) this.#opt.name = String(name);
    if (info !== undefined) this.#opt.info = String(info);
    if (!this.#member) {
      this.#emit('error', 'updateMember: not connected');
      return;
    }
    const member = {
      id: this.#member.id,
      name: name === undefined ? undefined : String(name),
      info: info === undefined ? undefined : String(info),
      user: this.#member.user,
    };
    this.#request(this.#conn, METHOD.memberUpdate, { member });
  }

  // The token presented from the next connection on (tokens expire; reconnects need a
  // fresh one).
  setToken(token) {
    this.#opt.token = token ? String(token) : '';
  }

  // One frame, exactly as given: no id, no Base64.
  writeData(text) {
    if (this.#conn) this.#write(this.#conn, text, 'writeData');
    else this.#emit('error', 'writeData: not connected');
  }

  // --- connection lifecycle ------------------------------------------------------------

  // A connection record holds everything that belongs to one WebSocket, so that a late
  // event of an old socket (conn !== this.#conn) is recognised and ignored.
  #open() {
    let socket;
    try {
      const subprotocol = this.#opt.guid ? `${this.#opt.guid}.${SUBPROTOCOL}` : SUBPROTOCOL;
      socket = new this.#opt.WebSocket(withToken(this.#opt.url, this.#opt.token), subprotocol);
    } catch (e) {
      // A malformed URL: retrying cannot help.
      this.#emit('error', `cannot connect to ${this.#opt.url}: ${e.message}`);
      this.#setState('disconnected');
      this.#settleJoin(e);
      return;
    }
    const conn = {
      socket,
      opened: false,
      sessionId: '',            // from the session frame, before and after joining
      features: new Set(),      // what the server's hello listed
      seenIds: new Set(),       // ids of frames received, to drop re-sent duplicates
      unacked: new Map(),       // id -> { data, method, sentAt, resends }
      timers: [],
      heartbeat: false,         // pinging: both sides named the heartbeat feature
      heartbeatTimer: null,     // the next ping, or after a ping the timeout
      counting: false,          // counting frames for a resume (see #resume)
      resuming: false,          // the resume request is sent, its answer not yet here
    };
    this.#conn = conn;
    socket.onopen = () => this.#opened(conn);
    socket.onmessage = (event) => this.#receive(conn, event.data);
    // The close event follows and says more; an error event carries no detail.
    socket.onerror = () => {};
    socket.onclose = (event) => this.#gone(conn, event.code, event.reason);
    // Bounds the handshake and the join: a server that never says session is no server.
    conn.connectTimer = setTimeout(() => this.#abandon(conn, 'connect timeout'), this.#opt.connectTimeout);
    conn.timers.push(conn.connectTimer);
  }

  #opened(conn) {
    if (conn !== this.#conn) return;
    conn.opened = true;
    const { enabled, interval } = this.#opt.acknowledgment;
    if (enabled) conn.timers.push(setInterval(() => this.#resendUnacknowledged(conn), interval));
    this.#emit('connect');
  }

  // Joined: the server announced this client's own member@new.
  #joined(conn, member) {
    this.#online(conn, member);
    // After a reconnect the new session is in no channel yet: join the old ones again.
    for (const channel of this.#channels) {
      this.#request(conn, METHOD.channelMemberNew, { member, channel });
    }
    this.#emit('session', member.id);
    this.#settleJoin(null);
  }

  // The server gave the lost member back: still in its channels, known to the others as
  // before. The new connection carries on where the lost one stopped.
  #resumed(conn, resync) {
    const lost = this.#resume;
    if (resync) lost.received = 0;
    Object.assign(conn, {
      sessionId: lost.member.id,
      features: lost.features,
      seenIds: lost.seenIds,
      // The server's record of handled ids moved over too: re-sending these is safe.
      unacked: lost.unacked,
      counting: true,
    });
    this.#startHeartbeat(conn);
    this.#online(conn, lost.member);
    this.#emit(resync ? 'resync' : 'resumed');
    this.#settleJoin(null);
  }

  // Joined or resumed: requests may go out again.
  #online(conn, member) {
    clearTimeout(conn.connectTimer);
    this.#member = member;
    this.#attempt = 0;
    this.#setState('connected');
  }

  // Gives up on a socket that does not answer, without waiting for its close event.
  #abandon(conn, reason) {
    if (conn !== this.#conn) return;
    this.#gone(conn, CLOSE.abnormal, reason);
    try {
      conn.socket.close();
    } catch {
      // Already closing or closed: nothing left to release.
    }
  }

  #gone(conn, code, reason) {
    if (conn !== this.#conn) return;
    this.#conn = null;
    // clearTimeout also clears an interval: timeouts and intervals share one id space.
    conn.timers.forEach((timer) => clearTimeout(timer));
    clearTimeout(conn.heartbeatTimer);
    const reconnecting = !this.#closing && this.#opt.reconnect.enabled;
    this.#keepForResume(conn, reconnecting && code === CLOSE.abnormal);
    this.#member = null;
    this.#rejectAnswerWaiters(new Error(`disconnected (${code})`));
    if (conn.opened) this.#emit('disconnect', { code, reason });
    if (this.#closing) {
      this.#finishClose();
    } else if (reconnecting) {
      this.#setState('reconnecting');
      this.#scheduleReconnect();
    } else {
      this.#setState('disconnected');
      this.#settleJoin(new Error(`connection lost (${code}${reason ? `: ${reason}` : ''})`));
    }
  }

  // A member the server may still hold (the loss was not a closing handshake, and it had
  // joined, or was being resumed) is resumed on the next connection; otherwise the next
  // connection joins afresh.
  #keepForResume(conn, keep) {
    const resume = this.#resume;
    if (!resume) return;
    if (!keep || !(this.#member || resume.member)) {
      this.#resume = null;
    } else if (this.#member) {
      Object.assign(resume, {
        member: this.#member, features: conn.features, seenIds: conn.seenIds, unacked: conn.unacked,
      });
    }
  }

  #finishClose() {
    this.#resume = null;
    this.#channels.clear();
    this.#setState('closed');
    this.#settleJoin(new Error('closed'));
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    waiters.forEach((resolve) => resolve());
  }

  #scheduleReconnect() {
    const { initialDelay, maxDelay } = this.#opt.reconnect;
    const ceiling = Math.min(maxDelay, initialDelay * 2 ** this.#attempt);
    this.#attempt += 1;
    // Jitter, so that the clients of a restarted server do not all come back at once.
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#open();
    }, delay);
  }

  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.#emit('state', state);
  }

  #settleJoin(error) {
    const waiters = this.#joinWaiters;
    this.#joinWaiters = [];
    waiters.forEach((w) => (error ? w.reject(error) : w.resolve()));
  }

  // A request whose answer (a list, a page, a count) resolves the promise. The server
  // answers the requests of one channel in order, so an error for that channel belongs to
  // the oldest one still waiting.
  #ask(kind, what, method, parts) {
    return new Promise((resolve, reject) => {
      if (!this.#userRequest(what, method, parts)) {
        reject(new Error(`${what}: not connected`));
        return;
      }
      const { channel } = parts;
      if (!this.#answerWaiters.has(channel)) this.#answerWaiters.set(channel, []);
      this.#answerWaiters.get(channel).push({ kind, resolve, reject });
    });
  }

  #rejectAnswerWaiters(error) {
    const all = [...this.#answerWaiters.values()].flat();
    this.#answerWaiters.clear();
    all.forEach((w) => w.reject(error));
  }

  // The oldest request of `channel` waiting for an answer of `kind`; with `kind` null, the
  // oldest waiting at all.
  #takeAnswerWaiter(channel, kind) {
    const waiters = this.#answerWaiters.get(channel);
    const index = waiters?.findIndex((w) => kind === null || w.kind === kind) ?? -1;
    if (index < 0) return undefined;
    const [taken] = waiters.splice(index, 1);
    if (waiters.length === 0) this.#answerWaiters.delete(channel);
    return taken;
  }

  // An error refuses the oldest waiting request of the channel when it is one that request
  // can get; otherwise it answers some other request (a subscribe, say).
  #refuseAnswerWaiter(channel, code, text) {
    const oldest = this.#answerWaiters.get(channel)?.[0];
    if (!oldest || !REFUSED[oldest.kind].has(code)) return;
    this.#takeAnswerWaiter(channel, null).reject(Object.assign(new Error(text), { code }));
  }

  // --- sending -------------------------------------------------------------------------

  // A request from the API: only once joined, so that the member in it is this client.
  #userRequest(what, method, parts) {
    if (!this.#member) {
      this.#emit('error', `${what}: not connected`);
      return false;
    }
    return this.#request(this.#conn, method, { member: this.#member, ...parts });
  }

  // With acknowledgment on, the frame gets a fresh id and is kept until acknowledged.
  #request(conn, method, parts) {
    const id = this.#opt.acknowledgment.enabled ? newId() : '';
    const data = buildFrame(method, parts, id, this.#opt.encodeBase64);
    if (!this.#write(conn, data, method)) return false;
    if (id) conn.unacked.set(id, { data, method, sentAt: Date.now(), resends: 0 });
    return true;
  }

  // Hello, ping and resume go without id: a server that does not know the method cannot be
  // relied on to acknowledge it.
  #send(conn, method, parts) {
    return this.#write(conn, buildFrame(method, parts, '', this.#opt.encodeBase64), method);
  }

  #write(conn, data, what) {
    if (conn.socket.readyState !== OPEN) {
      this.#emit('error', `${what}: not connected`);
      return false;
    }
    conn.socket.send(data);
    return true;
  }

  // Same bytes, same id; after `retries` re-sends (0 = no limit) the frame is dropped.
  #resendUnacknowledged(conn) {
    const { timeout, retries } = this.#opt.acknowledgment;
    const now = Date.now();
    for (const [id, pending] of conn.unacked) {
      if (now - pending.sentAt < timeout) continue;
      if (retries > 0 && pending.resends >= retries) {
        conn.unacked.delete(id);
        this.#emit('error', `${pending.method} was not acknowledged: dropped`);
      } else if (this.#write(conn, pending.data, pending.method)) {
        pending.sentAt = now;
        pending.resends += 1;
      }
    }
  }

  // --- heartbeat -----------------------------------------------------------------------

  #startHeartbeat(conn) {
    conn.heartbeat = conn.features.has(FEATURE.heartbeat) && this.#opt.heartbeatInterval > 0;
    this.#heard(conn);
  }

  // Any frame shows that the server is alive: the next ping waits for a silence again.
  #heard(conn) {
    if (!conn.heartbeat) return;
    clearTimeout(conn.heartbeatTimer);
    conn.heartbeatTimer = setTimeout(() => this.#ping(conn), this.#opt.heartbeatInterval);
  }

  #ping(conn) {
    this.#send(conn, METHOD.ping, {});
    conn.heartbeatTimer = setTimeout(() => {
      this.#emit('error', 'heartbeat timeout: the server stopped answering');
      // A dead connection cannot complete a closing handshake: lost, hence resumable.
      this.#abandon(conn, 'heartbeat timeout');
    }, this.#opt.heartbeatTimeout);
  }

  // --- receiving -----------------------------------------------------------------------

  #receive(conn, data) {
    if (conn !== this.#conn) return;
    this.#heard(conn);
    const raw = this.#parse(data);
    const method = readQuietly(raw?.method);
    if (conn.counting && counted(method)) this.#resume.received += 1;
    if (!raw) return;
    const id = readQuietly(raw.id);
    if (method === METHOD.acknowledgment) {
      conn.unacked.delete(id);
      return;
    }
    if (id && this.#acknowledge(conn, id)) return;
    let frame;
    try {
      frame = readFrame(raw);
    } catch (e) {
      this.#emit('error', `bad frame from the server: ${e.message}`);
      return;
    }
    // Methods this client does not know are ignored, as the protocol asks.
    this.#dispatch[frame.method]?.call(this, conn, frame);
  }

  // The frame as a JSON object, or null once reported as unusable.
  #parse(data) {
    if (typeof data !== 'string') {
      this.#emit('error', 'binary frame from the server ignored');
      return null;
    }
    let raw;
    try {
      raw = JSON.parse(data);
    } catch {
      this.#emit('error', `frame from the server is not JSON: ${data.slice(0, 200)}`);
      return null;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      this.#emit('error', 'frame from the server is not an object');
      return null;
    }
    return raw;
  }

  // Acknowledges even a frame seen before (its acknowledgment may have been lost);
  // returns true for such a duplicate, which must not take effect twice.
  #acknowledge(conn, id) {
    this.#write(conn, buildAcknowledgment(id), 'acknowledgment');
    if (conn.seenIds.has(id)) return true;
    remember(conn.seenIds, id);
    return false;
  }

  #emit(event, ...args) {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) {
      try {
        handler(...args);
      } catch (e) {
        // One faulty handler must not break the client or starve the other handlers.
        if (event !== 'error') this.#emit('error', `${event} handler threw: ${e?.message ?? e}`);
      }
    }
  }

  #isOwn(conn, member) {
    return member.id !== '' && member.id === conn.sessionId;
  }

  #dispatch = {
    [METHOD.session](conn, f) {
      conn.sessionId = f.text;
      if (!this.#resume) {
        this.#greet(conn);
        return;
      }
      // The resume must be the first request: before any hello or join.
      conn.resuming = true;
      this.#send(conn, METHOD.resume, { message: `${this.#resume.token}:${this.#resume.received}` });
    },
    [METHOD.hello](conn, f) {
      conn.features = new Set(f.text.split(',').map((s) => s.trim()).filter(Boolean));
      this.#startHeartbeat(conn);
    },
    [METHOD.resumeToken](conn, f) {
      if (!conn.features.has(FEATURE.resume) || !this.#opt.resume) return;
      this.#resume = { token: f.text, received: 0, member: null };
      conn.counting = true;
    },
    [METHOD.resume](conn, f) {
      if (!conn.resuming) return;
      conn.resuming = false;
      if (f.text === 'resumed' || f.text === 'resync') {
        this.#resumed(conn, f.text === 'resync');
        return;
      }
      // Expired: the member is gone; this connection's session is a new one.
      this.#resume = null;
      this.#greet(conn);
    },
    [METHOD.memberNew](conn, f) {
      if (!this.#member && this.#isOwn(conn, f.member)) this.#joined(conn, f.member);
      this.#emit('memberNew', f.member);
    },
    [METHOD.memberRemove](conn, f) {
      this.#emit('memberRemove', f.member);
    },
    [METHOD.channelMemberNew](conn, f) {
      if (this.#isOwn(conn, f.member)) this.#channels.add(f.channel);
      this.#emit('channelMemberNew', f.channel, f.member);
    },
    [METHOD.channelMemberRemove](conn, f) {
      if (this.#isOwn(conn, f.member)) this.#channels.delete(f.channel);
      this.#emit('channelMemberRemove', f.channel, f.member);
    },
    [METHOD.publish](conn, f) {
      this.#emit('publish', f.channel, f.member, f.text);
    },
    [METHOD.sendMembers](conn, f) {
      this.#emit('members', f.channel, f.members);
      this.#takeAnswerWaiter(f.channel, 'members')?.resolve(f.members);
    },
    [METHOD.membersPage](conn, f) {
      this.#emit('membersPage', f.channel, f.members, f.text);
      this.#takeAnswerWaiter(f.channel, 'page')?.resolve({ members: f.members, nextCursor: f.text });
    },
    [METHOD.users](conn, f) {
      this.#emit('users', f.channel, f.members);
      this.#takeAnswerWaiter(f.channel, 'users')?.resolve(f.members);
    },
    [METHOD.count](conn, f) {
      const count = readCount(f.text);
      if (count === null) {
        this.#emit('error', 'count frame without a count');
        return;
      }
      this.#emit('count', f.channel, count);
      this.#takeAnswerWaiter(f.channel, 'count')?.resolve(count);
    },
    // message.text is "JOINED COUNT"; members holds the joined ones first, then the left ones.
    [METHOD.diff](conn, f) {
      const match = /^([0-9]+) ([0-9]+)$/.exec(f.text);
      const joins = Number(match?.[1]);
      if (!match || joins > f.members.length) {
        this.#emit('error', 'diff frame with a bad message.text');
        return;
      }
      this.#emit('diff', f.channel, f.members.slice(0, joins), f.members.slice(joins), Number(match[2]));
    },
    [METHOD.memberUpdate](conn, f) {
      if (this.#member && this.#isOwn(conn, f.member)) this.#member = f.member;
      this.#emit('memberUpdate', f.member);
    },
    [METHOD.invitation](conn, f) {
      this.#emit('invitation', f.member, f.channel);
      this.#answerInvitation(conn, f.member, f.channel);
    },
    [METHOD.invitationResponse](conn, f) {
      this.#emit('invitationResponse', f.member, f.channel, f.text === 'accepted', f.error);
    },
    [METHOD.errorMemberChannel](conn, f) {
      const { code, text } = f.error ?? { code: 0, text: '' };
      // A refused subscribe, typically a re-subscribe after a reconnect: not in it.
      if (SUBSCRIBE_REFUSED.has(code)) this.#channels.delete(f.channel);
      this.#refuseAnswerWaiter(f.channel, code, text);
      this.#emit('errorMemberChannel', f.channel, f.member, code, text);
    },
    [METHOD.errorPublish](conn, f) {
      const { code, text } = f.error ?? { code: 0, text: '' };
      this.#emit('errorPublish', f.channel, f.member, f.text, code, text);
    },
  };

  // Hello before joining, so that the server's extension frames may come from the start.
  #greet(conn) {
    this.#send(conn, METHOD.hello, { message: helloFeatures(this.#opt) });
    const member = { id: conn.sessionId, name: this.#opt.name, info: this.#opt.info, user: this.#opt.user };
    this.#request(conn, METHOD.memberNew, { member });
  }

  // Accepting is subscribing; a refusal is only told to a server that announced the
  // invitation-response extension (an sgcWebSockets server has no frame for it).
  async #answerInvitation(conn, inviter, channel) {
    let accept = false;
    try {
      accept = Boolean(await this.#opt.onInvitation?.(inviter, channel));
    } catch (e) {
      this.#emit('error', `onInvitation threw: ${e?.message ?? e}`);
    }
    if (conn !== this.#conn || !this.#member) return;  // the invitation's session is gone
    if (accept) {
      this.#request(conn, METHOD.channelMemberNew, { member: this.#member, channel });
    } else if (conn.features.has(FEATURE.invitationResponse)) {
      const to = { id: inviter.id, name: '', info: '' };
      this.#request(conn, METHOD.invitationResponse, { member: to, channel, message: 'refused' });
    }
  }
}

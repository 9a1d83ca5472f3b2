// SPDX-License-Identifier: Apache-2.0
// presence.js offers what the C++ client offers. Read from the C++ sources: the public
// methods of presence::Client, the fields of ClientOptions (and of its AckOptions) and of
// ClientEvents (include/presence/client.h, include/presence/acknowledgment.h), the hello
// features the C++ client names (the table of src/protocol/hello_features.h), and the frames
// it reads and writes (the wire names from src/protocol/message.cpp). Each must have its JavaScript counterpart, in
// presence.js and in presence.d.ts, under the camelCase of its C++ name or the name the
// tables below give, or be listed in ONLY_IN_CPP with the reason. Something added to the C++
// client and not to presence.js fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { PresenceClient } from '../../../web/presence.js';
import { helloFeatures } from './cpp_tables.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file) => readFileSync(path.join(root, file), 'utf8');

// C++ name -> JavaScript name, where it is not the camelCase of the C++ one.
const METHODS = {};
// An option's path: 'ack.max_retries' is ClientOptions::ack.max_retries.
const OPTIONS = {
  ack: 'acknowledgment',
  'ack.max_retries': 'acknowledgment.retries',
  reconnect_delay: 'reconnect.initialDelay',
  reconnect_max_delay: 'reconnect.maxDelay',
};
// A callback of ClientEvents -> the events (and options) that carry it.
const EVENTS = {
  on_reconnecting: ['event:state'],  // state 'reconnecting'
  on_resume: ['event:resumed', 'event:resync'],  // complete or not
  on_new_member: ['event:memberNew'],
  on_remove_member: ['event:memberRemove'],
  on_new_channel_member: ['event:channelMemberNew'],
  on_remove_channel_member: ['event:channelMemberRemove'],
  on_publish_msg: ['event:publish'],
  on_get_members: ['event:members'],
  on_error_publish_msg: ['event:errorPublish'],
  // The C++ callback both tells and decides; here the event tells and the option decides.
  on_channel_invitation: ['event:invitation', 'option:onInvitation'],
  on_channel_invitation_response: ['event:invitationResponse'],
  on_get_users: ['event:users'],
  on_update_member: ['event:memberUpdate'],
};
const ONLY_IN_CPP = {
  options: 'returns the settings the client was made with; a JavaScript caller keeps its own options object',
  max_send_queue_bytes: 'a browser\'s WebSocket owns its send buffer, which has no bound to set',
  ca_file: 'a browser trusts the certificates of its own store; a page cannot choose others',
  reconnect_give_up: 'a page keeps trying as long as it is open (web/README.md: reconnecting)',
};

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// ---- the C++ side ------------------------------------------------------------------------

function withoutComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

// The text between the braces that follow `head` (its first occurrence).
function body(source, head) {
  const start = source.indexOf(head);
  assert.ok(start >= 0, `${head} not found`);
  const open = source.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < source.length; i += 1) {
    if (source[i] === '{') depth += 1;
    if (source[i] === '}' && --depth === 0) return source.slice(open + 1, i);
  }
  throw new Error(`unbalanced braces after ${head}`);
}

// The declarations of a struct or class body, at its own level (nested braces are
// initializers or function bodies, which hold no declarations of it).
function declarations(text) {
  let depth = 0;
  let flat = '';
  for (const c of text) {
    if (c === '{') depth += 1;
    if (depth === 0) flat += c;
    if (c === '}') depth -= 1;
  }
  return flat.split(';').map((d) => d.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

// A field's name and type: the last identifier before any initializer, and what precedes it.
function field(declaration) {
  const [, type, name] = /^(.*?)\b(\w+)\s*(?:=.*)?$/.exec(declaration.replace(/\{\}$/, '').trim());
  return { type: type.trim(), name };
}

function structFields(source, name) {
  return declarations(body(source, `struct ${name} {`)).map(field);
}

function cppOptions() {
  const header = withoutComments(read('include/presence/client.h'));
  const ack = withoutComments(read('include/presence/acknowledgment.h'));
  return structFields(header, 'ClientOptions').flatMap(({ type, name }) => (type === 'AckOptions'
    ? [name, ...structFields(ack, 'AckOptions').map((f) => `${name}.${f.name}`)]
    : [name]));
}

function cppEvents() {
  return structFields(withoutComments(read('include/presence/client.h')), 'ClientEvents').map((f) => f.name);
}

// The public functions of presence::Client, overloads once; constructors, the destructor
// and the deleted copy operations are not features.
function cppMethods() {
  const header = withoutComments(read('include/presence/client.h'));
  const publicPart = body(header, 'class Client {').split('private:')[0].split('public:')[1];
  const names = declarations(publicPart)
    .filter((d) => !d.includes('operator'))
    .map((d) => /(~?\w+)\s*\(/.exec(d)?.[1])
    .filter((name) => name && name !== 'Client' && name !== '~Client');
  return [...new Set(names)];
}

// The features the C++ client names in its hello: { always: [feature], when: [[option, feature]] }.
// A feature named by option is named when the option of its own name is on.
function cppFeatures() {
  const features = helloFeatures();
  return {
    always: features.filter((f) => f.asked === 'always').map((f) => f.name),
    when: features.filter((f) => f.asked === 'by_option').map((f) => [f.name, f.name]),
  };
}

// The wire names of the methods the C++ client reads (the cases of ClientProtocol::dispatch)
// and writes (its requests).
function cppFrames() {
  const wire = Object.fromEntries([...read('src/protocol/message.cpp')
    .matchAll(/\{Method::(\w+), "([^"]+)"\}/g)].map(([, id, name]) => [id, name]));
  const code = withoutComments(read('src/client/client_protocol.cpp'));
  const dispatch = body(code, 'void ClientProtocol::dispatch(const Message& m)');
  const names = (pattern, text) => [...new Set([...text.matchAll(pattern)].map(([, id]) => wire[id]))];
  return {
    read: names(/case Method::(\w+):/g, dispatch),
    written: names(/(?:request\(|\.method = )Method::(\w+)/g, code),
  };
}

// ---- the JavaScript side -----------------------------------------------------------------

const js = read('web/presence.js');
const dts = ts.createSourceFile('presence.d.ts', read('web/presence.d.ts'), ts.ScriptTarget.Latest, true);

function declared(name) {
  const found = dts.statements.find((s) => (ts.isInterfaceDeclaration(s) || ts.isClassDeclaration(s))
    && s.name?.text === name);
  assert.ok(found, `presence.d.ts declares ${name}`);
  return found;
}

const memberNames = (declaration) => declaration.members.map((m) => m.name?.getText(dts));

// The type a property path leads to in presence.d.ts ('reconnect.maxDelay' from PresenceOptions).
function hasProperty(typeName, dotted) {
  const [first, ...rest] = dotted.split('.');
  const property = declared(typeName).members.find((m) => m.name?.getText(dts) === first);
  if (!property) return false;
  if (rest.length === 0) return true;
  const type = property.type?.getText(dts);
  return Boolean(type) && hasProperty(type, rest.join('.'));
}

function hasMethod(name) {
  const implemented = Object.getOwnPropertyDescriptor(PresenceClient.prototype, name)
    ?? Object.getOwnPropertyDescriptor(PresenceClient, name);
  return Boolean(implemented) && memberNames(declared('PresenceClient')).includes(name);
}

function hasOption(dotted) {
  const [first, ...rest] = dotted.split('.');
  const read = new RegExp(`options\\.${first}\\b`).test(js) && rest.every((n) => new RegExp(`\\b${n}\\b`).test(js));
  return read && hasProperty('PresenceOptions', dotted);
}

function hasEvent(name) {
  const emitted = new RegExp(`#emit\\([^)]*'${name}'`).test(js);
  return emitted && memberNames(declared('PresenceEvents')).includes(name);
}

// presence.js's METHOD table, and the keys of it that its dispatch reads and its requests write.
function jsFrames() {
  const table = Object.fromEntries([...body(js, 'const METHOD = Object.freeze(')
    .matchAll(/(\w+): '([^']+)'/g)].map(([, key, name]) => [key, name]));
  const names = (pattern) => [...js.matchAll(pattern)].map(([, key]) => table[key]);
  return {
    read: names(/\[METHOD\.(\w+)\]\(conn, f\)/g),
    written: names(/this\.#(?:request|send|ask|userRequest)\([^;]*?METHOD\.(\w+)/g),
  };
}

function missing(names, counterpart, has) {
  return names.filter((name) => !(name in ONLY_IN_CPP) && !counterpart(name).every(has));
}

// ---- the tests ---------------------------------------------------------------------------

test('every public method of the C++ client is a method of PresenceClient', () => {
  const methods = cppMethods();
  // The reader of the header must keep finding them.
  for (const name of ['connect', 'close', 'subscribe', 'get_members', 'get_members_page', 'write_data']) {
    assert.ok(methods.includes(name), `${name} read from client.h: ${methods}`);
  }
  assert.deepEqual(missing(methods, (m) => [METHODS[m] ?? camel(m)], hasMethod), []);
});

test('every field of ClientOptions is an option of presence.js', () => {
  const options = cppOptions();
  for (const name of ['url', 'name', 'ack.max_retries', 'diffs', 'user', 'updates']) {
    assert.ok(options.includes(name), `${name} read from client.h: ${options}`);
  }
  const jsPath = (cpp) => {
    const dot = cpp.lastIndexOf('.');
    if (cpp in OPTIONS || dot < 0) return OPTIONS[cpp] ?? camel(cpp);
    return `${jsPath(cpp.slice(0, dot))}.${camel(cpp.slice(dot + 1))}`;
  };
  assert.deepEqual(missing(options, (o) => [jsPath(o)], hasOption), []);
});

test('every event of ClientEvents is an event (or option) of presence.js', () => {
  const events = cppEvents();
  for (const name of ['on_connect', 'on_publish_msg', 'on_diff', 'on_update_member']) {
    assert.ok(events.includes(name), `${name} read from client.h: ${events}`);
  }
  const targets = (cpp) => EVENTS[cpp] ?? [`event:${camel(cpp.replace(/^on_/, ''))}`];
  const has = (target) => {
    const [kind, name] = target.split(':');
    return kind === 'event' ? hasEvent(name) : hasOption(name);
  };
  assert.deepEqual(missing(events, targets, has), []);
});

test('the tables name only what the C++ client has', () => {
  const cpp = new Set([...cppMethods(), ...cppOptions(), ...cppEvents()]);
  const listed = [...Object.keys(METHODS), ...Object.keys(OPTIONS), ...Object.keys(EVENTS), ...Object.keys(ONLY_IN_CPP)];
  assert.deepEqual(listed.filter((name) => !cpp.has(name)), []);
});

// The hello presence.js sends with `options`, read from a stand-in socket.
async function helloOf(options) {
  let socket;
  class StandIn {
    readyState = 0;
    sent = [];
    constructor() { socket = this; }
    send(data) { this.sent.push(JSON.parse(data)); }
    // Later, as a WebSocket's close event comes.
    close(code) { setImmediate(() => { this.readyState = 3; this.onclose({ code, reason: '' }); }); }
  }
  const client = new PresenceClient({ url: 'ws://127.0.0.1:1/', WebSocket: StandIn, name: 'Ann', ...options });
  const connecting = client.connect().catch(() => {});
  socket.readyState = 1;
  socket.onopen({});
  socket.onmessage({ data: JSON.stringify({ jsonrpc: '2.0', method: 'sgc@presence@session', message: { text: 'S1' } }) });
  await client.close();
  await connecting;
  const hello = socket.sent.find((f) => f.method === 'ext@presence@hello');
  assert.ok(hello, 'a hello was sent');
  return new Set(hello.message.text.split(','));
}

test('presence.js says hello with the features the C++ client names, under the same options', async () => {
  const { always, when } = cppFeatures();
  for (const name of ['invitation-response', 'heartbeat']) assert.ok(always.includes(name), `${name} read`);
  for (const name of ['resume', 'diffs', 'users', 'updates']) assert.ok(when.some(([, f]) => f === name), `${name} read`);
  const off = Object.fromEntries(when.map(([option]) => [camel(option), false]));
  assert.deepEqual(await helloOf(off), new Set(always));
  for (const option of new Set(when.map(([o]) => o))) {
    const named = when.filter(([o]) => o === option).map(([, feature]) => feature);
    assert.deepEqual(await helloOf({ ...off, [camel(option)]: true }), new Set([...always, ...named]), option);
  }
});

test('presence.js reads every frame the C++ client reads, and writes every one it writes', () => {
  const cpp = cppFrames();
  for (const name of ['ext@presence@diff', 'ext@presence@users', 'ext@presence@member@update']) {
    assert.ok(cpp.read.includes(name), `${name} read from client_protocol.cpp: ${cpp.read}`);
  }
  for (const name of ['ext@presence@get@members@page', 'ext@presence@channel@counts', 'sgc@presence@member@new']) {
    assert.ok(cpp.written.includes(name), `${name} read from client_protocol.cpp: ${cpp.written}`);
  }
  const ours = jsFrames();
  assert.deepEqual(cpp.read.filter((name) => !ours.read.includes(name)), []);
  assert.deepEqual(cpp.written.filter((name) => !ours.written.includes(name)), []);
});

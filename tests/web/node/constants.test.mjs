// SPDX-License-Identifier: Apache-2.0
// presence.js's close codes and hello features are those of the C++ sources
// (include/presence/close_codes.h, src/protocol/hello_features.h): the same names for the
// same numbers and words, and no close code written as a bare number.
import assert from 'node:assert/strict';
import test from 'node:test';
import { closeCodes, helloFeatures, read } from './cpp_tables.mjs';

const js = read('web/presence.js');

const camel = (name) => name.replace(/[-_]([a-z])/g, (_, c) => c.toUpperCase());

// The entries of `const NAME = Object.freeze({ key: value, ... })`, values as written.
function frozenObject(name) {
  const found = new RegExp(`const ${name} = Object\\.freeze\\(\\{([\\s\\S]*?)\\}\\);`).exec(js);
  assert.ok(found, `${name} in presence.js`);
  return Object.fromEntries([...found[1].matchAll(/(\w+): ('[^']*'|\d+)/g)]
    .map(([, key, value]) => [key, value.startsWith("'") ? value.slice(1, -1) : Number(value)]));
}

// The FEATURE keys of `const NAME = Object.freeze([FEATURE.a, FEATURE.b])`.
function featureList(name) {
  const found = new RegExp(`const ${name} = Object\\.freeze\\(\\[([^\\]]*)\\]\\);`).exec(js);
  assert.ok(found, `${name} in presence.js`);
  return [...found[1].matchAll(/FEATURE\.(\w+)/g)].map(([, key]) => key);
}

test('the close codes of presence.js are those of close_codes.h, under the same names', () => {
  const cpp = closeCodes();
  for (const [name, code] of [['normal', 1000], ['going_away', 1001], ['abnormal', 1006], ['disconnected', 4000]]) {
    assert.equal(cpp[name], code, `${name} read from close_codes.h`);
  }
  const ours = frozenObject('CLOSE');
  assert.ok(Object.keys(ours).length > 0, 'CLOSE read from presence.js');
  const byCamelName = Object.fromEntries(Object.entries(cpp).map(([name, code]) => [camel(name), code]));
  for (const [name, code] of Object.entries(ours)) assert.equal(code, byCamelName[name], `CLOSE.${name}`);
});

test('presence.js writes no close code as a bare number', () => {
  const code = js.replace(/const CLOSE = Object\.freeze\(\{[\s\S]*?\}\);/, '')
    .replace(/\/\/.*$/gm, '');
  assert.deepEqual([...code.matchAll(/(?:close\(|code\s*[!=]==?\s*)(\d+)/g)].map(([found]) => found), []);
});

test('the close codes presence.d.ts mentions are those of close_codes.h', () => {
  const known = new Set(Object.values(closeCodes()));
  const mentioned = [...read('web/presence.d.ts').matchAll(/(?:code|with) (\d{4})\b/g)].map(([, code]) => Number(code));
  assert.ok(mentioned.includes(1006), `1006 read from presence.d.ts: ${mentioned}`);
  assert.deepEqual(mentioned.filter((code) => !known.has(code)), []);
});

test('the hello features of presence.js are those of hello_features.h, asked the same way', () => {
  const cpp = helloFeatures();
  assert.deepEqual(cpp.find((f) => f.name === 'diffs'),
    { name: 'diffs', offered: 'when_named', canBeOff: true, asked: 'by_option' }, 'diffs read from hello_features.h');
  const feature = frozenObject('FEATURE');
  for (const [key, name] of Object.entries(feature)) assert.equal(key, camel(name), `FEATURE.${key} is '${name}'`);
  const named = (asked) => cpp.filter((f) => f.asked === asked).map((f) => camel(f.name));
  assert.deepEqual(featureList('HELLO_ALWAYS'), named('always'));
  assert.deepEqual(featureList('HELLO_BY_OPTION'), named('by_option'));
  const unknown = Object.values(feature).filter((name) => !cpp.some((f) => f.name === name));
  assert.deepEqual(unknown, []);
});

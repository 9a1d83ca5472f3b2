// SPDX-License-Identifier: Apache-2.0
// The protocol's constants as the C++ sources define them, read from the sources: the close
// codes of include/presence/close_codes.h and the hello features of
// src/protocol/hello_features.h (their names from src/protocol/message.h).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const read = (file) => readFileSync(path.join(root, file), 'utf8');

export const withoutComments = (source) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

// { name: code }, e.g. { normal: 1000, ... }.
export function closeCodes() {
  const header = withoutComments(read('include/presence/close_codes.h'));
  return Object.fromEntries([...header.matchAll(/constexpr unsigned short (\w+) = (\d+);/g)]
    .map(([, name, code]) => [name, Number(code)]));
}

// [{ name, offered, canBeOff, asked }] in the table's order, e.g.
// { name: 'resume', offered: 'to_all', canBeOff: true, asked: 'by_option' }.
export function helloFeatures() {
  const names = Object.fromEntries([...read('src/protocol/message.h')
    .matchAll(/constexpr std::string_view (\w+) = "([^"]*)";/g)].map(([, id, value]) => [id, value]));
  const table = withoutComments(read('src/protocol/hello_features.h'));
  return [...table.matchAll(/HelloFeature\{extension::(\w+), Offered::(\w+), (true|false), Asked::(\w+)\}/g)]
    .map(([, id, offered, canBeOff, asked]) => {
      assert.ok(id in names, `extension::${id} in message.h`);
      return { name: names[id], offered, canBeOff: canBeOff === 'true', asked };
    });
}

// SPDX-License-Identifier: Apache-2.0
// web/ as the npm package presence-client: its package.json, the version (the project's),
// what `npm pack` puts in the tarball, that the tarball imports by its name, and that the
// server serves the page and the client but not the package's own files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { PresenceClient } from '../../../web/presence.js';
import { serverFor } from './support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const web = path.join(root, 'web');
const manifest = JSON.parse(readFileSync(path.join(web, 'package.json'), 'utf8'));

function temporaryDir(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'presence-client-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the package\'s version is the project\'s, and the client says so', () => {
  const project = /project\(Presence VERSION ([0-9.]+)/.exec(readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8'));
  assert.ok(project, 'the version in CMakeLists.txt');
  assert.equal(manifest.version, project[1]);
  assert.equal(PresenceClient.version, project[1]);
});

test('package.json: an ES module with its types and no dependencies', () => {
  assert.equal(manifest.name, 'presence-client');
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.license, 'Apache-2.0');
  assert.equal(manifest.main, './presence.js');
  assert.equal(manifest.types, './presence.d.ts');
  assert.deepEqual(manifest.exports, { '.': { types: './presence.d.ts', default: './presence.js' } });
  for (const key of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies', 'scripts']) {
    assert.equal(manifest[key], undefined, key);
  }
});

test('npm pack puts the client, its types, the README and package.json in the tarball, nothing else', (t) => {
  const dir = temporaryDir(t);
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir],
    { cwd: web, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  assert.equal(packed.filename, `presence-client-${manifest.version}.tgz`);
  const tarball = path.join(dir, packed.filename);
  const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
  assert.deepEqual(listed, ['package/README.md', 'package/package.json', 'package/presence.d.ts', 'package/presence.js']);

  // Installed as npm would, it is imported by its name.
  const installed = path.join(dir, 'node_modules', 'presence-client');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  const version = execFileSync(process.execPath, ['--input-type=module', '-e',
    "import { PresenceClient } from 'presence-client'; process.stdout.write(PresenceClient.version);"],
  { cwd: dir, encoding: 'utf8' });
  assert.equal(version, manifest.version);
});

test('the server serves the page, the client and its types, not the package\'s own files', async (t) => {
  const server = await serverFor(t);
  const get = async (file) => (await fetch(`http://127.0.0.1:${server.port}/${file}`)).status;
  for (const file of ['', 'presence.js', 'presence.d.ts']) assert.equal(await get(file), 200, file);
  for (const file of ['package.json', 'README.md']) assert.equal(await get(file), 404, file);
});

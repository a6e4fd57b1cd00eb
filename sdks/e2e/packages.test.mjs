// The npm packages build with their metadata (npm pack --dry-run over the built dist/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = (name) => fileURLToPath(new URL(`../${name}/`, import.meta.url));

for (const [folder, name, extra] of [['node', '@sumeru/sdk', []], ['ingest', '@sumidata/sdk', ['dist/browser/sumidata.min.js']]]) {
  test(`npm pack: ${name}`, () => {
    const meta = JSON.parse(readFileSync(dir(folder) + 'package.json', 'utf8'));
    assert.equal(meta.name, name);
    assert.match(meta.version, /^\d+\.\d+\.\d+/);
    assert.equal(meta.license, 'Apache-2.0');
    assert.match(meta.repository.url, /^git\+https:/);
    assert.equal(meta.repository.directory, `sdks/${folder}`);
    assert.equal(meta.types, './dist/esm/index.d.ts');
    assert.equal(meta.exports['.'].require.types, './dist/cjs/index.d.ts');
    assert.equal(meta.engines.node, '>=18');
    assert.equal(meta.dependencies, undefined, 'no runtime dependencies');
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir(folder), encoding: 'utf8' }));
    const files = packed.files.map((f) => f.path);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', ...extra]) {
      assert.ok(files.includes(f), `${name} packs ${f}`);
    }
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'sources and tests stay out');
  });
}

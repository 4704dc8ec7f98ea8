import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCorePurity, checkSource } from './core-purity.ts';

const coreDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../core');
const scratch = mkdtempSync(path.join(tmpdir(), 'chronik-purity-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('core purity', () => {
  it('src/core touches no real I/O, time or randomness', () => {
    expect(checkCorePurity(coreDir)).toEqual([]);
  });

  it('fails when a forbidden import or global is added to a copy of src/core', () => {
    const copy = path.join(scratch, 'core');
    cpSync(coreDir, copy, { recursive: true });
    writeFileSync(
      path.join(copy, 'planted.ts'),
      [
        "import { readFileSync } from 'node:fs';",
        "import net from 'net';",
        'export const a = Date.now();',
        'export const b = Math.random();',
        'setTimeout(() => {}, 1);',
        'export const c = process.env;',
        'export const d = performance.now();',
        "export const e = await import('node:timers');",
      ].join('\n'),
    );
    const found = checkCorePurity(copy).filter((i) => i.file === 'planted.ts');
    expect(found.map((i) => i.what)).toEqual([
      "imports 'node:fs'",
      "imports 'net'",
      "uses global 'Date'",
      'uses Math.random',
      "uses global 'setTimeout'",
      "uses global 'process'",
      "uses global 'performance'",
      "imports 'node:timers'",
    ]);
  });

  /** A fresh copy of src/core with `text` added to `file` (a path inside it); the impurities in that file. */
  function plantInCopy(name: string, file: string, text: string) {
    const copy = path.join(scratch, name);
    cpSync(coreDir, copy, { recursive: true });
    const target = path.join(copy, file);
    writeFileSync(target, `${readFileSync(target, 'utf8')}\n${text}\n`);
    return checkCorePurity(copy);
  }

  it('fails when a core file imports the simulator through a path that leaves src/core', () => {
    const found = plantInCopy('core-io-sim', 'broker/produce.ts', "import { Simulation } from '../../io-sim/index.ts';\nexport const s = Simulation;");
    expect(found).toEqual([
      { file: path.join('broker', 'produce.ts'), line: expect.any(Number), what: "imports '../../io-sim/index.ts', outside src/core" },
    ]);
  });

  it('fails when a core file imports a dev dependency', () => {
    const found = plantInCopy('core-fast-check', 'log/segment.ts', "import fc from 'fast-check';\nexport const arbitrary = fc.nat();");
    expect(found).toEqual([{ file: path.join('log', 'segment.ts'), line: expect.any(Number), what: "imports 'fast-check', a dev dependency" }]);
  });

  it('catches every way of naming a module outside core, and leaves test files alone', () => {
    const text = [
      "export * from '../../testing/broker-harness.ts';",
      "export const m = await import('vitest');",
      "import ts = require('typescript');",
      "export type T = typeof import('fast-check');",
      "import type { Random } from '@types/seedrandom';",
      "import vite from 'vite';",
      "import { assert } from '../assert.ts';",
      "import { crc32c } from '@node-rs/crc32/index.js';",
    ].join('\n');
    expect(checkSource(path.join('broker', 'planted.ts'), `/// <reference types="vite/client" />\n${text}`).map((i) => i.what)).toEqual([
      "imports 'vite/client', not a dependency in package.json",
      "imports '../../testing/broker-harness.ts', outside src/core",
      "imports 'vitest', a dev dependency",
      "imports 'typescript', a dev dependency",
      "imports 'fast-check', a dev dependency",
      "imports '@types/seedrandom', a dev dependency",
      "imports 'vite', not a dependency in package.json",
    ]);
    const copy = path.join(scratch, 'core-test-file');
    cpSync(coreDir, copy, { recursive: true });
    writeFileSync(path.join(copy, 'log', 'planted.test.ts'), "import fc from 'fast-check';\nimport '../../io-sim/index.ts';\n");
    expect(checkCorePurity(copy)).toEqual([]);
  });

  it('does not flag properties, declarations or text that merely share a forbidden name', () => {
    const text = [
      '// Date.now() and process are mentioned in a comment',
      "const s = 'setTimeout(Math.random())';",
      'const o = { process: 1, Date: 2 };',
      'export function f(x: { performance: number }) { return x.performance + o.process + o.Date; }',
      "import { crc32c } from '@node-rs/crc32';",
    ].join('\n');
    expect(checkSource('ok.ts', text)).toEqual([]);
  });
});

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokerMallocEnv, brokerNodeFlags } from './process-tuning.ts';

const repo = new URL('../../', import.meta.url);
const expected = [...Object.entries(brokerMallocEnv).map(([k, v]) => `${k}=${v}`), 'node', ...brokerNodeFlags].join(' ');

describe('a broker process starts the same way everywhere', () => {
  it('npm start sets what process-tuning.ts says', () => {
    const scripts = JSON.parse(readFileSync(new URL('package.json', repo), 'utf8')).scripts as Record<string, string>;
    expect(scripts.start!.startsWith(`${expected} --import tsx `)).toBe(true);
  });

  it("the chronik executable's first line sets it too", () => {
    const first = readFileSync(new URL('src/cli/chronik.js', repo), 'utf8').split('\n')[0];
    expect(first).toBe(`#!/usr/bin/env -S ${expected}`);
  });

  it('keeps the malloc thresholds in the range glibc takes (mallopt(3): at most 32 MiB on 64-bit)', () => {
    expect(Number(brokerMallocEnv.MALLOC_MMAP_THRESHOLD_)).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(Number(brokerMallocEnv.MALLOC_TRIM_THRESHOLD_)).toBeGreaterThan(Number(brokerMallocEnv.MALLOC_MMAP_THRESHOLD_));
  });
});

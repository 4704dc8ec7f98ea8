/**
 * Runs every property test under several fast-check seeds and reports each failure with the
 * command that replays it.
 *
 *   npx tsx src/tools/property-seeds.ts                  # seeds 1..20, every property test
 *   npx tsx src/tools/property-seeds.ts --seeds 21..40
 *   npx tsx src/tools/property-seeds.ts --seeds 7,-1590709538 src/core/group
 *
 * Property tests are the `*.prop.test.ts` files plus any other test file that calls fc.assert or
 * fc.check; positional arguments narrow them to paths containing one of the given strings. Each
 * seed is one `vitest run` with FC_SEED set (see fast-check-seed.ts, the vitest setup file that
 * hands it to fc.configureGlobal). Exits 1 if any test failed under any seed, 2 on a usage error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const roots = ['src', 'sim', 'chaos'];
const seedsDefault = '1..20';
const seedCountMax = 1000;

interface Failure {
  readonly seed: number;
  readonly file: string;
  readonly test: string;
  readonly message: string;
}

export function parseSeeds(text: string): number[] | string {
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(text);
  if (range !== null) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (to < from) return `--seeds ${text}: the range ends before it starts`;
    if (to - from + 1 > seedCountMax) return `--seeds ${text}: at most ${seedCountMax} seeds`;
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  const list = text.split(',');
  if (list.every((s) => /^-?\d+$/.test(s))) return list.map(Number);
  return `--seeds ${text}: expected a range a..b or a list a,b,c of integers`;
}

function testFiles(dir: string): string[] {
  let found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found = found.concat(entry.name === 'node_modules' ? [] : testFiles(path));
    else if (entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

export function propertyTestFiles(filters: readonly string[]): string[] {
  const all = roots.flatMap((root) => testFiles(root)).sort();
  const properties = all.filter((f) => f.endsWith('.prop.test.ts') || /\bfc\.(assert|check)\(/.test(readFileSync(f, 'utf8')));
  return filters.length === 0 ? properties : properties.filter((f) => filters.some((s) => f.includes(s)));
}

interface JsonReport {
  numTotalTests: number;
  numFailedTests: number;
  testResults: { name: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

function runSeed(seed: number, files: readonly string[], outDir: string): { failures: Failure[]; total: number } {
  const outputFile = join(outDir, `seed-${seed}.json`);
  const result = spawnSync('npx', ['vitest', 'run', ...files, '--reporter=json', `--outputFile=${outputFile}`], {
    env: { ...process.env, FC_SEED: String(seed) },
    encoding: 'utf8',
  });
  let report: JsonReport;
  try {
    report = JSON.parse(readFileSync(outputFile, 'utf8')) as JsonReport;
  } catch {
    const message = `vitest exited ${result.status} without a report:\n${result.stderr.slice(-2000)}`;
    return { failures: [{ seed, file: '(all)', test: '(run)', message }], total: 0 };
  }
  const failures: Failure[] = [];
  for (const file of report.testResults) {
    const name = relative(process.cwd(), file.name);
    if (file.assertionResults.length === 0 && file.message) failures.push({ seed, file: name, test: '(file)', message: file.message });
    for (const test of file.assertionResults) {
      if (test.status !== 'failed') continue;
      failures.push({ seed, file: name, test: test.fullName, message: test.failureMessages.join('\n') });
    }
  }
  return { failures, total: report.numTotalTests };
}

function firstLines(text: string, count: number): string {
  return text.split('\n').slice(0, count).map((l) => `      ${l}`).join('\n');
}

function main(argv: readonly string[]): number {
  let seedsText = seedsDefault;
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--seeds') {
      const value = argv[++i];
      if (value === undefined) return usage('--seeds needs a value, e.g. 1..20');
      seedsText = value;
    } else if (arg.startsWith('-')) return usage(`unknown option ${arg}`);
    else filters.push(arg);
  }
  const seeds = parseSeeds(seedsText);
  if (typeof seeds === 'string') return usage(seeds);
  const files = propertyTestFiles(filters);
  if (files.length === 0) return usage(`no property test file matches ${filters.join(', ')}`);
  process.stdout.write(`${files.length} property test files, seeds ${seedsText}:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  const outDir = mkdtempSync(join(tmpdir(), 'property-seeds-'));
  const failures: Failure[] = [];
  try {
    for (const seed of seeds) {
      const run = runSeed(seed, files, outDir);
      failures.push(...run.failures);
      process.stdout.write(`seed ${seed}: ${run.total - run.failures.length} passed, ${run.failures.length} failed\n`);
      for (const f of run.failures) {
        process.stdout.write(`    ${f.file} > ${f.test}\n${firstLines(f.message, 4)}\n`);
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${seeds.length} seeds, ${failures.length} failures\n`);
  for (const f of failures) process.stdout.write(`  FC_SEED=${f.seed} npx vitest run ${f.file} -t ${JSON.stringify(f.test)}\n`);
  return failures.length === 0 ? 0 : 1;
}

function usage(message: string): number {
  process.stderr.write(`property-seeds: ${message}\nusage: npx tsx src/tools/property-seeds.ts [--seeds a..b | --seeds a,b,c] [path-filter...]\n`);
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) process.exitCode = main(process.argv.slice(2));

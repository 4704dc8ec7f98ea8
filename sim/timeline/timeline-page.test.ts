import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runOne, runWithTimeline } from '../runner.ts';
import { renderTimelinePage } from './page.ts';

/**
 * The page of `sim --html`, opened in headless Chromium (Debian's `chromium`, installed by .ci/run):
 * what it shows once its script ran, against the run's own trace file. A failing run (a planted
 * bug) so that findings show too. Without chromium this test fails: it never skips.
 */

/** Chromium's own start takes about 6 s on the shared 2-core machine; 20x that. */
const chromiumTimeoutMs = 120_000;

function findChromium(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** The page's DOM after its scripts ran, as Chromium serializes it. */
function dumpDom(chromium: string, file: string, profileDir: string): Promise<string> {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${profileDir}`, '--dump-dom', pathToFileURL(file).href];
  return new Promise((resolve, reject) => {
    execFile(chromium, args, { timeout: chromiumTimeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`chromium --dump-dom failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** The start tags of `tag` elements whose class list has `className`, as attribute maps. */
function elements(dom: string, tag: string, className: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  for (const match of dom.matchAll(new RegExp(`<${tag}\\s([^>]*)>`, 'g'))) {
    const attrs: Record<string, string> = {};
    for (const a of match[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    if ((attrs.class ?? '').split(' ').includes(className)) found.push(attrs);
  }
  return found;
}

const distinct = (items: Record<string, string>[], key: string): number => new Set(items.map((i) => i[key])).size;

const dir = mkdtempSync(path.join(tmpdir(), 'sim-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sim --html: the timeline page in a browser', () => {
  it('shows a lane per node, every injected fault, the roles, the clients and where the run failed', async () => {
    const chromium = findChromium();
    if (chromium === null) {
      throw new Error('chromium is not on PATH: this test opens the sim --html page in headless Chromium. Install Debian\'s chromium (apt-get install chromium; .ci/run installs it)');
    }
    // A leader whose high watermark ignores its followers: caught at seed 1 while the run goes on.
    const request = { scenario: 'cluster', seed: 1, plantedBugs: { replication: { hwIgnoresFollowers: true } }, traceFile: path.join(dir, 'trace.jsonl') };
    const { outcome, timeline } = await runWithTimeline(request);
    expect(outcome.ok).toBe(false);
    const pageFile = path.join(dir, 'timeline.html');
    const page = renderTimelinePage(timeline);
    writeFileSync(pageFile, page);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//); // self-contained

    const trace = readFileSync(request.traceFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: string; node: string | null; stopped?: number });
    const count = (event: string, where: (line: (typeof trace)[number]) => boolean = () => true): number => trace.filter((l) => l.event === event && where(l)).length;
    const faultCounts: Record<string, number> = {};
    for (const line of trace) if (line.event.startsWith('Fault')) faultCounts[line.event] = (faultCounts[line.event] ?? 0) + 1;

    const startedMs = performance.now();
    const dom = await dumpDom(chromium, pageFile, path.join(dir, 'profile'));
    console.log(`chromium --dump-dom: ${Math.round(performance.now() - startedMs)} ms for a page of ${Math.round(page.length / 1024)} KiB`);
    expect(/data-script-error="([^"]*)"/.exec(dom)?.[1] ?? null, 'the drawing script failed').toBeNull();
    expect(dom).toContain('data-drawn="true"'); // the drawing script ran to its end

    // The header.
    expect(dom).toMatch(/<span id="verdict" class="verdict-FAIL">FAIL<\/span>/);
    expect(dom).toContain(`<dd id="seed">1</dd>`);
    expect(dom).toContain(`<dd id="scenario">cluster</dd>`);
    expect(dom).toContain(`<dd id="trace-hash">${outcome.traceHash}</dd>`);

    // One lane per node, then the clients.
    const lanes = elements(dom, 'g', 'lane');
    expect(lanes.filter((l) => l['data-client'] === 'false').map((l) => l['data-lane'])).toEqual(['n1', 'n2', 'n3']);
    expect(lanes.filter((l) => l['data-client'] === 'true').map((l) => l['data-lane'])).toEqual(expect.arrayContaining(['p1', 'i1', 'i2', 'c1']));

    // Every injected fault: a down band per crash and per completed graceful stop, a band per
    // partition, a mark per connection reset, and the count of every kind.
    const bands = elements(dom, 'rect', 'band');
    const downBands = bands.filter((b) => b['data-kind'] === 'down');
    expect(downBands.length).toBe(count('FaultCrash') + count('FaultStopEnded', (l) => l.stopped === 1));
    expect(downBands.length).toBeGreaterThan(0);
    expect(bands.filter((b) => b['data-kind'] === 'stopping').length).toBe(count('FaultStopStarted'));
    expect(bands.filter((b) => b['data-kind'] === 'partition').length).toBe(count('FaultPartition'));
    expect(distinct(elements(dom, 'g', 'mark').filter((m) => m['data-kind'] === 'conn-reset'), 'data-fault')).toBe(count('FaultConnReset'));
    const table = [...dom.matchAll(/<tr data-fault-kind="(\w+)"><td>\w+<\/td><td class="count">(\d+)<\/td><\/tr>/g)];
    expect(Object.fromEntries(table.map((m) => [m[1]!, Number(m[2])]))).toEqual(faultCounts);

    // Roles over time: Raft terms and partition leaders, with log end offsets and high watermarks.
    const segments = elements(dom, 'rect', 'seg');
    expect(segments.some((s) => s['data-role'] === 'leader')).toBe(true);
    for (const node of ['n1', 'n2', 'n3']) expect(dom).toMatch(new RegExp(`data-lane="${node}"[^]*?data-track="raft"`));
    expect(elements(dom, 'path', 'series').map((s) => s['data-series'])).toEqual(expect.arrayContaining(['leo', 'hw']));

    // The clients' produce requests and their answers.
    const p1 = elements(dom, 'g', 'ops').find((s) => s['data-process'] === 'p1' && s['data-kind'] === 'produce');
    expect(Number(p1?.['data-sent'])).toBeGreaterThan(0);
    expect(Number(p1?.['data-ok'])).toBeGreaterThan(0);
    expect(elements(dom, 'rect', 'op-ok').length).toBeGreaterThan(0);

    // Where the run failed: a marker per failure, at the time it was found, inside the run.
    const findings = elements(dom, 'line', 'finding');
    expect(findings.length).toBe(outcome.failures.length);
    const firstAtMs = Math.min(...findings.map((f) => Number(f['data-at'])));
    expect(firstAtMs).toBeGreaterThan(0);
    expect(firstAtMs).toBeLessThan(outcome.virtualMs);
    expect(elements(dom, 'li', 'finding-item').length).toBe(outcome.failures.length);

    // Recording looked only: the same run without it has the same trace hash.
    expect((await runOne(request)).traceHash).toBe(outcome.traceHash);
  });
});

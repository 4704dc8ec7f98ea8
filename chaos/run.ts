/**
 * `npm run chaos [-- <scenario>...]`: runs the real-process chaos scenarios (chaos/scenarios/) one
 * after another and prints a table: scenario, operations, acked, lost, duplicates, verdict. `--list`
 * names them. Exits 1 when a verdict is not the expected one (every real scenario must pass; every
 * planted twin must FAIL with a finding of its bug, never ERROR). See docs/chaos.md.
 */
import { ChaosCluster } from './scenarios/chaos-cluster.ts';
import { runScenario, scenarios, type ScenarioRow } from './scenarios/scenarios.ts';

// A runner that dies (Ctrl-C, a crash) must not leave brokers behind: kill the ones it started, by PID.
const killStarted = (): void => ChaosCluster.live.forEach((c) => c.killAll());
process.on('exit', killStarted);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const s of scenarios) console.log(`${s.name.padEnd(36)} ${s.description}`);
  process.exit(0);
}
const unknown = args.filter((a) => !scenarios.some((s) => s.name === a));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; npm run chaos -- --list names them`);
  process.exit(2);
}
const chosen = args.length === 0 ? scenarios : scenarios.filter((s) => args.includes(s.name));
const rows: ScenarioRow[] = [];
for (const scenario of chosen) {
  console.log(`running ${scenario.name}: ${scenario.description}`);
  const row = await runScenario(scenario, (line) => console.log(`  ${line}`));
  rows.push(row);
  console.log(`  ${row.verdict}${row.asExpected ? '' : ' (unexpected)'} in ${row.seconds} s; ${row.notes.slice(0, 8).join('\n  ')}`);
}
console.log('');
console.log(table(rows));
process.exit(rows.every((r) => r.asExpected) ? 0 : 1);

/** pass; FAIL (caught: lost-write) for a planted bug caught; anything else marked UNEXPECTED, with what was found. */
function verdictText(r: ScenarioRow): string {
  const found = r.found.length > 0 ? `: ${r.found.join(', ')}` : '';
  if (!r.asExpected) return `${r.verdict} (UNEXPECTED${found})`;
  return r.verdict === 'FAIL' ? `FAIL (caught${found})` : r.verdict;
}

function table(rows: readonly ScenarioRow[]): string {
  const header = ['scenario', 'operations', 'acked', 'lost', 'duplicates', 'verdict', 'seconds'];
  const lines = rows.map((r) => [r.scenario, String(r.operations), String(r.acked), String(r.lost), String(r.duplicates), verdictText(r), String(r.seconds)]);
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

import { runOne } from './runner.ts';
const bugs: Record<string, any> = {
  reorder: { broker: { reorderResponses: true } },
  drop2nd: { broker: { dropSecondFrameOfRead: true } },
  stopflush: { broker: { stopSkipsFlush: true } },
  retrysync: { log: { retryFailedSync: true } },
  none: undefined,
};
async function main() {
const which = process.argv[2]!;
const n = Number(process.argv[3] ?? 20);
let caught = 0;
for (let seed = 1; seed <= n; seed++) {
  const o = await runOne({ scenario: 'single-node', seed, plantedBugs: bugs[which] });
  if (!o.ok) caught++;
  console.log(which, seed, o.ok ? 'pass' : 'FAIL ' + o.failures.slice(0, 2).join(' || ').slice(0, 300), 'stops', o.summary['stops'], o.summary['powerLossesAfterStop']);
}
console.log(which, 'caught', caught, 'of', n);
}
void main();

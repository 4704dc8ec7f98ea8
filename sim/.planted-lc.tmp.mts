import { runOne } from './runner.ts';
async function main() {
  const n = Number(process.argv[2] ?? 40);
  let caught = 0;
  for (let seed = 1; seed <= n; seed++) {
    const o = await runOne({ scenario: 'log-crash', seed, plantedBugs: { log: { recoverySkipsCrc: true } } });
    if (!o.ok) { caught++; console.log(seed, 'FAIL', o.failures.slice(0, 2).join(' || ').slice(0, 250)); }
  }
  console.log('caught', caught, 'of', n);
}
void main();

import { runOne } from './sim/runner.ts';
const caught: string[] = [];
const [from, to] = [Number(process.argv[2]), Number(process.argv[3])];
for (let seed = from; seed <= to; seed++) {
  const o = await runOne({ scenario: 'cluster', seed, nodes: 3, plantedBugs: JSON.parse(process.argv[4]!) } as never);
  if (!o.ok) caught.push(`${seed}: ${o.failures[0]?.slice(0, 160)}`);
}
console.log(caught.length, `of ${from}..${to}`); console.log(caught.join('\n'));

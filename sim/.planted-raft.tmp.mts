import { firstFailingSeed } from './runner.ts';
import { runRaftScenario } from './scenarios/raft.ts';
import { Simulation } from '../src/io-sim/index.ts';
async function main() {
  const nodes = Number(process.argv[2] ?? 3);
  const from = Number(process.argv[3] ?? 1), n = Number(process.argv[4] ?? 100);
  let caught = 0;
  for (let seed = from; seed < from + n; seed++) {
    const sim = new Simulation({ seed });
    const r = await runRaftScenario(sim, { nodes, hooks: { commitOlderTermsByCount: true } });
    if (!r.ok) { caught++; console.log(seed, r.failures[0]?.slice(0, 200)); }
  }
  console.log('nodes', nodes, 'caught', caught, 'of', n);
}
void main();

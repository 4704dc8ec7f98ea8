import { Simulation } from '../src/io-sim/index.ts';
import { findScenario } from './scenarios/index.ts';
async function main() {
  const from = Number(process.argv[2]), n = Number(process.argv[3]), buggify = process.argv[4] === 'on';
  const kinds = ['replicas-diverge', 'lost-write', 'read-truncated', 'inconsistent-offset'];
  const cluster = findScenario('cluster')!;
  let caught = 0;
  for (let seed = from; seed < from + n; seed++) {
    const sim = new Simulation({ seed, plantedBugs: { controller: { restartKeepsLeadership: true } }, ...(buggify ? {} : { buggify: false }) });
    const r = await cluster.run(sim, { nodes: 3 });
    const f = [...r.failures, ...sim.failed].filter((x) => kinds.some((k) => x.startsWith(`${k}: `)) || /below the follower's high watermark/.test(x));
    if (f.length > 0) { caught++; console.log(seed, f[0]!.slice(0, 150)); }
  }
  console.log('buggify', buggify, 'caught', caught, 'of', n, 'from', from);
}
void main();

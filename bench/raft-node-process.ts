/**
 * One controller voter as its own process, for bench/raft.ts: a ControllerNode on the real Io (files
 * under --dir, TCP on loopback, real fsync), driven by JSON lines on stdin, answering on stdout.
 *
 *   {"cmd":"status"}                                  -> {"role":"leader","leader":1}
 *   {"cmd":"proposals","count":N,"concurrency":C}     -> {"ms":..., "ok":N}
 *   {"cmd":"topics","count":N,"concurrency":C,"prefix":"p"} -> {"ms":..., "ok":N}
 *   {"cmd":"stop"}
 */
import { createInterface } from 'node:readline';
import { nullLog } from '../src/core/io/log.ts';
import { ControllerNode, parseVoters } from '../src/core/metadata/controller-node.ts';
import { realIo } from '../src/io-real/index.ts';

function arg(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

async function inFlight(count: number, concurrency: number, one: (i: number) => Promise<boolean>): Promise<{ ms: number; ok: number }> {
  const started = performance.now();
  let next = 0;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      if (await one(i)) ok++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { ms: performance.now() - started, ok };
}

const node = await ControllerNode.start(realIo({ dataDir: arg('dir'), log: nullLog }), {
  nodeId: Number(arg('id')),
  voters: parseVoters(arg('voters')),
});
const out = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
out({ ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { cmd: string; count?: number; concurrency?: number; prefix?: string };
  if (cmd.cmd === 'status') out({ role: node.raft.role(), leader: node.raft.leader() });
  if (cmd.cmd === 'proposals') {
    out(await inFlight(cmd.count ?? 0, cmd.concurrency ?? 1, (i) =>
      node.propose({ type: 'RegisterBroker', brokerId: 1000 + (i % 1000), host: 'bench', port: i % 65535 || 1 }).then(() => true, () => false),
    ));
  }
  if (cmd.cmd === 'topics') {
    out(await inFlight(cmd.count ?? 0, cmd.concurrency ?? 1, async (i) => {
      const [r] = await node.controller.createTopics([{ name: `${cmd.prefix ?? 't'}-${i}`, numPartitions: 1, replicationFactor: 1 }]);
      return r?.errorCode === 0;
    }));
  }
  if (cmd.cmd === 'stop') {
    await node.stop();
    process.exit(0);
  }
}

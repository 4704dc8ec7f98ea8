#!/usr/bin/env -S node --initial-old-space-size=256
// The `chronik` executable: loads tsx so the TypeScript sources run as they are, then the CLI.
// --initial-old-space-size=256: a broker keeps each request's bytes until its fsync, which with V8's
// small default old-generation limit meant a 7-26 ms mark-compact every few hundred ms under load;
// starting the old generation at 256 MB removed them (docs/benchmarks.md). `npm start` passes it too.
import { register } from 'tsx/esm/api';

register();
// The client commands (topics, groups, produce, consume) need neither the simulator nor the broker:
// their own program costs about 40% less CPU to start (client-commands.ts).
const { clientCommandNames, buildClientProgram } = await import('./client-commands.ts');
const buildProgram = clientCommandNames.includes(process.argv[2]) ? buildClientProgram : (await import('./main.ts')).buildProgram;
buildProgram()
  .parseAsync(process.argv)
  .catch((error) => {
    console.error(`chronik: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  });

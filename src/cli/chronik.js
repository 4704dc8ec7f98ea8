#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456 node --initial-old-space-size=256
// The `chronik` executable: loads tsx so the TypeScript sources run as they are, then the CLI.
// The first line starts node as every broker is started: src/cli/process-tuning.ts says why.
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

#!/usr/bin/env node
// The `chronik` executable: loads tsx so the TypeScript sources run as they are, then the CLI.
import { register } from 'tsx/esm/api';

register();
const { buildProgram } = await import('./main.ts');
buildProgram()
  .parseAsync(process.argv)
  .catch((error) => {
    console.error(`chronik: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  });

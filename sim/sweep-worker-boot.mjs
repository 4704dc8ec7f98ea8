// The entry of a sweep's worker thread (sim/sweep-pool.ts). Plain JavaScript, so that a worker
// started from any host (`npm run sim` under tsx, the `chronik` executable, vitest) registers tsx
// itself before it loads the TypeScript of the runner.
import { register } from 'tsx/esm/api';

register();
await import('./sweep-worker.ts');

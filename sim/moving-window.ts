import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A window of seeds that moves with every commit. The fixed sweeps in `npm test` cover the same
 * seeds on every run and find nothing new after the first; this window starts somewhere new for each
 * commit (derived from its hash), so seeds nobody has tried are swept on every landing, and the same
 * commit always sweeps the same window (a failure reproduces from the printed range).
 *
 * CHRONIK_SEED_WINDOW=N sets the window's first seed by hand. Without git (an unpacked tarball), the
 * window comes from the date.
 */
export interface SeedWindow {
  first: number;
  /** Where `first` came from: a commit, the environment or the date. */
  from: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Seeds of the window start at or above this, clear of the fixed sweeps and the long hand sweeps. */
const windowBase = 100_000_000;
const windowSpan = 900_000_000;

export function movingSeedWindow(): SeedWindow {
  const given = process.env['CHRONIK_SEED_WINDOW'];
  if (given !== undefined && given !== '') {
    const first = Number(given);
    if (!Number.isSafeInteger(first) || first < 0) throw new Error(`CHRONIK_SEED_WINDOW must be a non-negative integer, not '${given}'`);
    return { first, from: 'CHRONIK_SEED_WINDOW' };
  }
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = null;
  }
  if (commit !== null && /^[0-9a-f]{40}$/.test(commit)) {
    return { first: windowBase + (parseInt(commit.slice(0, 8), 16) % windowSpan), from: `commit ${commit.slice(0, 12)}` };
  }
  const day = new Date().toISOString().slice(0, 10);
  return { first: windowBase + (Number(day.replaceAll('-', '')) % windowSpan), from: `date ${day}` };
}

/**
 * Exit codes of `chronik sim`: every seed passed, a seed failed, the flags make no sense, a sweep
 * stopped by Ctrl-C (128 + SIGINT, as a shell reports a process killed by it).
 */
export const simExitCode = { pass: 0, fail: 1, usage: 2, interrupted: 130 } as const;

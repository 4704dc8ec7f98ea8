/** Exit codes of `chronik sim`: every seed passed, a seed failed, the flags make no sense. */
export const simExitCode = { pass: 0, fail: 1, usage: 2 } as const;

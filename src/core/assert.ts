/**
 * Assertions for programmer errors: they crash, and are never caught. Operating errors (a full disk,
 * a reset connection, a bad request) are error values instead.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion failed: ${message}`);
}

/**
 * The failure branch of an assertion whose message costs something to build (a template with
 * numbers, a join): `if (!condition) assertionFailed(\`...\`)` builds it only when it fails, which
 * matters on paths run for every event or message (`assert(c, \`...\`)` builds it every time).
 */
export function assertionFailed(message: string): never {
  throw new AssertionError(`assertion failed: ${message}`);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}

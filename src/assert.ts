// Programmer-error assertions: invariants that hold unless the code itself is wrong.
// They stay on in production (the checks are cheap and never on the per-tick path
// unless a comment says why).

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`invariant violated: ${message}`);
}

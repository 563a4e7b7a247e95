// Code generation for the hot paths: field tables are compiled once, at load, into
// straight-line functions (codec.ts, read/columns.ts). The one place tickrec calls the
// Function constructor; the generated source is built only from tickrec's own tables.

/** Compiles `body` as a function of `params` and calls it with `args`; returns what it returns. */
export function compileFunction<T>(params: readonly string[], body: string, ...args: unknown[]): T {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate: see the file's header
  const factory = new Function(...params, body) as (...a: unknown[]) => T;
  return factory(...args);
}

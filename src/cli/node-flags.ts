// The Node/V8 flags tickrec runs with. Written out in two more places that cannot import
// this module: the shebang of src/cli/main.ts (the `tickrec` bin, through `env -S`) and
// the `start` script of package.json. test/cli/node-flags.test.ts holds the three equal.
//
// --initial-heap-size=128 (MB). Why: V8 counts external memory allocated since its last
// mark-compact (ArrayBuffers: the websocket's socket reads and frame buffers; every
// mapping mmap-io hands out) against the old generation's allocation limit. The
// recorder's own heap is small (about 16 MB live) and its hot path allocates almost
// nothing on it, so scavenges are rare, external bytes pile up between them, and with
// V8's default limit (about 39 MB for a 16 MB heap) a full mark-compact started every
// 40-150 ms under load: about 50 per million ticks, about 19% of the recorder's CPU
// (perf). With an initial heap of 128 MB the limit has room for that churn: 14 mark-
// compacts per million ticks, all of them from file growth (mappings released at the
// next mark-compact), and 18% more messages/s end to end (docs/benchmarks.md).
// The cost: up to about 128 MB of garbage may wait for a collection, so the resident
// size can be that much higher than without the flag.
//
// V8 reads it only when the heap is set up, and Node does not accept it in NODE_OPTIONS,
// so it has to be on the command line; `tickrec record` logs a notice when it is not.

/** The flags, in the order the launchers write them. */
export const NODE_FLAGS: readonly string[] = ['--initial-heap-size=128'];

/** The flags of NODE_FLAGS that this process was not started with. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return NODE_FLAGS.filter((f) => !execArgv.includes(f));
}

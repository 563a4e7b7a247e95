// The JS half of the FAULT GUARD (native/fs/src/fault.c): every mapping tickrec makes is
// registered, so that a SIGBUS inside it (the file was truncated under us) becomes a
// counted fault instead of the death of the process, and the owner of the mapping turns
// it into E_TRUNCATED naming the file.
//
// Cost on the hot path: `faultEpoch()` is one load from an Int32Array; the writer and
// the readers compare it after each append or poll and look closer only when it moved.
// Without the addon (not built), mappings are unguarded and `guardStatus()` says so:
// a truncated live file then kills the process with SIGBUS, as it did before.

import { createRequire } from 'node:module';
import { FS_ADDON_PATH } from './fallocate.js';

interface FaultAddon {
  register(buf: Buffer): number;
  unregister(id: number): void;
  faultsOf(id: number): number;
  counters(): ArrayBuffer;
}

let addon: FaultAddon | null | undefined;
let reason = '';
/** [0]: faults turned into zero pages in this process (written by the signal handler). */
let counters: Int32Array = new Int32Array(1);

function load(): FaultAddon | null {
  if (addon !== undefined) return addon;
  if (process.env.TICKREC_FAULT_GUARD === '0') {
    reason = 'TICKREC_FAULT_GUARD=0';
    return (addon = null);
  }
  try {
    const a = createRequire(import.meta.url)(FS_ADDON_PATH) as Partial<FaultAddon>;
    if (typeof a.register !== 'function' || typeof a.counters !== 'function') {
      reason = `${FS_ADDON_PATH} has no fault guard (built from an older tickrec); rebuild it: npx node-gyp rebuild --directory=native/fs`;
      return (addon = null);
    }
    addon = a as FaultAddon;
    counters = new Int32Array(addon.counters());
  } catch (err) {
    reason = `${FS_ADDON_PATH} not loaded (${(err as Error).message.split('\n')[0]}); \`npm install\` builds it`;
    addon = null;
  }
  return addon;
}

/** Whether mappings are guarded against SIGBUS, and if not, why. */
export function guardStatus(): { available: boolean; reason: string } {
  const a = load();
  return { available: a !== null, reason: a !== null ? 'SIGBUS guard through native/fs' : reason };
}

/** Registers a mapping; returns its guard id, or -1 when there is no guard. */
export function guardMapping(buf: Buffer): number {
  const a = load();
  return a === null ? -1 : a.register(buf);
}

/** Faults of the process so far: compare with an earlier value (a plain memory load). */
export function faultEpoch(): number {
  return counters[0]!;
}

/** Faults counted on a guarded mapping (id from guardMapping; 0 for -1). */
export function faultsOf(id: number): number {
  return id < 0 || !addon ? 0 : addon.faultsOf(id);
}

/** Stops guarding a mapping (it is being given up). */
export function unguardMapping(id: number): void {
  if (id >= 0 && addon) addon.unregister(id);
}

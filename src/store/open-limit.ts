// How many real-time files the recorder may keep mapped at once when the configuration
// says `storage.max_open_files: "auto"` (the default): what this process's limits allow.
//
// Each open writer holds one file descriptor and one or two mappings (a grown file's old
// mapping lives until the garbage collector drops it). So the bound is the smaller of
//   - the open-file limit (Node raises its soft RLIMIT_NOFILE to the hard one at start),
//     less FD_RESERVE for sockets, readers' files, logs and the HTTP side;
//   - half of vm.max_map_count, less MAP_RESERVE for the heap, libraries and threads.
// A whole-market CTP session (futures and options, 10,000+ codes, each with tick, min1
// and min5 files) needs more than a fixed 4,096; with the common limits (1,048,576 fds,
// 65,530 maps) this gives 31,741. Beyond the bound, the least recently written file is
// closed and reopened on its next record at O(1) cost (writer-pool.ts, EVICTION).

import fs from 'node:fs';

/** File descriptors kept for everything that is not a mapped real-time file. */
export const FD_RESERVE = 2048;
/** Mappings kept for the heap, shared libraries, thread stacks and readers. */
export const MAP_RESERVE = 2048;
/** Never fewer than this many open files, whatever the limits read. */
export const OPEN_FILES_FLOOR = 64;

export interface ProcessLimits {
  /** Soft limit of open files, or undefined when unknown. */
  openFiles: number | undefined;
  /** vm.max_map_count, or undefined when unknown. */
  maxMapCount: number | undefined;
}

/** This process's limits, read from /proc (Linux); unknown elsewhere. */
export function readProcessLimits(): ProcessLimits {
  return { openFiles: readOpenFiles(), maxMapCount: readNumber('/proc/sys/vm/max_map_count') };
}

/** The `auto` value of storage.max_open_files for these limits. */
export function autoMaxOpenFiles(limits: ProcessLimits): number {
  const byFds = limits.openFiles === undefined ? 4096 : limits.openFiles - FD_RESERVE;
  const byMaps = limits.maxMapCount === undefined ? 30_000 : Math.floor((limits.maxMapCount - MAP_RESERVE) / 2);
  return Math.max(OPEN_FILES_FLOOR, Math.min(byFds, byMaps));
}

function readOpenFiles(): number | undefined {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

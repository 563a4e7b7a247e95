// Temporary folders for tests, plus small file helpers (raw header access, fds and mappings of this process).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Mem, RT_HEADER_BYTES, TICK_KIND, readRtHeader, writeRtHeader, type RtHeader } from '../../src/format/index.js';

const made: string[] = [];

export function makeTempDir(prefix = 'tickrec-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** The 24-byte header of an RT file as it is on disk. */
export function diskHeader(file: string): RtHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(RT_HEADER_BYTES);
    fs.readSync(fd, b, 0, RT_HEADER_BYTES, 0);
    return readRtHeader(b);
  } finally {
    fs.closeSync(fd);
  }
}

/** Rewrites fields of the on-disk header with plain writes. */
export function patchHeader(file: string, patch: Partial<RtHeader>): void {
  const h = { ...diskHeader(file), ...patch };
  const b = Buffer.alloc(RT_HEADER_BYTES);
  writeRtHeader(b, h);
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, b, 0, RT_HEADER_BYTES, 0);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `bytes` at `position` with a plain write(2). */
export function writeAt(file: string, position: number, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whole file copied into an 8-aligned Mem (for decoding records without a mapping). */
export function fileMem(file: string): Mem {
  const buf = fs.readFileSync(file);
  const copy = new Uint8Array(new ArrayBuffer(buf.length));
  copy.set(buf);
  return new Mem(copy);
}

/** Paths of the files this process has open (from /proc/self/fd), with their open flags. */
export function openFds(): { fd: number; target: string; flags: number }[] {
  const out: { fd: number; target: string; flags: number }[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${name}`);
      const info = fs.readFileSync(`/proc/self/fdinfo/${name}`, 'utf8');
      const m = /flags:\s*([0-7]+)/.exec(info);
      out.push({ fd: Number(name), target, flags: m ? parseInt(m[1]!, 8) : -1 });
    } catch {
      // the fd closed meanwhile (the readdir fd itself)
    }
  }
  return out;
}

/** Permission strings ('r--s', 'rw-s'...) of this process's mappings of `file`. */
export function mappingPerms(file: string): string[] {
  const real = fs.realpathSync(file);
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.endsWith(' ' + real) || l.endsWith(' ' + real + ' (deleted)'))
    .map((l) => l.split(/\s+/)[1]!);
}

/**
 * Writes an RT tick file with plain file writes (no mapping in this process):
 * header { size: records.length, capacity, date } then the encoded records.
 */
export function writeTickFile(file: string, records: readonly object[], capacity: number, header: Partial<RtHeader> = {}): void {
  const mem = Mem.alloc(RT_HEADER_BYTES + capacity * TICK_KIND.recordBytes);
  writeRtHeader(mem.u8, { type: TICK_KIND.rtType, version: 3, size: records.length, capacity, date: 20250102, ...header });
  records.forEach((r, i) => TICK_KIND.codec.encode(r, mem, RT_HEADER_BYTES + i * TICK_KIND.recordBytes));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, mem.u8);
}

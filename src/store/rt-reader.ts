// A read-only view of one real-time (.dmb) file, safe while the writer appends and grows.
//
// READ PROTOCOL (the other half of the writer's publish protocol):
// - the file is opened O_RDONLY and mapped PROT_READ, never past the length implied by
//   the capacity the reader has seen, and never past the file's length (fstat);
// - `size` is loaded with Atomics.load; records below it are complete;
// - a size beyond the mapped capacity means the writer grew the file: the reader loads
//   `capacity` (stored by the writer before any size beyond the old capacity), checks
//   the file's length, and maps again. Views made before keep the old mapping alive,
//   which stays valid because files are never shrunk.
// - FAULT GUARD (map.ts): when someone else truncates the file, a read past its new end
//   maps a zero page instead of killing the process with SIGBUS. The reader looks at the
//   process's fault counter (one memory load) in `length`, get(), field() and keyAt();
//   once its own mapping faulted, every call throws E_TRUNCATED naming the file. A view
//   from at() may already have read zeros: call `check()` (or `length`) after reading
//   views when a wrong value would matter; follow() does it after every batch.
// - CUT AND LENGTHENED: a file cut and then lengthened again (by someone else; tickrec's
//   writer never lengthens a cut file: GROWTH RULE in rt-writer.ts) no longer faults: the
//   cut reads as zeros. A published record is never all zeros, so probeUpTo() (the first
//   and last record of each batch a follower hands out) and checkLength() (the last
//   published record, at idle moments) take an all-zero record for the trace of a cut:
//   E_TRUNCATED. A file shorter than the capacity its header publishes is cut as well.

import fs from 'node:fs';
import { assert } from '../assert.js';
import { TickrecError, ioError } from '../errors.js';
import {
  Mem,
  RT_CAPACITY_U32,
  RT_HEADER_BYTES,
  RT_SIZE_U32,
  rtFileBytes,
  type FieldValue,
  type RecordKind,
  type Rec,
  type RtHeader,
  type View,
} from '../format/index.js';
import { mapFile, mappingFaults } from './map.js';
import { faultEpoch } from './fault-guard.js';
import { checkReadable, probeRtFile } from './rt-file.js';

export interface RtReaderOptions {
  /** Expected record kind; by default the kind the header's type names. */
  kind?: RecordKind;
}

export class RtReader {
  readonly path: string;
  readonly kind: RecordKind;
  /** Header as it was at open (size and capacity move on; see length/capacity). */
  readonly header: Readonly<RtHeader>;
  /** Inode of the open file: a different inode at `path` means the file was rolled. */
  readonly ino: number;
  private fd: number;
  private mem: Mem;
  private mappedCap: number;
  private readonly rs: number;
  private readonly fieldReaders = new Map<string, (m: Mem, o: number) => FieldValue>();
  private closed = false;
  /** FAULT GUARD: the epoch last looked at, the faults of the mappings so far, the error once truncated. */
  private epoch = faultEpoch();
  private faultsSeen = 0;
  private damage: TickrecError | undefined;
  /** Every mapping this reader made (a fault in an old one, still read by views, counts too); weak: the GC still unmaps old ones. */
  private readonly maps: WeakRef<Buffer>[] = [];

  private constructor(file: string, fd: number, kind: RecordKind, header: RtHeader, ino: number) {
    this.path = file;
    this.fd = fd;
    this.kind = kind;
    this.header = header;
    this.ino = ino;
    this.rs = kind.recordBytes;
    assert(this.rs % 8 === 0 && RT_HEADER_BYTES % 8 === 0, 'record offsets must be 8-aligned');
    this.mappedCap = header.capacity;
    this.mem = new Mem(this.track(mapFile(fd, rtFileBytes(header.capacity, this.rs), false, file)));
  }

  private track(buf: Buffer): Buffer {
    this.maps.push(new WeakRef(buf));
    return buf;
  }

  /**
   * Throws E_TRUNCATED once a read of this reader touched a page past the file's end
   * (FAULT GUARD): the values read since may be zeros that are not in the file. Cheap
   * (one memory load) while nothing faulted in the process.
   */
  check(): void {
    if (this.damage) throw this.damage;
    if (faultEpoch() === this.epoch) return;
    this.epoch = faultEpoch();
    let f = 0;
    for (const m of this.maps) {
      const b = m.deref();
      if (b) f += mappingFaults(b);
    }
    if (f === this.faultsSeen) return;
    this.faultsSeen = f;
    let bytes = -1;
    try {
      bytes = fs.fstatSync(this.fd).size;
    } catch {
      // unknown
    }
    this.damage = new TickrecError(
      'E_TRUNCATED',
      `${this.path}: truncated by someone else while being read (a read past its end; it has ${bytes < 0 ? 'an unknown number of' : bytes} bytes now): ` +
        'values read from it since may be zeros that are not in the file. Stop using this file; the recorder sets it aside and starts a new one.',
      { file: this.path },
    );
    throw this.damage;
  }

  static open(file: string, opts: RtReaderOptions = {}): RtReader {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw ioError(err, file, 'open for reading');
    }
    try {
      const p = probeRtFile(fd, file, opts.kind);
      checkReadable(p);
      if (p.header.capacity === 0) {
        throw new TickrecError('E_TRUNCATED', `${file}: capacity 0, the file holds no record slots; move it aside.`, { file });
      }
      return new RtReader(file, fd, p.kind, p.header, fs.fstatSync(fd).ino);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Records published now. Remaps first when the writer has grown the file. */
  get length(): number {
    const n = Atomics.load(this.mem.u32, RT_SIZE_U32);
    this.check();
    return n <= this.mappedCap ? n : this.remap(n);
  }

  /**
   * FAULT GUARD, before records [from, n) are handed out: touches the last byte of record
   * n-1 (a truncation cuts the tail, so if that byte is in the file every earlier one is)
   * and throws E_TRUNCATED when the touch, or anything before, faulted; and (CUT AND
   * LENGTHENED) when record `from` or n-1 is all zeros. A few memory loads: a real record
   * has a non-zero byte in its first word.
   */
  probeUpTo(n: number, from = n - 1): void {
    if (n > 0) this.probeSink ^= this.mem.u8[RT_HEADER_BYTES + n * this.rs - 1]!;
    this.check();
    if (n > 0 && (this.zeroRecord(n - 1) || (from >= 0 && from < n && this.zeroRecord(from)))) {
      throw this.cutAndLengthened(this.zeroRecord(from) ? from : n - 1);
    }
  }

  /** Whether record i reads as all zeros (never a published record: the trace of a cut). */
  private zeroRecord(i: number): boolean {
    const u32 = this.mem.u32;
    const end = (RT_HEADER_BYTES + (i + 1) * this.rs) >>> 2;
    for (let k = (RT_HEADER_BYTES + i * this.rs) >>> 2; k < end; k++) if (u32[k] !== 0) return false;
    return true;
  }

  private cutAndLengthened(i: number): TickrecError {
    this.damage = new TickrecError(
      'E_TRUNCATED',
      `${this.path}: record ${i} reads as all zeros: the file was truncated by someone else and lengthened again, so the cut ` +
        'reads as zeros instead of failing. Stop using this file; the recorder sets a cut file aside and starts a new one. Find out what truncated it.',
      { file: this.path },
    );
    return this.damage;
  }
  /** Where probeUpTo's load goes (kept, so that the load is not optimised away). */
  private probeSink = 0;

  /**
   * Throws E_TRUNCATED when the file is shorter than what this reader mapped (someone
   * else truncated it; FAULT GUARD), or when its last published record reads as all
   * zeros (CUT AND LENGTHENED). One fstat and a few loads: for idle moments (a follower's
   * roll check), not per record.
   */
  checkLength(): void {
    this.check();
    let bytes: number;
    try {
      bytes = fs.fstatSync(this.fd).size;
    } catch {
      return; // says nothing about the file
    }
    const mapped = rtFileBytes(this.mappedCap, this.rs);
    if (bytes >= mapped) {
      const n = Math.min(Atomics.load(this.mem.u32, RT_SIZE_U32), this.mappedCap);
      this.check();
      if (n > 0 && this.zeroRecord(n - 1)) throw this.cutAndLengthened(n - 1); // CUT AND LENGTHENED
      return;
    }
    this.damage = new TickrecError(
      'E_TRUNCATED',
      `${this.path}: truncated by someone else while being read (${bytes} bytes, shorter than the ${mapped} mapped): ` +
        'records past the cut are gone. Stop using this file; the recorder sets it aside and starts a new one.',
      { file: this.path },
    );
    throw this.damage;
  }

  /** Capacity currently mapped. */
  get capacity(): number {
    return this.mappedCap;
  }

  /** Trading date of the file (from the header at open). */
  get date(): number {
    return this.header.date;
  }

  /** A zero-copy view of record i (valid for the life of the process). */
  at(i: number): View & Record<string, FieldValue> {
    this.inRange(i);
    return new this.kind.codec.View(this.mem, RT_HEADER_BYTES + i * this.rs);
  }

  /**
   * Points `view` (made by an earlier at() of this reader) at record i, without a new
   * object: for hot loops that must not allocate (a follower's reuseView option). The
   * caller guarantees i < length.
   */
  pointView(view: View & Record<string, FieldValue>, i: number): void {
    const v = view as unknown as { m: Mem; offset: number };
    v.m = this.mem;
    v.offset = RT_HEADER_BYTES + i * this.rs;
  }

  /** Record i copied into a plain object. */
  get(i: number): Rec {
    this.inRange(i);
    const r = this.kind.codec.decode(this.mem, RT_HEADER_BYTES + i * this.rs);
    this.check();
    return r;
  }

  /** One field of record i, without decoding the rest. */
  field(i: number, name: string): FieldValue {
    this.inRange(i);
    let r = this.fieldReaders.get(name);
    if (!r) {
      r = this.kind.codec.fieldReader(name);
      this.fieldReaders.set(name, r);
    }
    const v = r(this.mem, RT_HEADER_BYTES + i * this.rs);
    this.check();
    return v;
  }

  /** Time key of record i (see RecordKind.keyAt). */
  keyAt(i: number): number {
    this.inRange(i);
    const k = this.kind.keyAt(this.mem, RT_HEADER_BYTES + i * this.rs);
    this.check();
    return k;
  }

  last(): (View & Record<string, FieldValue>) | undefined {
    const n = this.length;
    return n === 0 ? undefined : this.at(n - 1);
  }

  /** First index whose time key is >= key (records are in time order), or length. */
  lowerBound(key: number, end = this.length): number {
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.kind.keyAt(this.mem, RT_HEADER_BYTES + mid * this.rs) < key) lo = mid + 1;
      else hi = mid;
    }
    this.check();
    return lo;
  }

  /** Views of records [from, to), `to` fixed when the iteration starts. */
  *records(from = 0, to = this.length): IterableIterator<View & Record<string, FieldValue>> {
    const end = Math.min(to, this.length);
    for (let i = Math.max(0, from); i < end; i++) yield this.at(i);
  }

  /** The bytes of records [from, to) as they are in the file (zero-copy). */
  rawRecords(from: number, to: number): Uint8Array {
    assert(from >= 0 && from <= to && to <= this.length, `rawRecords(${from}, ${to}) out of range`);
    return this.mem.u8.subarray(RT_HEADER_BYTES + from * this.rs, RT_HEADER_BYTES + to * this.rs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private inRange(i: number): void {
    if (!(i >= 0 && i < this.length && Number.isInteger(i))) {
      throw new RangeError(`${this.path}: record ${i} is not published (length ${this.length})`);
    }
  }

  private remap(n: number): number {
    if (this.closed) throw new TickrecError('E_IO', `${this.path}: the reader is closed; open it again.`, { file: this.path });
    const cap = Atomics.load(this.mem.u32, RT_CAPACITY_U32);
    const bytes = rtFileBytes(cap, this.rs);
    let fileBytes: number;
    try {
      fileBytes = fs.fstatSync(this.fd).size;
    } catch (err) {
      throw ioError(err, this.path, 'fstat');
    }
    if (n <= cap && bytes > fileBytes) {
      // The writer lengthens the file before it publishes the capacity: shorter means cut.
      this.damage = new TickrecError(
        'E_TRUNCATED',
        `${this.path}: truncated by someone else while being read (${fileBytes} bytes, shorter than the ${bytes} its header's capacity ${cap} needs): ` +
          'records past the cut are gone. Stop using this file; the recorder sets it aside and starts a new one.',
        { file: this.path },
      );
      throw this.damage;
    }
    if (n > cap) {
      throw new TickrecError(
        'E_CORRUPT',
        `${this.path}: header says ${n} records published, capacity ${cap}, file ${fileBytes} bytes; ` +
          'they do not agree, the header was damaged while the file was open. Stop the writer and run tickrec inspect.',
        { file: this.path },
      );
    }
    this.mem = new Mem(this.track(mapFile(this.fd, bytes, false, this.path)));
    this.mappedCap = cap;
    return n;
  }
}

/**
 * The records published in the real-time file `file` now, or undefined when it cannot be
 * read (gone, not an RT file, damaged): each caller says what that means for it.
 */
export function publishedRecords(file: string): number | undefined {
  let r: RtReader;
  try {
    r = RtReader.open(file);
  } catch {
    return undefined;
  }
  try {
    return r.length;
  } catch {
    return undefined;
  } finally {
    r.close();
  }
}

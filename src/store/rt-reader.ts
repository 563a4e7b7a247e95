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
import { mapFile } from './map.js';
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

  private constructor(file: string, fd: number, kind: RecordKind, header: RtHeader, ino: number) {
    this.path = file;
    this.fd = fd;
    this.kind = kind;
    this.header = header;
    this.ino = ino;
    this.rs = kind.recordBytes;
    assert(this.rs % 8 === 0 && RT_HEADER_BYTES % 8 === 0, 'record offsets must be 8-aligned');
    this.mappedCap = header.capacity;
    this.mem = new Mem(mapFile(fd, rtFileBytes(header.capacity, this.rs), false, file));
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
    return n <= this.mappedCap ? n : this.remap(n);
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
    this.check(i);
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
    this.check(i);
    return this.kind.codec.decode(this.mem, RT_HEADER_BYTES + i * this.rs);
  }

  /** One field of record i, without decoding the rest. */
  field(i: number, name: string): FieldValue {
    this.check(i);
    let r = this.fieldReaders.get(name);
    if (!r) {
      r = this.kind.codec.fieldReader(name);
      this.fieldReaders.set(name, r);
    }
    return r(this.mem, RT_HEADER_BYTES + i * this.rs);
  }

  /** Time key of record i (see RecordKind.keyAt). */
  keyAt(i: number): number {
    this.check(i);
    return this.kind.keyAt(this.mem, RT_HEADER_BYTES + i * this.rs);
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

  private check(i: number): void {
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
    if (n > cap || bytes > fileBytes) {
      throw new TickrecError(
        'E_CORRUPT',
        `${this.path}: header says ${n} records published, capacity ${cap}, file ${fileBytes} bytes; ` +
          'they do not agree, the header was damaged while the file was open. Stop the writer and run tickrec inspect.',
        { file: this.path },
      );
    }
    this.mem = new Mem(mapFile(this.fd, bytes, false, this.path));
    this.mappedCap = cap;
    return n;
  }
}

// Typed-array views of one byte region (a mapped file or an ordinary buffer), made
// once per mapping so that encoders and readers index fields without DataView calls.
// Little-endian hosts only: the on-disk format is little-endian and typed arrays use
// the host order (asserted below).

import { assert } from '../assert.js';

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
assert(littleEndian, 'tickrec needs a little-endian host (the file format is little-endian)');

export class Mem {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly byteLength: number;

  constructor(bytes: Uint8Array) {
    // Record offsets are multiples of 8 from the start of the region, so the region
    // itself must start 8-aligned in its ArrayBuffer (mmap returns page-aligned memory).
    assert(bytes.byteOffset % 8 === 0, `Mem region must be 8-aligned, byteOffset ${bytes.byteOffset}`);
    const { buffer, byteOffset, byteLength } = bytes;
    this.byteLength = byteLength;
    this.u8 = bytes;
    this.u16 = new Uint16Array(buffer, byteOffset, Math.floor(byteLength / 2));
    this.u32 = new Uint32Array(buffer, byteOffset, Math.floor(byteLength / 4));
    this.i32 = new Int32Array(buffer, byteOffset, Math.floor(byteLength / 4));
    this.f64 = new Float64Array(buffer, byteOffset, Math.floor(byteLength / 8));
  }

  /** A fresh zeroed, 8-aligned region of `byteLength` bytes. */
  static alloc(byteLength: number): Mem {
    return new Mem(new Uint8Array(new ArrayBuffer(byteLength)));
  }
}

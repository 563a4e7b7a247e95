// A growable byte buffer that writes JSON text directly: ASCII fragments, integers and fixed-point decimals, formatted exactly as JavaScript's String(number) would.

/** The largest integer written digit by digit; beyond it String(number) is used. */
const EXACT = 2 ** 53;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** An ASCII string as bytes, for JsonBytes.lit. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

export class JsonBytes {
  buf: Buffer;
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  lit(bytes: Uint8Array): void {
    if (bytes.length > 8) {
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i]!;
    this.pos = p;
  }

  /** An ASCII string (no escaping: callers pass names the name rule admits). */
  str(s: string): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A whole number 0 <= n < 2^31, with int32 arithmetic. */
  private small(n: number): void {
    const buf = this.buf;
    let p = this.pos;
    const len =
      n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
    p += len;
    this.pos = p;
    do {
      const q = (n / 10) | 0;
      buf[--p] = 48 + n - q * 10;
      n = q;
    } while (n > 0);
  }

  /** Exactly `width` digits of 0 <= n < 10^width (leading zeros), n < 2^31. */
  private padded(n: number, width: number): void {
    const buf = this.buf;
    let p = this.pos + width;
    this.pos = p;
    for (let i = 0; i < width; i++) {
      const q = (n / 10) | 0;
      buf[--p] = 48 + n - q * 10;
      n = q;
    }
  }

  /** A whole number 0 <= n < 2^53. */
  private digits(n: number): void {
    if (n < 2147483648) return this.small(n);
    const hi = Math.floor(n / 1e9);
    this.digits(hi);
    this.padded(n - hi * 1e9, 9);
  }

  /** Any number, as String(n) writes it. */
  num(n: number): void {
    if (n >= 0 && n < 2147483648 && (n | 0) === n) return this.small(n); // also -0 → "0", like String
    if (Number.isInteger(n) && n > -EXACT && n < EXACT) {
      if (n < 0) {
        this.buf[this.pos++] = 45;
        this.digits(-n);
      } else this.digits(n);
    } else this.str(String(n));
  }

  /**
   * The decimal n / 10^d for a whole n: "3512", "760.02", "0.5", "-1.25". For |n| < 1e15
   * and d <= 9 this is exactly String(n / 10^d): with at most 15 significant digits the
   * decimal is the shortest text of its double. Outside that range it falls back to String.
   */
  fixed(n: number, d: number): void {
    if (d === 0) return this.num(n);
    // Below 1e-6 String switches to exponent notation ("3e-7"): let it.
    const tiny = n !== 0 && n > -POW10[d]! / 1e6 && n < POW10[d]! / 1e6;
    if (!(n > -1e15 && n < 1e15 && d <= 9 && Number.isInteger(n)) || tiny) return this.str(String(n / POW10[Math.min(d, 15)]!));
    if (n < 0) {
      this.buf[this.pos++] = 45;
      n = -n;
    }
    const scale = POW10[d]!;
    let int: number;
    if (n < 2147483648) int = (n / scale) | 0;
    else {
      int = Math.floor(n / scale);
      if (int * scale > n) int--;
    }
    let frac = n - int * scale; // < 10^9: int32
    this.digits(int);
    if (frac === 0) return;
    let q = (frac / 10) | 0;
    while (frac === q * 10) {
      frac = q;
      q = (frac / 10) | 0;
      d--;
    }
    this.buf[this.pos++] = 46;
    this.padded(frac, d);
  }

  /**
   * Hands over bytes [0, pos) without copying and continues in a fresh buffer of the
   * same capacity (the returned bytes stay valid after reset).
   */
  detach(): Buffer {
    const done = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    return done;
  }

  /** A copy of bytes [from, to) that stays valid after reset. */
  copyOut(from = 0, to = this.pos): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    this.buf.copy(out, 0, from, to);
    return out;
  }

  toString(from = 0, to = this.pos): string {
    return this.buf.toString('latin1', from, to);
  }
}

// Empty files made ahead of need, so that making a file at the session open costs a
// rename instead of an inode allocation (SPARE FILES).
//
// WHY: profiled at a 5,000-instrument open (issue 18), open(O_CREAT) of a new file took
// about 2 ms on the event loop on a busy ext4 (inode allocation waits for the journal and
// for inode-table reads behind the background fsyncs), against 0.08 ms for a rename: the
// metadata, tick and bar files of new instruments put the recorder tens of seconds behind.
//
// RULES:
//   - a spare is an empty regular file in <root>/spare/ (src/layout/root.ts) that nothing
//     else refers to. take() hands one out and forgets it; its taker opens it with
//     O_TRUNC (whatever a crash left in it goes), writes it and renames it into place,
//     exactly as it would have a temporary file of its own;
//   - a taker that cannot open it (someone removed it) makes its own temporary file: a
//     spare is never needed for correctness, only for speed;
//   - the stock is refilled in the background, one file at a time on libuv's thread
//     pool (never more than one of its threads), up to `target`; files found in spare/
//     at start are reused (a restart leaves what it had);
//   - a spare's own creation is not made durable: after a power loss it may be gone,
//     which only costs a slower creation. What is made of it is made durable as a file
//     made from scratch is (CREATE DURABILITY, durable.ts; META FIRST, writer-pool.ts).

import fs from 'node:fs';
import path from 'node:path';

/** Spare files kept by default: the metadata, tick and two bar files of 2,048 new instruments. */
export const SPARE_TARGET = 8192;

/** After a refill failed (a full disk), the next one is tried no sooner than this, ms. */
export const FILL_RETRY_MS = 5000;

export class SpareFiles {
  private readonly stock: string[] = [];
  private filling = false;
  private stopped = false;
  private made = 0;
  private readonly prefix = `${process.pid}-${Date.now().toString(36)}-`;
  private lastProblem: string | undefined;
  private failedAt: number | undefined;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly dir: string,
    private readonly target = SPARE_TARGET,
    private readonly onProblem?: (message: string) => void,
  ) {
    try {
      for (const f of fs.readdirSync(dir, { withFileTypes: true })) if (f.isFile()) this.stock.push(path.join(dir, f.name));
    } catch {
      // no folder yet: made by the first refill
    }
  }

  /** Spares ready now. */
  get available(): number {
    return this.stock.length;
  }

  /** A spare's path (forgotten here: the caller renames it or it stays an unused spare) or undefined when none is ready. Starts a refill. */
  take(): string | undefined {
    const f = this.stock.pop();
    this.fill();
    return f;
  }

  /** A spare taken but not used, emptied by its taker (returnSpare): ready again, no new inode made. */
  giveBack(spare: string): void {
    this.stock.push(spare);
  }

  /** Starts refilling in the background (also called by take()); not within FILL_RETRY_MS of a failed refill. */
  fill(): void {
    if (this.filling || this.stopped || this.stock.length >= this.target) return;
    if (this.failedAt !== undefined && Date.now() - this.failedAt < FILL_RETRY_MS) return;
    this.filling = true;
    fs.mkdir(this.dir, { recursive: true }, (err) => {
      if (err) return this.failed(err);
      this.makeOne();
    });
  }

  /** Stops refilling (what is running finishes; the promise says when). */
  stop(): Promise<void> {
    this.stopped = true;
    // resolved once the creation in flight (if any) is done: no file appears in spare/ after
    return this.filling ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }

  private idle(): void {
    this.filling = false;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once the stock is full or refilling stopped (tests, and a recorder that wants its stock before an open). */
  async full(): Promise<void> {
    this.fill();
    while (this.filling) await new Promise((r) => setTimeout(r, 5));
  }

  private makeOne(): void {
    if (this.stopped || this.stock.length >= this.target) {
      this.idle();
      return;
    }
    const file = path.join(this.dir, `${this.prefix}${this.made++}`);
    fs.open(file, 'wx', (err, fd) => {
      if (err) return this.failed(err);
      fs.close(fd, () => {
        this.failedAt = undefined;
        this.stock.push(file);
        this.makeOne();
      });
    });
  }

  private failed(err: NodeJS.ErrnoException): void {
    this.idle();
    this.failedAt = Date.now(); // a full disk: no attempt per record taken (full-disk.test.ts)
    const m = `spare files in ${this.dir}: ${err.message}; new files are made from scratch (slower at a session open) until this works`;
    if (m !== this.lastProblem) this.onProblem?.(m);
    this.lastProblem = m;
  }
}

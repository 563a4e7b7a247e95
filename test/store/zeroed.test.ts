// A live file holding only zero bytes (a creation a power loss cut short: its name became durable before its header, docs/reliability.md) is set aside and the instrument goes on in a new file; a file of someone else's bytes is still refused and never touched.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { TICK_KIND } from '../../src/format/index.js';
import { RtReader, WriterPool } from '../../src/store/index.js';
import { makeTick } from '../helpers/ticks.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const D1 = 20250102;
const live = (root: string, code: string) => path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`);
const folder = (root: string) => path.join(root, 'rt', 'ticks', 'SHFE');

function rec(seq: number, code: string): Record<string, unknown> {
  const t = makeTick(seq, 0x5eed);
  t.exchg = 'SHFE';
  t.code = code;
  t.trading_date = D1;
  t.action_date = D1;
  t.total_volume = seq + 1;
  return { ...t };
}

/** What a power loss left at a live name in the measured case: header and one block reserved, all zeros. */
function zeroFile(file: string, bytes = 32_792): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.alloc(bytes));
}

describe('a live file holding only zero bytes at open', () => {
  it('is set aside untouched as <CODE>.dmb.zeroed-<stamp>, told once, and the instrument records into a new file', () => {
    const root = makeTempDir('tickrec-zeroed-');
    zeroFile(live(root, 'rb2505'));
    const damaged: TickrecError[] = [];
    const pool = new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 64 }, onDamaged: (e) => damaged.push(e) });
    for (let i = 0; i < 5; i++) {
      expect(pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i, 'rb2505'))).toBe(true);
      expect(pool.append(TICK_KIND, 'SHFE', 'cu2505', D1, rec(i, 'cu2505'))).toBe(true);
    }
    expect(pool.filesDamaged).toBe(1);
    pool.closeAll();

    expect(damaged.map((e) => e.code)).toEqual(['E_NOT_BLOCK_FILE']);
    expect(damaged[0]!.message).toContain(live(root, 'rb2505'));
    expect(damaged[0]!.message).toMatch(/only zero bytes \(32792\).*set aside as .*rb2505\.dmb\.zeroed-\d{8}T\d{9}Z/);
    const aside = fs.readdirSync(folder(root)).filter((f) => f.startsWith('rb2505.dmb.zeroed-'));
    expect(aside).toHaveLength(1);
    const kept = fs.readFileSync(path.join(folder(root), aside[0]!));
    expect(kept.length).toBe(32_792);
    expect(kept.every((b) => b === 0)).toBe(true);

    const r = RtReader.open(live(root, 'rb2505'));
    try {
      expect(r.length).toBe(5);
      expect(Array.from({ length: 5 }, (_, i) => r.field(i, 'total_volume'))).toEqual([1, 2, 3, 4, 5]);
    } finally {
      r.close();
    }
  });

  it('a file of other bytes without the block flag is refused (E_NOT_BLOCK_FILE naming it) and left as it was', () => {
    const root = makeTempDir('tickrec-zeroed-');
    const file = live(root, 'rb2505');
    zeroFile(file);
    const bytes = fs.readFileSync(file);
    bytes[20_000] = 7; // one byte of someone's data: not a cut-short creation
    fs.writeFileSync(file, bytes);
    const pool = new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 64 } });
    let err: unknown;
    try {
      pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0, 'rb2505'));
    } catch (e) {
      err = e;
    }
    pool.closeAll();
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_NOT_BLOCK_FILE');
    expect((err as TickrecError).message).toContain(file);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(folder(root))).toEqual(['rb2505.dmb']);
  });
});

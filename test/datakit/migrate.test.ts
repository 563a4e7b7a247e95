// tickrec migrate --trade-types: trades a former tickrec stored with ttype 0/1 get datakit's 'M'/'C', in real-time and historical files; refused while a recorder holds the root.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMigration, verifyRoot } from '../../src/compact/index.js';
import { TRADE } from '../../src/format/index.js';
import { dayBlockBytes, readHisBlock } from '../../src/his/index.js';
import { acquireRootLock } from '../../src/store/index.js';
import { bundledSessionBook } from '../compact/helpers/sessions.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { corpusCopy, tickrec } from './helpers/corpus.js';

afterAll(removeTempDirs);

const TTYPE = TRADE.field('ttype').offset;
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** A corpus root whose trades carry tickrec's former types: rt trades 0 and 1 → 0, 1; his trade 0 → 1 (cancel). */
function oldRoot(): { root: string; rt: string; his: string } {
  const root = corpusCopy();
  const rt = path.join(root, 'rt/trans/SHFE/rb2505.dmb');
  const fd = fs.openSync(rt, 'r+');
  const b = Buffer.alloc(4);
  for (const [i, v] of [
    [0, 0],
    [1, 1],
  ] as const) {
    b.writeUInt32LE(v, 0);
    fs.writeSync(fd, b, 0, 4, 24 + i * TRADE.size + TTYPE);
  }
  fs.closeSync(fd);
  const his = path.join(root, 'his/trans/SHFE/20250106/rb2505.dsb');
  const blk = readHisBlock(his);
  const recs = Buffer.from(blk.records);
  recs.writeUInt32LE(1, TTYPE);
  fs.writeFileSync(his, dayBlockBytes(blk.hisKind, 20250106, new Uint8Array(recs.buffer, recs.byteOffset, recs.length), 'zstd'));
  return { root, rt, his };
}

function rtTypes(file: string): number[] {
  const b = fs.readFileSync(file);
  return [0, 1, 2].map((i) => b.readUInt32LE(24 + i * TRADE.size + TTYPE));
}

describe('tickrec migrate --trade-types', () => {
  it("gives trades of a former tickrec datakit's trade types, in rt and his; a dry run changes nothing; a rerun finds nothing", () => {
    const { root, rt, his } = oldRoot();
    const before = [sha(rt), sha(his)];
    const dry = runMigration({ root, tradeTypes: true, dryRun: true });
    expect(dry).toMatchObject({ tradesFixed: 3, tradeFiles: [rt, his], tradesOther: 0 });
    expect([sha(rt), sha(his)]).toEqual(before);
    expect(verifyRoot({ root, deep: true, sessions: bundledSessionBook() }).problems.length).toBe(1); // the his block

    const s = runMigration({ root, tradeTypes: true });
    expect(s).toMatchObject({ tradesFixed: 3, tradeFiles: [rt, his], problems: [] });
    expect(rtTypes(rt).slice(0, 2)).toEqual([0x4d, 0x43]);
    expect(Buffer.from(readHisBlock(his).records).readUInt32LE(TTYPE)).toBe(0x43);
    expect(verifyRoot({ root, deep: true, sessions: bundledSessionBook() }).problems).toEqual([]);
    expect(runMigration({ root, tradeTypes: true })).toMatchObject({ tradesFixed: 0, tradeFiles: [] });
  });

  it('is refused while a recorder holds the root, and changes nothing', () => {
    const { root, rt } = oldRoot();
    const before = sha(rt);
    const lock = acquireRootLock(root);
    try {
      expect(() => runMigration({ root, tradeTypes: true })).toThrow(expect.objectContaining({ code: 'E_LOCKED' }));
    } finally {
      lock.release();
    }
    expect(sha(rt)).toBe(before);
  });

  it('the command: prints what it did, exit 0', () => {
    const { root } = oldRoot();
    const r = tickrec('migrate', '--root', root, '--trade-types');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("3 trade(s) in 2 file(s) given datakit's trade types");
  });
});

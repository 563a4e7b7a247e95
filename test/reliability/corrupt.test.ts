// Corrupt files: a historical day block and bar histories with a flipped byte, live files with a damaged header (size beyond capacity, no flag, truncated). verify and the readers name each file and its damage; the recorder refuses to append to them, says how to repair, goes on with the others; repair, moving aside or restoring a backup brings everything back.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCorrupt, type CorruptReport } from '../../scripts/soak/corrupt.js';
import { killAll, makeTempDir, removeTempDirs, requireBuilt } from '../../scripts/soak/lib.js';

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
});
afterAll(() => removeTempDirs());

describe('damaged historical and real-time files', () => {
  let r: CorruptReport;
  beforeAll(async () => {
    r = await runCorrupt({ dir: makeTempDir('tickrec-rel-corrupt-'), seed: 11 });
    console.log(`corrupt files:\n${r.lines.join('\n')}`);
  }, 120_000);

  it('the setup wrote, rolled and compacted the data the damage goes into', () => {
    expect(r.byCheck.setup ?? []).toEqual([]);
  });

  it('tickrec verify names every damaged file, historical and real-time, with its damage', () => {
    expect(r.byCheck.verify).toEqual([]);
  });

  it('the readers (RtReader, follow, readHisBlock, BarHistory, tickrec cat and inspect) refuse each damaged file with an error naming it and the damage', () => {
    expect(r.byCheck.readers).toEqual([]);
  });

  it('the recorder refuses to append to a corrupt live file or one without a flag, leaves them untouched, says how to repair them; a truncated one it sets aside untouched and starts anew', () => {
    expect(r.byCheck['recorder-refuses']).toEqual([]);
  });

  it('the recorder stays up and records every other instrument', () => {
    expect(r.byCheck['recorder-goes-on']).toEqual([]);
  });

  it("a damaged bar history does not stop the recorder from writing today's bars of that instrument", () => {
    expect(r.byCheck.bars).toEqual([]);
  });

  it('tickrec repair (or moving a file without a flag aside) brings appends back', () => {
    expect(r.byCheck.repair).toEqual([]);
  });

  it('what tickrec repair keeps published is only records the writer wrote (no empty slot becomes a record)', () => {
    expect(r.byCheck['repair-content']).toEqual([]);
  });

  it('compaction refuses to append to a damaged bar history, naming it, and keeps that day in rt', () => {
    expect(r.byCheck.compaction).toEqual([]);
  });

  it('with the backups restored, compaction completes and verify is clean for the historical files', () => {
    expect(r.byCheck.restore).toEqual([]);
  });
});

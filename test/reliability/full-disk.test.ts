// Full disk, short (npm run soak -- --only disk runs it larger): the recorder's files grow into a full disk, and tickrec compact writes into one; a clear error naming the file, no corrupt file, no SIGBUS, recovery once there is room. On a small tmpfs when the machine lets us mount one (else ulimit -f), and under ulimit -f.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runFullDisk, type DiskReport } from '../../scripts/soak/disk.js';
import { killAll, makeTempDir, removeTempDirs, requireBuilt } from '../../scripts/soak/lib.js';

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
});
afterAll(() => removeTempDirs());

for (const mode of ['auto', 'ulimit'] as const) {
  describe(mode === 'auto' ? 'a small tmpfs filled up (ulimit -f where mount is refused)' : 'a file-size limit (ulimit -f)', () => {
    let r: DiskReport;
    beforeAll(async () => {
      r = await runFullDisk({
        dir: makeTempDir('tickrec-rel-disk-'),
        mode,
        instruments: mode === 'auto' ? 10 : 5,
        rate: mode === 'auto' ? 2000 : 400,
        seed: 5,
      });
      console.log(`full disk (${mode}):\n${r.lines.join('\n')}`);
    }, 120_000);

    it('growth into the limit: E_NO_SPACE naming the file counted and logged, the recorder stays up, files consistent, recording resumes with room again, nothing published lost', () => {
      expect(r.byCheck.growth).toEqual([]);
      expect(r.growth.writeErrors).toBeGreaterThan(0);
      expect(r.growth.errorLine).toMatch(/E_NO_SPACE/);
      expect(r.growth.recorderAliveWhileFull).toBe(true);
      expect(r.growth.recordsAtEnd).toBeGreaterThan(r.growth.recordsAtFailure);
      expect(r.growth.exitAtStop).toBe(JSON.stringify({ code: 0, signal: null }));
    });

    it('a tick rejected on the full disk costs no disk write: the failed growth is not retried on every append', () => {
      expect(r.byCheck['write-amplification'] ?? []).toEqual([]);
    });

    it('compaction into the limit: exit 1, E_NO_SPACE naming the .tsb file, no temporary file, the rt files kept; a rerun with room completes and verify --deep is clean', () => {
      expect(r.byCheck.compaction).toEqual([]);
      expect(r.compaction).toMatchObject({ code: 1, tmpLeft: [], rtUnchanged: true, rerunCode: 0, verifyCode: 0 });
      expect(r.compaction.errorLine).toMatch(/E_NO_SPACE.*\.tsb/);
    });
  });
}

// Permission revoked on the data folder mid-run, then restored (the recorder runs as `nobody`: root ignores permissions): write errors counted and logged naming the file, the recorder stays up and keeps its open files going, and creates the files it could not once the permission is back.

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { killAll, makeTempDir, removeTempDirs, requireBuilt } from '../../scripts/soak/lib.js';
import { runPermission } from '../../scripts/soak/permission.js';

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
});
afterAll(() => removeTempDirs());

it('chmod 000 on the data folder of a recorder running as nobody, 5 instruments added meanwhile by SIGHUP, then chmod 755', async () => {
  const r = await runPermission({ dir: makeTempDir('tickrec-rel-perm-'), instruments: 10, rate: 1000, seed: 9 });
  console.log(`permission revoked:\n${r.lines.join('\n')}`);
  expect(r.problems).toEqual([]);
  expect(r.writeErrors).toBeGreaterThan(0);
  expect(r.errorLine).toMatch(/E_IO.*EACCES.*check the permissions/);
  expect(r.writtenWhileClosed).toBeGreaterThan(0);
  expect(r.gapsOfOpenFiles).toBe(0);
  expect(r.createdAfter).toBe(5);
  expect(r.exit).toBe(JSON.stringify({ code: 0, signal: null }));
}, 120_000);

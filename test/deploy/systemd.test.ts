// The systemd units in deploy/systemd pass `systemd-analyze verify`, restart the recorder on failure (not on a configuration error or a held root), bound its resources, and run the same CLI and configuration as the README says.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const UNITS = path.join(REPO, 'deploy', 'systemd');
const NAMES = ['tickrec-recorder.service', 'tickrec-compact.service', 'tickrec-compact.timer'];
/** Where the units expect the bin of a global install (docs/service.md). */
const INSTALLED_BIN = '/usr/local/bin/tickrec';

afterAll(() => removeTempDirs());

/**
 * The units, copied with the installed bin's path replaced by an executable stand-in
 * that runs this checkout's CLI (systemd-analyze checks that ExecStart is executable).
 */
function stage(edit: (name: string, text: string) => string = (_n, t) => t): string[] {
  const dir = makeTempDir('tickrec-systemd-');
  const bin = path.join(dir, 'tickrec');
  fs.writeFileSync(bin, `#!/bin/sh\nexec node --initial-heap-size=128 ${path.join(REPO, 'dist', 'cli', 'main.js')} "$@"\n`, {
    mode: 0o755,
  });
  return NAMES.map((n) => {
    const text = fs.readFileSync(path.join(UNITS, n), 'utf8');
    expect(text.includes(INSTALLED_BIN) || n.endsWith('.timer'), n).toBe(true);
    const f = path.join(dir, n);
    fs.writeFileSync(f, edit(n, text.replaceAll(INSTALLED_BIN, bin)));
    return f;
  });
}

function verify(files: string[]) {
  const r = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8', cwd: path.dirname(files[0]!) });
  expect(r.error, 'systemd-analyze (Debian package systemd) must be installed').toBeUndefined();
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function directives(name: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of fs.readFileSync(path.join(UNITS, name), 'utf8').split('\n')) {
    const x = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (x) m.set(x[1]!, [...(m.get(x[1]!) ?? []), x[2]!]);
  }
  return m;
}

describe('systemd units', () => {
  it('pass systemd-analyze verify without a word', () => {
    const r = verify(stage());
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('and the check catches a mistake (an unknown key, a missing command)', () => {
    const typo = verify(stage((n, t) => (n === 'tickrec-compact.service' ? t.replace('Nice=10', 'Nicety=10') : t)));
    expect(typo.output).toMatch(/Unknown key 'Nicety'/);
    const missing = verify(
      stage((n, t) => (n === 'tickrec-recorder.service' ? t.replace(/ExecStart=\S+/, 'ExecStart=/nonexistent/tickrec') : t)),
    );
    expect(missing.output).toMatch(/\/nonexistent\/tickrec is not executable/);
    expect(missing.code).not.toBe(0);
  });

  it('the recorder restarts on failure, not on exit 2 (configuration) or 3 (root held), with bounded resources', () => {
    const d = directives('tickrec-recorder.service');
    expect(d.get('ExecStart')).toEqual([`${INSTALLED_BIN} record -c /etc/tickrec/recorder.json`]);
    expect(d.get('Restart')).toEqual(['on-failure']);
    expect(d.get('RestartPreventExitStatus')).toEqual(['2 3']);
    expect(d.get('KillSignal')).toEqual(['SIGTERM']);
    for (const k of ['LimitNOFILE', 'MemoryHigh', 'MemoryMax', 'TasksMax', 'StartLimitBurst']) expect(d.has(k), k).toBe(true);
    expect(d.get('ReadWritePaths')).toEqual(['/var/lib/tickrec']);
  });

  it('the timer starts the compaction service, which compacts the configured root', () => {
    expect(directives('tickrec-compact.timer').get('Unit')).toEqual(['tickrec-compact.service']);
    expect(directives('tickrec-compact.timer').get('Persistent')).toEqual(['true']);
    expect(directives('tickrec-compact.service').get('ExecStart')).toEqual([`${INSTALLED_BIN} compact -c /etc/tickrec/recorder.json`]);
  });

  it('the example configuration the units name is valid, with the data root they may write', () => {
    const c = loadConfig(path.join(REPO, 'deploy', 'recorder.json'));
    expect(c.root).toBe('/var/lib/tickrec');
    expect(c.compaction.enabled).toBe(true);
  });
});

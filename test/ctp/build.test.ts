// `npm run build:ctp` explains a missing or incomplete SDK; the built addon loads without the SDK and finds both CreateFtdcMdApi generations; npm install never needs an SDK; the README documents every ctp key.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CtpFeedSchema } from '../../src/config/schema.js';
import { loadCtpAddon } from '../../src/feed/ctp/index.js';
import { REPO_ROOT } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { buildCtp, STANDIN_DIR, type CtpBuild } from './helpers/build.js';

let build: CtpBuild;
beforeAll(() => {
  build = buildCtp();
}, 300_000);
afterAll(() => removeTempDirs());

function script(args: string[], env: NodeJS.ProcessEnv) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-ctp.mjs'), ...args], {
    encoding: 'utf8',
    env: e,
    cwd: REPO_ROOT,
  });
}

describe('scripts/build-ctp.mjs', () => {
  it('without CTP_SDK_DIR: exit 2, says what the SDK is and the exact command', () => {
    const r = script([], { CTP_SDK_DIR: undefined });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('CTP_SDK_DIR is not set');
    expect(r.stderr).toContain('CTP_SDK_DIR=/path/to/sdk npm run build:ctp');
  });

  it('a folder that does not exist, or lacks headers: exit 2 naming each missing file; the library is not needed', () => {
    expect(script([], { CTP_SDK_DIR: '/nonexistent/ctp-sdk' }).stderr).toContain('no such folder');
    const dir = makeTempDir('tickrec-ctp-sdk-');
    fs.copyFileSync(path.join(STANDIN_DIR, 'ThostFtdcMdApi.h'), path.join(dir, 'ThostFtdcMdApi.h'));
    const r = script([], { CTP_SDK_DIR: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`CTP_SDK_DIR=${dir} is missing ThostFtdcUserApiStruct.h`);
    expect(r.stderr).toContain('ThostFtdcUserApiStruct.h   <- missing');
    expect(r.stderr).not.toContain('thostmduserapi_se.so');
    expect(r.stderr).toContain('Then run: CTP_SDK_DIR=/path/to/sdk npm run build:ctp');
    fs.copyFileSync(path.join(STANDIN_DIR, 'ThostFtdcUserApiStruct.h'), path.join(dir, 'ThostFtdcUserApiStruct.h'));
    const r2 = script(['--check'], { CTP_SDK_DIR: dir });
    expect(r2.stderr).toContain(`CTP_SDK_DIR=${dir} is missing ThostFtdcUserApiDataType.h`);
    fs.copyFileSync(path.join(STANDIN_DIR, 'ThostFtdcUserApiDataType.h'), path.join(dir, 'ThostFtdcUserApiDataType.h'));
    const r3 = script(['--check'], { CTP_SDK_DIR: dir });
    expect(r3.status).toBe(0); // headers only: enough to build
    expect(r3.stdout).toContain('library none in the folder (not needed to build)');
  });

  it('records the SDK version: from the library (any of its three names), the folder name, or CTP_SDK_VERSION', () => {
    const dir = path.join(makeTempDir('tickrec-ctp-sdk-'), 'v6.3.11_20180109_api_tradeapi_se_linux64');
    fs.mkdirSync(dir);
    for (const f of ['ThostFtdcMdApi.h', 'ThostFtdcUserApiStruct.h', 'ThostFtdcUserApiDataType.h'])
      fs.copyFileSync(path.join(STANDIN_DIR, f), path.join(dir, f));
    expect(script(['--check'], { CTP_SDK_DIR: dir }).stdout).toContain('SDK version v6.3.11_20180109;');
    fs.copyFileSync(build.lib4, path.join(dir, 'libthostmduserapi_se.so')); // vnpy's name
    const r = script(['--check'], { CTP_SDK_DIR: dir });
    expect(r.stdout).toContain('SDK version v6.7.11_20250617;'); // the library's own string wins
    expect(r.stdout).toContain(`library ${path.join(dir, 'libthostmduserapi_se.so')}`);
    expect(script(['--check'], { CTP_SDK_DIR: dir, CTP_SDK_VERSION: '6.7.7' }).stdout).toContain('SDK version 6.7.7;');
  });

  it('an SDK unpacked one level too high: points at the folder that holds the headers', () => {
    const top = makeTempDir('tickrec-ctp-sdk-');
    const nested = path.join(top, 'v6.7.2_traderapi', 'linux64');
    fs.mkdirSync(nested, { recursive: true });
    for (const f of fs.readdirSync(build.sdk)) fs.copyFileSync(path.join(build.sdk, f), path.join(nested, f));
    const r = script([], { CTP_SDK_DIR: top });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`ThostFtdcMdApi.h was found in: ${nested}`);
  });

  it('--check accepts a complete SDK folder', () => {
    const r = script(['--check'], { CTP_SDK_DIR: build.sdk });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('holds the CTP SDK headers');
  });

  it('the addon it built (--out) loads without any SDK and finds each CreateFtdcMdApi generation by its mangled name', () => {
    expect(fs.existsSync(build.addon)).toBe(true);
    const addon = loadCtpAddon(build.addon);
    expect(addon.abi).toBe('tickrec-ctp/2');
    // What it was compiled against (the stand-in's 6.7-layout headers, and the version its library carries).
    expect(addon.sdk).toEqual({
      structBytes: 584,
      generation: 4,
      multicastSlot: true,
      version: 'v6.7.11_20250617',
      dir: expect.stringMatching(/sdk$/) as unknown,
    });
    expect(addon.fieldNames).toContain('UpdateMillisec');
    expect(addon.depthFieldBytes).toBe(584);
    expect(addon.probe(build.lib3)).toEqual({ generations: [3], apiVersion: expect.stringContaining('3-parameter') as unknown });
    expect(addon.probe(build.lib4)).toEqual({ generations: [4], apiVersion: expect.stringContaining('4-parameter') as unknown });
    expect(() => addon.probe('/nonexistent/thostmduserapi_se.so')).toThrow(/cannot load the CTP library/);
    // the addon does not link against the SDK
    const ldd = spawnSync('ldd', [build.addon], { encoding: 'utf8' });
    if (ldd.status === 0) expect(ldd.stdout).not.toContain('thostmduserapi');
  });
});

describe('packaging and docs', () => {
  it('npm install never builds the CTP addon: the only install hook builds native/fs, no binding.gyp at the package root; build:ctp is a script', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const hook of ['preinstall', 'postinstall']) expect(pkg.scripts[hook], hook).toBeUndefined();
    expect(pkg.scripts.install).toBe('node-gyp rebuild --directory=native/fs'); // fallocate (src/store/fallocate.ts), no SDK needed
    expect(fs.existsSync(path.join(REPO_ROOT, 'binding.gyp'))).toBe(false);
    expect(pkg.scripts['build:ctp']).toBe('node scripts/build-ctp.mjs');
  });

  it('README documents every ctp feed key; docs/ctp.md carries the mapping rules word for word', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    for (const k of Object.keys(CtpFeedSchema.shape)) expect(readme, `README lacks ctp key ${k}`).toContain(`\`${k}\``);
    const src = fs.readFileSync(path.join(REPO_ROOT, 'src', 'feed', 'ctp', 'map.ts'), 'utf8');
    const rules = src
      .slice(src.indexOf('// C1 '), src.indexOf('\n\nimport'))
      .split('\n')
      .map((l) => l.replace(/^\/\/ ?/, '').trim());
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'ctp.md'), 'utf8').replace(/\s+/g, ' ');
    for (const line of rules) expect(doc, `docs/ctp.md lacks: ${line}`).toContain(line.replace(/\s+/g, ' '));
  });
});

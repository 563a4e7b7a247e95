// Builds the CTP stand-in libraries (generation 3 and 4) and the addon against the stand-in's headers, once per source hash, cached under node_modules/.cache/tickrec-ctp.
//
// Layout of a build (<cache>/<hash>/):
//   gen3/thostmduserapi_se.so   the stand-in exporting the 3-parameter CreateFtdcMdApi
//   gen4/thostmduserapi_se.so   the stand-in exporting the 4-parameter one
//   v63/thostmduserapi_se.so    a 3-parameter stand-in whose GetApiVersion() says v6.3.11 (a library
//                               the addon, built with 6.7-layout headers, must refuse)
//   sdk/                        a fake SDK folder: the stand-in headers + the gen4 library
//   addon/build/Release/tickrec_ctp.node   built by `node scripts/build-ctp.mjs --out addon`
// Concurrent test files share one build: a lock folder, the build in a temporary folder,
// then one rename.

import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/child.js';

export const STANDIN_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'ctp-standin');
export const STANDIN_HEADERS = ['ThostFtdcMdApi.h', 'ThostFtdcUserApiStruct.h', 'ThostFtdcUserApiDataType.h'];
const CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'tickrec-ctp');

export interface CtpBuild {
  dir: string;
  addon: string;
  lib3: string;
  lib4: string;
  /** Reports GetApiVersion() "v6.3.11_20180109 14:59:34": an SDK the addon was not built for. */
  lib63: string;
  sdk: string;
}

/** The real library's connect retry is 5 s; the tests' stand-ins retry every 100 ms unless told otherwise. */
export const TEST_RETRY_MS = '100';

function sourceHash(): string {
  const h = crypto.createHash('sha256');
  const files = [
    path.join(REPO_ROOT, 'native', 'ctp', 'binding.gyp'),
    ...fs
      .readdirSync(path.join(REPO_ROOT, 'native', 'ctp', 'src'))
      .sort()
      .map((f) => path.join(REPO_ROOT, 'native', 'ctp', 'src', f)),
    ...fs
      .readdirSync(STANDIN_DIR)
      .sort()
      .map((f) => path.join(STANDIN_DIR, f)),
    path.join(REPO_ROOT, 'scripts', 'build-ctp.mjs'),
  ];
  for (const f of files) {
    h.update(path.relative(REPO_ROOT, f));
    h.update(fs.readFileSync(f));
  }
  h.update(process.version);
  return h.digest('hex').slice(0, 16);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, cwd: REPO_ROOT });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

/** Compiles the stand-in for one generation into `out`. */
export function buildStandin(generation: 3 | 4, out: string, version?: string): string {
  fs.mkdirSync(out, { recursive: true });
  const lib = path.join(out, 'thostmduserapi_se.so');
  run('g++', [
    '-std=c++17',
    '-O1',
    '-Wall',
    '-shared',
    '-fPIC',
    `-DSTANDIN_GENERATION=${generation}`,
    ...(version !== undefined ? [`-DSTANDIN_VERSION="${version}"`] : []),
    `-I${STANDIN_DIR}`,
    path.join(STANDIN_DIR, 'standin.cpp'),
    '-o',
    lib,
    '-lpthread',
  ]);
  return lib;
}

function layout(dir: string): CtpBuild {
  return {
    dir,
    addon: path.join(dir, 'addon', 'build', 'Release', 'tickrec_ctp.node'),
    lib3: path.join(dir, 'gen3', 'thostmduserapi_se.so'),
    lib4: path.join(dir, 'gen4', 'thostmduserapi_se.so'),
    lib63: path.join(dir, 'v63', 'thostmduserapi_se.so'),
    sdk: path.join(dir, 'sdk'),
  };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The cached build, built now when missing. Synchronous (use it in beforeAll with a long timeout). */
export function buildCtp(): CtpBuild {
  // Inherited by child processes (tickrec record) too; a test may set its own.
  process.env.STANDIN_RETRY_MS ??= TEST_RETRY_MS;
  const hash = sourceHash();
  const dir = path.join(CACHE, hash);
  const done = path.join(dir, 'ok');
  if (fs.existsSync(done)) return layout(dir);
  fs.mkdirSync(CACHE, { recursive: true });
  const lock = path.join(CACHE, `${hash}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fs.existsSync(done)) return layout(dir);
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > 300_000) fs.rmSync(lock, { recursive: true, force: true }); // a builder that died
    } catch {
      // gone meanwhile
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process to build ${dir} (lock ${lock})`);
    sleep(200);
  }
  try {
    if (fs.existsSync(done)) return layout(dir);
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const b = layout(tmp);
    buildStandin(3, path.dirname(b.lib3));
    buildStandin(4, path.dirname(b.lib4));
    buildStandin(3, path.dirname(b.lib63), 'v6.3.11_20180109 14:59:34');
    fs.mkdirSync(b.sdk, { recursive: true });
    for (const h of STANDIN_HEADERS) fs.copyFileSync(path.join(STANDIN_DIR, h), path.join(b.sdk, h));
    fs.copyFileSync(b.lib4, path.join(b.sdk, 'thostmduserapi_se.so'));
    run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-ctp.mjs'), '--out', path.join(tmp, 'addon')], {
      ...process.env,
      CTP_SDK_DIR: b.sdk,
    });
    fs.rmSync(path.join(tmp, 'addon', 'build', 'Release', 'obj.target'), { recursive: true, force: true });
    fs.writeFileSync(path.join(tmp, 'ok'), new Date().toISOString());
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    // Builds of older sources are not needed any more.
    for (const old of fs.readdirSync(CACHE)) {
      if (old !== hash && /^[0-9a-f]{16}$/.test(old) && !fs.existsSync(path.join(CACHE, `${old}.lock`)))
        fs.rmSync(path.join(CACHE, old), { recursive: true, force: true });
    }
    return layout(dir);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

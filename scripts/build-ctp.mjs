// `npm run build:ctp`: checks the CTP SDK named by CTP_SDK_DIR, then builds the addon in native/ctp with node-gyp.
//
// Usage: [CTP_SDK_VERSION=6.7.11] CTP_SDK_DIR=/path/to/sdk npm run build:ctp [-- --out DIR] [-- --check]
//   --out DIR   build a copy of native/ctp in DIR instead (DIR/build/Release/tickrec_ctp.node)
//   --check     only check the SDK folder
// Exit codes: 0 built (or checked); 1 the compiler or node-gyp failed; 2 the SDK is missing or incomplete.
// The SDK is only read: its headers are compiled against (the library is not needed to
// build), its library is loaded at run time from CTP_SDK_DIR or the feed's `library` key.
// Nothing is copied into the repository. Which SDK was used (its version, found as
// sdkVersion() says) is written to <build dir>/gen/sdk_info.h and compiled into the addon.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = path.join(REPO, 'native', 'ctp');
const REQUIRED = ['ThostFtdcMdApi.h', 'ThostFtdcUserApiStruct.h'];
/** The market-data library under the names SDKs and packagers use (SFIT 6.5 on; vnpy; SFIT up to 6.3). Not needed to build. */
export const LIBRARY_NAMES = ['thostmduserapi_se.so', 'libthostmduserapi_se.so', 'thostmduserapi.so'];
/** A CTP version as SDK folders, archives and GetApiVersion() spell it: v6.3.11_20180109, 6.7.2_P1_20230913, v6.7.11. */
const VERSION_RE = /v?(\d+\.\d+\.\d+)(?:_P\d+)?(?:_(\d{8}))?/;
const HOW = 'CTP_SDK_DIR=/path/to/sdk npm run build:ctp';

function fail(code, lines) {
  process.stderr.write(`build:ctp: ${lines.join('\n')}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = { out: undefined, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') o.out = argv[++i];
    else if (a.startsWith('--out=')) o.out = a.slice(6);
    else if (a === '--check') o.check = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: ${HOW} [-- --out DIR] [-- --check]\n`);
      process.exit(0);
    } else fail(2, [`unknown argument ${a}; usage: ${HOW} [-- --out DIR] [-- --check]`]);
  }
  if (o.out === '') fail(2, ['--out needs a folder']);
  return o;
}

/** Folders up to two levels below `dir` that hold ThostFtdcMdApi.h (SDK archives nest it). */
function nestedSdkDirs(dir) {
  const found = [];
  const walk = (d, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = path.join(d, e.name);
      if (fs.existsSync(path.join(sub, 'ThostFtdcMdApi.h'))) found.push(sub);
      if (depth < 2) walk(sub, depth + 1);
    }
  };
  walk(dir, 1);
  return found.slice(0, 5);
}

export function checkSdk(env = process.env) {
  const raw = env.CTP_SDK_DIR;
  if (raw === undefined || raw.trim() === '') {
    return {
      ok: false,
      lines: [
        'CTP_SDK_DIR is not set.',
        'Get the Linux CTP API from your futures broker or SFIT (the market-data part: ThostFtdcMdApi.h,',
        'ThostFtdcUserApiStruct.h and ThostFtdcUserApiDataType.h; the build needs only these headers), unpack it, then run:',
        `  ${HOW}`,
      ],
    };
  }
  const dir = path.resolve(raw);
  let st;
  try {
    st = fs.statSync(dir);
  } catch {
    return { ok: false, lines: [`CTP_SDK_DIR=${raw}: no such folder (${dir}).`, `Point it at the unpacked SDK and run: ${HOW}`] };
  }
  if (!st.isDirectory()) return { ok: false, lines: [`CTP_SDK_DIR=${raw} is a file; it must be the SDK folder.`, `Run: ${HOW}`] };
  const missing = REQUIRED.filter((f) => !fs.existsSync(path.join(dir, f)));
  // The SDK's struct header includes its data-type header: check it when it does.
  const structH = path.join(dir, 'ThostFtdcUserApiStruct.h');
  if (!missing.includes('ThostFtdcUserApiStruct.h')) {
    const text = fs.readFileSync(structH, 'latin1');
    if (text.includes('ThostFtdcUserApiDataType.h') && !fs.existsSync(path.join(dir, 'ThostFtdcUserApiDataType.h'))) {
      missing.push('ThostFtdcUserApiDataType.h');
    }
  }
  if (missing.length > 0) {
    const lines = [`CTP_SDK_DIR=${dir} is missing ${missing.join(', ')}.`, 'The folder must hold, side by side:'];
    for (const f of [...REQUIRED, 'ThostFtdcUserApiDataType.h']) lines.push(`  ${f}${missing.includes(f) ? '   <- missing' : ''}`);
    const nested = nestedSdkDirs(dir);
    if (nested.length > 0) lines.push(`ThostFtdcMdApi.h was found in: ${nested.join(', ')} — use that folder as CTP_SDK_DIR.`);
    lines.push(`Then run: ${HOW}`);
    return { ok: false, lines };
  }
  const library = LIBRARY_NAMES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  return { ok: true, dir, library, version: sdkVersion(dir, library, env) };
}

/**
 * The SDK's version, recorded in the addon: CTP_SDK_VERSION when set, else the string the
 * library carries (what its GetApiVersion() returns), else a version in the folder's path
 * or in a file name beside the headers; '' when none is found (the struct size still is).
 */
export function sdkVersion(dir, library, env = process.env) {
  const given = env.CTP_SDK_VERSION;
  if (given !== undefined && given.trim() !== '') return given.trim();
  if (library !== undefined) {
    try {
      const m = /v\d+\.\d+\.\d+(?:_P\d+)?_\d{8}(?: \d{2}:\d{2}:\d{2})?/.exec(fs.readFileSync(library).toString('latin1'));
      if (m) return m[0].replace(/\s+$/, '');
    } catch {
      // unreadable: look at the names
    }
  }
  const inPath = VERSION_RE.exec(dir);
  if (inPath) return inPath[0];
  for (const f of fs.readdirSync(dir)) {
    const m = VERSION_RE.exec(f);
    if (m) return m[0];
  }
  return '';
}

/** gen/sdk_info.h: what the addon reports as the SDK it was compiled against (exports.sdk). */
function writeSdkInfo(out, sdk) {
  fs.mkdirSync(path.join(out, 'gen'), { recursive: true });
  const c = (s) => JSON.stringify(s.replace(/[^\x20-\x7e]/g, '?'));
  fs.writeFileSync(
    path.join(out, 'gen', 'sdk_info.h'),
    `// Generated by scripts/build-ctp.mjs: the CTP SDK this addon was compiled against.\n` +
      `#define TICKREC_SDK_VERSION ${c(sdk.version)}\n#define TICKREC_SDK_DIR ${c(sdk.dir)}\n`,
  );
}

function nodeGypArgs() {
  const args = ['rebuild'];
  // Offline builds: use the headers installed with Node when npm does not name a nodedir.
  if (!process.env.npm_config_nodedir) {
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    if (
      fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) &&
      fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))
    ) {
      args.push(`--nodedir=${prefix}`);
    }
  }
  return args;
}

function copySource(out) {
  fs.mkdirSync(out, { recursive: true });
  fs.copyFileSync(path.join(SOURCE, 'binding.gyp'), path.join(out, 'binding.gyp'));
  fs.cpSync(path.join(SOURCE, 'src'), path.join(out, 'src'), { recursive: true });
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const sdk = checkSdk();
  if (!sdk.ok) fail(2, sdk.lines);
  const about = `SDK version ${sdk.version || 'unknown (set CTP_SDK_VERSION to record it)'}; library ${sdk.library ?? 'none in the folder (not needed to build)'}`;
  if (opts.check) {
    process.stdout.write(`build:ctp: ${sdk.dir} holds the CTP SDK headers; ${about}.\n`);
    return;
  }
  const dir = opts.out === undefined ? SOURCE : path.resolve(opts.out);
  if (dir !== SOURCE) copySource(dir);
  writeSdkInfo(dir, sdk);
  let gyp;
  let napiInclude;
  try {
    const require = createRequire(import.meta.url);
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
    napiInclude = path.dirname(require.resolve('node-addon-api/package.json'));
  } catch {
    fail(1, ['node-gyp or node-addon-api is not installed; run npm install first.']);
  }
  process.stdout.write(`build:ctp: building ${path.relative(process.cwd(), dir) || '.'} against ${sdk.dir} (${about})\n`);
  const r = spawnSync(process.execPath, [gyp, ...nodeGypArgs()], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, CTP_SDK_DIR: sdk.dir, TICKREC_NAPI_INCLUDE: napiInclude },
  });
  if (r.status !== 0) {
    fail(1, [
      `node-gyp failed (exit ${r.status ?? r.signal}). It needs python3, make and g++; the compiler output is above.`,
      `SDK used: ${sdk.dir}`,
    ]);
  }
  const addon = path.join(dir, 'build', 'Release', 'tickrec_ctp.node');
  process.stdout.write(
    `build:ctp: built ${addon}\n` +
      `At run time the feed loads the feed's "library", else the first of ${LIBRARY_NAMES.join(', ')} in CTP_SDK_DIR;\n` +
      `it refuses a library whose GetApiVersion() is not of the SDK recorded here.\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

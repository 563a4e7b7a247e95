// Loading the CTP addon (native/ctp): its TypeScript shape, and an error that says exactly how to build it when it is missing.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TickrecError } from '../../errors.js';
import type { CtpDepthMarketData } from './fields.js';
import type { CtpSdkInfo } from './sdk.js';

/** The ABI string the addon exports; a mismatch means it was built from other sources. */
export const CTP_ADDON_ABI = 'tickrec-ctp/2';

/** The command that builds the addon. */
export const CTP_BUILD_COMMAND = 'CTP_SDK_DIR=/path/to/sdk npm run build:ctp';

/** Environment variable naming another addon file (tests, packaged installs). */
export const CTP_ADDON_ENV = 'TICKREC_CTP_ADDON';

/** Where `npm run build:ctp` puts the addon: native/ctp/build/Release/tickrec_ctp.node in the package. */
export function defaultAddonPath(): string {
  // src/feed/ctp/addon.ts and dist/feed/ctp/addon.js are both three levels below the package.
  return path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'native',
    'ctp',
    'build',
    'Release',
    'tickrec_ctp.node',
  );
}

/** What the native session reports through onEvent. errorMsg is raw GBK. */
export type CtpNativeEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; reason: number }
  | { type: 'heartbeat'; lapse: number }
  | { type: 'notice'; message: string }
  | { type: 'login'; errorId: number; errorMsg: Uint8Array; requestId: number; isLast: boolean; tradingDay: string }
  | { type: 'logout' | 'error'; errorId: number; errorMsg: Uint8Array; requestId: number; isLast: boolean }
  | { type: 'sub' | 'unsub'; errorId: number; errorMsg: Uint8Array; requestId: number; isLast: boolean; instrument: string };

export interface CtpSessionOptions {
  /** Path of thostmduserapi_se.so. */
  library: string;
  /** The API's flow folder, ending in '/'. */
  flowDir: string;
  fronts: string[];
  /** 0 = the 4-parameter CreateFtdcMdApi when the library has it, else the 3-parameter one. */
  generation: 0 | 3 | 4;
  /** Ticks queued for JavaScript at most; more are dropped and counted. */
  queueMax: number;
  udp?: boolean;
  multicast?: boolean;
  productionMode?: boolean;
  /** Folder of capture files: every tick struct is appended to <folder>/<YYYYMMDD>.cap as received. */
  capture?: string;
}

export interface CtpSessionStats {
  /** Ticks queued for JavaScript right now. */
  pending: number;
  /** Ticks dropped because the queue was full. */
  overflow: number;
  /** Ticks handed to onTick. */
  delivered: number;
  eventsDropped: number;
  /** Callbacks that threw (they are caught). */
  callbackErrors: number;
  queueMax: number;
  generation: number;
  apiVersion: string;
  /** With capture: records written, failed writes, the current file. */
  captureRecords?: number;
  captureErrors?: number;
  captureFile?: string;
  started: boolean;
  released: boolean;
}

export interface CtpSession {
  init(): void;
  login(brokerId: string, userId: string, password: string, requestId: number): number;
  subscribe(codes: string[]): number;
  unsubscribe(codes: string[]): number;
  tradingDay(): string;
  stats(): CtpSessionStats;
  /** Idempotent; safe inside onEvent/onTick. */
  release(): void;
}

export interface CtpAddon {
  readonly abi: string;
  readonly depthFieldBytes: number;
  readonly fieldNames: readonly string[];
  MdSession: new (options: CtpSessionOptions, onEvent: (e: CtpNativeEvent) => void, onTick: (t: CtpDepthMarketData) => void) => CtpSession;
  /** dlopen's a library and lists the CreateFtdcMdApi generations it exports. */
  probe(library: string): { generations: number[]; apiVersion: string };
  /** The SDK the addon was compiled against (sdk.ts). */
  readonly sdk: CtpSdkInfo;
  /** Takes over fds 1/2 so that the library's text becomes log records; '' or why not. */
  redirectForeignOutput(stdout: boolean, stderr: boolean): string;
  restoreForeignOutput(): void;
  /** Foreign lines turned into records so far. */
  foreignLines(): number;
}

const loaded = new Map<string, CtpAddon>();

/** The addon file to load: `file`, else $TICKREC_CTP_ADDON, else the default build output. */
export function addonPath(file?: string, env: NodeJS.ProcessEnv = process.env): string {
  const f = file ?? env[CTP_ADDON_ENV];
  return f !== undefined && f !== '' ? path.resolve(f) : defaultAddonPath();
}

/** Loads (once) the addon; a TickrecError E_CONFIG naming the build command when it is not built or not loadable. */
export function loadCtpAddon(file?: string, what = 'CTP feed'): CtpAddon {
  const f = addonPath(file);
  const cached = loaded.get(f);
  if (cached) return cached;
  if (!fs.existsSync(f)) {
    throw new TickrecError(
      'E_CONFIG',
      `${what}: the CTP addon is not built (${f} does not exist). Build it against your CTP SDK, the folder that holds ` +
        `ThostFtdcMdApi.h, ThostFtdcUserApiStruct.h and thostmduserapi_se.so:\n  ${CTP_BUILD_COMMAND}\n` +
        'It needs python3, make and g++; see docs/ctp.md.',
      { file: f },
    );
  }
  let addon: CtpAddon;
  try {
    addon = createRequire(import.meta.url)(f) as CtpAddon;
  } catch (err) {
    throw new TickrecError(
      'E_CONFIG',
      `${what}: the CTP addon ${f} cannot be loaded (${(err as Error).message}). ` +
        `It was probably built for another Node.js or system; rebuild it:\n  ${CTP_BUILD_COMMAND}`,
      { file: f, cause: err },
    );
  }
  if (addon === null || typeof addon !== 'object' || addon.abi !== CTP_ADDON_ABI || typeof addon.MdSession !== 'function') {
    throw new TickrecError(
      'E_CONFIG',
      `${what}: ${f} is not this version's CTP addon (abi ${String((addon as { abi?: unknown } | null)?.abi)}, expected ${CTP_ADDON_ABI}); rebuild it:\n  ${CTP_BUILD_COMMAND}`,
      { file: f },
    );
  }
  loaded.set(f, addon);
  return addon;
}

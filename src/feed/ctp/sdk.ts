// Which CTP SDK the addon was compiled against, and whether a loaded library belongs to it (GetApiVersion()).
//
// WHY: an addon built with 6.7.11 headers loaded 6.3.11's library as if it were fine,
// yet the tick struct is 584 bytes in one and 408 in the other, and the SPI's virtual
// slots differ (6.3.x has no OnRspQryMulticastInstrument: its tick callback would land in
// another method). The binding records at compile time what its headers declare
// (exports.sdk: structBytes, multicastSlot, the declared CreateFtdcMdApi, and the SDK's
// version when the build found one); the feed refuses, before it starts, a library
// whose version belongs to another ABI line.
// RULE (docs/ctp.md, "Which SDK"): the ABI lines are
//   "6.3"  up to 6.5.0: 408-byte CThostFtdcDepthMarketDataField, no multicast slot;
//   "6.5+" 6.5.1 on (6.6.x, 6.7.x): 584 bytes, OnRspQryMulticastInstrument present.
// The addon's line comes from its struct size (and must agree with its multicast slot);
// the library's from the x.y.z in GetApiVersion() ("v6.3.11_20180109 14:59:34"). A
// version that cannot be read is refused too; allow_sdk_mismatch overrides both.

export interface CtpSdkInfo {
  structBytes: number;
  /** CreateFtdcMdApi parameters the headers declare (3 or 4). */
  generation: number;
  multicastSlot: boolean;
  /** The SDK's version as the build found it, '' when unknown. */
  version: string;
  dir: string;
}

export type AbiLine = '6.3' | '6.5+';

/** x.y.z of a CTP version string, or undefined. */
export function parseCtpVersion(v: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The ABI line of a library version string, or undefined when it has no x.y.z. */
export function lineOfVersion(v: string): AbiLine | undefined {
  const x = parseCtpVersion(v);
  if (x === undefined) return undefined;
  const [a, b, c] = x;
  return a > 6 || (a === 6 && (b > 5 || (b === 5 && c >= 1))) ? '6.5+' : '6.3';
}

/** The ABI line of the headers the addon was built with, or undefined when they are neither. */
export function lineOfSdk(sdk: CtpSdkInfo): AbiLine | undefined {
  if (sdk.structBytes === 584 && sdk.multicastSlot) return '6.5+';
  if (sdk.structBytes === 408 && !sdk.multicastSlot) return '6.3';
  return undefined;
}

/** How the addon's SDK reads in messages. */
export function describeSdk(sdk: CtpSdkInfo): string {
  return `${sdk.version !== '' ? `SDK ${sdk.version}` : 'an SDK of unknown version'} (${sdk.structBytes}-byte tick struct, ${
    sdk.multicastSlot ? 'with' : 'without'
  } OnRspQryMulticastInstrument: the ${lineOfSdk(sdk) ?? 'unknown'} line)`;
}

/** Why the library of version `libVersion` does not belong to the addon's SDK, or null when it does. */
export function sdkMismatch(sdk: CtpSdkInfo, libVersion: string): string | null {
  const mine = lineOfSdk(sdk);
  const theirs = lineOfVersion(libVersion);
  if (mine === undefined) return `the addon was built with headers tickrec does not know: ${describeSdk(sdk)}`;
  if (theirs === undefined)
    return `the library's GetApiVersion() is "${libVersion}", which names no CTP version; the addon was built with ${describeSdk(sdk)}`;
  if (theirs !== mine) {
    return `the library is CTP ${libVersion} (the ${theirs} line: ${theirs === '6.3' ? '408' : '584'}-byte tick struct), but the addon was built with ${describeSdk(sdk)}`;
  }
  return null;
}

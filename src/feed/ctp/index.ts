// The CTP feed: the adapter over the native addon, the tick mapping with the exchange date rules, GBK texts, addon loading.
export {
  CtpFeed,
  CTP_FEED_DEFAULTS,
  CTP_LIBRARY_NAMES,
  codeMap,
  type CtpFeedOptions,
  type CtpFeedStats,
  type CtpFeedEventKind,
} from './ctp-feed.js';
export {
  mapDepthMarketData,
  ctpStoredCode,
  ctpDates,
  ctpDate,
  ctpTime,
  ctpValue,
  weekdayAfter,
  weekdayBefore,
  type CtpMapContext,
} from './map.js';
export { decodeGbk, disconnectReasonName, DISCONNECT_REASONS } from './text.js';
export {
  loadCtpAddon,
  addonPath,
  defaultAddonPath,
  CTP_BUILD_COMMAND,
  CTP_ADDON_ENV,
  CTP_ADDON_ABI,
  type CtpAddon,
  type CtpSession,
  type CtpNativeEvent,
  type CtpSessionOptions,
  type CtpSessionStats,
} from './addon.js';
export { CTP_DBL_MAX, NO_VALUE, type CtpDepthMarketData } from './fields.js';
export {
  CAPTURE_HEADER_BYTES,
  CAPTURE_MAGIC,
  CAPTURE_VERSION,
  captureDir,
  captureHeader,
  captureRecord,
  openCapture,
  readCapture,
  type CaptureInfo,
  type CaptureRecord,
} from './capture.js';
export { CzceTurnover, judgeCzceTurnover, type CzceTurnoverMode, type CzceTurnoverCounts } from './czce-turnover.js';
export { LAYOUT_63, LAYOUT_65, decodeDepthMarketData, encodeDepthMarketData, layoutOfSize, type CtpLayout } from './layout.js';
export { describeSdk, lineOfSdk, lineOfVersion, sdkMismatch, type CtpSdkInfo } from './sdk.js';
export { connectedFront } from './front-of.js';
export { CtpTickMapper } from './tick-mapper.js';

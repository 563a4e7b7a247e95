// CThostFtdcDepthMarketDataField as the addon hands it to JavaScript: CTP's field names, numbers as sent (DBL_MAX included), texts as strings.

/** CTP's "no value": DBL_MAX (1.7976931348623157e308). Anything at or above NO_VALUE counts as absent. */
export const CTP_DBL_MAX = Number.MAX_VALUE;
export const NO_VALUE = 1e300;

/** One tick from OnRtnDepthMarketData, copied field by field (native/ctp/src/binding.cc). */
export interface CtpDepthMarketData {
  TradingDay: string;
  ActionDay: string;
  UpdateTime: string;
  UpdateMillisec: number;
  ExchangeID: string;
  InstrumentID: string;
  ExchangeInstID?: string;
  LastPrice: number;
  PreSettlementPrice: number;
  PreClosePrice: number;
  PreOpenInterest: number;
  OpenPrice: number;
  HighestPrice: number;
  LowestPrice: number;
  /** Cumulative volume of the trading day (an int in CTP). */
  Volume: number;
  /** Cumulative turnover of the trading day (see docs/ctp.md for CZCE). */
  Turnover: number;
  OpenInterest: number;
  ClosePrice: number;
  SettlementPrice: number;
  UpperLimitPrice: number;
  LowerLimitPrice: number;
  PreDelta?: number;
  CurrDelta?: number;
  BidPrice1: number;
  BidVolume1: number;
  AskPrice1: number;
  AskVolume1: number;
  BidPrice2: number;
  BidVolume2: number;
  AskPrice2: number;
  AskVolume2: number;
  BidPrice3: number;
  BidVolume3: number;
  AskPrice3: number;
  AskVolume3: number;
  BidPrice4: number;
  BidVolume4: number;
  AskPrice4: number;
  AskVolume4: number;
  BidPrice5: number;
  BidVolume5: number;
  AskPrice5: number;
  AskVolume5: number;
  AveragePrice?: number;
}

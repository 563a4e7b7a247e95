// One CTP tick struct → the sink: the mapping (map.ts), the exchange of a code from the subscription list, the CZCE turnover rule; shared by the live feed and `tickrec ctp replay`.

import type { FeedSink } from '../types.js';
import { CzceTurnover, type CzceTurnoverMode } from './czce-turnover.js';
import type { CtpDepthMarketData } from './fields.js';
import { mapDepthMarketData, type CtpMapContext } from './map.js';

export interface CtpTickMapperOptions {
  feed: string;
  /** The exchange the subscription list gives a code (C4). */
  exchangeOf: (code: string) => string | undefined;
  czceMultipliers: Readonly<Record<string, number>>;
  czceTurnover: CzceTurnoverMode;
  /** Told when the CZCE turnover verdict is set or changes. */
  onDecision?: (message: string) => void;
}

export class CtpTickMapper {
  readonly czce: CzceTurnover;
  /** Ticks whose ExchangeID was empty and whose code no subscription names (rejected). */
  unknownInstruments = 0;
  private readonly ctx: CtpMapContext;

  constructor(private readonly o: CtpTickMapperOptions) {
    const mult = o.czceMultipliers;
    this.czce = new CzceTurnover(
      o.czceTurnover,
      (product) => (Object.prototype.hasOwnProperty.call(mult, product) ? mult[product] : undefined),
      o.onDecision,
    );
    this.ctx = { exchangeOf: o.exchangeOf, czce: this.czce };
  }

  /** Maps one tick and hands it to the sink (or rejects it as not_subscribed when its exchange is unknown). */
  handle(f: CtpDepthMarketData, sink: FeedSink): void {
    const t = mapDepthMarketData(f, this.ctx);
    if (t.exchg === '') {
      this.unknownInstruments++;
      sink.reject(
        'not_subscribed',
        `feed "${this.o.feed}": tick for ${String(t.code).slice(0, 40)} has no ExchangeID and no subscription names its code`,
      );
      return;
    }
    sink.tick(t);
  }
}

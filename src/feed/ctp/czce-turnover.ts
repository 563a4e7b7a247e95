// CZCE turnover (rule C7): whether the front already multiplied it by the contract size, decided per feed from the data, with a config override; counted.
//
// WHY: CZCE itself sends Turnover as Σ price × volume, without the contract multiplier.
// CTP's market-data notes (6.7.x) say back ends from 6.7.1 on multiply it on ordinary
// fronts, not on multicast fronts. A rule that always multiplies may multiply twice.
// RULE C7 (docs/ctp.md):
// - czce_turnover "multiply": Turnover × czce_multipliers[product]; "as_sent": Turnover;
//   "auto" (default) decides from the data. A product without a multiplier is stored as
//   sent in every mode (nothing is guessed) and counted (noMultiplier).
// - auto: a tick with Volume > 0, a price and a turnover gives q = Turnover / (Volume ×
//   LastPrice). q near 1 means "sent without the multiplier" (raw), q near the multiplier
//   m means "already multiplied" (scaled): the nearer of the two in log distance, and
//   only within a factor 1.5 of it (the day's average price and the last price differ
//   by at most the daily limit, ~10%); anything else is inconclusive. A conclusive tick
//   sets the feed's verdict (a front change may change it: every change is reported);
//   every tick is stored by the verdict in force. Before the first conclusive tick a
//   turnover is stored as sent and counted (undecided). A multiplier of 1 needs no decision.

export type CzceTurnoverMode = 'auto' | 'multiply' | 'as_sent';
export type CzceVerdict = 'raw' | 'scaled';

export interface CzceTurnoverCounts {
  /** Turnovers multiplied by the contract multiplier. */
  multiplied: number;
  /** Turnovers stored as sent because the front had already multiplied them (or as_sent). */
  asSent: number;
  /** Turnovers stored as sent before any tick decided (auto). */
  undecided: number;
  /** CZCE turnovers of products without a czce_multipliers entry (stored as sent). */
  noMultiplier: number;
  /** Times the verdict was set or changed. */
  decisions: number;
}

const LN_TOLERANCE = Math.log(1.5);

/** The verdict one tick gives, or undefined when it cannot tell. */
export function judgeCzceTurnover(turnover: number, volume: number, price: number, multiplier: number): CzceVerdict | undefined {
  if (!(volume > 0 && price > 0 && turnover > 0 && multiplier > 1)) return undefined;
  const q = turnover / (volume * price);
  const raw = Math.abs(Math.log(q));
  const scaled = Math.abs(Math.log(q / multiplier));
  if (Math.min(raw, scaled) >= LN_TOLERANCE) return undefined;
  return raw < scaled ? 'raw' : 'scaled';
}

export class CzceTurnover {
  readonly counts: CzceTurnoverCounts = { multiplied: 0, asSent: 0, undecided: 0, noMultiplier: 0, decisions: 0 };
  /** The verdict in force (auto), undefined before the first conclusive tick. */
  verdict: CzceVerdict | undefined;

  constructor(
    readonly mode: CzceTurnoverMode,
    private readonly multiplierOf: (product: string) => number | undefined,
    /** Told of every decision (a log line). */
    private readonly onDecision?: (message: string) => void,
  ) {}

  /** The cumulative turnover to store for a CZCE tick of `product`. */
  apply(product: string, turnover: number, volume: number, price: number): number {
    const m = this.multiplierOf(product);
    if (m === undefined) {
      if (turnover > 0) this.counts.noMultiplier++;
      return turnover;
    }
    if (m === 1) return turnover;
    if (this.mode === 'multiply') return this.multiply(turnover, m);
    if (this.mode === 'as_sent') return this.asSent(turnover);
    const v = judgeCzceTurnover(turnover, volume, price, m);
    if (v !== undefined && v !== this.verdict) {
      const was = this.verdict;
      this.verdict = v;
      this.counts.decisions++;
      const q = (turnover / (volume * price)).toFixed(2);
      this.onDecision?.(
        (v === 'raw'
          ? `CZCE turnover is sent without the contract multiplier (${product}: turnover/(volume×price) = ${q}): multiplied by czce_multipliers`
          : `CZCE turnover is already multiplied by the front (${product}: turnover/(volume×price) = ${q} ≈ ${m}): stored as sent`) +
          (was !== undefined ? ` (it was ${was === 'raw' ? 'sent without' : 'already multiplied'} before: another front?)` : ''),
      );
    }
    if (this.verdict === 'raw') return this.multiply(turnover, m);
    if (this.verdict === 'scaled') return this.asSent(turnover);
    if (turnover > 0) this.counts.undecided++;
    return turnover;
  }

  private multiply(turnover: number, m: number): number {
    if (turnover > 0) this.counts.multiplied++;
    return turnover * m;
  }

  private asSent(turnover: number): number {
    if (turnover > 0) this.counts.asSent++;
    return turnover;
  }
}

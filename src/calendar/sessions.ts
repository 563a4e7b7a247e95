// Trading sessions: named sets of sections (and an auction) in the exchange's local
// time, and the map from products to sessions. Loaded from config/sessions.json.
//
// FORMAT (docs/sessions.md has the full description):
// {
//   "holidays": [20250101, ...],               // non-trading weekdays (optional)
//   "sessions": {
//     "FN0100": { "timezone": "Asia/Shanghai", "day_starts": "20:00",
//                 "auction": ["20:55", "20:59"],
//                 "sections": [["21:00","01:00"], ["09:00","10:15"], ["10:30","11:30"], ["13:30","15:00"]] },
//     "UTC24":  { "timezone": "UTC", "sections": [["00:00","24:00"]] }
//   },
//   "products": { "SHFE.cu": "FN0100", "BINANCE.*": "UTC24" },
//   "default": "SD0900"                          // for products not listed (optional)
// }
// A section may cross midnight ("21:00"-"01:00"). `day_starts`: a tick at or after
// this time belongs to the NEXT trading day (night sessions); without it the trading
// date is the calendar date (day sessions, crypto).

import fs from 'node:fs';
import { z } from 'zod';
import { TickrecError } from '../errors.js';

/** Minutes since local midnight, 0..1440. */
export type Minute = number;

export interface Section {
  /** Start minute (exclusive bound of the first bar: a bar ends after it). */
  from: Minute;
  /** End minute; may be <= from when the section crosses midnight (then +1440). */
  to: Minute;
}

export interface Session {
  readonly name: string;
  readonly timezone: string;
  /** Minute at which the next trading day starts, or undefined (calendar date). */
  readonly dayStarts: Minute | undefined;
  readonly auction: Section | undefined;
  /** Sections in trading order, `to` normalised so that to > from (may exceed 1440). */
  readonly sections: readonly Section[];
}

/** What the holiday list covers (docs/sessions.md, "Calendar coverage"). */
export interface CalendarCoverage {
  /** Last date the holidays are known for (YYYYMMDD), or 0 when the book lists none and declares nothing. */
  coversThrough: number;
  /** True when `coversThrough` is inferred (Dec 31 of the last year with a holiday), not declared. */
  inferred: boolean;
  /** The notices the holidays come from, as the file cites them. */
  sources: readonly { year?: number | undefined; title: string; url?: string | undefined }[];
  /** The file the calendar was read from. */
  file: string;
}

export interface SessionBook {
  readonly sessions: ReadonlyMap<string, Session>;
  /** Replaced in place by reloadCalendar (SIGHUP): holders of the book see the new list. */
  readonly holidays: ReadonlySet<number>;
  readonly calendar: CalendarCoverage;
  /** The session of an instrument: by EXCHG.product, then EXCHG.*, then default. */
  sessionOf(exchg: string, code: string): Session | undefined;
  /**
   * The time zone of an instrument's exchange-local times: its session's, else the zone every
   * session of its exchange shares (a spread or new product with no session of its own still
   * stamps times in its exchange's zone), else undefined.
   */
  timezoneOf(exchg: string, code: string): string | undefined;
}

const hhmm = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a time "HH:MM" (00:00 to 24:00)');
const SessionSchema = z.strictObject({
  timezone: z.string().default('Asia/Shanghai'),
  day_starts: hhmm.optional(),
  auction: z.tuple([hhmm, hhmm]).optional(),
  sections: z.array(z.tuple([hhmm, hhmm])).min(1),
  description: z.string().optional(),
});
const yyyymmdd = z.number().int().min(19900101).max(20991231);
export const SessionsFileSchema = z.strictObject({
  holidays: z.array(yyyymmdd).default([]),
  /** What the holidays cover and where they come from (cite the notices). */
  calendar: z
    .strictObject({
      covers_through: yyyymmdd,
      sources: z
        .array(z.strictObject({ year: z.number().int().optional(), title: z.string().min(1), url: z.string().optional() }))
        .default([]),
    })
    .optional(),
  sessions: z.record(z.string(), SessionSchema),
  products: z.record(z.string().regex(/^[A-Za-z0-9_-]+\.([A-Za-z]+|\*)$/, 'EXCHG.product or EXCHG.*'), z.string()),
  default: z.string().optional(),
});
export type SessionsFile = z.input<typeof SessionsFileSchema>;

export function minuteOf(text: string): Minute {
  const [h, m] = text.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** The product of a code: its leading letters (rb2505 → rb, SR505 → SR, IF2501 → IF). */
export function productOf(code: string): string {
  const m = /^[A-Za-z]+/.exec(code);
  return m ? m[0] : code;
}

function buildSession(name: string, s: z.infer<typeof SessionSchema>, source: string): Session {
  const sections = s.sections.map(([a, b]) => {
    const from = minuteOf(a);
    let to = minuteOf(b);
    if (to <= from) to += 1440;
    return { from, to };
  });
  const auction = s.auction ? { from: minuteOf(s.auction[0]), to: minuteOf(s.auction[1]) } : undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: s.timezone });
  } catch {
    throw new Error(`${source}: sessions.${name}.timezone: '${s.timezone}' is not a known IANA time zone (e.g. Asia/Shanghai, UTC)`);
  }
  return { name, timezone: s.timezone, dayStarts: s.day_starts ? minuteOf(s.day_starts) : undefined, auction, sections };
}

/** Builds a SessionBook from parsed JSON; throws with the key path on any problem. */
export function buildSessionBook(json: unknown, source = 'sessions'): SessionBook {
  const parsed = SessionsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const f = parsed.data;
  const sessions = new Map<string, Session>();
  for (const [name, s] of Object.entries(f.sessions)) sessions.set(name, buildSession(name, s, source));
  for (const [product, name] of Object.entries(f.products)) {
    if (!sessions.has(name)) throw new Error(`${source}: products.${product}: no session named '${name}'`);
  }
  if (f.default !== undefined && !sessions.has(f.default)) throw new Error(`${source}: default: no session named '${f.default}'`);
  const products = new Map(Object.entries(f.products).map(([k, v]) => [k, sessions.get(v)!]));
  const fallback = f.default === undefined ? undefined : sessions.get(f.default);
  // EXCHG -> the one zone of its products' sessions ('' when they disagree: no guess).
  const exchangeZones = new Map<string, string>();
  for (const [key, s] of products) {
    const ex = key.slice(0, key.indexOf('.'));
    const z = exchangeZones.get(ex);
    exchangeZones.set(ex, z === undefined || z === s.timezone ? s.timezone : '');
  }
  const cache = new Map<string, Map<string, Session | undefined>>();
  const lastYear = f.holidays.length > 0 ? Math.floor(Math.max(...f.holidays) / 10000) : 0;
  const calendar: CalendarCoverage = f.calendar
    ? { coversThrough: f.calendar.covers_through, inferred: false, sources: f.calendar.sources, file: source }
    : { coversThrough: lastYear > 0 ? lastYear * 10000 + 1231 : 0, inferred: true, sources: [], file: source };
  return {
    sessions,
    holidays: new Set(f.holidays),
    calendar,
    sessionOf(exchg: string, code: string): Session | undefined {
      // Called per tick (lag metric, trading date, bars): two Map lookups, no string built.
      let byCode = cache.get(exchg);
      if (byCode === undefined) {
        if (cache.size > 10_000) cache.clear();
        cache.set(exchg, (byCode = new Map<string, Session | undefined>()));
      }
      const hit = byCode.get(code);
      if (hit !== undefined || byCode.has(code)) return hit;
      const s = products.get(`${exchg}.${productOf(code)}`) ?? products.get(`${exchg}.*`) ?? fallback;
      if (byCode.size > 100_000) byCode.clear();
      byCode.set(code, s);
      return s;
    },
    timezoneOf(exchg: string, code: string): string | undefined {
      return this.sessionOf(exchg, code)?.timezone ?? (exchangeZones.get(exchg) || undefined);
    },
  };
}

/** Reads and builds a sessions file; every problem is an E_CONFIG error naming the file and key. */
export function loadSessionBook(file: string): SessionBook {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: cannot read the sessions file (${(err as Error).message}).`, { file });
  }
  try {
    return buildSessionBook(json, file);
  } catch (err) {
    throw new TickrecError('E_CONFIG', (err as Error).message, { file });
  }
}

/**
 * SIGHUP: puts the holidays and coverage of `from` into `book` in place, so every holder of
 * `book` (normalizer, bars, day roll) uses them from its next call. Sessions and products
 * are not replaced (they shape open files and bars: a restart applies them); returns
 * whether they differ, so the caller can say so.
 */
export function reloadCalendar(book: SessionBook, from: SessionBook): { sessionsChanged: boolean } {
  const h = book.holidays as Set<number>;
  h.clear();
  for (const d of from.holidays) h.add(d);
  Object.assign(book.calendar, from.calendar);
  const describe = (b: SessionBook) => JSON.stringify([...b.sessions.values()]);
  return { sessionsChanged: describe(book) !== describe(from) };
}

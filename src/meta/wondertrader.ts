// Reading a WonderTrader common/ folder (commodities.json, contracts.json, sessions.json, holidays.json) as a source of instrument metadata and as a sessions book, so a WonderTrader user points tickrec at the files they already keep.
//
// MAPPING (docs/instruments.md; formats read from WonderTrader's WTSBaseDataMgr, never copied):
// - commodities.json {EXCHG: {product: {pricetick, precision, volscale, lotstick, session,
//   holiday}}} → product "EXCHG.product": price_tick, price_decimals, multiplier (volscale),
//   lot_step (lotstick, default 1), and the product's session;
// - contracts.json {EXCHG: {code: {product} | {rules: {...}}}}: a contract with `rules` is
//   its own product (fields and session from the rules);
// - sessions.json {NAME: {offset, auction: {from, to} | auctions: [...], sections: [{from,
//   to}]}} with HHMM integers → tickrec sessions in Asia/Shanghai (WonderTrader's files
//   carry no zone; its templates are China's), `day_starts` = 24:00 − offset for an
//   offset above 0 (offset 300: a tick from 19:00 belongs to the next trading day);
// - holidays.json {TEMPLATE: ["YYYYMMDD", ...]}: the holidays of every template a
//   commodity names (tickrec keeps one holiday list).
// The files are GBK-encoded in WonderTrader's distribution (product names): read as
// UTF-8 when valid, else as GBK; names are not used.

import fs from 'node:fs';
import path from 'node:path';
import type { SessionsFile } from '../calendar/index.js';
import { TickrecError } from '../errors.js';
import { decimalField, type MetaFields, type MetaSource } from './instruments.js';

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: cannot read the WonderTrader file (${(err as Error).message}).`, { file });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('gbk').decode(bytes);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected an object at the top level');
    return v as Json;
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: not a WonderTrader JSON file (${(err as Error).message}).`, { file });
  }
}

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function hhmmText(v: unknown, where: string, file: string): string {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2400 || v % 100 > 59) {
    throw new TickrecError('E_CONFIG', `${file}: ${where}: expected a time HHMM (e.g. 2100), got ${String(v).slice(0, 20)}.`, { file });
  }
  return `${String(Math.floor(v / 100)).padStart(2, '0')}:${String(v % 100).padStart(2, '0')}`;
}

function fields(p: Json, where: string, file: string): MetaFields {
  const f: MetaFields = {};
  const num = (k: string): number | undefined => {
    const v = p[k];
    return typeof v === 'number' && v > 0 ? v : undefined;
  };
  try {
    const tick = num('pricetick');
    if (tick !== undefined) f.price_tick = decimalField(tick, `${where}.pricetick`);
    if (typeof p.precision === 'number' && Number.isInteger(p.precision) && p.precision >= 0 && p.precision <= 12)
      f.price_decimals = p.precision;
    const mult = num('volscale');
    if (mult !== undefined) f.multiplier = decimalField(mult, `${where}.volscale`);
    const lot = num('lotstick');
    if (lot !== undefined) f.lot_step = decimalField(lot, `${where}.lotstick`);
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: ${(err as Error).message}`, { file });
  }
  return f;
}

export interface WonderTraderCommon {
  /** Instrument metadata from commodities.json and contracts.json. */
  source: MetaSource;
  /** A tickrec sessions file built from sessions.json, holidays.json and the commodities' sessions. */
  sessions: SessionsFile;
}

/** Reads a WonderTrader common/ folder; every problem is an E_CONFIG error naming the file and key. */
export function loadWonderTraderCommon(dir: string): WonderTraderCommon {
  const file = (n: string) => path.join(dir, n);
  const commodities = readJson(file('commodities.json'));
  const contracts = fs.existsSync(file('contracts.json')) ? readJson(file('contracts.json')) : {};
  const wtSessions = readJson(file('sessions.json'));
  const holidaysJson = fs.existsSync(file('holidays.json')) ? readJson(file('holidays.json')) : {};

  const products = new Map<string, MetaFields>();
  const instruments = new Map<string, MetaFields>();
  const productSessions: Record<string, string> = {};
  const templates = new Set<string>();
  for (const [exchg, byProduct] of Object.entries(commodities)) {
    if (!isObj(byProduct)) continue;
    for (const [pid, p] of Object.entries(byProduct)) {
      if (!isObj(p)) continue;
      const key = `${exchg}.${pid}`;
      products.set(key, fields(p, key, file('commodities.json')));
      if (typeof p.session === 'string' && p.session !== '' && /^[A-Za-z]+$/.test(pid)) productSessions[key] = p.session;
      if (typeof p.holiday === 'string' && p.holiday !== '') templates.add(p.holiday);
    }
  }
  for (const [exchg, byCode] of Object.entries(contracts)) {
    if (!isObj(byCode)) continue;
    for (const [code, c] of Object.entries(byCode)) {
      if (!isObj(c) || !isObj(c.rules)) continue;
      instruments.set(`${exchg}.${code}`, fields(c.rules, `${exchg}.${code}.rules`, file('contracts.json')));
    }
  }

  const sessions: SessionsFile['sessions'] = {};
  for (const [name, s] of Object.entries(wtSessions)) {
    const where = `sessions.json ${name}`;
    if (!isObj(s) || !Array.isArray(s.sections) || s.sections.length === 0) {
      throw new TickrecError('E_CONFIG', `${file('sessions.json')}: ${name}: expected { offset, sections: [{from, to}] }.`, {
        file: file('sessions.json'),
      });
    }
    const sf = file('sessions.json');
    const sections = (s.sections as unknown[]).map((x, i): [string, string] => {
      if (!isObj(x)) throw new TickrecError('E_CONFIG', `${sf}: ${name}.sections[${i}]: expected {from, to}.`, { file: sf });
      return [hhmmText(x.from, `${name}.sections[${i}].from`, sf), hhmmText(x.to, `${name}.sections[${i}].to`, sf)];
    });
    const offset = typeof s.offset === 'number' ? s.offset : 0;
    if (!Number.isInteger(offset) || offset < 0 || offset >= 1440) {
      throw new TickrecError('E_CONFIG', `${sf}: ${name}.offset: ${String(offset)} is not supported (0 to 1439 minutes).`, { file: sf });
    }
    const auc = isObj(s.auction) ? s.auction : Array.isArray(s.auctions) && isObj(s.auctions[0]) ? s.auctions[0] : undefined;
    const dayStartMin = 1440 - offset;
    sessions[name] = {
      timezone: 'Asia/Shanghai',
      description: `from WonderTrader ${where}`,
      sections,
      ...(auc ? { auction: [hhmmText(auc.from, `${name}.auction.from`, sf), hhmmText(auc.to, `${name}.auction.to`, sf)] } : {}),
      ...(offset > 0
        ? { day_starts: `${String(Math.floor(dayStartMin / 60)).padStart(2, '0')}:${String(dayStartMin % 60).padStart(2, '0')}` }
        : {}),
    };
  }
  for (const [key, sid] of Object.entries(productSessions)) {
    if (!(sid in sessions)) {
      throw new TickrecError('E_CONFIG', `${file('commodities.json')}: ${key}.session: no session '${sid}' in sessions.json.`, {
        file: file('commodities.json'),
      });
    }
  }
  const holidays = new Set<number>();
  for (const t of templates.size > 0 ? templates : new Set(Object.keys(holidaysJson))) {
    const list = holidaysJson[t];
    if (!Array.isArray(list)) continue;
    for (const d of list) {
      const n = Number(d);
      if (Number.isInteger(n) && n >= 19900101 && n <= 20991231) holidays.add(n);
    }
  }
  return {
    source: { name: `${dir} (WonderTrader)`, products, instruments },
    sessions: { holidays: [...holidays].sort((a, b) => a - b), sessions, products: productSessions },
  };
}

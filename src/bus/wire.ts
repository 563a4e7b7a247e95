// The bus's wire rules, written once: subject, headers, message id, end-of-day marker,
// and the checks a mirror applies to every message before it may reach a file.
//
// SUBJECT   <prefix>.<kind>.<EXCHG>.<CODE>    e.g. tickrec.tick.SHFE.rb2505
//   kind is a record kind name (tick, trade, min1, min5, min15, min30, min60). EXCHG and
//   CODE follow the store's NAME RULE (src/layout/names.ts); EXCHG must hold no '.', and
//   the dots of a CODE stay token separators (tickrec.tick.SSE.>), so a subscriber joins
//   every token after EXCHG with '.' to get the code.
//   <prefix>.closed.<SESSION>   the closed-bar events of a session (rt/closed/<SESSION>.dmb,
//   docs/bars.md): a session's file, not an instrument's, so no EXCHG token; the dots of
//   SESSION stay token separators too. "kind.rest" of the subject is the TARGET of a
//   message: the one file it belongs to, named the same way in ids and cursors.
//   <prefix>.meta.<EXCHG>.<CODE>  the instrument's metadata (INSTRUMENT METADATA below).
// PAYLOAD   the record's bytes exactly as in the day file (the datakit struct,
//   docs/format.md): 512 bytes for a tick, 112 for a trade, 88 for a bar or a closed-bar
//   event (the bar layout: date, time, every other field 0). Nothing else.
// HEADERS   Tickrec-Date   trading date YYYYMMDD of the day file (the file header's date)
//           Tickrec-Index  the record's index in its day file at the publisher
//           Tickrec-Format 1 (this layout)
//           Tickrec-File   n of the publisher's day file <CODE>~<n>.dmb, when a day has more
//                          than one file (THE DAY ROLL, src/store/roll.ts); absent for the
//                          day's first file (n = 0)
//           Tickrec-Volume-Decimals  on an instrument's records (ticks, trades, bars; not on
//                          closed-bar events or end markers): the unit the record's volumes are
//                          in, n of 10^-n, i.e. the volume_decimals of the metadata the publisher
//                          sent for the instrument before it (0 when its root has none). See
//                          UNIT OF A RECORD.
//           Nats-Msg-Id    see MESSAGE ID
// MESSAGE ID  <kind>.<EXCHG>.<CODE>.<DATE>.<H>.<N>   (closed events: closed.<SESSION>.<DATE>.<H>.<N>)
//   H = SHA-256 of the payload, first 128 bits in base64url; N = how many records before
//   it in the same day file have the same time key and the same bytes (almost always 0).
//   A day's second file n > 0 carries <DATE>~<n> in place of <DATE> (its end marker too):
//   its records are the publisher's records of another file, never dropped as copies of
//   the first file's.
//   It depends on the record's content only, never on the publisher's index: a resend
//   after a crash, and the same tick recorded by a second recorder (whose index differs),
//   carry the same id, and JetStream drops the second copy within its duplicate window.
// END OF DAY  when the publisher's day file was set aside (THE DAY ROLL, src/store/roll.ts), it sends one
//   message on the same subject after the day's last record: empty payload, headers
//   Tickrec-Date and Tickrec-End = records in the day file, id <kind>.<EXCHG>.<CODE>.<DATE>.end.
//   A mirror sets its own day file aside on it, as the recorder did.
// INSTRUMENT METADATA  a stored trade volume counts units of 10^-volume_decimals and
//   exchange times are in the instrument's zone (src/meta/root.ts): a record read without
//   its instrument's metadata can give a wrong quantity or time. So before an instrument's
//   first record of a run, the publisher sends on <prefix>.meta.<EXCHG>.<CODE> the bytes of
//   its root's meta/instruments/<EXCHG>/<CODE>.json (JSON, format 1), or an empty payload
//   when its root has no such file (the records read there with the defaults: whole units),
//   and sends the instrument's records only after JetStream acknowledged it; again when the
//   file changes. Headers: Tickrec-Format; id meta.<EXCHG>.<CODE>.<H> (H of the payload as
//   above; `none` for the empty payload), so resends and a second recorder's identical
//   metadata are dropped. A mirror writes the file before the instrument's first record and
//   refuses records of an instrument whose metadata it has not got (src/bus/mirror.ts).
// UNIT OF A RECORD  the message id depends on the bytes only, so the same trade stored in
//   another unit by a second recorder (another lot step in its root's metadata) is not a
//   duplicate, and the mirror refuses that recorder's metadata (it differs from its file):
//   without more, its records would be written here in the wrong unit. So every record of
//   an instrument carries Tickrec-Volume-Decimals, and a mirror writes it only when that is
//   the unit of its own metadata of the instrument (0 when it holds the publisher's word
//   "none"); else it is refused (`unit`), never written. A record without the header (a
//   publisher from before it) is taken as before; a malformed value is refused (`foreign`).
// CLOSED EVENTS AFTER THEIR BARS  a closed-bar event says "every bar of the session up to
//   this time is published"; on the bus it keeps that meaning: the publisher sends an event
//   only after JetStream acknowledged every bar record that was in the bar files when the
//   event was read (the recorder appends the bars first), so in the stream the event's
//   sequence is above theirs and a mirror reading the stream in order writes it after them.

import crypto from 'node:crypto';
import { MIN1_KIND, kindByName, type RecordKind } from '../format/index.js';
import { validVolumeDecimals } from '../meta/index.js';
import { nameProblem, EXCHG_MAX_CHARS, CODE_MAX_CHARS, SESSION_NAME_MAX_CHARS } from '../layout/index.js';

export const HDR_DATE = 'Tickrec-Date';
export const HDR_INDEX = 'Tickrec-Index';
export const HDR_FORMAT = 'Tickrec-Format';
export const HDR_END = 'Tickrec-End';
export const HDR_FILE = 'Tickrec-File';
export const HDR_MSG_ID = 'Nats-Msg-Id';
export const HDR_VOLUME_DECIMALS = 'Tickrec-Volume-Decimals';
export const WIRE_FORMAT = '1';

/** Record kinds with an instrument file that go on the bus. */
export const BUS_KIND_NAMES = ['tick', 'trade', 'min1', 'min5', 'min15', 'min30', 'min60'] as const;

/** The kind token of closed-bar events (one file per session). */
export const CLOSED_NAME = 'closed';

/** The kind token of instrument metadata messages (INSTRUMENT METADATA). */
export const META_NAME = 'meta';

/** Largest metadata payload a mirror accepts, bytes (a file is a few hundred). */
export const META_MAX_BYTES = 64 * 1024;

/** An instrument whose metadata a message carries. */
export interface MetaTarget {
  readonly exchg: string;
  readonly code: string;
}

export function metaSubject(prefix: string, exchg: string, code: string): string {
  return `${prefix}.${META_NAME}.${exchg}.${code}`;
}

/** meta.<EXCHG>.<CODE>.<H>, or .none for the empty payload (no file at the publisher). */
export function metaMessageId(exchg: string, code: string, payload: Uint8Array): string {
  return `${META_NAME}.${exchg}.${code}.${payload.length === 0 ? 'none' : contentHash(payload)}`;
}

/** The instrument of a <prefix>.meta.<EXCHG>.<CODE> subject; a reason when it is malformed; undefined when it is not a meta subject. */
export function parseMetaSubject(prefix: string, subject: string): MetaTarget | string | undefined {
  const t = subject.split('.');
  if (t[0] !== prefix || t[1] !== META_NAME) return undefined;
  if (t.length < 4) return `subject '${subject.slice(0, 80)}': not ${prefix}.${META_NAME}.<EXCHG>.<CODE>`;
  const exchg = t[2]!;
  const code = t.slice(3).join('.');
  const p = instrumentProblem(exchg, code);
  return p ? `subject '${subject.slice(0, 80)}': ${p}` : { exchg, code };
}

/**
 * The file a message belongs to: an instrument's file of a record kind, or a session's
 * closed-bar events (exchg undefined, code = the session; records in the bar layout).
 */
export interface BusTarget {
  /** The kind token: a record kind name or 'closed'. */
  readonly name: string;
  /** The record layout. */
  readonly kind: RecordKind;
  readonly exchg: string | undefined;
  /** The instrument code, or the session of closed events. */
  readonly code: string;
}

export function instrumentTarget(kind: RecordKind, exchg: string, code: string): BusTarget {
  return { name: kind.name, kind, exchg, code };
}

export function closedTarget(session: string): BusTarget {
  return { name: CLOSED_NAME, kind: MIN1_KIND, exchg: undefined, code: session };
}

/** "<kind>.<EXCHG>.<CODE>" or "closed.<SESSION>": the subject after the prefix, the start of every id. */
export function targetStem(t: BusTarget): string {
  return t.exchg === undefined ? `${t.name}.${t.code}` : `${t.name}.${t.exchg}.${t.code}`;
}

/** A target in words, for messages: "tick SHFE.rb2505", "closed events of SHFE_night". */
export function targetText(t: BusTarget): string {
  return t.exchg === undefined ? `closed events of ${t.code}` : `${t.name} ${t.exchg}.${t.code}`;
}

/** The prefix must be one subject token of plain characters (the configuration's publish.nats.prefix is checked by it too). */
export const BUS_PREFIX = /^[A-Za-z0-9_-]{1,32}$/;
export const BUS_PREFIX_RULE = "one subject token: letters, digits, '_' or '-', at most 32";

export function prefixProblem(prefix: string): string | null {
  return BUS_PREFIX.test(prefix) ? null : `prefix '${prefix.slice(0, 40)}': ${BUS_PREFIX_RULE}`;
}

/** Why an instrument cannot be sent on the bus, or null when it can. */
export function instrumentProblem(exchg: string, code: string): string | null {
  const pe = nameProblem(exchg, EXCHG_MAX_CHARS);
  if (pe) return `exchange '${exchg.slice(0, 40)}': ${pe}`;
  if (exchg.includes('.')) return `exchange '${exchg}': a '.' cannot be part of a subject token`;
  const pc = nameProblem(code, CODE_MAX_CHARS);
  if (pc) return `code '${code.slice(0, 40)}': ${pc}`;
  if (code.split('.').some((t) => t === '')) return `code '${code}': an empty subject token`;
  return null;
}

/** Why a session's closed events cannot be sent on the bus, or null when they can. */
export function sessionProblem(session: string): string | null {
  const p = nameProblem(session, SESSION_NAME_MAX_CHARS);
  if (p) return `session '${session.slice(0, 40)}': ${p}`;
  if (session.split('.').some((t) => t === '')) return `session '${session}': an empty subject token`;
  return null;
}

export function subjectOf(prefix: string, t: BusTarget): string {
  return `${prefix}.${targetStem(t)}`;
}

/** The target a subject names, or a reason it is not a tickrec subject. */
export function parseSubject(prefix: string, subject: string): BusTarget | string {
  const t = subject.split('.');
  if (t.length >= 3 && t[0] === prefix && t[1] === CLOSED_NAME) {
    const session = t.slice(2).join('.');
    const p = sessionProblem(session);
    return p ? `subject '${subject.slice(0, 80)}': ${p}` : closedTarget(session);
  }
  if (t.length < 4 || t[0] !== prefix) return `subject '${subject.slice(0, 80)}': not ${prefix}.<kind>.<EXCHG>.<CODE>`;
  const kind = kindByName(t[1]!);
  if (!kind || !(BUS_KIND_NAMES as readonly string[]).includes(kind.name))
    return `subject '${subject.slice(0, 80)}': unknown kind '${t[1]}'`;
  const exchg = t[2]!;
  const code = t.slice(3).join('.');
  const p = instrumentProblem(exchg, code);
  return p ? `subject '${subject.slice(0, 80)}': ${p}` : instrumentTarget(kind, exchg, code);
}

/** H of the message id: the first 128 bits of SHA-256 of the record, base64url (22 characters). */
export function contentHash(record: Uint8Array): string {
  return crypto.createHash('sha256').update(record).digest('base64url').slice(0, 22);
}

/** The <DATE> token of a message id: the date, with ~<n> for a day's file n > 0. */
function dayToken(date: number, file: number): string {
  return file === 0 ? String(date) : `${date}~${file}`;
}

export function messageId(t: BusTarget, date: number, hash: string, same: number, file = 0): string {
  return `${targetStem(t)}.${dayToken(date, file)}.${hash}.${same}`;
}

export function endMessageId(t: BusTarget, date: number, file = 0): string {
  return `${targetStem(t)}.${dayToken(date, file)}.end`;
}

/** n of Tickrec-File: 0 when absent (a day's first file), undefined when malformed. */
export function parseFileNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return 0;
  if (!/^[1-9]\d{0,8}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * n of Tickrec-Volume-Decimals (UNIT OF A RECORD): null when absent (a publisher from
 * before the header), undefined when malformed (not a volume_decimals, src/meta/units.ts).
 */
export function parseVolumeDecimals(text: string | undefined): number | null | undefined {
  if (text === undefined || text === '') return null;
  if (!/^(0|[1-9]\d?)$/.test(text)) return undefined;
  const n = Number(text);
  return validVolumeDecimals(n) ? n : undefined;
}

/** A trading date as the bus carries it: YYYYMMDD between 1990 and 2099. */
export function parseDate(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{8}$/.test(text)) return undefined;
  const d = Number(text);
  const m = Math.floor(d / 100) % 100;
  const day = d % 100;
  return d >= 19900101 && d <= 20991231 && m >= 1 && m <= 12 && day >= 1 && day <= 31 ? d : undefined;
}

/**
 * N of the message id for record `i` of a day file: how many records just before it have
 * the same time key and the same bytes. Records are in time order, so only the run of
 * equal keys ending at i is looked at.
 */
export function sameBefore(i: number, keyAt: (j: number) => number, bytesAt: (j: number) => Uint8Array): number {
  const key = keyAt(i);
  const mine = bytesAt(i);
  let same = 0;
  for (let j = i - 1; j >= 0 && keyAt(j) === key; j--) if (Buffer.compare(bytesAt(j), mine) === 0) same++;
  return same;
}

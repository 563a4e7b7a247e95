// The bus's wire rules, written once: subject, headers, message id, end-of-day marker,
// and the checks a mirror applies to every message before it may reach a file.
//
// SUBJECT   <prefix>.<kind>.<EXCHG>.<CODE>    e.g. tickrec.tick.SHFE.rb2505
//   kind is a record kind name (tick, trade, min1, min5, min15, min30, min60). EXCHG and
//   CODE follow the store's NAME RULE (src/store/paths.ts); EXCHG must hold no '.', and
//   the dots of a CODE stay token separators (tickrec.tick.SSE.>), so a subscriber joins
//   every token after EXCHG with '.' to get the code.
// PAYLOAD   the record's bytes exactly as in the day file (the datakit struct,
//   docs/format.md): 512 bytes for a tick, 112 for a trade, 88 for a bar. Nothing else.
// HEADERS   Tickrec-Date   trading date YYYYMMDD of the day file (the file header's date)
//           Tickrec-Index  the record's index in its day file at the publisher
//           Tickrec-Format 1 (this layout)
//           Nats-Msg-Id    see MESSAGE ID
// MESSAGE ID  <kind>.<EXCHG>.<CODE>.<DATE>.<H>.<N>
//   H = SHA-256 of the payload, first 128 bits in base64url; N = how many records before
//   it in the same day file have the same time key and the same bytes (almost always 0).
//   It depends on the record's content only, never on the publisher's index: a resend
//   after a crash, and the same tick recorded by a second recorder (whose index differs),
//   carry the same id, and JetStream drops the second copy within its duplicate window.
// END OF DAY  when the publisher's day file was set aside (the ROLL RULE), it sends one
//   message on the same subject after the day's last record: empty payload, headers
//   Tickrec-Date and Tickrec-End = records in the day file, id <kind>.<EXCHG>.<CODE>.<DATE>.end.
//   A mirror sets its own day file aside on it, as the recorder did.

import crypto from 'node:crypto';
import { kindByName, type RecordKind } from '../format/index.js';
import { nameProblem, EXCHG_MAX_CHARS, CODE_MAX_CHARS } from '../store/paths.js';

export const HDR_DATE = 'Tickrec-Date';
export const HDR_INDEX = 'Tickrec-Index';
export const HDR_FORMAT = 'Tickrec-Format';
export const HDR_END = 'Tickrec-End';
export const HDR_MSG_ID = 'Nats-Msg-Id';
export const WIRE_FORMAT = '1';

/** Kinds the publisher sends by default: every kind with an instrument file. */
export const BUS_KIND_NAMES = ['tick', 'trade', 'min1', 'min5', 'min15', 'min30', 'min60'] as const;

/** The prefix must be one subject token of plain characters. */
const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

export function prefixProblem(prefix: string): string | null {
  return PREFIX.test(prefix) ? null : `prefix '${prefix.slice(0, 40)}': one token of letters, digits, '_' or '-', at most 32`;
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

export function subjectOf(prefix: string, kind: RecordKind, exchg: string, code: string): string {
  return `${prefix}.${kind.name}.${exchg}.${code}`;
}

export interface ParsedSubject {
  kind: RecordKind;
  exchg: string;
  code: string;
}

/** The kind and instrument a subject names, or a reason it is not a tickrec subject. */
export function parseSubject(prefix: string, subject: string): ParsedSubject | string {
  const t = subject.split('.');
  if (t.length < 4 || t[0] !== prefix) return `subject '${subject.slice(0, 80)}': not ${prefix}.<kind>.<EXCHG>.<CODE>`;
  const kind = kindByName(t[1]!);
  if (!kind || !(BUS_KIND_NAMES as readonly string[]).includes(kind.name))
    return `subject '${subject.slice(0, 80)}': unknown kind '${t[1]}'`;
  const exchg = t[2]!;
  const code = t.slice(3).join('.');
  const p = instrumentProblem(exchg, code);
  return p ? `subject '${subject.slice(0, 80)}': ${p}` : { kind, exchg, code };
}

/** H of the message id: the first 128 bits of SHA-256 of the record, base64url (22 characters). */
export function contentHash(record: Uint8Array): string {
  return crypto.createHash('sha256').update(record).digest('base64url').slice(0, 22);
}

export function messageId(kind: RecordKind, exchg: string, code: string, date: number, hash: string, same: number): string {
  return `${kind.name}.${exchg}.${code}.${date}.${hash}.${same}`;
}

export function endMessageId(kind: RecordKind, exchg: string, code: string, date: number): string {
  return `${kind.name}.${exchg}.${code}.${date}.end`;
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

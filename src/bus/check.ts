// What a mirror accepts from the bus: every message is checked against the wire rules
// (wire.ts) before any byte of it may reach a file. A message that fails is refused and
// counted by reason; nothing of it is written.
//
// Reasons:
//   subject     not <prefix>.<kind>.<EXCHG>.<CODE>, or a kind/name tickrec does not write
//   foreign     no or wrong Tickrec-Format / Tickrec-Date / Nats-Msg-Id: not sent by a
//               tickrec publisher (the id must be the one the payload's bytes give); a
//               malformed Tickrec-Volume-Decimals, or one on a closed-bar event
//   size        the payload is not exactly one record of the subject's kind
//   instrument  a tick or trade whose exchg/code fields are not the subject's
//   date        the record's trading date is not the header's
//   encoding    bytes tickrec's writer would not produce (non-zero padding, bytes after
//               a string's NUL): decoding and encoding again must give the same bytes;
//               a closed-bar event with a field other than date and time set
// Metadata messages (<prefix>.meta.<EXCHG>.<CODE>, wire.ts INSTRUMENT METADATA):
//   foreign     no or wrong Tickrec-Format / Nats-Msg-Id (the id the payload gives)
//   size        more than META_MAX_BYTES
//   encoding    not tickrec instrument metadata (JSON of format 1, a valid volume_decimals, timezone a string or null)
//   instrument  its exchg/code are not the subject's

import { MAX_DECIMALS, Mem, type RecordKind } from '../format/index.js';
import { CODE_MAX_CHARS, EXCHG_MAX_CHARS } from '../layout/index.js';
import { parseStoredMeta, type StoredMeta } from '../meta/index.js';
import {
  HDR_DATE,
  HDR_END,
  HDR_FILE,
  HDR_FORMAT,
  HDR_MSG_ID,
  HDR_VOLUME_DECIMALS,
  META_MAX_BYTES,
  WIRE_FORMAT,
  contentHash,
  endMessageId,
  messageId,
  metaMessageId,
  parseDate,
  parseMetaSubject,
  parseFileNumber,
  parseSubject,
  parseVolumeDecimals,
  type BusTarget,
} from './wire.js';

export type RefusalReason = 'subject' | 'foreign' | 'size' | 'instrument' | 'date' | 'encoding';

export interface BusRecord {
  readonly type: 'record';
  readonly target: BusTarget;
  /** The record layout (target.kind). */
  readonly kind: RecordKind;
  readonly date: number;
  /** Which file of the day at the publisher (Tickrec-File; 0: the first). */
  readonly file: number;
  /** The record's bytes, in an 8-aligned copy of its own. */
  readonly mem: Mem;
  /** Time key (RecordKind.keyAt). */
  readonly key: number;
  /** N of the message id: identical records before it with the same key in the publisher's file. */
  readonly same: number;
  /** The unit of its volumes, n of 10^-n (Tickrec-Volume-Decimals, wire.ts UNIT OF A RECORD); null: not said (an older publisher, or a closed-bar event). */
  readonly volumeDecimals: number | null;
}

export interface BusEnd {
  readonly type: 'end';
  readonly target: BusTarget;
  readonly date: number;
  /** Which file of the day at the publisher (Tickrec-File; 0: the first). */
  readonly file: number;
  /** Records in the publisher's day file. */
  readonly count: number;
}

export interface BusMeta {
  readonly type: 'meta';
  readonly exchg: string;
  readonly code: string;
  /** The file's text as the publisher's root holds it; undefined: that root has no file for the instrument. */
  readonly text: string | undefined;
  readonly meta: StoredMeta | undefined;
}

export interface Refusal {
  readonly type: 'refused';
  readonly reason: RefusalReason;
  readonly detail: string;
}

/** Headers as the NATS client gives them (MsgHdrs.get returns '' for a missing key). */
export interface HeaderSource {
  get(key: string): string;
}

const refuse = (reason: RefusalReason, detail: string): Refusal => ({ type: 'refused', reason, detail });

/** EXCHG.CODE of a refused record or metadata for the detail: each name cut to the longest a name may be (src/layout/names.ts). */
const instrumentName = (exchg: unknown, code: unknown): string =>
  `${String(exchg).slice(0, EXCHG_MAX_CHARS)}.${String(code).slice(0, CODE_MAX_CHARS)}`;

/** Largest N a message id may carry (the scan of equal keys in wire.sameBefore is far below it in practice). */
const SAME_MAX = 1_000_000;

export function checkMessage(
  prefix: string,
  subject: string,
  hdrs: HeaderSource | undefined,
  data: Uint8Array,
): BusRecord | BusEnd | BusMeta | Refusal {
  const mt = parseMetaSubject(prefix, subject);
  if (typeof mt === 'string') return refuse('subject', mt);
  if (mt !== undefined) return checkMeta(mt.exchg, mt.code, subject.slice(0, 80), hdrs, data);
  const target = parseSubject(prefix, subject);
  if (typeof target === 'string') return refuse('subject', target);
  const { kind, exchg, code } = target;
  const where = subject.slice(0, 80);
  if (!hdrs) return refuse('foreign', `${where}: no headers`);
  if (hdrs.get(HDR_FORMAT) !== WIRE_FORMAT)
    return refuse('foreign', `${where}: ${HDR_FORMAT} '${hdrs.get(HDR_FORMAT).slice(0, 20)}', not ${WIRE_FORMAT}`);
  const date = parseDate(hdrs.get(HDR_DATE));
  if (date === undefined) return refuse('foreign', `${where}: ${HDR_DATE} '${hdrs.get(HDR_DATE).slice(0, 20)}' is not a date YYYYMMDD`);
  const file = parseFileNumber(hdrs.get(HDR_FILE));
  if (file === undefined) return refuse('foreign', `${where}: ${HDR_FILE} '${hdrs.get(HDR_FILE).slice(0, 20)}' is not a file number`);
  const volumeDecimals = parseVolumeDecimals(hdrs.get(HDR_VOLUME_DECIMALS));
  if (volumeDecimals === undefined || (exchg === undefined && volumeDecimals !== null))
    return refuse(
      'foreign',
      `${where}: ${HDR_VOLUME_DECIMALS} '${hdrs.get(HDR_VOLUME_DECIMALS).slice(0, 20)}' is not ` +
        (exchg === undefined ? 'sent on closed-bar events' : `a volume_decimals (0..${MAX_DECIMALS})`),
    );
  const id = hdrs.get(HDR_MSG_ID);
  const endText = hdrs.get(HDR_END);
  if (endText !== '') {
    if (!/^\d{1,10}$/.test(endText) || data.length !== 0) return refuse('foreign', `${where}: a malformed end-of-day marker`);
    if (id !== endMessageId(target, date, file))
      return refuse('foreign', `${where}: end-of-day marker with message id '${id.slice(0, 80)}'`);
    return { type: 'end', target, date, file, count: Number(endText) };
  }
  if (data.length !== kind.recordBytes)
    return refuse('size', `${where}: ${data.length} bytes, a ${kind.name} record is ${kind.recordBytes}`);
  const hash = contentHash(data);
  const stem = messageId(target, date, hash, 0, file).slice(0, -1); // "<kind>.<EXCHG>.<CODE>.<DATE>.<H>."
  const sameText = id.startsWith(stem) ? id.slice(stem.length) : '';
  if (!/^\d{1,7}$/.test(sameText) || Number(sameText) > SAME_MAX)
    return refuse('foreign', `${where}: message id '${id.slice(0, 100)}' is not the one its bytes give`);
  const mem = Mem.alloc(kind.recordBytes);
  mem.u8.set(data);
  const rec = kind.codec.decode(mem, 0) as Record<string, unknown>;
  if (exchg === undefined) {
    const set = Object.keys(rec).filter((k) => k !== 'date' && k !== 'time' && rec[k] !== 0);
    if (set.length > 0)
      return refuse('encoding', `${where}: a closed-bar event with ${set.slice(0, 3).join(', ')} set (only date and time may be)`);
  } else if ('exchg' in rec && (rec['exchg'] !== exchg || rec['code'] !== code)) {
    return refuse('instrument', `${where}: a record of ${instrumentName(rec['exchg'], rec['code'])}`);
  }
  const recDate = 'trading_date' in rec ? rec['trading_date'] : rec['date'];
  if (recDate !== date) return refuse('date', `${where}: trading date ${String(recDate)} in the record, ${date} in ${HDR_DATE}`);
  const again = Mem.alloc(kind.recordBytes);
  kind.codec.encode(rec, again, 0);
  if (Buffer.compare(again.u8, mem.u8) !== 0)
    return refuse('encoding', `${where}: bytes tickrec's writer would not write (padding or string tails)`);
  return { type: 'record', target, kind, date, file, mem, key: kind.keyAt(mem, 0), same: Number(sameText), volumeDecimals };
}

function checkMeta(exchg: string, code: string, where: string, hdrs: HeaderSource | undefined, data: Uint8Array): BusMeta | Refusal {
  if (!hdrs) return refuse('foreign', `${where}: no headers`);
  if (hdrs.get(HDR_FORMAT) !== WIRE_FORMAT)
    return refuse('foreign', `${where}: ${HDR_FORMAT} '${hdrs.get(HDR_FORMAT).slice(0, 20)}', not ${WIRE_FORMAT}`);
  if (data.length > META_MAX_BYTES) return refuse('size', `${where}: ${data.length} bytes of metadata, at most ${META_MAX_BYTES}`);
  const id = hdrs.get(HDR_MSG_ID);
  if (id !== metaMessageId(exchg, code, data))
    return refuse('foreign', `${where}: message id '${id.slice(0, 100)}' is not the one its bytes give`);
  if (data.length === 0) return { type: 'meta', exchg, code, text: undefined, meta: undefined };
  const text = Buffer.from(data).toString('utf8');
  let meta: StoredMeta;
  try {
    meta = parseStoredMeta(text, where);
  } catch (err) {
    return refuse('encoding', (err as Error).message.slice(0, 200));
  }
  if (!(meta.timezone === null || typeof meta.timezone === 'string'))
    return refuse('encoding', `${where}: timezone ${JSON.stringify(meta.timezone).slice(0, 40)} is not a zone name or null`);
  if (meta.exchg !== exchg || meta.code !== code)
    return refuse('instrument', `${where}: metadata of ${instrumentName(meta.exchg, meta.code)}`);
  return { type: 'meta', exchg, code, text, meta };
}

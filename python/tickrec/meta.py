"""Instrument metadata of a data root, and what readers make of it: real trade quantities (stored units / 10^volume_decimals) and the UTC instant of a record (`ts_utc`).

The Python half of src/meta/root.ts, src/meta/units.ts and src/read/present.ts; the rules
are docs/format.md's ("Trade volume", "Instrument metadata in the data root", "Reading
times"), the same for every reader:

- METADATA: <root>/meta/instruments/<EXCHG>/<CODE>.json, written by the recorder before
  the first record of the instrument it stores. `volume_decimals` (0..12) and `timezone`
  never change once written. A file that is not JSON, or lacks format 1 or a valid
  `volume_decimals`, is refused (E_CORRUPT). An instrument without a file reads with
  volume_decimals 0 (whole units, datakit's meaning) and the zone and session close of the
  bundled sessions file (config/sessions.json of the repository this package sits in);
  when neither says, the zone is unknown and `ts_utc` is NaT.
- QUANTITY: a trade's u32 `volume` counts units of 10^-d; the real quantity is
  volume / 10^d as a double. 10^d is an exact double and IEEE division is correctly
  rounded, so that is the double nearest the decimal quantity: 120 at d = 6 is 0.00012.
- TS_UTC: ticks and trades: (action_date, action_time) in the instrument's zone; minute
  bars: their END, time + 199000000000 -> YYYYMMDDHHMM, in the zone; day bars: the
  trading date at the session's close (`session_close`, "HH:MM"). The zone's offset is
  taken once per local (date, hour), at the instant whose UTC reading equals that local
  wall clock, as the Node reader's utcMsOfLocal (src/calendar/zone.ts) does, so both give
  the same instant: exact for zones without daylight saving (Asia/Shanghai, UTC, every
  zone of config/sessions.json). In a DST zone that offset is the one before the change
  for as many hours after a change as the zone is behind UTC (America/New_York, 2025-03-09
  03:00 local gives 08:00Z, not 07:00Z): the Node rule's limit, kept here for equality.
"""

import datetime as _dt
import json
import os
import re

import numpy as np

from . import _dtypes as D
from .errors import TickrecError

META_FORMAT = 1
MAX_DECIMALS = D.VOLUME_DECIMALS_MAX  # generated from src/format/decimal.ts
_POW10 = tuple(10.0**k for k in range(MAX_DECIMALS + 1))  # exact doubles (10^k < 2^53)
_BUNDLED_SESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'config', 'sessions.json')
_CACHE_MAX = 100000
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')  # the name rule (docs/format.md): no name leaves the root


def meta_path(root, exchange, code):
    """<root>/meta/instruments/<EXCHG>/<CODE>.json."""
    return os.path.join(os.fspath(root), 'meta', 'instruments', exchange, code + '.json')


def _valid_decimals(d):
    return isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= MAX_DECIMALS


def read_stored_meta(root, exchange, code):
    """The instrument's metadata file as a dict, or None when it has none; a damaged file is refused (E_CORRUPT)."""
    file = meta_path(root, exchange, code)
    try:
        with open(file, 'rb') as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise TickrecError('E_IO', '%s: cannot read the instrument metadata (%s); check its permissions.' % (file, err.strerror or err), file, err.errno)
    try:
        m = json.loads(raw.decode('utf-8'))
    except ValueError as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise TickrecError('E_CORRUPT', '%s: not JSON (%s); restore it from a backup or delete it.' % (file, err), file)
    if not isinstance(m, dict) or m.get('format') != META_FORMAT or not _valid_decimals(m.get('volume_decimals')):
        raise TickrecError(
            'E_CORRUPT',
            '%s: not tickrec instrument metadata of format %d (volume_decimals missing or invalid); restore it from a backup.' % (file, META_FORMAT),
            file,
        )
    tz = m.get('timezone')
    if tz is not None and not isinstance(tz, str):
        raise TickrecError('E_CORRUPT', '%s: timezone %r is not a zone name; restore it from a backup.' % (file, tz), file)
    return m


class InstrumentMeta:
    """What a reader needs of an instrument: `volume_decimals`, `timezone` (IANA name or None), `session_close` ("HH:MM" or None), `stored` (the root has a file)."""

    __slots__ = ('exchange', 'code', 'volume_decimals', 'timezone', 'session_close', 'stored')

    def __init__(self, exchange, code, volume_decimals, timezone, session_close, stored):
        self.exchange, self.code = exchange, code
        self.volume_decimals, self.timezone, self.session_close, self.stored = volume_decimals, timezone, session_close, stored

    def __repr__(self):
        return '<InstrumentMeta %s.%s volume_decimals=%d timezone=%s session_close=%s%s>' % (
            self.exchange,
            self.code,
            self.volume_decimals,
            self.timezone,
            self.session_close,
            '' if self.stored else ' (no file: defaults)',
        )


# ---------------------------------------------------------------------------------------
# The bundled sessions file (src/calendar/sessions.ts: session by EXCHG.product, then
# EXCHG.*, then default; zone of the session, else the one zone of the exchange's sessions)

_book = []


def _minute(hhmm):
    h, m = hhmm.split(':')
    return int(h) * 60 + int(m)


def _bundled_book():
    """(products, default, exchange_zones) of the bundled sessions file, or None when this package is not in a repository checkout."""
    if not _book:
        try:
            with open(_BUNDLED_SESSIONS, encoding='utf-8') as f:
                j = json.load(f)
        except FileNotFoundError:
            _book.append(None)
            return None
        except (OSError, ValueError) as err:
            raise TickrecError('E_IO', '%s: cannot read the bundled sessions file (%s).' % (_BUNDLED_SESSIONS, err), _BUNDLED_SESSIONS)
        sessions = {}
        for name, s in j.get('sessions', {}).items():
            tz = s.get('timezone', 'Asia/Shanghai')  # the schema's default
            close = None
            if s.get('sections'):
                a, b = s['sections'][-1]
                fr, to = _minute(a), _minute(b)
                if to <= fr:
                    to += 1440
                c = to % 1440 or (1440 if to > 0 else 0)
                close = '%02d:%02d' % (c // 60, c % 60)
            sessions[name] = (tz, close)
        products = {k: sessions[v] for k, v in j.get('products', {}).items() if v in sessions}
        zones = {}
        for key, (tz, _) in products.items():
            ex = key[: key.index('.')]
            z = zones.get(ex)
            zones[ex] = tz if z is None or z == tz else ''
        _book.append((products, sessions.get(j.get('default')), zones))
    return _book[0]


_PRODUCT = re.compile(r'^[A-Za-z]+')


def _bundled_defaults(exchange, code):
    """(timezone, session_close) of an instrument from the bundled sessions file; (None, None) when it says nothing."""
    book = _bundled_book()
    if book is None:
        return None, None
    products, default, zones = book
    m = _PRODUCT.match(code)
    s = products.get('%s.%s' % (exchange, m.group(0) if m else code)) or products.get('%s.*' % exchange) or default
    if s is not None:
        return s
    return zones.get(exchange) or None, None


_meta_cache = {}


def instrument_meta(root, exchange, code):
    """The InstrumentMeta of an instrument of a data root (its metadata file, else the defaults above); cached per file state."""
    for what, name, most in (('exchange', exchange, D.EXCHG_MAX_CHARS), ('instrument code', code, D.CODE_MAX_CHARS)):
        if not isinstance(name, str) or len(name) > most or not _NAME.match(name) or name in ('.', '..'):
            raise TickrecError('E_USAGE', "%s '%s': not a name tickrec stores (letters, digits, '.', '_', '-'; at most %d characters)." % (what, str(name)[:40], most))
    file = meta_path(root, exchange, code)
    try:
        st = os.stat(file)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        stamp = None
    except OSError as err:
        raise TickrecError('E_IO', '%s: cannot read the instrument metadata (%s); check its permissions.' % (file, err.strerror or err), file, err.errno)
    hit = _meta_cache.get(file)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    m = read_stored_meta(root, exchange, code) if stamp is not None else None
    if m is not None:
        r = InstrumentMeta(exchange, code, m['volume_decimals'], m.get('timezone'), m.get('session_close'), True)
    else:
        tz, close = _bundled_defaults(exchange, code)
        r = InstrumentMeta(exchange, code, 0, tz, close, False)
    if len(_meta_cache) > _CACHE_MAX:
        _meta_cache.clear()
    _meta_cache[file] = (stamp, r)
    return r


def volume_decimals(root, exchange, code):
    """d of an instrument: a trade's stored `volume` counts units of 10^-d (0 without a metadata file)."""
    return instrument_meta(root, exchange, code).volume_decimals


# ---------------------------------------------------------------------------------------
# Quantities

_TF = [(n, D.TRADE.fields[n]) for n in D.TRADE.names]
# A trade as the readers give it: the fields of TRADE, with `volume` the real quantity: a
# float64 over the u32 of stored units and the 4 padding bytes after it (offset 88).
TRADE_QTY = np.dtype(
    {
        'names': [n for n, _ in _TF],
        'formats': ['<f8' if n == 'volume' else f[0] for n, f in _TF],
        'offsets': [f[1] for _, f in _TF],
        'itemsize': D.TRADE.itemsize,
    }
)
# The double needs 8 aligned bytes at the u32's offset, inside the record, over no other field.
_VOL_AT = TRADE_QTY.fields['volume'][1]
assert _VOL_AT % 8 == 0 and _VOL_AT + 8 <= D.TRADE.itemsize
for _n in TRADE_QTY.names:
    _t, _o = TRADE_QTY.fields[_n][:2]
    assert _n == 'volume' or _o + _t.itemsize <= _VOL_AT or _o >= _VOL_AT + 8, _n

def _check_decimals(decimals):
    if not _valid_decimals(decimals):
        raise TickrecError('E_USAGE', 'volume_decimals %r: give a whole number 0..%d (InstrumentMeta.volume_decimals).' % (decimals, MAX_DECIMALS))


def units_to_quantity(units, decimals):
    """Real quantities (float64) of stored trade volume units at `decimals`: units / 10^decimals, the double nearest the decimal quantity."""
    _check_decimals(decimals)
    q = np.asarray(units).astype(np.float64)  # a u32 is exact in a double
    if decimals:
        q /= _POW10[decimals]
    return q


def with_quantities(trades, decimals):
    """Trades (a TRADE array, e.g. from open_rt(...).records()) as a TRADE_QTY copy whose `volume` is the real quantity."""
    if trades.dtype == TRADE_QTY:
        return trades.copy()
    if trades.dtype != D.TRADE:
        raise TickrecError('E_USAGE', 'with_quantities: give trades (dtype tickrec.TRADE), not %s records.' % _dtype_name(trades.dtype))
    q = units_to_quantity(trades['volume'], decimals)  # read before the copy's volume bytes are overwritten
    out = np.array(trades.view('V%d' % D.TRADE.itemsize), copy=True).view(TRADE_QTY)  # byte for byte, padding included
    out['volume'] = q
    return out


def _dtype_name(dt):
    return {D.TICK: 'tick', D.TRADE: 'trade', TRADE_QTY: 'trade', D.BAR: 'bar'}.get(dt, str(dt))


# ---------------------------------------------------------------------------------------
# Times

KINDS = ('tick', 'trade', 'min1', 'min5', 'min15', 'min30', 'min60', 'day')
_zones = {}


def _zone(tz, meta):
    z = _zones.get(tz)
    if z is None:
        try:
            import zoneinfo  # Python 3.9+; the zone database of the system (or the tzdata package)
        except ImportError:  # pragma: no cover - Python < 3.9
            raise TickrecError('E_USAGE', 'ts_utc needs Python 3.9 or later (zoneinfo).')
        try:
            z = zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
            where = meta_path('<root>', meta.exchange, meta.code) if meta.stored else 'the bundled sessions file'
            raise TickrecError(
                'E_USAGE',
                "%s.%s: time zone '%s' (from %s) is not in this system's zone database (%s); install the zone data "
                '(apt: tzdata; pip: tzdata).' % (meta.exchange, meta.code, tz, where, err),
            )
        _zones[tz] = z
    return z


_offset_cache = {}  # (zone, local YYYYMMDDHH) -> offset ms of the whole hour, or _VARIES
_VARIES = -(2**62)  # the offset changes within the hour (a clock change): computed per time
_HOUR_MS = 3600000


def _offset_at(ms, z):
    """The zone's offset (ms, local wall clock - UTC) at the instant epoch ms."""
    return _dt.datetime.fromtimestamp(ms // 1000, tz=z).utcoffset() // _dt.timedelta(milliseconds=1)


def _offset_of_wall(wall, z):
    """The offset o such that wall - o is the instant of the wall-clock time `wall` (local time read as UTC, ms).

    The rule of src/calendar/zone.ts (docs/format.md): the instant lies in [wall - 14h, wall + 12h];
    oE, oL = the offsets at those two ends; a candidate wall - o is valid when the offset at it
    is o; both valid (the clocks went back): the earlier instant; neither (the clocks went
    forward, the time does not exist): wall - oE, the time moves forward by the change.
    """
    o_e = _offset_at(wall - 14 * _HOUR_MS, z)
    o_l = _offset_at(wall + 12 * _HOUR_MS, z)
    ok_e = _offset_at(wall - o_e, z) == o_e
    if o_l == o_e:
        return o_e
    ok_l = _offset_at(wall - o_l, z) == o_l
    if ok_e and ok_l:
        return max(o_e, o_l)
    return o_l if ok_l else o_e


def _per_value(keys, f, dtype):
    """f(key) for each element of an int64 array, calling f once per distinct value: by runs when the keys come in runs (time-ordered records), else by np.unique."""
    n = len(keys)
    if n == 0:
        return np.empty(0, dtype)
    starts = np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1))
    if len(starts) <= max(4096, n // 64):
        memo = {}
        vals = np.array([memo[k] if k in memo else memo.setdefault(k, f(k)) for k in keys[starts].tolist()], dtype)
        return np.repeat(vals, np.diff(np.append(starts, n)))
    u, inv = np.unique(keys, return_inverse=True)
    return np.array([f(k) for k in u.tolist()], dtype)[inv]


_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


def _days_of(date):
    """Days since 1970-01-01 of a YYYYMMDD, or a value below -10^9 when it is not a calendar date."""
    try:
        return _dt.date(date // 10000, date // 100 % 100, date % 100).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return -(2**40)


def _next_date(date):
    """The calendar date after a YYYYMMDD, or -1 when it is not a calendar date."""
    days = _days_of(date)
    if days < -(2**39):
        return -1
    d = _dt.date.fromordinal(days + _EPOCH_ORDINAL + 1)
    return d.year * 10000 + d.month * 100 + d.day


def _utc_ms(dates, times, tz, meta):
    """UTC epoch ms (int64) of local dates YYYYMMDD and times HHMMSSmmm in zone tz, and the mask of valid ones (utcMsOfLocal's rule)."""
    dates = np.asarray(dates, np.int64)
    times = np.asarray(times, np.int64)
    days = _per_value(dates, _days_of, np.int64)
    h = times // 10000000
    mi = times // 100000 % 100
    sec = times // 1000 % 100
    ok = (days > -(2**39)) & (times >= 0) & (h <= 23) & (mi <= 59) & (sec <= 59)
    wall = days * 86400000 + h * 3600000 + mi * 60000 + sec * 1000 + times % 1000
    if tz in ('UTC', 'Etc/UTC') or not ok.any():
        return wall, ok
    # The offset once per local (date, hour) when it holds for the whole hour (both ends agree:
    # at most one change within an hour), else per time (the hour of a clock change).
    z = _zone(tz, meta)

    def offset(key):
        c = _offset_cache.get((tz, key))
        if c is None:
            start = (_days_of(key // 100) * 24 + key % 100) * _HOUR_MS
            a = _offset_of_wall(start, z)
            c = a if a == _offset_of_wall(start + _HOUR_MS - 1, z) else _VARIES
            if len(_offset_cache) > _CACHE_MAX:
                _offset_cache.clear()
            _offset_cache[(tz, key)] = c
        return c

    off = np.zeros(len(wall), np.int64)
    off[ok] = _per_value(dates[ok] * 100 + h[ok], offset, np.int64)
    varies = np.flatnonzero(off == _VARIES)
    if len(varies):
        off[varies] = [_offset_of_wall(w, z) for w in wall[varies].tolist()]
    return wall - off, ok


def _as_datetime64(ms, ok):
    out = ms.astype('datetime64[ms]')
    out[~ok] = np.datetime64('NaT')
    return out


def utc_of(kind, dates, times, meta):
    """ts_utc (datetime64[ms], UTC; NaT where the zone is unknown or the date is not a calendar date) of columns of one instrument.

    kind: 'tick' / 'trade' (dates, times = action_date, action_time); a minute period
    'min1' .. 'min60' (dates, times = date, time: the bar's END from `time`); 'day' (date).
    """
    if kind not in KINDS:
        raise TickrecError('E_USAGE', 'kind %r is unknown: use one of %s.' % (kind, ', '.join(KINDS)))
    n = len(dates)
    tz = meta.timezone
    if tz is None or (kind == 'day' and meta.session_close is None):
        return np.full(n, np.datetime64('NaT'), 'datetime64[ms]')
    if kind in ('tick', 'trade'):
        return _as_datetime64(*_utc_ms(dates, times, tz, meta))
    if kind != 'day':
        stamp = np.asarray(times, np.int64) + 199000000000  # YYYYMMDDHHMM of the bar's end
        hhmm = stamp % 10000
        return _as_datetime64(*_utc_ms(stamp // 10000, hhmm // 100 * 10000000 + hhmm % 100 * 100000, tz, meta))
    # the close as a local time of the trading date (not midnight + minutes: a clock change can
    # fall in between); "24:00" is 00:00 of the next day
    hh, mm = (int(x) for x in meta.session_close.split(':'))
    dates = np.asarray(dates, np.int64)
    if hh >= 24:
        dates = _per_value(dates, _next_date, np.int64)
        hh -= 24
    return _as_datetime64(*_utc_ms(dates, np.full(n, hh * 10000000 + mm * 100000, np.int64), tz, meta))


def ts_utc(records, root, exchange, code, kind=None):
    """The UTC instant of each record of one instrument (datetime64[ms]; NaT where the zone is unknown), by the rule of docs/format.md.

    records: a structured array of ticks, trades or bars (read_ticks, read_trades, read_bars,
    open_rt(...).records(), a follow_batches batch). kind: needed for bars ('min1' ..
    'min60' or 'day': a minute bar's instant is its end, a day bar's the session's close).
    """
    dt = records.dtype
    if dt == D.TICK:
        k = kind or 'tick'
    elif dt in (D.TRADE, TRADE_QTY):
        k = kind or 'trade'
    elif dt == D.BAR:
        if kind is None or kind in ('tick', 'trade'):
            raise TickrecError('E_USAGE', "ts_utc of bars: give kind='min1' .. 'min60' or 'day' (a minute bar's instant is its end, a day bar's the session close).")
        k = kind
    else:
        raise TickrecError('E_USAGE', 'ts_utc: give ticks, trades or bars (tickrec dtypes), not %s.' % (dt,))
    if (k in ('tick', 'trade')) != (dt != D.BAR):
        raise TickrecError('E_USAGE', 'ts_utc: kind %r does not match the records (%s).' % (k, _dtype_name(dt)))
    meta = instrument_meta(root, exchange, code)
    if k in ('tick', 'trade'):
        return utc_of(k, records['action_date'], records['action_time'], meta)
    return utc_of(k, records['date'], records['time'], meta)

"""The reader API over a data root: one instrument or a whole exchange over a time range, across his/ (history), finished days in rt/ and today's live file.

The same rules as the Node reader (src/read/, docs/reading.md), so both return the same
records:

TIME RANGES: ticks, trades and day bars are in range when start <= instant < end (a day
bar's instant is 00:00 of its trading date); minute bars are labelled by their END and
are in range when start < end-of-bar <= end. `end` given as a date alone includes that
whole day. Files are per trading day and a trading day may start the evening before, so
days are chosen by trading date with a margin (from the day before `start`, through
`end`'s date, then later days while a day still starts before `end`) and every record is
kept or dropped by its own time key.

PRECEDENCE, per instrument and trading date: his/ (a day block, or the day in the bar
history) is taken when it holds the day; else the finished rt files of the day
(<CODE>.dmb and <CODE>~<n>.dmb merged in time-key order, dropping a record byte-identical
to one already taken with the same key: compaction's rule); and the live file for the
trading date in its header. Day bars: his/day, else built from the day's last tick.

RACES (the recorder and compaction run meanwhile; no lock is taken): the live file is
opened first; a roll after that leaves the open file the same inode, and the finished
file with that inode is skipped; a live file that rolled between the listing and its
opening makes the instrument be listed again; a finished file removed by compaction
after the listing is read from his/ instead.
"""

import calendar
import datetime as _dt
import os
import re

import numpy as np

from . import _dtypes as D
from .errors import TickrecError
from .his import MAX_DATE, BarHistory, raw_copy, read_day_block, rows_to_words, words_to_rows
from .meta import TRADE_QTY, instrument_meta, units_to_quantity, utc_of, with_quantities
from .rt import open_rt

LOOKAHEAD_DAYS = 15
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
_DATE_DIR = re.compile(r'^\d{8}$')
_RE_COMPACT = re.compile(r'^(\d{8})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$')
_RE_ISO = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$')
_FORMS = "'YYYYMMDD', 'YYYYMMDD HH:MM[:SS[.mmm]]', 'YYYY-MM-DDTHH:MM[:SS[.mmm]]', a datetime.date/datetime, or {'date': YYYYMMDD, 'time': HHMMSSmmm}"


class Kind:
    """A kind the reader reads: tick, trade, min1, min5, min15, min30, min60, day."""

    def __init__(self, name):
        self.name = name
        self.his = D.HIS_KINDS[name]
        self.rt = D.RT_KINDS.get(name) if name != 'day' else None
        self.dtype = D.RT_KINDS[name].dtype if name in D.RT_KINDS else D.BAR
        self.record_bytes = self.dtype.itemsize
        self.is_bar = self.dtype == D.BAR
        self.minute_bar = self.is_bar and name != 'day'

    def keys(self, recs):
        """Time keys (int64) of a structured array: ticks (action_date - 19900000) * 1e9 + action_time; bars time, or (date - 19900000) * 10000 for a day bar."""
        if self.is_bar:
            t = recs['time'].astype(np.int64)
            return np.where(t != 0, t, (recs['date'].astype(np.int64) - 19900000) * 10000)
        return (recs['action_date'].astype(np.int64) - 19900000) * 1000000000 + recs['action_time'].astype(np.int64)

    def word_keys(self, words):
        """Bar keys from words (row 0: date in the low half, row 1: time)."""
        t = words[1].view(np.int64)
        return np.where(t != 0, t, ((words[0] & np.uint64(0xFFFFFFFF)).astype(np.int64) - 19900000) * 10000)


KIND_NAMES = ('tick', 'trade', 'min1', 'min5', 'min15', 'min30', 'min60', 'day')
BAR_PERIODS = KIND_NAMES[2:]
_KINDS = {n: Kind(n) for n in KIND_NAMES}


def read_kind(name):
    k = _KINDS.get(name) if isinstance(name, str) else None
    if k is None:
        raise TickrecError('E_USAGE', "kind %r is unknown: use one of %s." % (name, ', '.join(KIND_NAMES)))
    return k


def bar_kind(period):
    if period not in BAR_PERIODS:
        raise TickrecError('E_USAGE', "period %r is unknown: use one of %s." % (period, ', '.join(BAR_PERIODS)))
    return _KINDS[period]


# ---------------------------------------------------------------------------------------
# Instants and ranges


def _valid_date(d):
    y, m, day = d // 10000, d // 100 % 100, d % 100
    return 19000101 <= d <= 99991231 and 1 <= m <= 12 and 1 <= day <= calendar.monthrange(y, m)[1]


def _bad(name, v, why):
    return TickrecError('E_USAGE', '%s %r: %s; use %s.' % (name, v, why, _FORMS))


def _hms(name, v, h, m, s, ms):
    H, M, S = int(h or 0), int(m or 0), int(s or 0)
    if H > 23 or M > 59 or S > 59:
        raise _bad(name, v, 'not an instant')
    return H * 10000000 + M * 100000 + S * 1000 + (int(ms.ljust(3, '0')) if ms else 0)


def resolve_instant(name, v):
    """(date YYYYMMDD, time HHMMSSmmm, date_only) of an instant argument; E_USAGE naming `name` otherwise."""
    if isinstance(v, _dt.datetime):
        return v.year * 10000 + v.month * 100 + v.day, v.hour * 10000000 + v.minute * 100000 + v.second * 1000 + v.microsecond // 1000, False
    if isinstance(v, _dt.date):
        return v.year * 10000 + v.month * 100 + v.day, 0, True
    if isinstance(v, dict):
        d, t = v.get('date'), v.get('time', 0)
        if not isinstance(d, int) or not _valid_date(d):
            raise _bad(name, v, 'date is not a calendar date YYYYMMDD')
        if not isinstance(t, int) or t < 0 or t // 10000000 > 23 or t // 100000 % 100 > 59 or t // 1000 % 100 > 59:
            raise _bad(name, v, 'time is not HHMMSSmmm (0 .. 235959999)')
        return d, t, 'time' not in v
    if not isinstance(v, str):
        raise _bad(name, v, 'not an instant')
    s = v.strip()
    m = _RE_COMPACT.match(s)
    if m:
        d = int(m.group(1))
        t = _hms(name, v, *m.group(2, 3, 4, 5))
    else:
        m = _RE_ISO.match(s)
        if not m:
            if re.match(r'^\d{1,2}:\d{2}', s):
                raise _bad(name, v, 'a time of day alone is ambiguous across days; give the date too')
            raise _bad(name, v, 'not an instant')
        d = int(m.group(1)) * 10000 + int(m.group(2)) * 100 + int(m.group(3))
        t = _hms(name, v, *m.group(4, 5, 6, 7))
    if not _valid_date(d):
        raise _bad(name, v, 'no such calendar date')
    return d, t, m.group(2 if m.re is _RE_COMPACT else 4) is None


def _shift_date(d, days):
    x = _dt.date(d // 10000, d // 100 % 100, d % 100) + _dt.timedelta(days=days)
    return x.year * 10000 + x.month * 100 + x.day


class KeyRange:
    """Records with lo <= key < hi (None: open); trading dates first_date .. last_date (and later while a day starts before hi)."""

    def __init__(self, kind, start, end):
        f = resolve_instant('start', start) if start is not None else None
        t = resolve_instant('end', end) if end is not None else None
        t_end = ((_shift_date(t[0], 1), 0) if t[2] else t[:2]) if t else None
        if f and t_end and f[:2] > t_end:
            raise TickrecError('E_USAGE', 'start %r is after end %r: give start <= end.' % (start, end))
        shift = 1 if kind.minute_bar else 0

        def key(d, tm):
            return (d - 19900000) * 10000 + tm // 100000 if kind.is_bar else (d - 19900000) * 1000000000 + tm

        self.lo = key(*f[:2]) + shift if f else None
        self.hi = key(*t_end) + shift if t_end else None
        self.first_date = _shift_date(f[0], -1) if f else 0
        self.last_date = t_end[0] if t_end else MAX_DATE

    def in_window(self, d):
        if self.last_date >= MAX_DATE:
            return d >= self.first_date
        return self.first_date <= d <= _shift_date(self.last_date, LOOKAHEAD_DAYS)


# ---------------------------------------------------------------------------------------
# The data root's layout (src/layout/root.ts, docs/layout.md; built and parsed here only)

RT_DIR, HIS_DIR, RT_EXT, HIS_EXT = 'rt', 'his', '.dmb', '.dsb'
# tickrec's own historical formats (LZ4 day block, bar-history container) are named .tsb, where
# datakit's readers find no file; datakit's formats keep .dsb (src/his/names.ts). Both are read
# (the header decides the format); a day or a history under both names is refused.
TICKREC_HIS_EXT = '.tsb'
HIS_EXTS = (HIS_EXT, TICKREC_HIS_EXT)
# A day's second, third... file is <CODE>~<n>.dmb: '~' is outside the name rule, so no code collides.
_SECOND_FILE = re.compile(r'^(.+)~([1-9]\d{0,8})\.dmb$')


def rt_file_path(root, folder, exchange, code):
    """rt/<folder>/<EXCHG>/<CODE>.dmb: the live file."""
    return os.path.join(root, RT_DIR, folder, exchange, code + RT_EXT)


def his_day_path(root, folder, exchange, date, code, ext=HIS_EXT):
    """his/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dsb (or ext .tsb): a compacted day."""
    return os.path.join(root, HIS_DIR, folder, exchange, str(date), code + ext)


def his_history_path(root, folder, exchange, code, ext=HIS_EXT):
    """his/<folder>/<EXCHG>/<CODE>.dsb (or ext .tsb): a bar history."""
    return os.path.join(root, HIS_DIR, folder, exchange, code + ext)


def _two_files(dsb, tsb):
    return TickrecError(
        'E_CORRUPT',
        '%s and %s beside it both hold the same data (a datakit writer and tickrec on one root, or a copy): '
        'nothing is read from either. Compare them (tickrec cat, tickrec inspect), then move the wrong one out of his/.'
        % (dsb, os.path.basename(tsb)),
        dsb,
    )


def _his_file(stem):
    """The existing one of <stem>.dsb and <stem>.tsb, or None; both existing is refused."""
    dsb, tsb = stem + HIS_EXT, stem + TICKREC_HIS_EXT
    a, b = os.path.isfile(dsb), os.path.isfile(tsb)
    if a and b:
        raise _two_files(dsb, tsb)
    return dsb if a else tsb if b else None


def parse_his_name(name):
    """The code of a historical file name <CODE>.dsb or <CODE>.tsb, or None."""
    for ext in HIS_EXTS:
        c = parse_name(name, ext)
        if c is not None:
            return c
    return None


def parse_date_folder(name):
    """The trading date a folder name stands for, or None."""
    return int(name) if _DATE_DIR.match(name) else None


def parse_name(name, ext):
    """The code of `<CODE><ext>`, or None when tickrec does not write that name."""
    if not name.endswith(ext):
        return None
    code = name[: -len(ext)]
    return code if _name_problem(code, D.CODE_MAX_CHARS) is None else None


def parse_finished_names(names):
    """{code: [names in file order]} of the finished files of a dated folder: <CODE>.dmb, then <CODE>~<n>.dmb by n."""
    by = {}
    for f in names:
        if not f.endswith(RT_EXT):
            continue
        m = _SECOND_FILE.match(f)
        c, n = (m.group(1), int(m.group(2))) if m else (f[: -len(RT_EXT)], 0)
        if _name_problem(c, D.CODE_MAX_CHARS) is None:
            by.setdefault(c, []).append((n, f))
    return {c: [f for _, f in sorted(v)] for c, v in by.items()}


# ---------------------------------------------------------------------------------------
# Names and listing


def _name_problem(name, most):
    if not isinstance(name, str):
        return 'not a string (%s)' % type(name).__name__
    if not name:
        return 'empty'
    if len(name) > most:
        return 'longer than %d characters' % most
    if not _NAME.match(name) or name in ('.', '..'):
        return 'only letters, digits, ".", "_" and "-" are allowed, starting with a letter or digit'
    return None


def check_root(root):
    if not isinstance(root, (str, os.PathLike)) or not os.fspath(root):
        raise TickrecError('E_USAGE', 'root: give the data root folder (the one holding rt/ and his/).')
    root = os.fspath(root)
    if not os.path.exists(root):
        raise TickrecError('E_USAGE', '%s: no such data root; check the path (it is the folder holding rt/ and his/).' % root, root)
    if not os.path.isdir(root):
        raise TickrecError('E_USAGE', '%s: not a folder; the data root is the folder holding rt/ and his/.' % root, root)
    return root


def check_exchange(exchange):
    p = _name_problem(exchange, D.EXCHG_MAX_CHARS)
    if p:
        raise TickrecError('E_USAGE', "exchange '%s': %s." % (str(exchange)[:40], p))
    return exchange


def check_code(exchange, code):
    p = _name_problem(code, D.CODE_MAX_CHARS)
    if p:
        raise TickrecError('E_USAGE', "instrument code '%s' (exchange %s): %s." % (str(code)[:40], exchange, p))
    return code


def _entries(d):
    try:
        return os.listdir(d)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as err:
        raise TickrecError('E_IO', '%s: cannot list the folder (%s); check its permissions.' % (d, err.strerror), d)


def _ino(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


class Listing:
    """The files of a kind for one exchange (every instrument, or one code), for the trading dates of a range."""

    def __init__(self, root, kind, exchange, code, rng, rt_only=False):
        self.root, self.kind, self.exchange = root, kind, exchange
        self.his_days = {}  # code -> {date: file}
        self.histories = {}  # code -> file
        self.retired = {}  # CZCE 3-digit code -> older contracts' histories (4-digit names)
        self.conflicts = {}  # code -> the error refusing its his data (held under both names, .dsb and .tsb)
        self.finished = {}  # code -> {date: [files]}
        self.live = {}  # code -> file
        self.live_ino = {}
        self.ticks = Listing(root, _KINDS['tick'], exchange, code, rng, True) if kind.name == 'day' else None
        if kind.rt is not None:
            self._list_rt(root, kind.rt.folder, exchange, code, rng)
        if rt_only:
            return
        his_dir = os.path.join(root, HIS_DIR, kind.his.folder, exchange)

        def found(d, names, put, key=lambda c: c):
            by = {}
            for e in names:
                c = parse_his_name(e)
                p = os.path.join(d, e)
                if c is None or not os.path.isfile(p):
                    continue
                if c in by:
                    dsb, tsb = (by[c], p) if by[c].endswith(HIS_EXT) else (p, by[c])
                    self.conflicts.setdefault(key(c), _two_files(dsb, tsb))
                else:
                    by[c] = p
                    put(c, p)

        if kind.his.layout == 'history':
            names = [code + x for x in HIS_EXTS] if code is not None else _entries(his_dir)
            found(his_dir, names, self.histories.__setitem__)
            if code is not None and is_czce_3digit_code(exchange, code):
                older = [e for e in _entries(his_dir) if czce_short_code(parse_his_name(e) or '') == code]
                found(his_dir, older, lambda c, p: self.retired.setdefault(code, []).append(p), lambda c: code)
            elif code is None:
                self._attach_retired()
        else:
            for e in _entries(his_dir):
                date = parse_date_folder(e)
                if date is None or not rng.in_window(date):
                    continue
                d = os.path.join(his_dir, e)
                names = [code + x for x in HIS_EXTS] if code is not None else _entries(d)
                found(d, names, lambda c, p, date=date: self.his_days.setdefault(c, {}).__setitem__(date, p))

    def _list_rt(self, root, folder, exchange, code, rng):
        ex_dir = os.path.join(root, RT_DIR, folder, exchange)
        for e in _entries(ex_dir):
            c = parse_name(e, RT_EXT)
            if c is not None:
                if code is not None and c != code:
                    continue
                f = os.path.join(ex_dir, e)
                i = _ino(f)
                if i is None:
                    continue  # rolled away meanwhile: found in its dated folder
                self.live[c] = f
                self.live_ino[c] = i
                continue
            date = parse_date_folder(e)
            if date is not None and rng.in_window(date):
                d = os.path.join(ex_dir, e)
                for c, files in parse_finished_names(_entries(d)).items():
                    if code is None or c == code:
                        self.finished.setdefault(c, {})[date] = [os.path.join(d, f) for f in files]

    def _attach_retired(self):
        """A 4-digit CZCE history (SR1505.dsb) whose 3-digit code (SR505) has files too is that code's retired contract, not an instrument (src/read/sources.ts)."""
        if self.exchange != CZCE_EXCHANGE:
            return
        t = self.ticks

        def has(c):
            return c in self.histories or c in self.finished or c in self.live or (t is not None and (c in t.finished or c in t.live))

        for c, f in list(self.histories.items()):
            short = czce_short_code(c)
            if short is None or not has(short):
                continue
            self.retired.setdefault(short, []).append(f)
            del self.histories[c]
            if c in self.conflicts:
                self.conflicts.setdefault(short, self.conflicts[c])  # reading the code reads its retired files

    def codes(self):
        s = set(self.his_days) | set(self.histories) | set(self.retired) | set(self.finished) | set(self.live)
        if self.ticks is not None:
            s |= set(self.ticks.codes())
        return sorted(s)


# ---------------------------------------------------------------------------------------
# One instrument


def _missing(err):
    return getattr(err, 'errno', None) == 2


def concat(parts, dtype):
    """Structured arrays joined into a fresh one of `dtype` (np.concatenate would drop the padding of the dtype)."""
    rs = dtype.itemsize
    out = np.empty(sum(len(p) for p in parts), 'V%d' % rs)
    at = 0
    for p in parts:
        out[at : at + len(p)] = np.ascontiguousarray(p).view('V%d' % rs)
        at += len(p)
    return out.view(dtype)


def merge_day(kind, parts):
    """Parts of one day merged in time-key order, stable by part, dropping byte-identical duplicates of a key (compaction's rule)."""
    full = [p for p in parts if len(p)]
    if not full:
        return np.empty(0, kind.dtype)
    if len(full) == 1:
        return full[0]
    a = concat(full, kind.dtype)
    keys = kind.keys(a)
    order = np.argsort(keys, kind='stable')
    raw = a.view('V%d' % kind.record_bytes)[order]  # unstructured: rows move byte for byte, padding included
    a, keys = raw.view(kind.dtype), keys[order]
    same = np.flatnonzero(keys[1:] == keys[:-1]) + 1
    if len(same) == 0:
        return a
    raw = a.view(np.uint8).reshape(len(a), kind.record_bytes)
    keep = np.ones(len(a), bool)
    seen_key, seen = None, set()
    for i in range(len(a)):
        if keys[i] != seen_key:
            seen_key, seen = keys[i], set()
        b = raw[i].tobytes()
        if b in seen:
            keep[i] = False
        seen.add(b)
    return a.view('V%d' % kind.record_bytes)[keep].view(kind.dtype)


def _day_bar(tick, date):
    """The day bar of trading date `date` from the day's last tick, as datakit's history writer builds it (src/his/day-bar.ts)."""
    bar = np.zeros(1, D.BAR)
    bar['date'], bar['time'] = date, 0
    for dst, src in (('open', 'open'), ('high', 'high'), ('low', 'low'), ('close', 'price'), ('settle', 'settle_price'),
                     ('money', 'total_turnover'), ('vol', 'total_volume'), ('hold', 'open_interest')):
        bar[dst] = tick[src]
    bar['add'] = tick['open_interest'] - tick['pre_interest']  # the day's change of open interest, not the last tick's diff_interest
    return bar


def _history_by_date(histories, root, folder, exchange, code):
    """Trading date -> the bar history holding it; a day in several (a CZCE code and its retired contracts) from the file of the contract the code names on that date."""
    out = {}
    czce = len(histories) > 1 and is_czce_3digit_code(exchange, code)
    for h in histories:
        for d, _ in h.days():
            if d not in out:
                out[d] = h
            elif czce and _valid_date(d) and parse_his_name(os.path.basename(h.path)) == czce_contract_code(code, d):
                out[d] = h
    return out


# ---------------------------------------------------------------------------------------
# CZCE's 3-digit codes: the CZCE YEAR RULE of src/layout/czce.ts (Y1-Y4), restated.

CZCE_EXCHANGE = 'CZCE'
_PART3 = re.compile(r'^([A-Za-z]+)(\d)(0[1-9]|1[0-2])([CP]\d+)?$')
_PART4 = re.compile(r'^([A-Za-z]+)(\d\d)(0[1-9]|1[0-2])([CP]\d+)?$')


def is_czce_3digit_code(exchange, code):
    """Y1: a CZCE code with a part <letters><y><MM>[C|P<strike>] (one year digit)."""
    return exchange == CZCE_EXCHANGE and any(_PART3.match(p) for p in code.split('_'))


def czce_contract_year(digit, month, trading_date):
    """Y2: the first year ending in `digit` whose month `month` is not before the trading date's month."""
    ty, tm = trading_date // 10000, trading_date // 100 % 100
    year = ty - ty % 10 + digit
    if year * 100 + month < ty * 100 + tm:
        year += 10
    return year


def czce_contract_code(code, trading_date):
    """Y3: the 4-digit name of the contract the CZCE code names on `trading_date` (SR505, 20150105 -> SR1505)."""
    if not _valid_date(trading_date):
        raise TickrecError('E_FIELD', f"trading date {trading_date} of CZCE code '{code}': not a date YYYYMMDD; the contract it names cannot be told.")

    def one(p):
        m = _PART3.match(p)
        if not m:
            return p
        y = czce_contract_year(int(m.group(2)), int(m.group(3)), trading_date)
        return f'{m.group(1)}{y % 100:02d}{m.group(3)}{m.group(4) or ""}'

    return '_'.join(one(p) for p in code.split('_'))


def czce_short_code(code):
    """Y4: the 3-digit name of a 4-digit CZCE code (SR2505 -> SR505), or None."""
    changed = False
    out = []
    for p in code.split('_'):
        m = _PART4.match(p)
        if m:
            changed = True
            p = f'{m.group(1)}{m.group(2)[1]}{m.group(3)}{m.group(4) or ""}'
        out.append(p)
    s = '_'.join(out)
    return s if changed and is_czce_3digit_code(CZCE_EXCHANGE, s) else None


def _instrument_parts(listing, code, rng, lazy_runs):
    """The records of `code` in time order: structured arrays (trimmed to the range), or, with lazy_runs, ('run', history, first, last) for days only the bar history holds."""
    kind, root, exchange = listing.kind, listing.root, listing.exchange
    tick_side = kind.name == 'day'
    rt_kind = listing.ticks.kind.rt if tick_side else kind.rt
    live = None
    histories = []
    if rt_kind is not None:
        live_path = rt_file_path(root, rt_kind.folder, exchange, code)
        if os.path.exists(live_path):
            try:
                live = open_rt(live_path, rt_kind.name)
            except TickrecError as err:
                if not _missing(err):
                    raise
    try:
        src = listing.ticks if tick_side else listing
        listed = src.live_ino.get(code)
        if listed is not None and (live.ino if live else None) != listed:
            # Rolled since the listing: its day is in a dated folder the listing may not have seen.
            listing = Listing(root, kind, exchange, code, rng)
            src = listing.ticks if tick_side else listing
        if code in listing.conflicts:
            raise listing.conflicts[code]
        his_days = listing.his_days.get(code, {})
        finished = src.finished.get(code, {})
        # The code's bar history, and a CZCE 3-digit code's older contracts': each date from its contract's file.
        hfiles = [listing.histories.get(code)] + listing.retired.get(code, [])
        for f in hfiles:
            if f is not None:
                histories.append(BarHistory(f, kind.his))
        hist_of = _history_by_date(histories, root, kind.his.folder, exchange, code)
        hist_days = set(hist_of)
        live_n = live.size if live else 0
        live_date = live.date if live_n > 0 else None
        live_ino = live.ino if live else None
        dates = set(his_days) | hist_days | set(finished)
        if live_date is not None:
            dates.add(live_date)
        dates = sorted(d for d in dates if d >= rng.first_date)

        def from_history(d):
            return d in hist_days and (tick_side or d != live_date)

        def finished_records(f, k):
            try:
                r = open_rt(f, k.name)
            except TickrecError as err:
                if _missing(err):
                    return None
                raise
            try:
                return np.empty(0, k.dtype) if r.ino == live_ino else raw_copy(r.records())
            finally:
                r.close()

        def from_his_again(d):
            if kind.his.layout == 'daily':
                f = _his_file(his_day_path(root, kind.his.folder, exchange, d, code)[: -len(HIS_EXT)])
                return read_day_block(f, expected=kind.his).records if f is not None else np.empty(0, kind.dtype)
            codes = [code]
            if is_czce_3digit_code(exchange, code) and _valid_date(d):
                codes.insert(0, czce_contract_code(code, d))
            for c in codes:
                f = _his_file(his_history_path(root, kind.his.folder, exchange, c)[: -len(HIS_EXT)])
                if f is not None:
                    with BarHistory(f, kind.his) as h:
                        recs = h.read(d, d)
                    if len(recs):
                        return recs
            return np.empty(0, kind.dtype)

        def day_bar_of(d):
            if d in hist_days:
                return hist_of[d].read(d, d)
            last, last_key = None, None
            for f in finished.get(d, []):
                recs = finished_records(f, rt_kind)
                if recs is None:
                    return from_his_again(d)
                if len(recs):
                    k = int(_KINDS['tick'].keys(recs[-1:])[0])
                    if last_key is None or k >= last_key:
                        last, last_key = recs[-1], k
            if live is not None and d == live_date:
                t = live.records()[-1:]  # size loaded now, after the listing: the day so far
                k = int(_KINDS['tick'].keys(t)[0])
                if last_key is None or k >= last_key:
                    last = t[0]
            return _day_bar(last, d) if last is not None else np.empty(0, D.BAR)

        def read_date(d):
            if tick_side:
                return day_bar_of(d)
            parts = []
            if d in his_days:
                parts.append(read_day_block(his_days[d], expected=kind.his).records)
            elif d in hist_days:
                parts.append(hist_of[d].read(d, d))
            else:
                for f in finished.get(d, []):
                    recs = finished_records(f, rt_kind)
                    if recs is None:
                        parts = [from_his_again(d)]
                        break
                    parts.append(recs)
            if live is not None and d == live_date:
                parts.append(raw_copy(live.records()))
            return merge_day(kind, parts)

        def trimmed(recs):
            if len(recs) == 0 or (rng.lo is None and rng.hi is None):
                return recs
            keys = kind.keys(recs)
            a = 0 if rng.lo is None else int(np.searchsorted(keys, rng.lo, 'left'))
            b = len(recs) if rng.hi is None else int(np.searchsorted(keys, rng.hi, 'left'))
            return recs[a:b] if b > a else recs[:0]

        i = 0
        while i < len(dates):
            d = dates[i]
            if d <= rng.last_date and from_history(d):
                j = i
                history = hist_of[d]
                while j + 1 < len(dates) and dates[j + 1] <= rng.last_date and from_history(dates[j + 1]) and hist_of[dates[j + 1]] is history:
                    j += 1
                if lazy_runs:
                    yield ('run', history, d, dates[j])
                else:
                    s = trimmed(history.read(d, dates[j]))
                    if len(s):
                        yield s
                i = j + 1
                continue
            recs = hist_of[d].read(d, d) if from_history(d) else read_date(d)
            if d > rng.last_date and len(recs) and rng.hi is not None and int(kind.keys(recs[:1])[0]) >= rng.hi:
                break
            s = trimmed(recs)
            if len(s):
                yield s
            i += 1
    finally:
        if live is not None:
            live.close()
        for h in histories:
            h.close()


def _instrument_query(kind, root, exchange, code, start, end):
    root = check_root(root)
    exchange = check_exchange(exchange)
    code = check_code(exchange, code)
    rng = KeyRange(kind, start, end)
    return Listing(root, kind, exchange, code, rng), code, rng


def read_records(root, exchange, code, kind, start=None, end=None):
    """Records of one instrument and kind over [start, end), across history, finished days and today: a structured array (a copy).

    Trades come as TRADE_QTY: `volume` is the real quantity (float64, stored units /
    10^volume_decimals of the instrument's metadata in the root; tickrec.meta).
    """
    k = read_kind(kind)
    listing, code, rng = _instrument_query(k, root, exchange, code, start, end)
    parts = list(_instrument_parts(listing, code, rng, False))
    recs = concat(parts, k.dtype) if parts else np.empty(0, k.dtype)
    if k.name == 'trade':
        # QUANTITY (tickrec.meta): the stored units as the real quantity, as every reader gives them.
        return with_quantities(recs, instrument_meta(listing.root, listing.exchange, code).volume_decimals)
    return recs


def read_ticks(root, exchange, code, start=None, end=None):
    """Ticks of one instrument with start <= instant < end (see the module's rules), as a TICK structured array."""
    return read_records(root, exchange, code, 'tick', start, end)


def read_trades(root, exchange, code, start=None, end=None):
    """Trades of one instrument with start <= instant < end, as a TRADE_QTY structured array (`volume`: the real quantity, float64)."""
    return read_records(root, exchange, code, 'trade', start, end)


def read_bars(root, exchange, code, period, start=None, end=None):
    """Bars of one instrument and period (min1 .. min60, day) in [start, end), as a BAR structured array."""
    return read_records(root, exchange, code, bar_kind(period).name, start, end)


# ---------------------------------------------------------------------------------------
# A whole exchange, columnar


class Market:
    """Records of every instrument of an exchange, as columns.

    `columns`: {field: array} (numeric fields of the record; a numeric array field such as
    bid_prices is an (n, 10) array), plus 'instrument' (uint32: index into `instruments`);
    `instruments`: [(exchange, code, start, count)] in code order, each instrument's rows
    contiguous and in time order; `count`: rows. `instrument_columns(code)` slices one.
    Trades' `volume` column is the real quantity (float64). `ts_utc()` gives each row's
    UTC instant.
    """

    def __init__(self, kind, exchange, columns, instruments, count, root=None):
        self.kind, self.exchange, self.columns, self.instruments, self.count = kind, exchange, columns, instruments, count
        self.root = root

    def ts_utc(self):
        """The UTC instant of every row (datetime64[ms]; NaT where the instrument's zone is unknown), by each instrument's metadata (tickrec.meta)."""
        a, b = ('action_date', 'action_time') if self.kind in ('tick', 'trade') else ('date', 'time')
        missing = [c for c in (a, b) if c not in self.columns and not (self.kind == 'day' and c == 'time')]
        if missing:
            raise TickrecError('E_USAGE', 'ts_utc needs the column(s) %s: read the market with them in `fields`.' % ', '.join(missing))
        if self.root is None:
            raise TickrecError('E_USAGE', 'ts_utc: this Market was not read from a data root (give it one: Market(..., root=...)).')
        out = np.full(self.count, np.datetime64('NaT'), 'datetime64[ms]')
        for ex, code, start, n in self.instruments:
            dates = self.columns[a][start : start + n]
            times = self.columns[b][start : start + n] if b in self.columns else np.zeros(n, np.int64)
            out[start : start + n] = utc_of(self.kind, dates, times, instrument_meta(self.root, ex, code))
        return out

    def instrument_columns(self, code):
        for ex, c, start, n in self.instruments:
            if c == code:
                return {k: v[start : start + n] for k, v in self.columns.items()}
        return None

    def __repr__(self):
        return '<Market %s %s: %d rows, %d instruments>' % (self.exchange, self.kind, self.count, len(self.instruments))


def _column_specs(dtype, fields):
    """(name, word, type, count, shift) of each numeric field asked for, from the generated field tables."""
    table = {D.TICK: D.TICK_FIELDS, D.TRADE: D.TRADE_FIELDS, D.BAR: D.BAR_FIELDS}[dtype]
    numeric = [(n, t, o, c) for n, t, o, c in table if t not in ('char', 'pad')]
    names = [n for n, _, _, _ in numeric]
    if fields is not None:
        unknown = [f for f in fields if f not in names]
        if unknown:
            raise TickrecError('E_USAGE', 'fields %s: unknown column(s); the columns are %s.' % (', '.join(map(str, unknown)), ', '.join(names)))
        numeric = [x for x in numeric if x[0] in fields]
    return numeric


def _columns_from_words(words, specs):
    out = {}
    for name, t, off, count in specs:
        j, sub = off // 8, off % 8
        if t in ('f64', 'u64', 'i64'):
            np_t = {'f64': '<f8', 'u64': '<u8', 'i64': '<i8'}[t]
            out[name] = words[j].view(np_t) if count == 1 else np.ascontiguousarray(words[j : j + count].T).view(np_t)
        elif t == 'u32':
            out[name] = (words[j] >> np.uint64(8 * sub)).astype('<u4')
        elif t == 'u16':
            out[name] = ((words[j] >> np.uint64(8 * sub)) & np.uint64(0xFFFF)).astype('<u2')
    return out


def read_market(root, exchange, kind, start=None, end=None, codes=None, fields=None, check_raw=False):
    """Every instrument of `exchange` of a kind over [start, end), columnar (a Market).

    codes: only these instruments; fields: only these columns (unknown names refused);
    check_raw: also check the CRC of the raw bars of tickrec bar histories (decoded to
    columns without rows otherwise: the payload CRC still covers every stored byte).
    """
    k = read_kind(kind)
    root = check_root(root)
    exchange = check_exchange(exchange)
    rng = KeyRange(k, start, end)
    only = [check_code(exchange, c) for c in codes] if codes is not None else None
    listing = Listing(root, k, exchange, only[0] if only and len(only) == 1 else None, rng)
    code_list = sorted(set(only)) if only is not None else listing.codes()
    specs = _column_specs(k.dtype, fields)
    W = k.record_bytes // 8
    # Words a bar-history run must decode: those of the fields asked for, and date, time (the key).
    size = {'f64': 8, 'u64': 8, 'i64': 8, 'u32': 4, 'u16': 2}
    needed = sorted({0, 1} | {j for _, t, off, count in specs for j in range(off // 8, (off + size[t] * count - 1) // 8 + 1)}) if k.is_bar else None
    buf = np.empty((W, 0), np.uint64)
    n = 0
    instruments = []
    index_parts = []

    def reserve(m):
        """Room for m more rows after the n taken; returns buf[:, n:n+m]."""
        nonlocal buf
        if n + m > buf.shape[1]:
            # Sized from the rows per instrument so far (+5%), so a market of similar instruments allocates about once.
            need = n + m
            cap = max(need, int(need / (len(instruments) + 1) * len(code_list) * 1.05), int(buf.shape[1] * 1.25))
            grown = np.empty((W, cap), np.uint64)
            grown[:, :n] = buf[:, :n]
            buf = grown
        return buf[:, n : n + m]

    for code in code_list:
        first = n
        for part in _instrument_parts(listing, code, rng, k.is_bar):
            if isinstance(part, tuple):
                # A run of days only the bar history holds: decoded straight into the result's rows, then cut to the range.
                _, history, d0, d1 = part
                rows = history.row_count(d0, d1)
                dst = history.words(d0, d1, check_raw, out=reserve(rows), cols=needed)
                a, b = 0, rows
                if rows and (rng.lo is not None or rng.hi is not None):
                    keys = k.word_keys(dst)
                    a = 0 if rng.lo is None else int(np.searchsorted(keys, rng.lo, 'left'))
                    b = rows if rng.hi is None else max(a, int(np.searchsorted(keys, rng.hi, 'left')))
                    if a > 0:
                        dst[:, : b - a] = dst[:, a:b]  # numpy copies overlapping slices correctly
                n += b - a
            else:
                words = rows_to_words(np.ascontiguousarray(part))
                reserve(words.shape[1])[:, :] = words
                n += words.shape[1]
        if n > first:
            index_parts.append((len(instruments), n - first))
            instruments.append((exchange, code, first, n - first))
    columns = _columns_from_words(buf[:, :n], specs)
    if k.name == 'trade' and 'volume' in columns:
        # QUANTITY (tickrec.meta): each instrument's stored units as its real quantities.
        v = np.empty(n, np.float64)
        for ex, code, first, count in instruments:
            v[first : first + count] = units_to_quantity(columns['volume'][first : first + count], instrument_meta(root, ex, code).volume_decimals)
        columns['volume'] = v
    columns['instrument'] = np.repeat(np.array([i for i, _ in index_parts], np.uint32), [c for _, c in index_parts]) if index_parts else np.empty(0, np.uint32)
    return Market(k.name, exchange, columns, instruments, n, root)


def read_bars_market(root, exchange, period, start=None, end=None, codes=None, fields=None, check_raw=False):
    """Bars of one period for every instrument of an exchange, columnar (a Market): what a cross-sectional study reads."""
    return read_market(root, exchange, bar_kind(period).name, start, end, codes, fields, check_raw)


def columns_of(records, fields=None):
    """A structured array (read_ticks, read_bars, open_rt(...).records()...) as {field: contiguous array}, numeric fields only (exchg/code left out)."""
    names = [n for n in records.dtype.names if records.dtype.fields[n][0].kind != 'S']
    if fields is not None:
        unknown = [f for f in fields if f not in names]
        if unknown:
            raise TickrecError('E_USAGE', 'fields %s: unknown column(s); the columns are %s.' % (', '.join(map(str, unknown)), ', '.join(names)))
        names = [n for n in names if n in fields]
    return {n: np.ascontiguousarray(records[n]) for n in names}


def records_of(market):
    """A Market's rows back as one structured array of its kind (every field the columns hold; others zero; trades as TRADE_QTY)."""
    k = read_kind(market.kind)
    out = np.zeros(market.count, TRADE_QTY if k.name == 'trade' else k.dtype)
    for name, col in market.columns.items():
        if name in k.dtype.names:
            out[name] = col
    return out


__all__ = [
    'Market',
    'read_records',
    'read_ticks',
    'read_trades',
    'read_bars',
    'read_market',
    'read_bars_market',
    'records_of',
    'columns_of',
    'words_to_rows',
    'TRADE_QTY',
]

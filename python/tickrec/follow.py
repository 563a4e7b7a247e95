"""Following an instrument's real-time file live, across the files that replace it at each day roll (polling).

THE DAY ROLL (docs/format.md, src/store/roll.ts; the crossing: src/store/rt-follow.ts): the live file of an instrument is at
one path; when its trading day ends the recorder renames it into a dated folder and a
new file appears at the same path with the first record of the next day. A follower
learns that its file is finished when the path no longer names the inode it has open.
It then loads `size` one last time, delivers what remains, and goes on with the next
file from its first record. The writer never appends after the rename, so that last
load sees every record the file will ever have: every record is delivered once, in order.

NOT A ROLL (src/store/rt-follow.ts): a file moved over the path (`mv OTHER FILE`) or the
path written back after a deletion is not the next day. The next file must hold a LATER
trading date than the one left, and (ticks, trades) the same instrument in its first
record; otherwise the follower stops with E_REPLACED instead of delivering another file's
records as this instrument's.

POLLING: while records come, the follower reads them without sleeping; when none is
new it sleeps `poll_interval` seconds (default 1 ms; 0 spins on one core) and looks at
the path for a roll every `roll_check_interval` seconds (default 0.1). A record is seen
about poll_interval / 2 after it is published on average (plus the sleep's overshoot,
~0.1 ms on Linux), at most poll_interval + overshoot; see docs/python.md for figures.
"""

import os
import time
import warnings

from .errors import TickrecError
from .meta import with_quantities
from .rt import kind_of, open_rt


def _open_if_there(path, kind):
    try:
        return open_rt(path, kind)
    except TickrecError as err:
        if err.errno == 2:  # ENOENT: not created yet, or moved away and the next one not there yet
            return None
        raise


def _instrument_of(f):
    """'EXCHG.CODE' of record 0 of a tick or trade file, or None (bars, an empty file)."""
    if f.kind.name not in ('tick', 'trade') or f.size == 0:
        return None
    r = f.records(0, 1)[0]
    return '%s.%s' % (r['exchg'].decode('ascii', 'replace'), r['code'].decode('ascii', 'replace'))


def _replaced(path, what):
    return TickrecError(
        'E_REPLACED',
        "%s: %s; not a day roll. Stopped rather than deliver its records as this instrument's. "
        'Find out what touched the data root, then follow again.' % (path, what),
        path,
    )


def _decimals_of(f, warned):
    """QUANTITY: the volume_decimals of a trade file's instrument, from the data root it lives in (0, with a warning, outside a root)."""
    m = f.meta()
    if m is None:
        if not warned:
            warned.append(True)
            warnings.warn(
                'tickrec: %s is not inside a data root (<root>/rt/trans/...): its instrument metadata (meta/instruments/) '
                'cannot be found, so trade volumes are given as stored (whole units).' % f.path,
                RuntimeWarning,
                stacklevel=4,
            )
        return 0
    return m.volume_decimals


def _ino(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def follow_batches(
    path,
    from_start=False,
    *,
    kind=None,
    poll_interval=0.001,
    roll_check_interval=0.1,
    idle_timeout=None,
    stop=None,
    batch_max=65536,
    on_file_start=None,
    on_file_end=None,
    quantities=True,
):
    """Yields the records of the live file at `path` as they are published, in batches.

    Each batch is a read-only structured array over the mapping (zero-copy), of at most
    `batch_max` records, in order; consecutive batches continue each other, across files.
    Trades are the exception while `quantities` is True (the default): each batch is a
    TRADE_QTY copy whose `volume` is the real quantity (stored units / 10^volume_decimals
    of the instrument's metadata in the data root); quantities=False gives the zero-copy
    TRADE view with the stored units.

    - from_start: start at the first record of the current file (default: only records
      published from now on). A file that does not exist yet is read from its start.
    - kind: 'tick', 'trade', 'min1', ...: refuse a file of another kind (default: the
      first file's kind, kept for the files after it).
    - idle_timeout: stop (return) after that many seconds without a new record; None
      follows forever (stop by leaving the loop: the generator closes its file).
    - stop: a threading.Event (or any callable returning True) that ends the generator
      when it is set; checked between batches and at every idle poll.
    - on_file_start(rt_file) / on_file_end(rt_file): called when a file is opened, and
      when a rolled file has been delivered completely.
    """
    path = os.fspath(path)
    expected = kind_of(kind) if kind is not None else None
    stopped = stop.is_set if hasattr(stop, 'is_set') else stop if stop is not None else (lambda: False)
    skip_existing = not from_start and os.path.exists(path)
    f = None
    index = 0
    left = None  # NOT A ROLL: (date, instrument) of the file left at the last roll
    compare_instrument = False
    last_roll_check = 0.0
    last_record = time.monotonic()
    decimals = None  # QUANTITY: of the open trade file, found at its first batch
    warned = []

    def delivered(batch):
        nonlocal decimals
        if not quantities or f.kind.name != 'trade':
            return batch
        if decimals is None:
            decimals = _decimals_of(f, warned)
        return with_quantities(batch, decimals)

    try:
        while not stopped():
            if f is None:
                f = _open_if_there(path, expected)
                if f is not None and left is not None and f.date <= left[0]:
                    f.close()
                    raise _replaced(
                        path,
                        'the file now at this path holds trading date %d, not a day after the %d just followed: it was '
                        'deleted and written back, or another file was moved over it' % (f.date, left[0]),
                    )
                if f is not None:
                    expected = expected or f.kind
                    index = f.size if skip_existing else 0
                    skip_existing = False
                    if on_file_start is not None:
                        on_file_start(f)
            if f is not None:
                n = f.size
                if n > index and compare_instrument:
                    compare_instrument = False
                    now = _instrument_of(f)
                    if now is not None and now != left[1]:
                        raise _replaced(
                            path,
                            "the file now at this path holds %s, the file just followed held %s: another instrument's file "
                            'was moved over this path' % (now, left[1]),
                        )
                if n > index:
                    stop = min(n, index + batch_max)
                    batch = f.records(index, stop)
                    index = stop
                    last_record = time.monotonic()
                    yield delivered(batch)
                    continue
            now = time.monotonic()
            if f is not None and now - last_roll_check >= roll_check_interval:
                last_roll_check = now
                if _ino(path) != f.ino:
                    # Rolled: the writer no longer appends to f. Deliver the rest, then move on.
                    n = f.size
                    while index < n:
                        stop = min(n, index + batch_max)
                        batch = f.records(index, stop)
                        index = stop
                        yield delivered(batch)
                    left = (f.date, _instrument_of(f))
                    compare_instrument = left[1] is not None
                    if on_file_end is not None:
                        on_file_end(f)
                    f.close()
                    f = None
                    decimals = None
                    index = 0
                    last_record = time.monotonic()
                    continue
            if idle_timeout is not None and now - last_record >= idle_timeout:
                return
            if poll_interval > 0:
                time.sleep(poll_interval)
    finally:
        if f is not None:
            f.close()


def follow(path, from_start=False, **options):
    """Yields each record of the live file at `path` once, in order, as it is published, across day rolls.

    A record is a numpy structured scalar (`rec['price']`, `rec['action_time']`) that views
    the mapping; `rec.copy()` keeps it (trades: a copy already, with `volume` the real
    quantity; see follow_batches). Options as follow_batches (kind, poll_interval,
    roll_check_interval, idle_timeout, stop, on_file_start, on_file_end, quantities). For
    many records per second, iterate follow_batches and work on whole arrays instead.
    """
    for batch in follow_batches(path, from_start, **options):
        yield from batch

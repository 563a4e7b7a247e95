"""Real-time (.dmb) files read-only: the published `size`, a zero-copy numpy view of the published records, remap after growth.

READ PROTOCOL (the Python half of the writer's publish protocol, docs/format.md and
src/store/rt-reader.ts):

- the file is opened O_RDONLY and mapped read-only (MAP_SHARED), never past the length
  implied by the capacity the reader has seen and never past the file's length (fstat):
  touching a mapped page past the end of a file kills the process with SIGBUS;
- `size` (u32 at offset 12) is loaded with ONE aligned 4-byte load, through a uint32
  numpy view of the mapping (numpy reads an aligned native scalar with a single load).
  When it returns n, records 0 .. n-1 are complete: the writer stores every byte of a
  record before it stores the new size (Atomics.store, sequentially consistent). On
  x86-64 an aligned load is atomic and no later load is reordered before it (TSO), which
  is the acquire the protocol needs. CPython has no acquire load of its own, so on a
  weakly ordered CPU (AArch64) `open_rt` warns once (ORDERING below);
- a slot at or past `size` is never read: it may hold a half-written record;
- a `size` beyond the mapped capacity means the writer grew the file: the reader loads
  `capacity` (stored before any size beyond the old capacity), checks the file's length
  and maps again. Arrays handed out before keep the old mapping alive (numpy holds a
  reference to it); it stays valid because a file is never shrunk while it may be mapped.
"""

import mmap
import os
import platform
import warnings

import numpy as np

from . import _dtypes as D
from .errors import TickrecError, io_error
from .meta import instrument_meta

RT_HEADER_BYTES = D.RT_HEADER.itemsize
_SIZE_U32 = D.RT_HEADER.fields['size'][1] // 4
_CAPACITY_U32 = D.RT_HEADER.fields['capacity'][1] // 4
_KIND_BY_TYPE = {k.rt_type: k for k in D.RT_KINDS.values()}

# ORDERING: machines whose plain loads are ordered (TSO). Elsewhere a Python reader may
# see a record's bytes older than the size that published it; see docs/python.md.
_ORDERED_LOADS = platform.machine().lower() in ('x86_64', 'amd64', 'i386', 'i686', 'x86')
_warned = []


def _warn_ordering():
    if not _ORDERED_LOADS and not _warned:
        _warned.append(True)
        warnings.warn(
            'tickrec: %s orders loads weakly and CPython has no acquire load; a record read in the instant it is '
            'published may be incomplete. See docs/python.md (rules of a Python reader).' % platform.machine(),
            RuntimeWarning,
            stacklevel=3,
        )


def kind_of(name):
    """The real-time kind named `name` (tick, trade, min1, min5, min15, min30, min60), or `name` itself when it is one."""
    if isinstance(name, D.RtKind):
        return name
    k = D.RT_KINDS.get(name) if isinstance(name, str) else None
    if k is None:
        raise TickrecError('E_USAGE', "kind %r is unknown: use one of %s." % (name, ', '.join(D.RT_KINDS)))
    return k


def _probe(fd, path, expected):
    """The header of an open rt file, checked as the Node reader checks it (src/store/rt-file.ts)."""
    # The header first, then the length: the length only grows, and capacity is stored
    # after the file grew, so a length taken after the header covers its capacity.
    head = os.pread(fd, RT_HEADER_BYTES, 0)
    file_bytes = os.fstat(fd).st_size
    if len(head) < RT_HEADER_BYTES:
        raise TickrecError(
            'E_TRUNCATED',
            '%s: %d bytes, shorter than the %d-byte header; the file is not a usable block file. '
            'Move it aside; if it should hold data, restore it from a backup.' % (path, file_bytes, RT_HEADER_BYTES),
            path,
        )
    if head[:8] != D.BLOCK_FLAG:
        raise TickrecError(
            'E_NOT_BLOCK_FILE',
            '%s: does not start with the block flag "&^%%$#@!" (found %s); this is not a tickrec/datakit block file. '
            'Check the path.' % (path, head[:8].hex()),
            path,
        )
    h = np.frombuffer(head, D.RT_HEADER, count=1)[0]
    kind = _KIND_BY_TYPE.get(int(h['type']))
    if kind is None:
        raise TickrecError(
            'E_WRONG_TYPE',
            '%s: block type %d is not a real-time type tickrec reads (1 min1, 2 min5, 3 ticks, 5 transactions, '
            '101-103 min15/min30/min60).' % (path, h['type']),
            path,
        )
    if expected is not None and expected.rt_type != kind.rt_type:
        raise TickrecError(
            'E_WRONG_TYPE',
            '%s: holds %s records (type %d), expected %s (type %d); the file is in the wrong folder or was overwritten.'
            % (path, kind.name, kind.rt_type, expected.name, expected.rt_type),
            path,
        )
    if int(h['version']) != D.BLOCK_VERSION_RAW:
        raise TickrecError(
            'E_VERSION',
            '%s: version %d; real-time files are version %d (raw records). Upgrade tickrec or convert the file.'
            % (path, h['version'], D.BLOCK_VERSION_RAW),
            path,
        )
    size, capacity, date = int(h['size']), int(h['capacity']), int(h['date'])
    real_capacity = (file_bytes - RT_HEADER_BYTES) // kind.record_bytes
    if capacity > real_capacity:
        raise TickrecError(
            'E_TRUNCATED',
            '%s: header says capacity %d (%d bytes) but the file has %d bytes (room for %d %s records); the file was '
            "truncated. Run 'tickrec repair %s' to keep the records that remain."
            % (path, capacity, RT_HEADER_BYTES + capacity * kind.record_bytes, file_bytes, real_capacity, kind.name, path),
            path,
        )
    if size > capacity:
        raise TickrecError(
            'E_CORRUPT',
            "%s: header says %d records published but capacity is %d; the header is damaged. Run 'tickrec repair %s' "
            'to keep the %d records that fit.' % (path, size, capacity, path, capacity),
            path,
        )
    if capacity == 0:
        raise TickrecError('E_TRUNCATED', '%s: capacity 0, the file holds no record slots; move it aside.' % path, path)
    return kind, capacity, date


# The folders under rt/ and his/ (src/meta/root.ts KIND_FOLDERS): every kind's, and rt/closed.
_KIND_FOLDERS = frozenset([k.folder for k in D.RT_KINDS.values()] + [k.folder for k in D.HIS_KINDS.values()] + ['closed'])


def root_of_file(path):
    """The data root a block file lives in (<root>/rt/<folder>/... or <root>/his/<folder>/...), or None (src/meta/root.ts rootOfFile)."""
    parts = os.path.abspath(os.fspath(path)).split(os.sep)
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] in ('rt', 'his') and parts[i + 1] in _KIND_FOLDERS:
            return os.sep.join(parts[:i]) or os.sep
    return None


class RtFile:
    """One real-time file, open read-only. Use `open_rt(path)`.

    `size` is the number of published records (loaded anew on each access; a growth is
    followed by a remap), `records()` a zero-copy, read-only structured array of them.
    """

    def __init__(self, path, fd, kind, capacity, date):
        self.path = path
        self.kind = kind
        self.dtype = kind.dtype
        self.date = date
        self.ino = os.fstat(fd).st_ino
        self._fd = fd
        self._rs = kind.record_bytes
        self._map(capacity)

    def _map(self, capacity):
        length = RT_HEADER_BYTES + capacity * self._rs
        try:
            # ACCESS_READ: MAP_SHARED, PROT_READ, and a read-only buffer, so numpy arrays over it are not writeable.
            mm = mmap.mmap(self._fd, length, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as err:
            raise TickrecError('E_IO', '%s: cannot map %d bytes read-only (%s).' % (self.path, length, err), self.path)
        # The old mapping (if any) is not closed: arrays made from it hold it, and it is
        # unmapped when the last of them goes.
        self._mm = mm
        self._u32 = np.frombuffer(mm, '<u4', count=RT_HEADER_BYTES // 4)
        self._mapped_capacity = capacity

    def _check_length(self, need):
        """CUT FILES: touching a mapped page past the end of a file kills the process (SIGBUS),
        and a file is cut only by someone else (tickrec never shrinks a file that may be
        mapped). So before the header or records are read, the file's length is checked
        (one fstat, ~1 us): a cut file is refused with E_TRUNCATED instead of a crash. A cut
        between the check and the read, or while arrays from records() are still used, can
        still fault: nothing in Python can catch that."""
        try:
            length = os.fstat(self._fd).st_size
        except OSError as err:
            raise io_error(err, self.path, 'fstat')
        if length < need:
            raise TickrecError(
                'E_TRUNCATED',
                '%s: the file was cut to %d bytes while open (its header and published records need %d); something other '
                'than tickrec truncated it. Stop reading it; the records that were cut off can only come back from a backup.'
                % (self.path, length, need),
                self.path,
            )

    @property
    def size(self):
        """Records published now (one atomic load of the header's size); remaps first when the writer grew the file."""
        if self._fd is None:
            raise TickrecError('E_IO', '%s: the file is closed; open it again.' % self.path, self.path)
        self._check_length(RT_HEADER_BYTES)
        n = int(self._u32[_SIZE_U32])
        return n if n <= self._mapped_capacity else self._remap(n)

    def meta(self):
        """The InstrumentMeta (volume_decimals, timezone, session_close) of the instrument of this tick or trade file, from the data root the file lives in.

        The instrument is the one of record 0 (EXCHG/CODE from the path while the file is
        empty). None when the file is not inside a data root (<root>/rt/...): its trades'
        volumes are then in units nothing here can name; see docs/python.md.
        """
        if self.kind.name not in ('tick', 'trade'):
            raise TickrecError('E_USAGE', '%s: meta() is for tick and trade files (this one holds %s bars).' % (self.path, self.kind.name), self.path)
        root = root_of_file(self.path)
        if root is None:
            return None
        if self.size > 0:
            r = self.records(0, 1)[0]
            exchange, code = r['exchg'].decode('ascii', 'replace'), r['code'].decode('ascii', 'replace')
        else:
            exchange = os.path.basename(os.path.dirname(self.path))
            if len(exchange) == 8 and exchange.isdigit():  # a finished day: <EXCHG>/<YYYYMMDD>/<CODE>.dmb
                exchange = os.path.basename(os.path.dirname(os.path.dirname(self.path)))
            code = os.path.basename(self.path).rsplit('.', 1)[0].split('~')[0]
        return instrument_meta(root, exchange, code)

    @property
    def capacity(self):
        """Records the current mapping holds."""
        return self._mapped_capacity

    def _remap(self, n):
        cap = int(self._u32[_CAPACITY_U32])
        want = RT_HEADER_BYTES + cap * self._rs
        try:
            file_bytes = os.fstat(self._fd).st_size
        except OSError as err:
            raise io_error(err, self.path, 'fstat')
        if n > cap or want > file_bytes:
            raise TickrecError(
                'E_CORRUPT',
                '%s: header says %d records published, capacity %d, file %d bytes; they do not agree, the header was '
                'damaged while the file was open. Stop the writer and run tickrec inspect.' % (self.path, n, cap, file_bytes),
                self.path,
            )
        self._map(cap)
        return n

    def records(self, start=0, stop=None):
        """Published records [start, stop) as a read-only structured array over the mapping (no copy).

        `stop` defaults to the size loaded now. The array stays valid after later growths
        and after close(): it keeps its mapping alive. Copy (`.copy()`) what you keep long.
        """
        n = self.size
        stop = n if stop is None else min(stop, n)
        start = max(0, min(start, stop))
        self._check_length(RT_HEADER_BYTES + stop * self._rs)
        return np.frombuffer(self._mm, self.dtype, count=stop - start, offset=RT_HEADER_BYTES + start * self._rs)

    def close(self):
        """Closes the file descriptor; arrays from records() stay valid (they hold their mapping)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._u32 = None
        self._mm = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = 'closed' if self._fd is None else 'size %d, capacity %d' % (self.size, self._mapped_capacity)
        return '<RtFile %s: %s, date %d, %s>' % (self.path, self.kind.name, self.date, state)


def open_rt(path, kind=None):
    """Opens the real-time file at `path` read-only; `kind` ('tick', 'trade', 'min1', ...) refuses a file of another kind."""
    expected = kind_of(kind) if kind is not None else None
    path = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))
    except OSError as err:
        raise io_error(err, path, 'open for reading')
    try:
        k, capacity, date = _probe(fd, path, expected)
        f = RtFile(path, fd, k, capacity, date)
    except BaseException:
        os.close(fd)
        raise
    _warn_ordering()
    return f

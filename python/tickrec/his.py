"""Historical files: tickrec day blocks (COLS8 + LZ4, checksummed), bar-history containers, and datakit's zstd (v4) and raw (v3) blocks.

The layouts are specified in docs/history.md and defined by the tables of src/his/layout.ts
(here through the generated _dtypes). Checks on read, in the Node reader's order (each
failure names the file and says what to do): length and flag (E_TRUNCATED,
E_NOT_BLOCK_FILE), header CRC (E_CHECKSUM), type (E_WRONG_TYPE) and version (E_VERSION),
field consistency and file length (E_CORRUPT, E_TRUNCATED), payload CRC (E_CHECKSUM),
decompression to the stated size (E_CORRUPT), the inverse transform (E_CORRUPT), and the
CRC of the decoded records (E_CHECKSUM; skipped only by the columnar read of bar
histories unless check_raw=True, as in Node: the payload CRC covers every stored byte).
datakit's zstd blocks carry no checksum at all.

COLS8 INVERSE (the transform of src/his/transform.ts, decoded here with numpy a group at a
time): for each column j of a group of m records, the planes hold byte b of
zigzag(x[i] - x[i-1]) with x[-1] = base; so x = base + cumsum(unzigzag(z)) on 64 bits
(wrapping, as two's complement), and the word is x itself (INT64) or the double
x / 10^scale (DECIMAL, |x| <= 2^51, so x converts to a double exactly and the division is
the one the Node decoder does: the same bits).
"""

import os
import zlib

import numpy as np

from . import _dtypes as D
from .errors import TickrecError, io_error

try:  # the history codecs are optional: real-time files need numpy only
    import lz4.block as _lz4
except ImportError:  # pragma: no cover - depends on the machine
    _lz4 = None
try:
    import zstandard as _zstd
except ImportError:  # pragma: no cover
    _zstd = None

MAX_DATE = 99999999
_HIS_BY_TYPE = {k.his_type: k for k in D.HIS_KINDS.values()}
_P10 = np.array([10.0**k for k in range(10)])
_DIR_ENTRY_BYTES = 16
_MODE_INT = 1
_MODE_DEC = 2
_CHUNK_ENTRY = D.HIS_CHUNK_ENTRY.itemsize
_CHUNK_DAY = D.HIS_CHUNK_DAY.itemsize


def crc32(b):
    return zlib.crc32(b) & 0xFFFFFFFF


def group_records(record_bytes):
    """Records per COLS8 group (GROUP_BYTES of records)."""
    return max(1, D.GROUP_BYTES // record_bytes)


def dtype_of(kind):
    """The record dtype of a historical kind (TICK, TRADE or BAR)."""
    return D.RT_KINDS[kind.rt].dtype if kind.rt is not None else D.BAR


def _fail(code, file, msg):
    return TickrecError(code, '%s: %s' % (file, msg), file)


def checksum_error(file, what):
    return _fail(
        'E_CHECKSUM',
        file,
        'the checksum of %s does not match: the bytes changed after they were written. Restore the file from a backup; '
        'if the real-time file of that day still exists, remove this file and run tickrec compact again.' % what,
    )


def _corrupt(file, what):
    return _fail(
        'E_CORRUPT',
        file,
        '%s; the file is damaged. Restore it from a backup, or recompact the day from its real-time file if it still exists.' % what,
    )


def _need(module, name, file):
    if module is None:
        raise TickrecError(
            'E_USAGE',
            "%s: reading it needs the Python package '%s' (Debian: apt install python3-%s; pip install %s)." % (file, name, name, name),
            file,
        )
    return module


# ---------------------------------------------------------------------------------------
# Codecs


def lz4_decompress(payload, max_bytes, file):
    """A size-prepended LZ4 block (u32 LE size, then one LZ4 block): its bytes, at most max_bytes."""
    lz4b = _need(_lz4, 'lz4', file)
    if len(payload) < 4:
        raise _corrupt(file, 'LZ4 payload of %d bytes is too short' % len(payload))
    claimed = int.from_bytes(bytes(payload[:4]), 'little')
    if claimed > max_bytes:
        raise _corrupt(file, 'LZ4 payload says %d bytes, at most %d fit the header' % (claimed, max_bytes))
    try:
        out = lz4b.decompress(payload)
    except Exception as err:  # lz4.block.LZ4BlockError
        raise _corrupt(file, 'LZ4 payload does not decompress (%s)' % err)
    if len(out) != claimed:
        raise _corrupt(file, 'LZ4 payload gave %d bytes, expected %d' % (len(out), claimed))
    return out


def zstd_decompress(frame, raw_bytes, file):
    """One zstd frame that must state its content size; raw_bytes None takes it from the frame."""
    zstd = _need(_zstd, 'zstandard', file)
    if len(frame) < 6 or bytes(frame[:4]) != b'\x28\xb5\x2f\xfd':
        raise _corrupt(file, 'the payload is not a zstd frame (no magic number 28 B5 2F FD)')
    try:
        size = zstd.frame_content_size(frame)
    except zstd.ZstdError as err:
        raise _corrupt(file, 'zstd frame header does not parse (%s)' % err)
    if size < 0:
        raise _corrupt(file, "zstd frame without content size (datakit always writes it); the file is damaged or not datakit's")
    if raw_bytes is not None and size != raw_bytes:
        raise _corrupt(file, 'zstd frame holds %d bytes, expected %d' % (size, raw_bytes))
    try:
        out = zstd.ZstdDecompressor().decompress(frame, max_output_size=size)
    except zstd.ZstdError as err:
        raise _corrupt(file, 'zstd frame does not decompress (%s)' % err)
    if len(out) != size:
        raise _corrupt(file, 'zstd frame gave %d bytes, expected %d' % (len(out), size))
    return out


# ---------------------------------------------------------------------------------------
# COLS8


def cols8_words(enc, record_bytes, count, file, cols=None):
    """Reverses COLS8: the records as words, an array (record_bytes / 8, count) of uint64 (row j = the j-th 8-byte word of every record).

    `cols`: decode only these words (sorted indices); the other rows of the result are left
    undefined (not decoded).
    Every group's directory and plane lengths are still checked.
    """
    W = record_bytes // 8
    G = group_records(record_bytes)
    e = np.frombuffer(enc, np.uint8)
    if cols is not None and len(cols) == W:
        cols = None
    if cols is None:
        out = None if count <= G else np.empty((W, count), np.uint64)
    else:
        out = np.empty((W, count), np.uint64)
        cols = list(cols)
    K = W if cols is None else len(cols)
    pos = {j: j for j in range(W)} if cols is None else {j: k for k, j in enumerate(cols)}
    o = 0
    z = np.empty((W, 0), np.uint64)
    for i0 in range(0, count, G):
        m = min(G, count - i0)
        d_end = o + W * _DIR_ENTRY_BYTES
        if d_end > len(e):
            raise _corrupt(file, 'the transformed records do not decode (COLS8: directory of group at record %d past the end)' % i0)
        d = e[o:d_end].reshape(W, _DIR_ENTRY_BYTES)
        modes, scales, widths = d[:, 0].tolist(), d[:, 1].tolist(), d[:, 2].tolist()
        for j in range(W):
            if widths[j] > 8 or scales[j] > 9 or modes[j] not in (_MODE_INT, _MODE_DEC):
                raise _corrupt(
                    file,
                    'the transformed records do not decode (COLS8: column %d of group at record %d has mode %d, scale %d, width %d)'
                    % (j, i0, modes[j], scales[j], widths[j]),
                )
        base = d[:, 8:16].copy().view('<u8').reshape(W, 1)
        if cols is not None:
            base = base[cols]
        o = d_end
        # The zigzag deltas as 8-byte little-endian words: byte b of column j's word i is plane b's byte i.
        # (Written plane by plane: a strided copy whose inner loop runs over the m records; measured
        # 7x faster than one transposed (w, m) -> (m, w) copy per column, whose inner loop is w bytes.)
        z8 = np.zeros((K, m, 8), np.uint8)
        for j in range(W):
            w = widths[j]
            if o + w * m > len(e):
                raise _corrupt(file, 'the transformed records do not decode (COLS8: planes of column %d of group at record %d past the end)' % (j, i0))
            k = pos.get(j)
            if k is None:
                o += w * m
                continue
            zk = z8[k]
            for b in range(w):
                zk[:, b] = e[o : o + m]
                o += m
        z = z8.view('<u8').reshape(K, m)
        # unzigzag: (z >> 1) ^ -(z & 1); then x = base + running sum, wrapping on 64 bits.
        t = z & np.uint64(1)
        np.negative(t, out=t)
        z >>= np.uint64(1)
        z ^= t
        np.cumsum(z, axis=1, out=z)
        z += base
        for j, k in pos.items():
            if modes[j] == _MODE_DEC:  # the double x / 10^scale (|x| <= 2^51: exact as a double)
                x = z[k].view(np.int64).astype(np.float64)
                if scales[j]:
                    x /= _P10[scales[j]]
                z[k] = x.view(np.uint64)
        if cols is not None:
            out[cols, i0 : i0 + m] = z
        elif out is not None:
            out[:, i0 : i0 + m] = z
    if o != len(e):
        raise _corrupt(file, 'the transformed records do not decode (COLS8: %d bytes left after %d records)' % (len(e) - o, count))
    return z if out is None else out


def raw_copy(a):
    """A copy of a 1-D structured array byte for byte, padding included (numpy copies a dtype with fields field by field)."""
    v = np.ascontiguousarray(a)
    return v.view('V%d' % v.dtype.itemsize).copy().view(v.dtype)


def words_to_rows(words, dtype):
    """(W, n) words → n records of `dtype` (a fresh C-contiguous array)."""
    n = words.shape[1]
    return np.ascontiguousarray(words.T).view(dtype).reshape(n)


def rows_to_words(rows):
    """n records → (W, n) words (a view: rows are 8-byte multiples)."""
    n = len(rows)
    return np.frombuffer(rows, np.uint64).reshape(n, rows.dtype.itemsize // 8).T if n else np.empty((rows.dtype.itemsize // 8, 0), np.uint64)


def _laid(payload, codec, transform, record_bytes, count, group, payload_crc, file):
    """The payload CRC, the compressor and the transform's group size: the transformed bytes."""
    if crc32(payload) != payload_crc:
        raise checksum_error(file, 'the payload')
    if codec not in (D.CODEC_NONE, D.CODEC_LZ4, D.CODEC_ZSTD):
        raise _fail('E_VERSION', file, 'codec %d is unknown to this tickrec; upgrade tickrec to read it.' % codec)
    raw_bytes = count * record_bytes
    if transform == D.TRANSFORM_COLS8:
        if group != group_records(record_bytes):
            raise _fail(
                'E_VERSION',
                file,
                'transform groups of %d records; this tickrec uses %d. Upgrade tickrec.' % (group, group_records(record_bytes)),
            )
        groups = -(-count // group_records(record_bytes))
        most = groups * (record_bytes // 8) * _DIR_ENTRY_BYTES + raw_bytes
        if codec == D.CODEC_LZ4:
            return lz4_decompress(payload, most, file)
        if codec == D.CODEC_ZSTD:
            return zstd_decompress(payload, None, file)
        return payload
    if transform != D.TRANSFORM_NONE:
        raise _fail('E_VERSION', file, 'transform %d is unknown to this tickrec; upgrade tickrec to read it.' % transform)
    laid = (
        lz4_decompress(payload, raw_bytes, file)
        if codec == D.CODEC_LZ4
        else zstd_decompress(payload, raw_bytes, file)
        if codec == D.CODEC_ZSTD
        else payload
    )
    if len(laid) != raw_bytes:
        raise _corrupt(file, 'payload holds %d bytes, expected %d' % (len(laid), raw_bytes))
    return laid


def decode_payload_words(payload, codec, transform, record_bytes, count, group, payload_crc, raw_crc, file, check_raw, cols=None):
    """Decodes a payload to words (W, count); checks the raw CRC when check_raw (rebuilding the rows of a COLS8 payload: every column).

    `cols`: only these words are needed (see cols8_words); without check_raw a COLS8 payload decodes only them.
    """
    laid = _laid(payload, codec, transform, record_bytes, count, group, payload_crc, file)
    if transform == D.TRANSFORM_COLS8:
        words = cols8_words(laid, record_bytes, count, file, None if check_raw else cols)
        if check_raw and crc32(np.ascontiguousarray(words.T)) != raw_crc:
            raise checksum_error(file, 'the decoded records')
        return words
    if check_raw and crc32(laid) != raw_crc:
        raise checksum_error(file, 'the decoded records')
    return np.frombuffer(laid, np.uint64).reshape(count, record_bytes // 8).T


# ---------------------------------------------------------------------------------------
# Files


def _read_whole(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as err:
        raise io_error(err, path, 'open for reading')


def parse_head(b, file):
    """The format of a historical file from its first bytes: ('tickrec'|'container'|'datakit-zstd'|'datakit-raw', kind, header or None)."""
    if len(b) < D.BLOCK_HEADER.itemsize:
        raise _fail(
            'E_TRUNCATED',
            file,
            '%d bytes, shorter than a block header; the file is not usable. Remove it and compact the day again, or restore it.' % len(b),
        )
    if bytes(b[:8]) != D.BLOCK_FLAG:
        raise _fail(
            'E_NOT_BLOCK_FILE',
            file,
            'does not start with the block flag "&^%%$#@!" (found %s); not a tickrec/datakit block file.' % bytes(b[:8]).hex(),
        )
    h = np.frombuffer(b, D.BLOCK_HEADER, count=1)[0]
    type_, version = int(h['type']), int(h['version'])
    head = None
    if version == D.HIS_VERSION_BLOCK:
        if len(b) < D.HIS_BLOCK_HEADER.itemsize:
            raise _fail(
                'E_TRUNCATED', file, '%d bytes, shorter than the 64-byte header of a tickrec block; restore the file or compact the day again.' % len(b)
            )
        at = D.HIS_BLOCK_HEADER.fields['header_crc32'][1]
        head = np.frombuffer(b, D.HIS_BLOCK_HEADER, count=1)[0]
        if crc32(bytes(b[:at])) != int(head['header_crc32']):
            raise checksum_error(file, 'the header')
    kind = _HIS_BY_TYPE.get(type_)
    if kind is None:
        raise _fail(
            'E_WRONG_TYPE',
            file,
            'block type %d is not a historical type tickrec reads (21 min1, 22 min5, 23 day, 24 ticks, 25 transactions, '
            '121-123 tickrec bars).' % type_,
        )
    if version == D.HIS_VERSION_BLOCK:
        return 'tickrec', kind, head
    if version == D.HIS_VERSION_CONTAINER:
        return 'container', kind, None
    if version == D.DATAKIT_VERSION_ZSTD:
        if len(b) < D.BLOCK_HEADER_V2.itemsize:
            raise _fail('E_TRUNCATED', file, '%d bytes, shorter than BlockHeaderV2 (20); restore the file.' % len(b))
        return 'datakit-zstd', kind, np.frombuffer(b, D.BLOCK_HEADER_V2, count=1)[0]
    if version == D.DATAKIT_VERSION_RAW:
        return 'datakit-raw', kind, None
    if version in (D.DATAKIT_VERSION_OLD_RAW, D.DATAKIT_VERSION_OLD_ZSTD):
        if kind.name == 'trade':
            raise _fail(
                'E_VERSION',
                file,
                "version %d: datakit's old struct layout, which exists for ticks and bars only (datakit never wrote trades in it); "
                "the file is not datakit's. Move it aside." % version,
            )
        if version == D.DATAKIT_VERSION_OLD_RAW:
            return 'datakit-old-raw', kind, None
        if len(b) < D.BLOCK_HEADER_V2.itemsize:
            raise _fail('E_TRUNCATED', file, '%d bytes, shorter than BlockHeaderV2 (20); restore the file.' % len(b))
        return 'datakit-old-zstd', kind, np.frombuffer(b, D.BLOCK_HEADER_V2, count=1)[0]
    raise _fail(
        'E_VERSION', file, 'version %d (0x%x); tickrec reads 1 to 4 (datakit) and 0x0101, 0x0102 (tickrec). Upgrade tickrec.' % (version, version)
    )


class DayBlock:
    """A decoded day block: `records` (structured array), `kind`, `format`, `date`, `codec`."""

    def __init__(self, path, kind, format, date, records, codec):
        self.path, self.kind, self.format, self.date, self.records, self.codec = path, kind, format, date, records, codec

    @property
    def count(self):
        return len(self.records)


def _check_kind(file, kind, expected, what):
    if expected is not None and kind.name != expected.name:
        raise _fail(
            'E_WRONG_TYPE',
            file,
            'holds %s %s (type %d), expected %s (type %d); the file is in the wrong folder.' % (kind.name, what, kind.his_type, expected.name, expected.his_type),
        )


def decode_day_block(b, file, check_raw=True, expected=None):
    """Decodes the bytes of a whole day block file (tickrec LZ4 block, datakit zstd v4 or raw v3)."""
    fmt, kind, h = parse_head(b, file)
    if fmt == 'container':
        raise _fail('E_WRONG_TYPE', file, 'is a bar-history container, not a day block; open it with BarHistory.')
    _check_kind(file, kind, expected, 'records')
    dtype = dtype_of(kind)
    if fmt == 'tickrec':
        rb, count = int(h['record_bytes']), int(h['record_count'])
        if rb != kind.record_bytes or int(h['header_bytes']) != D.HIS_BLOCK_HEADER.itemsize or int(h['raw_bytes']) != count * rb:
            raise _fail(
                'E_CORRUPT',
                file,
                'header fields disagree (record_bytes %d for %s, %d records, raw_bytes %d); the header is damaged.' % (rb, kind.name, count, h['raw_bytes']),
            )
        expected_bytes = D.HIS_BLOCK_HEADER.itemsize + int(h['payload_bytes'])
        if len(b) != expected_bytes:
            raise _fail(
                'E_TRUNCATED' if len(b) < expected_bytes else 'E_CORRUPT',
                file,
                '%d bytes, the header says %d (64 + payload %d); the file was cut or appended to. Restore it or compact the day again.'
                % (len(b), expected_bytes, h['payload_bytes']),
            )
        words = decode_payload_words(
            memoryview(b)[D.HIS_BLOCK_HEADER.itemsize :],
            int(h['codec']),
            int(h['transform']),
            rb,
            count,
            int(h['group_records']),
            int(h['payload_crc32']),
            int(h['raw_crc32']),
            file,
            check_raw,
        )
        codec = {D.CODEC_LZ4: 'lz4', D.CODEC_ZSTD: 'zstd'}.get(int(h['codec']), 'none')
        return DayBlock(file, kind, fmt, int(h['date']), words_to_rows(words, dtype), codec)
    if fmt in ('datakit-zstd', 'datakit-old-zstd'):
        size = int(h['size'])
        expected_bytes = D.BLOCK_HEADER_V2.itemsize + size
        if len(b) != expected_bytes:
            raise _fail(
                'E_TRUNCATED' if len(b) < expected_bytes else 'E_CORRUPT',
                file,
                '%d bytes, BlockHeaderV2 says %d (20 + size %d); restore the file or compact the day again.' % (len(b), expected_bytes, size),
            )
        raw = zstd_decompress(memoryview(b)[D.BLOCK_HEADER_V2.itemsize :], None, file)
    else:
        raw = bytes(b[D.BLOCK_HEADER.itemsize :])
    if fmt in ('datakit-old-zstd', 'datakit-old-raw'):
        raw = convert_old(kind, raw, file)
    if len(raw) % kind.record_bytes:
        raise _fail(
            'E_CORRUPT',
            file,
            '%d bytes of records are not whole %s records of %d bytes; the file is damaged.' % (len(raw), kind.name, kind.record_bytes),
        )
    records = raw_copy(np.frombuffer(raw, dtype))
    date = int(np.frombuffer(raw, '<u4', count=1, offset=kind.date_offset)[0]) if len(records) else 0
    return DayBlock(file, kind, fmt, date, records, 'zstd' if fmt in ('datakit-zstd', 'datakit-old-zstd') else 'none')


def convert_old(kind, raw, file):
    """Old-layout records (block versions 1, 2: WTSTickStructOld, WTSBarStructOld) as current ones, as datakit converts them.

    The rules of src/format/old-structs.ts: every field keeps its name and value (an integer
    becomes the double of the same value, signed where the old field was; the bar's u32 time
    the u64 time); exchg and code are copied up to their first NUL, the rest NUL; a character
    field without its NUL is refused; reserved bytes are zero.
    """
    tick = kind.name == 'tick'
    old_dtype, fields, new = (D.OLD_TICK, D.OLD_TICK_FIELDS, D.TICK) if tick else (D.OLD_BAR, D.OLD_BAR_FIELDS, D.BAR)
    what = 'old ticks (WTSTickStructOld, %d bytes)' % old_dtype.itemsize if tick else 'old bars (WTSBarStructOld, %d bytes)' % old_dtype.itemsize
    if len(raw) % old_dtype.itemsize:
        raise _fail('E_CORRUPT', file, '%s: %d bytes are not whole old records of %d bytes; the file is damaged. Restore it from a backup.' % (what, len(raw), old_dtype.itemsize))
    old = np.frombuffer(raw, old_dtype)
    n = len(old)
    out = np.zeros(n, new)
    out_bytes = out.view(np.uint8).reshape(n, new.itemsize)
    for name, t, _, count in fields:
        if t == 'char':
            b = old[name].reshape(n, count)
            nul = b == 0
            has = nul.any(axis=1)
            if not has.all():
                r = int(np.argmin(has))
                raise _fail('E_CORRUPT', file, 'record %d of %s: %s has no NUL within its %d bytes; the file is damaged. Restore it from a backup.' % (r, what, name, count))
            first = np.argmax(nul, axis=1)
            at = new.fields[name][1]
            out_bytes[:, at : at + count] = np.where(np.arange(count)[None, :] < first[:, None], b, 0)
        else:
            out[name] = old[name]
    return out.tobytes()


def read_day_block(path, check_raw=True, expected=None):
    """Reads and checks a day block file (his/<ticks|trans>/<EXCHG>/<DATE>/<CODE>.tsb or .dsb; the header decides the format); a DayBlock."""
    path = os.fspath(path)
    if isinstance(expected, str):
        expected = D.HIS_KINDS[expected]
    return decode_day_block(_read_whole(path), path, check_raw, expected)


# ---------------------------------------------------------------------------------------
# Bar histories


def _damaged(file, what):
    return _fail('E_CORRUPT', file, '%s; the bar history is damaged. Restore it from a backup (tickrec verify names every damaged file).' % what)


def _slot(head, i, file_bytes):
    at = D.META_SLOT_OFFSETS[i]
    view = head[at : at + D.HIS_META_SLOT.itemsize]
    if not any(view):
        return 'empty'
    crc_at = D.HIS_META_SLOT.fields['slot_crc32'][1]
    s = np.frombuffer(view, D.HIS_META_SLOT, count=1)[0]
    if crc32(view[:crc_at]) != int(s['slot_crc32']):
        return 'CRC mismatch (torn write or damage)'
    m = {name: int(s[name]) for name in D.HIS_META_SLOT.names}
    if m['generation'] == 0 or m['generation'] % 2 != i:
        return 'generation %d in slot %d' % (m['generation'], i)
    if (
        m['index_offset'] < D.CONTAINER_DATA_START
        or m['index_offset'] + m['index_bytes'] != m['end']
        or m['index_bytes'] != m['chunk_count'] * _CHUNK_ENTRY
    ):
        return 'index bounds disagree'
    if m['end'] > file_bytes:
        return 'end %d beyond the file (%d bytes)' % (m['end'], file_bytes)
    return m


class BarHistory:
    """One bar history (his/<period>/<EXCHG>/<CODE>.tsb: a tickrec container, or .dsb: a datakit block), read-only.

    days() lists (date, count); read(from_date, to_date) decodes the rows of those days
    (checking the raw CRC); words(from_date, to_date) decodes them as columns of 8-byte
    words, (11, n) uint64, checking every stored byte's CRC but not the raw bars' unless
    check_raw (the columnar path of read_bars_market, as BarHistory.readColumns in Node).
    """

    def __init__(self, path, expected=None):
        self.path = path = os.fspath(path)
        if isinstance(expected, str):
            expected = D.HIS_KINDS[expected]
        self._f = None
        try:
            self._f = open(path, 'rb')
        except OSError as err:
            raise io_error(err, path, 'open for reading')
        try:
            self._open(expected)
        except BaseException:
            self.close()
            raise

    def _pread(self, offset, length):
        try:
            b = os.pread(self._f.fileno(), length, offset)
        except OSError as err:
            raise io_error(err, self.path, 'read')
        if len(b) != length:
            raise _fail(
                'E_TRUNCATED',
                self.path,
                'ended at %d bytes while reading %d bytes at %d; the file was cut. Restore it from a backup.' % (offset + len(b), length, offset),
            )
        return b

    def _open(self, expected):
        file = self.path
        file_bytes = os.fstat(self._f.fileno()).st_size
        fmt, kind, _ = parse_head(os.pread(self._f.fileno(), 64, 0), file)
        if kind.layout != 'history':
            raise _fail('E_WRONG_TYPE', file, 'holds %s records (a day block), not a bar history; use read_day_block.' % kind.name)
        _check_kind(file, kind, expected, 'bars')
        self.kind, self.format, self.dtype = kind, fmt, D.BAR
        self._day_tables = {}
        if fmt != 'container':
            block = decode_day_block(self._pread(0, file_bytes), file, True, kind)
            self._all = block.records
            dates = self._all['date']
            cut = np.flatnonzero(np.diff(dates)) + 1 if len(dates) else np.empty(0, np.int64)
            starts = np.concatenate(([0], cut)) if len(dates) else np.empty(0, np.int64)
            counts = np.diff(np.concatenate((starts, [len(dates)])))
            self._all_days = [(int(dates[s]), int(c)) for s, c in zip(starts, counts)]
            self._chunks = []
            self.generation = 0
            return
        self._all = None
        if file_bytes < D.CONTAINER_DATA_START:
            raise _fail('E_TRUNCATED', file, '%d bytes, shorter than the 256-byte container header; restore it from a backup.' % file_bytes)
        head = self._pread(0, D.CONTAINER_DATA_START)
        crc_at = D.HIS_CONTAINER_HEADER.fields['header_crc32'][1]
        h = np.frombuffer(head, D.HIS_CONTAINER_HEADER, count=1)[0]
        if crc32(head[:crc_at]) != int(h['header_crc32']):
            raise checksum_error(file, 'the container header')
        if int(h['record_bytes']) != kind.record_bytes or int(h['data_start']) != D.CONTAINER_DATA_START or int(h['slot_bytes']) != D.HIS_META_SLOT.itemsize:
            raise _damaged(file, 'container header says record_bytes %d, data_start %d, slot_bytes %d' % (h['record_bytes'], h['data_start'], h['slot_bytes']))
        if any(head[32:64]) or any(head[192 : D.CONTAINER_DATA_START]):
            raise _damaged(file, 'reserved bytes of the container header are not zero')
        slots = [_slot(head, 0, file_bytes), _slot(head, 1, file_bytes)]
        valid = sorted((s for s in slots if isinstance(s, dict)), key=lambda s: -s['generation'])
        if not valid:
            raise _damaged(file, 'no usable meta slot (slot 0: %s; slot 1: %s)' % (slots[0], slots[1]))
        meta = valid[0]
        self.generation = meta['generation']
        index = self._pread(meta['index_offset'], meta['index_bytes'])
        if crc32(index) != meta['index_crc32']:
            raise checksum_error(file, 'the index (generation %d)' % meta['generation'])
        entries = np.frombuffer(index, D.HIS_CHUNK_ENTRY, count=meta['chunk_count'])
        chunks = []
        records = days = 0
        live = meta['index_bytes']
        for i, e in enumerate(entries):
            c = {name: int(e[name]) for name in D.HIS_CHUNK_ENTRY.names}
            if (
                c['offset'] < D.CONTAINER_DATA_START
                or c['offset'] + c['payload_bytes'] + c['day_count'] * _CHUNK_DAY > meta['index_offset']
                or c['day_count'] == 0
                or c['first_date'] > c['last_date']
            ):
                raise _damaged(
                    file, 'chunk %d has bounds that disagree with the file (offset %d, %d bytes, %d days)' % (i, c['offset'], c['payload_bytes'], c['day_count'])
                )
            records += c['record_count']
            days += c['day_count']
            live += c['payload_bytes'] + c['day_count'] * _CHUNK_DAY
            chunks.append(c)
        if records != meta['record_count'] or days != meta['day_count'] or live != meta['live_bytes']:
            raise _damaged(
                file, 'meta slot counts (%d bars, %d days) disagree with the index (%d, %d)' % (meta['record_count'], meta['day_count'], records, days)
            )
        self._chunks = chunks

    def _chunk_days(self, i):
        d = self._day_tables.get(i)
        if d is None:
            c = self._chunks[i]
            b = self._pread(c['offset'] + c['payload_bytes'], c['day_count'] * _CHUNK_DAY)
            if crc32(b) != c['days_crc32']:
                raise checksum_error(self.path, 'the day table of the chunk at %d' % c['offset'])
            t = np.frombuffer(b, D.HIS_CHUNK_DAY)
            d = [(int(x), int(y)) for x, y in zip(t['date'], t['count'])]
            if any(d[k][0] <= d[k - 1][0] for k in range(1, len(d))):
                raise _damaged(self.path, 'day table of the chunk at %d is not in date order' % c['offset'])
            if sum(n for _, n in d) != c['record_count'] or d[0][0] != c['first_date'] or d[-1][0] != c['last_date']:
                raise _damaged(self.path, 'day table of the chunk at %d disagrees with its index entry' % c['offset'])
            self._day_tables[i] = d
        return d

    def days(self):
        """Every day of the history in date order: [(date, bars), ...]."""
        if self._all is not None:
            return list(self._all_days)
        out = []
        for i in range(len(self._chunks)):
            out.extend(self._chunk_days(i))
        return sorted(out)

    def _pieces(self, from_date, to_date):
        out = []
        for i, c in enumerate(self._chunks):
            if c['last_date'] < from_date or c['first_date'] > to_date:
                continue
            first = 0
            for date, n in self._chunk_days(i):
                if from_date <= date <= to_date:
                    out.append((date, i, first, n))
                first += n
        return sorted(out)

    def _chunk_words(self, i, check_raw, cols=None):
        c = self._chunks[i]
        payload = self._pread(c['offset'], c['payload_bytes'])
        group = group_records(self.kind.record_bytes) if c['transform'] == D.TRANSFORM_COLS8 else 0
        return decode_payload_words(
            payload, c['codec'], c['transform'], self.kind.record_bytes, c['record_count'], group, c['payload_crc32'], c['raw_crc32'], self.path, check_raw, cols
        )

    def row_count(self, from_date=0, to_date=MAX_DATE):
        """Bars of the days in [from_date, to_date] (from the day tables: nothing is decoded)."""
        if self._all is not None:
            return sum(n for d, n in self._all_days if from_date <= d <= to_date)
        return sum(p[3] for p in self._pieces(from_date, to_date))

    def words(self, from_date=0, to_date=MAX_DATE, check_raw=False, out=None, cols=None):
        """The bars of the days in [from_date, to_date] as words: uint64 (11, n), row j = 8-byte word j of each bar.

        `out`: a (11, row_count(from_date, to_date)) uint64 array (a view into a larger one) to
        decode into, instead of a fresh array: each chunk's days are copied straight there.
        `cols`: only these words are needed; the other rows are left undefined (see cols8_words).
        """
        W = self.kind.record_bytes // 8
        if self._all is not None:
            w = rows_to_words(self.read(from_date, to_date))
            if out is None:
                return w
            out[:, :] = w
            return out
        pieces = self._pieces(from_date, to_date)
        total = sum(p[3] for p in pieces)
        if out is None:
            if len(pieces) == 1:
                _, i, first, n = pieces[0]
                return self._chunk_words(i, check_raw, cols)[:, first : first + n]
            out = np.empty((W, total), np.uint64)
        assert out.shape == (W, total), 'words: out holds %s, the days hold %d bars' % (out.shape, total)
        decoded = {}
        at = 0
        for k, (_, i, first, n) in enumerate(pieces):
            if i not in decoded:
                decoded[i] = self._chunk_words(i, check_raw, cols)
            if cols is None:
                out[:, at : at + n] = decoded[i][:, first : first + n]
            else:
                for j in cols:
                    out[j, at : at + n] = decoded[i][j, first : first + n]
            at += n
            if all(p[1] != i for p in pieces[k + 1 :]):
                del decoded[i]  # each chunk decoded once, kept only while a later piece needs it
        return out

    def read(self, from_date=0, to_date=MAX_DATE):
        """The bars of every day in [from_date, to_date], in date order, as a structured array (raw CRC checked)."""
        if self._all is not None:
            a = at = 0
            for date, n in self._all_days:
                if date < from_date:
                    a = at + n
                if date <= to_date:
                    at += n
            return raw_copy(self._all[a : max(a, at)])
        return words_to_rows(self.words(from_date, to_date, True), self.dtype)

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

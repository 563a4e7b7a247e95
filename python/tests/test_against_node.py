"""The Python reader against the Node reader's results on the same root (written by test/python/history.test.ts), and damaged blocks refused with the file named."""

import json
import os
import re
import shutil
import tempfile
import unittest

import numpy as np

import tickrec
from tickrec import _dtypes as D

RESULTS = os.environ.get('TICKREC_NODE_RESULTS')


def first_difference(got, want):
    """'record i, field f' of the first difference between two structured arrays of the same dtype (bytes compared)."""
    if len(got) != len(want):
        return '%d records, Node read %d' % (len(got), len(want))
    g = got.view(np.uint8).reshape(len(got), -1) if len(got) else got
    w = want.view(np.uint8).reshape(len(want), -1) if len(want) else want
    rows = np.flatnonzero((g != w).any(axis=1)) if len(got) else []
    if len(rows) == 0:
        return None
    i = int(rows[0])
    for name in got.dtype.names:
        if got[i][name].tobytes() != want[i][name].tobytes():
            return 'record %d, field %s: %r, Node %r' % (i, name, got[i][name], want[i][name])
    return 'record %d: padding bytes differ' % i


def node_f64(file):
    with open(os.path.join(RESULTS, file), 'rb') as f:
        return np.frombuffer(f.read(), '<f8')


def assert_same_ts(test, got, file, what):
    """ts_utc (datetime64[ms]) against the Node reader's utcColumn (ms; NaN where it has none; no file: the zone is unknown)."""
    test.assertEqual(got.dtype, np.dtype('datetime64[ms]'), what)
    if file is None:
        test.assertTrue(np.isnat(got).all(), '%s: Node knows no zone, Python gave instants' % what)
        return
    want = node_f64(file)
    test.assertEqual(len(got), len(want), what)
    test.assertTrue((np.isnat(got) == np.isnan(want)).all(), '%s: NaT where Node has none' % what)
    ok = ~np.isnan(want)
    bad = np.flatnonzero(got[ok].astype(np.int64) != want[ok].astype(np.int64))
    test.assertEqual(len(bad), 0, '%s: row %s: %s, Node %s' % (what, bad[:1], got[ok][bad[:1]], want[ok][bad[:1]].astype('datetime64[ms]')))


@unittest.skipUnless(RESULTS, 'run from test/python/history.test.ts (TICKREC_NODE_RESULTS)')
class AgainstNode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(RESULTS, 'manifest.json')) as f:
            cls.m = json.load(f)
        cls.root = cls.m['root']

    def test_instrument_queries(self):
        self.assertGreater(len(self.m['queries']), 20)
        self.assertTrue(any('corpus' in q['root'] for q in self.m['queries']))
        decimals_seen = set()
        for q in self.m['queries']:
            with self.subTest(q=q):
                root = q.get('root', self.root)
                got = tickrec.read_records(root, q['exchange'], q['code'], q['kind'], q.get('from'), q.get('to'))
                dtype = D.TICK if q['kind'] == 'tick' else D.TRADE if q['kind'] == 'trade' else D.BAR
                with open(os.path.join(RESULTS, q['file']), 'rb') as f:
                    want = np.frombuffer(f.read(), dtype)  # the stored bytes Node read
                if q['kind'] == 'trade':
                    # Trades come with the real quantity: Node's volume column, bit for bit; every other byte as stored.
                    d = tickrec.volume_decimals(root, q['exchange'], q['code'])
                    self.assertEqual(d, q['volumeDecimals'])
                    decimals_seen.add(d)
                    self.assertEqual(got['volume'].tobytes(), node_f64(q['volume']).tobytes(), 'volume')
                    want, dtype = tickrec.with_quantities(want, d), tickrec.TRADE_QTY
                self.assertEqual(got.dtype, dtype)
                self.assertEqual(len(got), q['count'])
                self.assertIsNone(first_difference(got, want))
                assert_same_ts(self, tickrec.ts_utc(got, root, q['exchange'], q['code'], None if q['kind'] in ('tick', 'trade') else q['kind']), q['ts'], 'ts_utc')
                if q['code'] != 'nothere':
                    self.assertGreater(len(got), 0, 'the fixture holds records for %r' % q)
        self.assertEqual(decimals_seen, {0, 3}, 'trades of both units were compared (SHFE.rb2505 at 0.001 in the main root, whole units in the corpus)')

    def test_market_queries(self):
        ts_markets = []
        for q in self.m['markets']:
            with self.subTest(q={k: v for k, v in q.items() if k not in ('instruments', 'columns')}):
                m = tickrec.read_market(
                    q.get('root', self.root), q['exchange'], q['kind'], q.get('from'), q.get('to'), q.get('codes'), q.get('fields'), q.get('checkRaw', False)
                )
                self.assertEqual(m.count, q['count'])
                self.assertGreater(m.count, 0)
                self.assertEqual([list(x) for x in m.instruments], [[i['exchange'], i['code'], i['start'], i['count']] for i in q['instruments']])
                bases = set()
                for name, c in q['columns'].items():
                    with open(os.path.join(RESULTS, c['file']), 'rb') as f:
                        want = np.frombuffer(f.read(), '<' + c['type'])
                    a = re.match(r'^(.*)_(\d+)$', name)
                    if name in m.columns:
                        got = m.columns[name]
                        bases.add(name)
                    else:
                        self.assertTrue(a and a.group(1) in m.columns, name)
                        got = m.columns[a.group(1)][:, int(a.group(2))]
                        bases.add(a.group(1))
                    if got.dtype.kind in 'ui' and got.dtype.itemsize == 8:
                        got = got.astype(np.float64)  # Node hands u64/i64 over as doubles (exact below 2^53)
                    self.assertEqual(got.dtype.str, want.dtype.str, name)
                    self.assertEqual(got.tobytes(), want.tobytes(), 'column %s differs' % name)
                self.assertEqual(bases, set(m.columns), 'the same columns')
                if q['kind'] == 'trade':
                    self.assertEqual(m.columns['volume'].dtype, np.float64)
                    self.assertEqual(tickrec.records_of(m)['volume'].tobytes(), m.columns['volume'].tobytes())
                if q['ts'] is not None:
                    assert_same_ts(self, m.ts_utc(), q['ts'], 'market ts_utc')
                    ts_markets.append(q['kind'])
        self.assertIn('trade', ts_markets)
        self.assertIn('day', ts_markets)


def flipped(path, at):
    with open(path, 'r+b') as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x10]))


@unittest.skipUnless(RESULTS, 'run from test/python/history.test.ts (TICKREC_NODE_RESULTS)')
class Damaged(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(RESULTS, 'manifest.json')) as f:
            src = json.load(f)['root']
        self.tmp = tempfile.mkdtemp(prefix='tickrec-py-damaged-')
        self.root = os.path.join(self.tmp, 'data')
        shutil.copytree(src, self.root)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assertRefused(self, f, file, codes=None):
        with self.assertRaises(tickrec.TickrecError) as cm:
            f()
        e = cm.exception
        self.assertIn(file, str(e))
        self.assertEqual(e.file, file)
        if codes:
            self.assertIn(e.code, codes)
        return e

    def test_every_flipped_byte_of_a_day_block_is_refused(self):
        # A tickrec LZ4 day block (20250107 was compacted with lz4): every byte flipped, one at a time.
        block = os.path.join(self.root, 'his', 'trans', 'SHFE', '20250107', 'rb2505.tsb')
        with open(block, 'rb') as f:
            good = f.read()
        self.assertEqual(int.from_bytes(good[10:12], 'little'), D.HIS_VERSION_BLOCK)
        codes = {}
        for at in range(len(good)):
            with open(block, 'wb') as f:
                f.write(good[:at] + bytes([good[at] ^ 0x01]) + good[at + 1 :])
            e = self.assertRefused(lambda: tickrec.read_trades(self.root, 'SHFE', 'rb2505'), block)
            codes[e.code] = codes.get(e.code, 0) + 1
        self.assertIn('E_CHECKSUM', codes)
        with open(block, 'wb') as f:
            f.write(good)
        self.assertGreater(len(tickrec.read_trades(self.root, 'SHFE', 'rb2505')), 0)

    def test_damaged_tick_block_payload_and_header(self):
        block = os.path.join(self.root, 'his', 'ticks', 'SHFE', '20250107', 'rb2505.tsb')
        size = os.path.getsize(block)
        flipped(block, 64 + (size - 64) // 2)
        e = self.assertRefused(lambda: tickrec.read_ticks(self.root, 'SHFE', 'rb2505'), block, ['E_CHECKSUM'])
        self.assertIn('payload', str(e))
        flipped(block, 64 + (size - 64) // 2)
        flipped(block, 20)
        e = self.assertRefused(lambda: tickrec.read_ticks(self.root, 'SHFE', 'rb2505', '20250106', '20250108'), block, ['E_CHECKSUM'])
        self.assertIn('header', str(e))
        flipped(block, 20)
        with open(block, 'r+b') as f:
            f.truncate(size - 7)
        self.assertRefused(lambda: tickrec.read_ticks(self.root, 'SHFE', 'rb2505'), block, ['E_TRUNCATED'])

    def test_damaged_bar_history_chunk(self):
        hist = os.path.join(self.root, 'his', 'min1', 'DCE', 'lz.tsb')
        h = tickrec.BarHistory(hist)
        chunk = h._chunks[0]
        h.close()
        flipped(hist, chunk['offset'] + chunk['payload_bytes'] // 2)
        self.assertRefused(lambda: tickrec.read_bars_market(self.root, 'DCE', 'min1'), hist, ['E_CHECKSUM'])
        self.assertRefused(lambda: tickrec.read_bars(self.root, 'DCE', 'lz', 'min1'), hist, ['E_CHECKSUM'])
        flipped(hist, chunk['offset'] + chunk['payload_bytes'] // 2)
        flipped(hist, chunk['offset'] + chunk['payload_bytes'] + 3)  # the chunk's day table
        self.assertRefused(lambda: tickrec.read_bars_market(self.root, 'DCE', 'min1'), hist, ['E_CHECKSUM'])

    def test_damaged_datakit_block_and_rt_file(self):
        block = os.path.join(self.root, 'his', 'ticks', 'SHFE', '20250106', 'rb2505.dsb')  # datakit zstd (no checksum)
        with open(block, 'r+b') as f:
            f.truncate(os.path.getsize(block) - 5)
        self.assertRefused(lambda: tickrec.read_ticks(self.root, 'SHFE', 'rb2505'), block, ['E_TRUNCATED'])
        live = os.path.join(self.root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb')
        with open(live, 'r+b') as f:
            f.seek(12)
            f.write((10**6).to_bytes(4, 'little'))  # size beyond capacity
        self.assertRefused(lambda: tickrec.open_rt(live), live, ['E_CORRUPT'])


@unittest.skipUnless(RESULTS, 'run from test/python/history.test.ts (TICKREC_NODE_RESULTS)')
class HisNames(unittest.TestCase):
    """tickrec's own formats are named .tsb, datakit's .dsb; the reader opens both and lets the header decide (src/his/names.ts)."""

    def setUp(self):
        with open(os.path.join(RESULTS, 'manifest.json')) as f:
            src = json.load(f)['root']
        self.tmp = tempfile.mkdtemp(prefix='tickrec-py-names-')
        self.root = os.path.join(self.tmp, 'data')
        shutil.copytree(src, self.root)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_the_root_holds_both_names(self):
        day = os.path.join(self.root, 'his', 'ticks', 'SHFE')
        self.assertTrue(os.path.isfile(os.path.join(day, '20250106', 'rb2505.dsb')))  # datakit zstd
        self.assertTrue(os.path.isfile(os.path.join(day, '20250107', 'rb2505.tsb')))  # tickrec lz4
        self.assertTrue(os.path.isfile(os.path.join(self.root, 'his', 'min1', 'DCE', 'lz.tsb')))
        self.assertTrue(os.path.isfile(os.path.join(self.root, 'his', 'min1', 'DCE', 'zs.dsb')))

    def test_an_older_tickrec_name_is_read_by_its_header(self):
        want_ticks = tickrec.read_ticks(self.root, 'SHFE', 'rb2505')
        want_bars = tickrec.read_bars(self.root, 'DCE', 'lz', 'min1')
        want_market = tickrec.read_market(self.root, 'DCE', 'min1').count
        self.assertGreater(len(want_ticks), 0)
        self.assertGreater(len(want_bars), 0)
        # what a tickrec before the rule wrote: its own formats under datakit's name
        for stem in (os.path.join(self.root, 'his', 'ticks', 'SHFE', '20250107', 'rb2505'), os.path.join(self.root, 'his', 'min1', 'DCE', 'lz')):
            os.rename(stem + '.tsb', stem + '.dsb')
        self.assertIsNone(first_difference(tickrec.read_ticks(self.root, 'SHFE', 'rb2505'), want_ticks))
        self.assertIsNone(first_difference(tickrec.read_bars(self.root, 'DCE', 'lz', 'min1'), want_bars))
        self.assertEqual(tickrec.read_market(self.root, 'DCE', 'min1').count, want_market)

    def test_both_names_of_one_day_or_history_are_refused(self):
        block = os.path.join(self.root, 'his', 'ticks', 'SHFE', '20250107', 'rb2505')
        shutil.copyfile(block + '.tsb', block + '.dsb')
        for f in (lambda: tickrec.read_ticks(self.root, 'SHFE', 'rb2505'), lambda: tickrec.read_market(self.root, 'SHFE', 'tick')):
            with self.assertRaises(tickrec.TickrecError) as cm:
                f()
            self.assertEqual(cm.exception.code, 'E_CORRUPT')
            self.assertIn(block + '.dsb', str(cm.exception))
            self.assertIn('rb2505.tsb', str(cm.exception))
        os.remove(block + '.dsb')
        self.assertGreater(len(tickrec.read_ticks(self.root, 'SHFE', 'rb2505')), 0)
        hist = os.path.join(self.root, 'his', 'min1', 'DCE', 'lz')
        shutil.copyfile(hist + '.tsb', hist + '.dsb')
        with self.assertRaises(tickrec.TickrecError) as cm:
            tickrec.read_bars(self.root, 'DCE', 'lz', 'min1')
        self.assertEqual(cm.exception.code, 'E_CORRUPT')
        self.assertIn(hist + '.dsb', str(cm.exception))
        self.assertGreater(len(tickrec.read_bars(self.root, 'DCE', 'zs', 'min1')), 0)  # another instrument still reads


if __name__ == '__main__':
    unittest.main()

"""Trade quantities and UTC instants in Python against the Node reader API, on a root the real recorder wrote from a Binance-style stream (written by test/python/quantities.test.ts)."""

import json
import os
import shutil
import tempfile
import unittest
import warnings

import numpy as np

import tickrec

RESULTS = os.environ.get('TICKREC_QTY_RESULTS')


def bits(a):
    return [np.float64(v).tobytes().hex() for v in a]


@unittest.skipUnless(RESULTS, 'run from test/python/quantities.test.ts (TICKREC_QTY_RESULTS)')
class Quantities(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(RESULTS) as f:
            cls.m = json.load(f)
        cls.root, cls.file = cls.m['root'], cls.m['file']

    def test_read_trades_gives_the_exact_quantities_and_instants_node_gives(self):
        t = tickrec.read_trades(self.root, 'BINANCE', 'BTCUSDT')
        self.assertEqual(t.dtype, tickrec.TRADE_QTY)
        self.assertEqual(t['volume'].dtype, np.float64)
        self.assertEqual(bits(t['volume']), self.m['volumeBits'])
        self.assertEqual([repr(float(v)) for v in t['volume']], self.m['sizes'])  # the decimal text the feed sent
        self.assertEqual(tickrec.volume_decimals(self.root, 'BINANCE', 'BTCUSDT'), self.m['decimals'])
        ts = tickrec.ts_utc(t, self.root, 'BINANCE', 'BTCUSDT')
        self.assertEqual(ts.dtype, np.dtype('datetime64[ms]'))
        self.assertEqual(ts.astype(np.int64).tolist(), self.m['tsMs'])
        self.assertEqual(tickrec.columns_of(t, ['volume'])['volume'].tolist(), [float(s) for s in self.m['sizes']])

    def test_read_market_gives_the_quantities_as_a_float64_column(self):
        m = tickrec.read_market(self.root, 'BINANCE', 'trade')
        self.assertEqual(m.count, 3)
        self.assertEqual(bits(m.columns['volume']), self.m['volumeBits'])
        self.assertEqual(m.ts_utc().astype(np.int64).tolist(), self.m['tsMs'])
        self.assertEqual(bits(tickrec.records_of(m)['volume']), self.m['volumeBits'])
        only = tickrec.read_market(self.root, 'BINANCE', 'trade', fields=['price', 'volume'])
        self.assertEqual(bits(only.columns['volume']), self.m['volumeBits'])
        with self.assertRaises(tickrec.TickrecError) as cm:
            only.ts_utc()
        self.assertIn('action_date', str(cm.exception))

    def test_raw_file_layer_keeps_the_stored_units_and_names_their_unit(self):
        d = self.m['decimals']
        with tickrec.open_rt(self.file, 'trade') as f:
            raw = f.records()
            self.assertEqual(raw.dtype, tickrec.TRADE)
            self.assertEqual(raw['volume'].tolist(), [round(float(s) * 10**d) for s in self.m['sizes']])
            meta = f.meta()
            self.assertTrue(meta.stored)
            self.assertEqual((meta.volume_decimals, meta.timezone), (d, 'UTC'))
            self.assertEqual(bits(tickrec.with_quantities(raw, meta.volume_decimals)['volume']), self.m['volumeBits'])
            self.assertEqual(bits(tickrec.units_to_quantity(raw['volume'], d)), self.m['volumeBits'])
        # follow_batches: real quantities by default; the zero-copy stored units on request
        got = list(tickrec.follow_batches(self.file, from_start=True, idle_timeout=0.2))
        self.assertEqual(bits(np.concatenate(got)['volume']), self.m['volumeBits'])
        raw_batches = list(tickrec.follow_batches(self.file, from_start=True, idle_timeout=0.2, quantities=False))
        self.assertEqual(raw_batches[0].dtype, tickrec.TRADE)
        self.assertFalse(raw_batches[0].flags.writeable)  # a view of the read-only mapping
        self.assertEqual(np.concatenate(raw_batches)['volume'].tolist(), raw['volume'].tolist())

    def test_metadata_damaged_missing_or_out_of_the_root(self):
        tmp = tempfile.mkdtemp(prefix='tickrec-py-qty-')
        try:
            root = os.path.join(tmp, 'data')
            shutil.copytree(self.root, root)
            meta = os.path.join(root, 'meta', 'instruments', 'BINANCE', 'BTCUSDT.json')
            with open(meta) as f:
                good = json.load(f)
            for bad in ('{"format": 1, "volume_decimals": ', json.dumps(dict(good, volume_decimals=13)), json.dumps(dict(good, format=2))):
                with open(meta, 'w') as f:
                    f.write(bad)
                with self.assertRaises(tickrec.TickrecError) as cm:
                    tickrec.read_trades(root, 'BINANCE', 'BTCUSDT')
                self.assertEqual((cm.exception.code, cm.exception.file), ('E_CORRUPT', meta))
                self.assertIn(meta, str(cm.exception))
            # No metadata file (a root from before tickrec kept it, or datakit's): whole units, as datakit stores them.
            os.remove(meta)
            self.assertEqual(tickrec.read_trades(root, 'BINANCE', 'BTCUSDT')['volume'].tolist(), [round(float(s) * 1e6) for s in self.m['sizes']])
            # A file outside any data root: the follower cannot name the unit and says so.
            alone = os.path.join(tmp, 'BTCUSDT.dmb')
            shutil.copy(self.file, alone)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter('always')
                got = np.concatenate(list(tickrec.follow_batches(alone, from_start=True, idle_timeout=0.2)))
            self.assertEqual(got['volume'].tolist(), [round(float(s) * 1e6) for s in self.m['sizes']])
            self.assertTrue(any('not inside a data root' in str(x.message) for x in w), [str(x.message) for x in w])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()

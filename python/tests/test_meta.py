"""Instrument metadata, quantities and ts_utc without Node: the rule's edge cases, the bundled sessions fallback and the usage errors."""

import datetime as _dt
import json
import os
import shutil
import tempfile
import unittest

import numpy as np

import tickrec
from tickrec import _dtypes as D
from tickrec import meta as M


def write_meta(root, exchange, code, **fields):
    d = os.path.join(root, 'meta', 'instruments', exchange)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, code + '.json'), 'w') as f:
        json.dump(dict({'format': 1, 'exchg': exchange, 'code': code}, **fields), f)


class Quantities(unittest.TestCase):
    def test_units_to_quantity_is_the_double_nearest_the_decimal(self):
        # Every quantity of 1..6 decimals with a few digits comes back as the double of its decimal text.
        for d in range(0, 13):
            units = np.array([0, 1, 7, 12, 120, 999, 123456789, 4294967295], np.uint32)
            got = tickrec.units_to_quantity(units, d)
            self.assertEqual(got.dtype, np.float64)
            want = [float('%de-%d' % (u, d)) for u in units.tolist()]
            self.assertEqual(got.tolist(), want, d)
        for bad in (-1, 13, 1.5, True, None, '3'):
            with self.assertRaises(tickrec.TickrecError) as cm:
                tickrec.units_to_quantity(np.zeros(1, np.uint32), bad)
            self.assertEqual(cm.exception.code, 'E_USAGE')

    def test_with_quantities_keeps_every_other_byte(self):
        raw = np.zeros(4, D.TRADE)
        raw['price'] = [1.5, 2.5, 3.5, 4.5]
        raw['volume'] = [120, 5, 0, 4294967295]
        raw['askorder'] = [-1, 2, 3, 4]
        raw['code'] = b'BTCUSDT'
        for view in (raw, raw[::2], raw[1:]):
            got = tickrec.with_quantities(view, 6)
            self.assertEqual(got.dtype, tickrec.TRADE_QTY)
            self.assertEqual(got['volume'].tolist(), [v / 1e6 for v in view['volume'].tolist()])
            for name in D.TRADE.names:
                if name != 'volume':
                    self.assertEqual(got[name].tolist(), view[name].tolist(), name)
        self.assertEqual(raw['volume'].tolist(), [120, 5, 0, 4294967295], 'the source is not touched')
        with self.assertRaises(tickrec.TickrecError):
            tickrec.with_quantities(np.zeros(1, D.TICK), 2)


class Metadata(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix='tickrec-py-meta-')

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def test_stored_file_wins_and_a_change_of_the_file_is_seen(self):
        write_meta(self.root, 'BINANCE', 'ETHUSDT', volume_decimals=4, timezone='UTC', session_close='24:00')
        m = tickrec.instrument_meta(self.root, 'BINANCE', 'ETHUSDT')
        self.assertEqual((m.volume_decimals, m.timezone, m.session_close, m.stored), (4, 'UTC', '24:00', True))
        write_meta(self.root, 'BINANCE', 'ETHUSDT', volume_decimals=5, timezone='UTC', session_close='24:00', product='x')
        self.assertEqual(tickrec.volume_decimals(self.root, 'BINANCE', 'ETHUSDT'), 5)

    def test_no_file_reads_whole_units_and_the_bundled_sessions(self):
        m = tickrec.instrument_meta(self.root, 'SHFE', 'rb2505')
        self.assertEqual((m.volume_decimals, m.timezone, m.session_close, m.stored), (0, 'Asia/Shanghai', '15:00', False))
        self.assertEqual(tickrec.instrument_meta(self.root, 'SHFE', 'au2506').session_close, '15:00')
        self.assertEqual(tickrec.instrument_meta(self.root, 'BINANCE', 'SOLUSDT').timezone, 'UTC')
        n = tickrec.instrument_meta(self.root, 'NOWHERE', 'x1')
        self.assertEqual((n.timezone, n.session_close), (None, None))
        ticks = np.zeros(2, D.TICK)
        ticks['action_date'], ticks['action_time'] = 20250106, [93000500, 213000000]
        self.assertTrue(np.isnat(tickrec.ts_utc(ticks, self.root, 'NOWHERE', 'x1')).all())

    def test_names_outside_the_name_rule_are_refused(self):
        for ex, code in (('..', 'x'), ('SHFE', '../../etc/passwd'), ('SHFE', ''), ('SHFE', 'a/b'), ('S' * 16, 'x')):
            with self.assertRaises(tickrec.TickrecError) as cm:
                tickrec.instrument_meta(self.root, ex, code)
            self.assertEqual(cm.exception.code, 'E_USAGE')

    def test_unknown_zone_is_named(self):
        write_meta(self.root, 'XX', 'y1', volume_decimals=0, timezone='Mars/Olympus')
        t = np.zeros(1, D.TRADE)
        t['action_date'], t['action_time'] = 20250106, 0
        with self.assertRaises(tickrec.TickrecError) as cm:
            tickrec.ts_utc(t, self.root, 'XX', 'y1')
        self.assertIn('Mars/Olympus', str(cm.exception))
        self.assertIn('XX.y1', str(cm.exception))


class Times(unittest.TestCase):
    SH = M.InstrumentMeta('SHFE', 'rb2505', 0, 'Asia/Shanghai', '15:00', True)

    def test_ticks_bars_and_day_bars(self):
        self.assertEqual(
            M.utc_of('tick', [20250106, 20250106, 20250230, 20250106], [93000500, 213000000, 0, 246000000], self.SH).astype(str).tolist(),
            ['2025-01-06T01:30:00.500', '2025-01-06T13:30:00.000', 'NaT', 'NaT'],
        )
        # A minute bar's instant is its end: 2025-01-06 21:01 is time 3501062101; 00:00 ends the 23:59 bar of the day before.
        self.assertEqual(
            M.utc_of('min1', [20250106, 20250107], [3501062101, 3501070000], self.SH).astype(str).tolist(),
            ['2025-01-06T13:01:00.000', '2025-01-06T16:00:00.000'],
        )
        self.assertEqual(M.utc_of('day', [20250106], [0], self.SH).astype(str).tolist(), ['2025-01-06T07:00:00.000'])
        no_close = M.InstrumentMeta('SHFE', 'x', 0, 'Asia/Shanghai', None, True)
        self.assertTrue(np.isnat(M.utc_of('day', [20250106], [0], no_close)).all())
        self.assertEqual(M.utc_of('tick', [], [], self.SH).dtype, np.dtype('datetime64[ms]'))

    def test_unordered_records_give_the_same_instants(self):
        rng = np.random.default_rng(7)
        dates = rng.choice([20250106, 20250107, 20250108], 20000)
        times = rng.integers(0, 24, 20000) * 10000000 + rng.integers(0, 60, 20000) * 100000 + rng.integers(0, 60000, 20000)
        got = M.utc_of('tick', dates, times, self.SH)
        order = np.argsort(dates * 10**9 + times, kind='stable')
        self.assertEqual(M.utc_of('tick', dates[order], times[order], self.SH).tolist(), got[order].tolist())
        self.assertEqual(got[:3].astype(np.int64).tolist(), [tickrec.ts_utc(_tick(d, t), '/nonexistent', 'SHFE', 'rb2505').astype(np.int64)[0] for d, t in zip(dates[:3], times[:3])])

    def test_usage_errors(self):
        bars = np.zeros(1, D.BAR)
        for kind in (None, 'tick'):
            with self.assertRaises(tickrec.TickrecError):
                tickrec.ts_utc(bars, '/tmp', 'SHFE', 'rb2505', kind)
        with self.assertRaises(tickrec.TickrecError):
            tickrec.ts_utc(np.zeros(1, D.TICK), '/tmp', 'SHFE', 'rb2505', 'min1')
        with self.assertRaises(tickrec.TickrecError):
            M.utc_of('min7', [], [], self.SH)


class DaylightSaving(unittest.TestCase):
    """Local time -> UTC on the days the clocks change, against zoneinfo's own rule (PEP 495, fold=0:
    a time that happens twice is the earlier, a time that does not exist moves forward by the change),
    which computes the instant independently of tickrec's search."""

    # (zone, spring change day, fall change day): northern and southern hemisphere, and China's last DST (1991)
    DAYS = [
        ('America/New_York', (2025, 3, 9), (2025, 11, 2)),
        ('Europe/London', (2025, 3, 30), (2025, 10, 26)),
        ('Australia/Sydney', (2025, 10, 5), (2025, 4, 6)),
        ('Asia/Shanghai', (1991, 4, 14), (1991, 9, 15)),
    ]

    def test_every_hour_and_half_hour_of_change_days(self):
        import zoneinfo

        for tz, spring, fall in self.DAYS:
            z = zoneinfo.ZoneInfo(tz)
            m = M.InstrumentMeta('X', 'y', 0, tz, None, True)
            dates, times, want = [], [], []
            gaps = twice = 0
            for day in (spring, fall):
                for delta in (-1, 0, 1):
                    d = _dt.date(*day) + _dt.timedelta(days=delta)
                    for h in range(24):
                        for mi, s, ms in ((0, 0, 0), (29, 59, 999), (30, 0, 0), (59, 59, 999)):
                            local = _dt.datetime(d.year, d.month, d.day, h, mi, s, ms * 1000)
                            at = local.replace(tzinfo=z)
                            if at.utcoffset() != local.replace(tzinfo=z, fold=1).utcoffset():
                                # fold=0 and fold=1 disagree: a gap when the round trip changes the wall time
                                back = _dt.datetime.fromtimestamp(at.timestamp(), z).replace(tzinfo=None)
                                gaps += back != local
                                twice += back == local
                            dates.append(d.year * 10000 + d.month * 100 + d.day)
                            times.append(h * 10000000 + mi * 100000 + s * 1000 + ms)
                            want.append(round(at.timestamp() * 1000))
            got = M.utc_of('tick', np.array(dates, np.uint32), np.array(times, np.uint32), m).astype(np.int64).tolist()
            bad = [(tz, d, t, g, w) for d, t, g, w in zip(dates, times, got, want) if g != w]
            self.assertEqual(bad[:5], [])
            self.assertGreater(gaps, 0, tz)  # the days really hold a change each way
            self.assertGreater(twice, 0, tz)

    def test_known_instants_and_day_bars(self):
        ny = M.InstrumentMeta('X', 'y', 0, 'America/New_York', '16:00', True)
        self.assertEqual(
            M.utc_of('tick', [20250309, 20250309, 20250309, 20251102, 20251102], [30000000, 23000000, 13000000, 13000000, 23000000], ny).astype(str).tolist(),
            ['2025-03-09T07:00:00.000', '2025-03-09T07:30:00.000', '2025-03-09T06:30:00.000', '2025-11-02T05:30:00.000', '2025-11-02T07:30:00.000'],
        )
        # a day bar closes at 16:00 local of its date (not midnight + 16 h); "24:00" is the next midnight
        self.assertEqual(M.utc_of('day', [20250309, 20251102], [0, 0], ny).astype(str).tolist(), ['2025-03-09T20:00:00.000', '2025-11-02T21:00:00.000'])
        utc = M.InstrumentMeta('X', 'y', 0, 'UTC', '24:00', True)
        self.assertEqual(M.utc_of('day', [20250309, 20250231], [0, 0], utc).astype(str).tolist(), ['2025-03-10T00:00:00.000', 'NaT'])


def _tick(d, t):
    x = np.zeros(1, D.TICK)
    x['action_date'], x['action_time'] = d, t
    return x


if __name__ == '__main__':
    unittest.main()

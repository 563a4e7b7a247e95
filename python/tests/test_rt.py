"""Real-time files in Python: header checks, zero-copy views, remap after growth (old views stay valid), follow_batches across a roll; files written here by a minimal writer that keeps the publish protocol."""

import os
import shutil
import tempfile
import threading
import time
import unittest

import numpy as np

import tickrec
from tickrec import _dtypes as D

RS = D.BAR.itemsize


def header(type_, size, capacity, date, version=3):
    h = np.zeros(1, D.RT_HEADER)
    h['flag'], h['type'], h['version'], h['size'], h['capacity'], h['date'] = D.BLOCK_FLAG, type_, version, size, capacity, date
    return h.tobytes()


def bar(i, date=20250106):
    b = np.zeros(1, D.BAR)
    b['date'], b['time'], b['close'], b['vol'] = date, (date - 19900000) * 10000 + 900 + i, 3000 + i * 0.5, i
    return b.tobytes()


class Writer:
    """The writer's protocol, for tests: record bytes first, then size (a single 4-byte write); growth = extend, then capacity."""

    def __init__(self, path, capacity, date=20250106):
        self.path, self.capacity, self.size, self.date = path, capacity, 0, date
        tmp = path + '.tmp'
        with open(tmp, 'wb') as f:
            f.write(header(D.BLOCK_TYPE['RT_MIN1'], 0, capacity, date) + bytes(capacity * RS))
        os.rename(tmp, path)
        self.fd = os.open(path, os.O_RDWR)

    def append(self, rec):
        if self.size == self.capacity:
            new = self.capacity * 2
            os.pwrite(self.fd, bytes((new - self.capacity) * RS), 24 + self.capacity * RS)
            os.pwrite(self.fd, new.to_bytes(4, 'little'), 16)
            self.capacity = new
        os.pwrite(self.fd, rec, 24 + self.size * RS)
        self.size += 1
        os.pwrite(self.fd, self.size.to_bytes(4, 'little'), 12)

    def close(self):
        os.close(self.fd)


class RtFiles(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='tickrec-py-rt-')
        self.path = os.path.join(self.dir, 'x.dmb')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, data):
        with open(self.path, 'wb') as f:
            f.write(data)

    def refused(self, code, *needles):
        with self.assertRaises(tickrec.TickrecError) as cm:
            tickrec.open_rt(self.path)
        self.assertEqual(cm.exception.code, code)
        self.assertEqual(cm.exception.file, self.path)
        for n in (self.path,) + needles:
            self.assertIn(n, str(cm.exception))

    def test_refusals_name_the_file_and_what_to_do(self):
        self.write(b'\x00' * 10)
        self.refused('E_TRUNCATED', 'shorter than the 24-byte header')
        self.write(b'NOTAFLAG' + bytes(16 + RS))
        self.refused('E_NOT_BLOCK_FILE', 'block flag')
        self.write(header(99, 0, 1, 20250106) + bytes(RS))
        self.refused('E_WRONG_TYPE', 'block type 99')
        self.write(header(1, 0, 1, 20250106, version=4) + bytes(RS))
        self.refused('E_VERSION', 'version 4')
        self.write(header(1, 0, 8, 20250106) + bytes(4 * RS))
        self.refused('E_TRUNCATED', 'tickrec repair')
        self.write(header(1, 9, 8, 20250106) + bytes(8 * RS))
        self.refused('E_CORRUPT', 'tickrec repair')
        self.write(header(1, 0, 0, 20250106))
        self.refused('E_TRUNCATED', 'capacity 0')
        with self.assertRaises(tickrec.TickrecError) as cm:
            tickrec.open_rt(os.path.join(self.dir, 'missing.dmb'))
        self.assertEqual((cm.exception.code, cm.exception.errno), ('E_IO', 2))
        self.write(header(1, 0, 4, 20250106) + bytes(4 * RS))
        with self.assertRaises(tickrec.TickrecError) as cm:
            tickrec.open_rt(self.path, 'tick')
        self.assertEqual(cm.exception.code, 'E_WRONG_TYPE')

    def test_views_are_zero_copy_read_only_and_survive_growth(self):
        w = Writer(self.path, 4)
        for i in range(3):
            w.append(bar(i))
        f = tickrec.open_rt(self.path)
        self.assertEqual((f.kind.name, f.date, f.size, f.capacity), ('min1', 20250106, 3, 4))
        first = f.records()
        self.assertFalse(first.flags.writeable)
        self.assertEqual(list(first['vol']), [0, 1, 2])
        for i in range(3, 40):
            w.append(bar(i))
        self.assertEqual(f.size, 40)  # the size load sees 40 > 4 mapped: remap to the new capacity
        self.assertEqual(f.capacity, 64)
        allr = f.records()
        self.assertEqual(list(allr['vol']), list(range(40)))
        self.assertEqual(list(first['vol']), [0, 1, 2])  # the old mapping is still valid
        self.assertEqual(allr.tobytes(), b''.join(bar(i) for i in range(40)))
        self.assertEqual(len(f.records(38)), 2)
        self.assertEqual(len(f.records(5, 7)), 2)
        cols = tickrec.columns_of(allr, ['close', 'vol'])
        self.assertEqual(sorted(cols), ['close', 'vol'])
        self.assertTrue(cols['close'].flags.c_contiguous)
        self.assertEqual(cols['close'][39], 3000 + 39 * 0.5)
        self.assertEqual(len(tickrec.columns_of(allr)), 11)
        f.close()
        self.assertEqual(list(allr['vol'][:3]), [0, 1, 2])  # after close too
        with self.assertRaises(tickrec.TickrecError):
            f.size
        w.close()

    def test_size_beyond_the_file_is_refused_after_open(self):
        w = Writer(self.path, 4)
        w.append(bar(0))
        f = tickrec.open_rt(self.path)
        os.pwrite(w.fd, (100).to_bytes(4, 'little'), 12)
        with self.assertRaises(tickrec.TickrecError) as cm:
            f.size
        self.assertEqual(cm.exception.code, 'E_CORRUPT')
        f.close()
        w.close()

    def test_a_file_cut_while_open_is_refused_not_a_crash(self):
        w = Writer(self.path, 8)
        for i in range(5):
            w.append(bar(i))
        f = tickrec.open_rt(self.path)
        self.assertEqual(len(f.records()), 5)
        os.truncate(self.path, 24 + 2 * RS)  # someone cuts it: published records 2..4 are gone
        with self.assertRaises(tickrec.TickrecError) as cm:
            f.records()
        self.assertEqual((cm.exception.code, cm.exception.file), ('E_TRUNCATED', self.path))
        self.assertIn('cut to %d bytes' % (24 + 2 * RS), str(cm.exception))
        self.assertEqual(list(f.records(0, 2)['vol']), [0, 1])  # what is still there reads
        os.truncate(self.path, 0)
        with self.assertRaises(tickrec.TickrecError) as cm:
            f.size
        self.assertEqual(cm.exception.code, 'E_TRUNCATED')
        with self.assertRaises(tickrec.TickrecError):
            list(tickrec.follow(self.path, from_start=True, idle_timeout=1))
        f.close()
        w.close()

    def test_follow_batches_from_the_end_across_a_roll(self):
        w = Writer(self.path, 2)
        for i in range(5):
            w.append(bar(i))
        seen, events = [], []
        done = threading.Event()

        def run():
            for b in tickrec.follow_batches(
                self.path,
                poll_interval=0.0005,
                roll_check_interval=0.005,
                idle_timeout=5,
                on_file_start=lambda f: events.append(('start', f.date)),
                on_file_end=lambda f: events.append(('end', f.date, f.size)),
            ):
                seen.extend(int(x) for x in b['vol'])
                if len(seen) == 30:
                    break
            done.set()

        t = threading.Thread(target=run)
        t.start()
        deadline = time.monotonic() + 10
        while not events and time.monotonic() < deadline:
            time.sleep(0.001)
        for i in range(5, 20):
            w.append(bar(i))
        # The roll: the day's file is renamed away after its last record, a new one appears at the path.
        w.close()
        os.makedirs(os.path.join(self.dir, '20250106'))
        os.rename(self.path, os.path.join(self.dir, '20250106', 'x.dmb'))
        time.sleep(0.02)
        w2 = Writer(self.path, 2, date=20250107)
        for i in range(100, 115):
            w2.append(bar(i, 20250107))
        self.assertTrue(done.wait(10))
        t.join()
        w2.close()
        self.assertEqual(seen, list(range(5, 20)) + list(range(100, 115)))
        self.assertEqual(events, [('start', 20250106), ('end', 20250106, 20), ('start', 20250107)])

    def test_a_file_moved_over_the_path_is_not_a_roll(self):
        # The path written back with the same (or an older) trading date after the day was left: E_REPLACED, nothing of it delivered.
        w = Writer(self.path, 4)
        for i in range(3):
            w.append(bar(i))
        seen = []
        done = threading.Event()
        errors = []

        def run():
            try:
                for b in tickrec.follow_batches(self.path, from_start=True, poll_interval=0.0005, roll_check_interval=0.005, idle_timeout=5):
                    seen.extend(int(x) for x in b['vol'])
            except tickrec.TickrecError as e:
                errors.append(e)
            done.set()

        t = threading.Thread(target=run)
        t.start()
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.001)
        w.close()
        os.makedirs(os.path.join(self.dir, '20250106'))
        os.rename(self.path, os.path.join(self.dir, '20250106', 'x.dmb'))
        w2 = Writer(self.path, 4, date=20250106)  # the same day again: not a roll
        w2.append(bar(99))
        self.assertTrue(done.wait(10))
        t.join()
        w2.close()
        self.assertEqual(seen, [0, 1, 2])
        self.assertEqual(len(errors), 1)
        self.assertEqual((errors[0].code, errors[0].file), ('E_REPLACED', self.path))
        self.assertIn('20250106', str(errors[0]))

    def test_another_instruments_file_moved_over_the_path_is_not_a_roll(self):
        # A later date, but the first record names another instrument: E_REPLACED before any of its records is delivered.
        def tick(code, i, date):
            t = np.zeros(1, D.TICK)
            t['exchg'], t['code'], t['trading_date'], t['action_date'], t['action_time'], t['price'] = b'SHFE', code, date, date, 90000000 + i, 3000 + i
            return t.tobytes()

        def tick_file(path, date, recs):
            h = header(D.BLOCK_TYPE['RT_TICKS'], len(recs), 8, date)
            with open(path + '.tmp', 'wb') as f:
                f.write(h + b''.join(recs) + bytes((8 - len(recs)) * D.TICK.itemsize))
            os.rename(path + '.tmp', path)

        tick_file(self.path, 20250106, [tick(b'rb2505', i, 20250106) for i in range(3)])
        seen, errors, done = [], [], threading.Event()

        def run():
            try:
                for b in tickrec.follow_batches(self.path, from_start=True, poll_interval=0.0005, roll_check_interval=0.005, idle_timeout=5):
                    seen.extend(b['code'].tolist())
            except tickrec.TickrecError as e:
                errors.append(e)
            done.set()

        t = threading.Thread(target=run)
        t.start()
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.001)
        os.makedirs(os.path.join(self.dir, '20250106'))
        os.rename(self.path, os.path.join(self.dir, '20250106', 'x.dmb'))
        tick_file(self.path, 20250107, [tick(b'hc2505', i, 20250107) for i in range(2)])
        self.assertTrue(done.wait(10))
        t.join()
        self.assertEqual(seen, [b'rb2505'] * 3)
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0].code, 'E_REPLACED')
        self.assertIn('SHFE.hc2505', str(errors[0]))
        self.assertIn('SHFE.rb2505', str(errors[0]))

    def test_follow_yields_records_and_stops_when_idle_or_told(self):
        w = Writer(self.path, 8)
        for i in range(3):
            w.append(bar(i))
        got = [int(r['vol']) for r in tickrec.follow(self.path, from_start=True, idle_timeout=0.2)]
        self.assertEqual(got, [0, 1, 2])
        stop = threading.Event()
        threading.Timer(0.2, stop.set).start()
        t0 = time.monotonic()
        got = [int(r['vol']) for r in tickrec.follow(self.path, from_start=True, stop=stop)]
        self.assertEqual(got, [0, 1, 2])
        self.assertLess(time.monotonic() - t0, 30)  # ended by the event, not by a timeout (there is none)
        w.close()


class Instants(unittest.TestCase):
    def test_forms_and_refusals(self):
        from tickrec.read import KeyRange, read_kind
        import datetime

        tick, m1 = read_kind('tick'), read_kind('min1')
        r = KeyRange(tick, '20250106 21:00', '20250109')
        self.assertEqual((r.lo, r.hi, r.first_date, r.last_date), ((20250106 - 19900000) * 10**9 + 210000000, (20250110 - 19900000) * 10**9, 20250105, 20250110))
        self.assertEqual(KeyRange(tick, '2025-01-06T21:00:05.5', None).lo, (20250106 - 19900000) * 10**9 + 210005500)
        self.assertEqual(KeyRange(tick, datetime.datetime(2025, 1, 6, 21, 0, 5, 500000), None).lo, (20250106 - 19900000) * 10**9 + 210005500)
        self.assertEqual(KeyRange(tick, {'date': 20250106, 'time': 210000000}, datetime.date(2025, 1, 9)).hi, (20250110 - 19900000) * 10**9)
        self.assertEqual(KeyRange(m1, '20250106 09:30', '20250106 10:00').lo, (20250106 - 19900000) * 10000 + 931)
        for bad in ('21:00', '20250230', '2025-13-01', 'tomorrow', 20250106, '20250106 24:00'):
            with self.assertRaises(tickrec.TickrecError) as cm:
                KeyRange(tick, bad, None)
            self.assertEqual(cm.exception.code, 'E_USAGE')
            self.assertIn('start', str(cm.exception))
        with self.assertRaises(tickrec.TickrecError) as cm:
            KeyRange(tick, '20250107', '20250106 10:00')
        self.assertIn('after', str(cm.exception))

    def test_usage_errors_name_the_argument(self):
        d = tempfile.mkdtemp(prefix='tickrec-py-usage-')
        try:
            cases = [
                (lambda: tickrec.read_ticks(os.path.join(d, 'nope'), 'SHFE', 'rb2505'), 'no such data root'),
                (lambda: tickrec.read_ticks(d, '../x', 'rb2505'), "exchange '../x'"),
                (lambda: tickrec.read_ticks(d, 'SHFE', 'rb/2505'), "instrument code 'rb/2505'"),
                (lambda: tickrec.read_bars(d, 'SHFE', 'rb2505', 'min2'), "period 'min2'"),
                (lambda: tickrec.read_bars_market(d, 'SHFE', 'min1', fields=['close', 'nope']), 'nope'),
            ]
            for f, needle in cases:
                with self.assertRaises(tickrec.TickrecError) as cm:
                    f()
                self.assertEqual(cm.exception.code, 'E_USAGE')
                self.assertIn(needle, str(cm.exception))
            self.assertEqual(len(tickrec.read_ticks(d, 'SHFE', 'rb2505')), 0)  # no data: empty, not an error
            self.assertEqual(tickrec.read_bars_market(d, 'SHFE', 'min1').count, 0)
        finally:
            shutil.rmtree(d)


if __name__ == '__main__':
    unittest.main()

"""The Python side of the history-read benchmark (scripts/bench/history-read.ts runs it): a whole-market month of 1-minute bars into numpy with tickrec.read_bars_market, and with pyarrow from a Parquet export when pyarrow is importable.

Usage: python3 scripts/bench/python-history-read.py probe
       python3 scripts/bench/python-history-read.py market ROOT EXCHANGE FROM TO RUNS EXPECTED [FIELD,...]
       python3 scripts/bench/python-history-read.py parquet FILE RUNS EXPECTED
Prints one JSON object: the versions (probe), or the times of RUNS timed runs after one warm-up, ms.
"""

import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python'))


def probe():
    import numpy

    out = {'python': platform.python_version(), 'numpy': numpy.__version__, 'pyarrow': None}
    try:
        import lz4
        import zstandard

        out['lz4'], out['zstandard'] = lz4.__version__, zstandard.__version__
        import tickrec  # noqa: F401  (importable with its history codecs)

        out['tickrec'] = True
    except ImportError as err:
        out['tickrec'] = False
        out['why'] = str(err)
    try:
        import pyarrow

        out['pyarrow'] = pyarrow.__version__
    except ImportError:
        pass
    return out


def timed(f, runs, expected):
    n = f()  # warm-up: imports, page cache
    if n != expected:
        raise SystemExit('read %d rows, expected %d' % (n, expected))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return {'times_ms': times}


def market(root, exchange, start, end, runs, expected, fields=None):
    import tickrec

    def read():
        m = tickrec.read_bars_market(root, exchange, 'min1', start, end, fields=fields)
        return m.count

    return timed(read, runs, expected)


def parquet(file, runs, expected):
    import pyarrow.parquet as pq

    def read():
        t = pq.read_table(file)
        cols = {name: t.column(name).to_numpy() for name in t.column_names if name not in ('exchg', 'code')}
        return len(cols['close'])

    return timed(read, runs, expected)


def main(argv):
    if argv[0] == 'probe':
        r = probe()
    elif argv[0] == 'market':
        root, exchange, start, end, runs, expected = argv[1:7]
        fields = argv[7].split(',') if len(argv) > 7 and argv[7] else None
        r = market(root, exchange, start, end, int(runs), int(expected), fields)
    elif argv[0] == 'parquet':
        r = parquet(argv[1], int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(r))


if __name__ == '__main__':
    main(sys.argv[1:])

"""Latency of the Python follower: a writer process publishes one record per millisecond (the publish protocol: record bytes, then size), a follower in this process (tickrec.follow_batches) notes when it sees each one.

Usage: python3 scripts/bench/python-follow-latency.py [RECORDS] [POLL_INTERVAL_S ...]
Prints a Markdown table row per poll interval: p50, p99, max latency (publish to seen), microseconds.
Both processes read CLOCK_MONOTONIC; the writer stores the publish instant in the bar's `time` field.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python'))

import numpy as np  # noqa: E402

import tickrec  # noqa: E402
from tickrec import _dtypes as D  # noqa: E402

RS = D.BAR.itemsize


def write(path, n, capacity):
    """The writer: a new file by rename, then n records, one per millisecond, each published by a 4-byte size store."""
    h = np.zeros(1, D.RT_HEADER)
    h['flag'], h['type'], h['version'], h['size'], h['capacity'], h['date'] = D.BLOCK_FLAG, D.BLOCK_TYPE['RT_MIN1'], 3, 0, capacity, 20250106
    with open(path + '.tmp', 'wb') as f:
        f.write(h.tobytes() + bytes(capacity * RS))
    os.rename(path + '.tmp', path)
    fd = os.open(path, os.O_RDWR)
    rec = np.zeros(1, D.BAR)
    rec['date'] = 20250106
    next_at = time.monotonic() + 0.2  # the follower opens the file meanwhile
    for i in range(n):
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # the publish instant is stored in the record, so the writer's jitter does not count
        next_at += 0.001
        rec['time'] = time.monotonic_ns()
        rec['vol'] = i
        os.pwrite(fd, rec.tobytes(), 24 + i * RS)
        os.pwrite(fd, (i + 1).to_bytes(4, 'little'), 12)
    os.close(fd)


def measure(n, poll):
    d = tempfile.mkdtemp(prefix='tickrec-py-latency-')
    path = os.path.join(d, 'x.dmb')
    w = subprocess.Popen([sys.executable, __file__, 'write', path, str(n)])
    lat = np.empty(n, np.int64)
    got = 0
    for batch in tickrec.follow_batches(path, from_start=True, poll_interval=poll, idle_timeout=5):
        now = time.monotonic_ns()
        k = len(batch)
        lat[got : got + k] = now - batch['time'].astype(np.int64)
        got += k
        if got == n:
            break
    w.wait()
    os.remove(path)
    os.rmdir(d)
    us = np.sort(lat[:got]) / 1000
    return got, us[len(us) // 2], us[int(len(us) * 0.99)], us[-1]


def main(argv):
    if argv and argv[0] == 'write':
        write(argv[1], int(argv[2]), int(argv[2]))
        return
    n = int(argv[0]) if argv else 5000
    polls = [float(x) for x in argv[1:]] or [0.001, 0.0001, 0.0]
    print('| poll_interval | records | p50 | p99 | max |')
    print('|---:|---:|---:|---:|---:|')
    for poll in polls:
        got, p50, p99, mx = measure(n, poll)
        label = '%g s' % poll if poll else '0 (spin)'
        print('| %s | %d | %.0f µs | %.0f µs | %.0f µs |' % (label, got, p50, p99, mx))


if __name__ == '__main__':
    main(sys.argv[1:])

"""A live follower in its own process, for test/python/follow.test.ts: follows one real-time file with tickrec.follow and prints every record it sees.

Usage: python3 -m tests.follow_child PATH
Prints 'file-start DATE', then 'rec INDEX HEX' per record (its raw bytes), 'file-end DATE SIZE'
at each roll; flushes every line. Stops after 60 s without a record, or on SIGTERM.
"""

import signal
import sys

import tickrec


def main(path):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    out = sys.stdout
    n = 0
    opts = dict(
        poll_interval=0.001,
        roll_check_interval=0.02,
        idle_timeout=60,
        on_file_start=lambda f: out.write('file-start %d %d\n' % (f.date, f.capacity)),
        on_file_end=lambda f: out.write('file-end %d %d %d\n' % (f.date, f.size, f.capacity)),
    )
    out.write('ready\n')
    out.flush()
    for batch in tickrec.follow_batches(path, from_start=False, **opts):
        for rec in batch:
            out.write('rec %d %s\n' % (n, rec.tobytes().hex()))
            n += 1
        out.flush()


if __name__ == '__main__':
    main(sys.argv[1])

"""Subscribe to tickrec's NATS JetStream stream from Python: the payload is the datakit struct.

    pip install nats-py          # numpy and the tickrec package (python/) too
    python3 nats_subscriber.py nats://127.0.0.1:4222 'tickrec.tick.SHFE.>'

Subjects are <prefix>.<kind>.<EXCHG>.<CODE>; a message with an empty payload is the
end-of-day marker of that file (docs/distributed.md). <prefix>.meta.<EXCHG>.<CODE> carries
the instrument's metadata as JSON (volume_decimals: a trade's volume counts units of
10^-volume_decimals) before its first record. decode() needs numpy only, so it
is tested without nats-py (test/bus/python.test.ts).
"""

import sys

import numpy as np

from tickrec import BAR, TICK, TRADE

DTYPES = {'tick': TICK, 'trade': TRADE, 'min1': BAR, 'min5': BAR, 'min15': BAR, 'min30': BAR, 'min60': BAR}


def decode(subject, payload):
    """(kind, exchange, code, record) of a tickrec message, or None for an end-of-day marker or metadata."""
    _prefix, kind, exchg, *code = subject.split('.')
    if not payload or kind == 'meta':
        return None
    dtype = DTYPES[kind]
    if len(payload) != dtype.itemsize:
        raise ValueError(f'{subject}: {len(payload)} bytes, a {kind} record is {dtype.itemsize}')
    return kind, exchg, '.'.join(code), np.frombuffer(payload, dtype=dtype, count=1)[0]


async def main(server, subjects):
    import nats  # nats-py: only the live part needs it

    nc = await nats.connect(server)
    js = nc.jetstream()

    async def on_msg(msg):
        d = decode(msg.subject, msg.data)
        if d is None:
            print(msg.subject, 'end of day', msg.headers.get('Tickrec-Date'))
        elif d[0] == 'tick':
            t = d[3]
            print(d[1], d[2], t['action_date'], t['action_time'], t['price'], t['bid_prices'][0], t['ask_prices'][0])

    await js.subscribe(subjects, cb=on_msg, ordered_consumer=True)
    import asyncio

    await asyncio.Event().wait()


if __name__ == '__main__':
    import asyncio

    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else 'nats://127.0.0.1:4222', sys.argv[2] if len(sys.argv) > 2 else 'tickrec.>'))

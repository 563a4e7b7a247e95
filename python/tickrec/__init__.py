"""tickrec for Python: read and follow tickrec's real-time files and history with numpy.

    import tickrec
    f = tickrec.open_rt('data/rt/ticks/SHFE/rb2505.dmb')   # f.size, f.records() (zero-copy), f.close()
    for t in tickrec.follow('data/rt/ticks/SHFE/rb2505.dmb'):  # live, across day rolls
        print(t['action_time'], t['price'])
    ticks = tickrec.read_ticks('data', 'SHFE', 'rb2505', '20250106 21:00', '20250109')
    m = tickrec.read_bars_market('data', 'SHFE', 'min1', '20250301', '20250331')

See docs/python.md. Needs numpy; history also needs lz4 (tickrec's files) and zstandard (datakit's).
"""

from ._dtypes import BAR, TICK, TRADE, VERSION
from .errors import TickrecError
from .follow import follow, follow_batches
from .his import BarHistory, read_day_block
from .meta import TRADE_QTY, InstrumentMeta, instrument_meta, ts_utc, units_to_quantity, volume_decimals, with_quantities
from .read import Market, columns_of, read_bars, read_bars_market, read_market, read_records, read_ticks, read_trades, records_of
from .rt import RtFile, open_rt, root_of_file

__version__ = VERSION

__all__ = [
    'BAR',
    'TICK',
    'TRADE',
    'TRADE_QTY',
    'TickrecError',
    'RtFile',
    'open_rt',
    'follow',
    'follow_batches',
    'BarHistory',
    'read_day_block',
    'Market',
    'read_records',
    'read_ticks',
    'read_trades',
    'read_bars',
    'read_market',
    'read_bars_market',
    'records_of',
    'columns_of',
    'InstrumentMeta',
    'instrument_meta',
    'volume_decimals',
    'units_to_quantity',
    'with_quantities',
    'ts_utc',
    'root_of_file',
]

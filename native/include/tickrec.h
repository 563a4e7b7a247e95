/* tickrec.h: the on-disk structs of tickrec real-time files (byte-compatible with WonderTrader datakit), for C and C++ readers. */
/*
 * Written by hand from the format facts (docs/format.md), not generated from the
 * TypeScript field tables, so that test/format/c-layout.test.ts compares two
 * independent descriptions of the same bytes. Every size and offset is asserted below.
 *
 * Everything is little-endian. Block headers are packed (1-byte alignment); record
 * structs use the compiler's natural alignment (8), exactly as datakit's headers do.
 *
 * FILE: a real-time file (.dmb) is one RTDayBlockHeader (24 bytes) followed by
 * `capacity` fixed-size records starting at offset 24:
 *
 *     file length == 24 + capacity * sizeof(record)     (between growths)
 *
 * READ PROTOCOL (how a C or C++ reader follows a file that a live writer appends to):
 *
 *   1. Open the file O_RDONLY, fstat it, and mmap it PROT_READ, MAP_SHARED. Never map
 *      past the file's length (st_size): touching a mapped page beyond the end of the
 *      file kills the process with SIGBUS. Check the flag, the type and the version,
 *      and that 24 + capacity * sizeof(record) <= st_size, before reading a record.
 *      Never write to the file and never grow it: there is exactly one writer.
 *   2. Load `size` with an acquire load:
 *
 *          uint32_t n = __atomic_load_n(&hdr->size, __ATOMIC_ACQUIRE);
 *
 *      The writer copies a record into slot `size`, then stores `size + 1` with a
 *      sequentially consistent store (Atomics.store in Node); that store is the only
 *      publication. After the acquire load returns n, records 0 .. n-1 are complete.
 *      Use tickrec_published() below, which does exactly this.
 *   3. Never read a slot at or after `size`: it may hold a half-written record, or the
 *      zeros of a slot that was never used. Poll `size` (step 2) to learn of new records.
 *   4. When `size` exceeds the capacity you mapped, the writer has grown the file (it
 *      extends the file with real zero bytes, remaps, and only then stores the new
 *      `capacity`, before any record beyond the old capacity is published). Load
 *      `capacity` with an acquire load after `size`, fstat again, check that
 *      24 + capacity * sizeof(record) <= st_size, and map again (munmap/mmap or
 *      mremap). Files are never shrunk or truncated while they may be mapped, so an old
 *      mapping stays valid until you unmap it.
 *   5. The writer never changes a published record, `date`, `type` or `version`.
 *   6. When a trading day ends, the recorder renames the live file away intact and a
 *      new file appears at the same path. A follower learns that its file is finished
 *      when the path names a different inode (stat st_ino) than the one it has open; it
 *      then loads `size` one last time, reads what remains, and moves to the new file.
 *
 * Datakit's readers never check the flag; tickrec's readers do, and refuse a file that
 * does not start with it (see tickrec_has_flag()).
 */
#ifndef TICKREC_H
#define TICKREC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A compile-time assertion in C11, C++11, and (by the array trick) C99. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define TICKREC_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define TICKREC_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
#define TICKREC_CAT2_(a, b) a##b
#define TICKREC_CAT_(a, b) TICKREC_CAT2_(a, b)
#define TICKREC_STATIC_ASSERT(cond, msg) typedef char TICKREC_CAT_(tickrec_static_assert_, __LINE__)[(cond) ? 1 : -1]
#endif

/* ---- Constants ---------------------------------------------------------------- */

/* The 8 flag bytes every block starts with: "&^%$#@!" and its NUL. */
#define TICKREC_BLOCK_FLAG "&^%$#@!"
#define TICKREC_BLOCK_FLAG_BYTES 8
#define TICKREC_BLOCK_FLAG_INIT {0x26, 0x5E, 0x25, 0x24, 0x23, 0x40, 0x21, 0x00}

/* Block versions. */
#define TICKREC_BLOCK_VERSION_RAW 3        /* raw records (every .dmb; raw .dsb with a 12-byte BlockHeader) */
#define TICKREC_BLOCK_VERSION_COMPRESSED 4 /* BlockHeaderV2, then one compressed frame of `size` bytes */

/* Block types (BlockHeader.type). */
#define TICKREC_BT_RT_MIN1 1          /* real-time 1-minute bars (BarStruct) */
#define TICKREC_BT_RT_MIN5 2          /* real-time 5-minute bars (BarStruct) */
#define TICKREC_BT_RT_TICKS 3         /* real-time ticks (TickStruct) */
#define TICKREC_BT_RT_CACHE 4         /* datakit's tick cache; tickrec does not write it */
#define TICKREC_BT_RT_TRANS 5         /* real-time transactions (TransStruct) */
#define TICKREC_BT_RT_ORDER_DETAIL 6  /* Level-2 order detail; not used yet */
#define TICKREC_BT_RT_ORDER_QUEUE 7   /* Level-2 order queue; not used yet */
#define TICKREC_BT_HIS_MIN1 21        /* historical 1-minute bars */
#define TICKREC_BT_HIS_MIN5 22        /* historical 5-minute bars */
#define TICKREC_BT_HIS_DAY 23         /* historical day bars */
#define TICKREC_BT_HIS_TICKS 24       /* historical ticks of one day */
#define TICKREC_BT_HIS_TRANS 25       /* historical transactions of one day */
#define TICKREC_BT_HIS_ORDER_DETAIL 26
#define TICKREC_BT_HIS_ORDER_QUEUE 27

/* Offset of the first record in a real-time file. */
#define TICKREC_RT_HEADER_BYTES 24

/* TransStruct.side: the aggressor side as a character code. */
#define TICKREC_SIDE_BUY 'B'     /* 0x42 */
#define TICKREC_SIDE_SELL 'S'    /* 0x53 */
#define TICKREC_SIDE_UNKNOWN ' ' /* 0x20 */

/* Minute-bar time: add this to BarStruct.time to get YYYYMMDDHHMM. */
#define TICKREC_BAR_TIME_BASE 199000000000ULL

/* ---- Block headers: packed, 1-byte alignment ---------------------------------- */

/* Upstream derives each header from the previous one (C++ inheritance); here they are
 * flattened, which gives the same bytes and lets a reader write `hdr->size`. */

#pragma pack(push, 1)

typedef struct BlockHeader {
    char flag[8];     /* @0  bytes 26 5E 25 24 23 40 21 00 ("&^%$#@!" + NUL); refuse the file otherwise */
    uint16_t type;    /* @8  block type, TICKREC_BT_* */
    uint16_t version; /* @10 TICKREC_BLOCK_VERSION_RAW (3) or TICKREC_BLOCK_VERSION_COMPRESSED (4) */
} BlockHeader;

typedef struct RTBlockHeader {
    char flag[8];      /* @0  as BlockHeader.flag */
    uint16_t type;     /* @8  as BlockHeader.type */
    uint16_t version;  /* @10 as BlockHeader.version: 3 */
    uint32_t size;     /* @12 records published; the writer stores it last; load it with an acquire load */
    uint32_t capacity; /* @16 records that fit; stored after the file grew; remap when it grows */
} RTBlockHeader;

typedef struct RTDayBlockHeader {
    char flag[8];      /* @0  bytes 26 5E 25 24 23 40 21 00; refuse the file otherwise */
    uint16_t type;     /* @8  TICKREC_BT_RT_TICKS, _RT_TRANS, _RT_MIN1 or _RT_MIN5: says which record follows */
    uint16_t version;  /* @10 TICKREC_BLOCK_VERSION_RAW (3) */
    uint32_t size;     /* @12 records published; stored last by the writer; load with __atomic_load_n(..., __ATOMIC_ACQUIRE) */
    uint32_t capacity; /* @16 records that fit; stored after the file grew; file length is 24 + capacity * record size */
    uint32_t date;     /* @20 trading date YYYYMMDD of every record in the file */
} RTDayBlockHeader;

typedef struct BlockHeaderV2 {
    char flag[8];     /* @0  as BlockHeader.flag */
    uint16_t type;    /* @8  as BlockHeader.type (TICKREC_BT_HIS_*) */
    uint16_t version; /* @10 TICKREC_BLOCK_VERSION_COMPRESSED (4) */
    uint64_t size;   /* @12 bytes of compressed payload that follow the header, exactly */
} BlockHeaderV2;

#pragma pack(pop)

/* ---- Records: natural alignment ----------------------------------------------- */

/* A tick (datakit WTSTickStruct), 512 bytes. */
typedef struct TickStruct {
    char exchg[16];        /* @0   exchange code, NUL-padded ASCII (e.g. SHFE, BINANCE) */
    char code[32];         /* @16  raw instrument code, NUL-padded ASCII (e.g. rb2505) */
    double price;          /* @48  last price */
    double open;           /* @56  open price of the trading day */
    double high;           /* @64  high of the trading day */
    double low;            /* @72  low of the trading day */
    double settle_price;   /* @80  settlement price (0 until known) */
    double upper_limit;    /* @88  upper price limit (0 when none) */
    double lower_limit;    /* @96  lower price limit (0 when none) */
    double total_volume;   /* @104 cumulative volume of the trading day */
    double volume;         /* @112 volume since the previous tick of this instrument */
    double total_turnover; /* @120 cumulative turnover (money) of the trading day */
    double turn_over;      /* @128 turnover since the previous tick */
    double open_interest;  /* @136 open interest */
    double diff_interest;  /* @144 open-interest change since the previous tick */
    uint32_t trading_date; /* @152 trading date YYYYMMDD (a night session belongs to the next trading day) */
    uint32_t action_date;  /* @156 calendar date of the tick YYYYMMDD */
    uint32_t action_time;  /* @160 time of the tick HHMMSSmmm (105932500 = 10:59:32.500) */
    uint32_t reserved;     /* @164 reserved, written as 0 */
    double pre_close;      /* @168 previous close */
    double pre_settle;     /* @176 previous settlement price */
    double pre_interest;   /* @184 previous open interest */
    double bid_prices[10]; /* @192 bid prices, best first; 0 for an empty level */
    double ask_prices[10]; /* @272 ask prices, best first; 0 for an empty level */
    double bid_qty[10];    /* @352 bid quantities, best first */
    double ask_qty[10];    /* @432 ask quantities, best first */
} TickStruct;

/* A bar (datakit WTSBarStruct), 88 bytes. */
typedef struct BarStruct {
    uint32_t date;     /* @0  trading date YYYYMMDD */
    uint32_t reserved; /* @4  reserved, written as 0 */
    uint64_t time;     /* @8  minute bars: (calendar date - 19900000) * 10000 + HHMM of the bar END
                        *     (2024-01-02 09:31 -> 3401020931; + TICKREC_BAR_TIME_BASE = YYYYMMDDHHMM).
                        *     tickrec stores the full 64-bit value (upstream wraps at 32 bits from 2033).
                        *     Day bars: 0. */
    double open;       /* @16 first price of the bar */
    double high;       /* @24 highest price */
    double low;        /* @32 lowest price */
    double close;      /* @40 last price */
    double settle;     /* @48 settlement price (day bars), else 0 */
    double money;      /* @56 turnover in the bar */
    double vol;        /* @64 volume in the bar */
    double hold;       /* @72 open interest at the bar close */
    double add;        /* @80 open-interest change over the bar */
} BarStruct;

/* A transaction, i.e. one trade print (datakit WTSTransStruct), 112 bytes.
 * The compiler pads 4 bytes at 60 and at 92 (natural alignment); tickrec writes them as 0. */
typedef struct TransStruct {
    char exchg[16];        /* @0   exchange code, NUL-padded ASCII */
    char code[32];         /* @16  raw instrument code, NUL-padded ASCII */
    uint32_t trading_date; /* @48  trading date YYYYMMDD */
    uint32_t action_date;  /* @52  calendar date YYYYMMDD */
    uint32_t action_time;  /* @56  time HHMMSSmmm */
                           /* @60  4 bytes of padding, 0 */
    int64_t index;         /* @64  trade id from the exchange (0 when none) */
    uint32_t ttype;        /* @72  trade type char: 'M' match, 'C' cancel, 'U' unknown */
    uint32_t side;         /* @76  aggressor side: TICKREC_SIDE_BUY 'B', _SELL 'S', _UNKNOWN ' ' */
    double price;          /* @80  trade price */
    uint32_t volume;       /* @88  trade quantity, integer units */
                           /* @92  4 bytes of padding, 0 */
    int64_t askorder;      /* @96  ask order id (0 when none) */
    int64_t bidorder;      /* @104 bid order id (0 when none) */
} TransStruct;

/* ---- Layout assertions -------------------------------------------------------- */

#define TICKREC_AT(T, f, off) TICKREC_STATIC_ASSERT(offsetof(T, f) == (off), #T "." #f " must be at offset " #off)
#define TICKREC_SIZE(T, n) TICKREC_STATIC_ASSERT(sizeof(T) == (n), "sizeof(" #T ") must be " #n)

TICKREC_SIZE(BlockHeader, 12);
TICKREC_AT(BlockHeader, flag, 0);
TICKREC_AT(BlockHeader, type, 8);
TICKREC_AT(BlockHeader, version, 10);

TICKREC_SIZE(RTBlockHeader, 20);
TICKREC_AT(RTBlockHeader, flag, 0);
TICKREC_AT(RTBlockHeader, type, 8);
TICKREC_AT(RTBlockHeader, version, 10);
TICKREC_AT(RTBlockHeader, size, 12);
TICKREC_AT(RTBlockHeader, capacity, 16);

TICKREC_SIZE(RTDayBlockHeader, 24);
TICKREC_AT(RTDayBlockHeader, flag, 0);
TICKREC_AT(RTDayBlockHeader, type, 8);
TICKREC_AT(RTDayBlockHeader, version, 10);
TICKREC_AT(RTDayBlockHeader, size, 12);
TICKREC_AT(RTDayBlockHeader, capacity, 16);
TICKREC_AT(RTDayBlockHeader, date, 20);
TICKREC_STATIC_ASSERT(sizeof(RTDayBlockHeader) == TICKREC_RT_HEADER_BYTES, "records start right after the RTDayBlockHeader");

TICKREC_SIZE(BlockHeaderV2, 20);
TICKREC_AT(BlockHeaderV2, flag, 0);
TICKREC_AT(BlockHeaderV2, type, 8);
TICKREC_AT(BlockHeaderV2, version, 10);
TICKREC_AT(BlockHeaderV2, size, 12);

TICKREC_SIZE(TickStruct, 512);
TICKREC_AT(TickStruct, exchg, 0);
TICKREC_AT(TickStruct, code, 16);
TICKREC_AT(TickStruct, price, 48);
TICKREC_AT(TickStruct, open, 56);
TICKREC_AT(TickStruct, high, 64);
TICKREC_AT(TickStruct, low, 72);
TICKREC_AT(TickStruct, settle_price, 80);
TICKREC_AT(TickStruct, upper_limit, 88);
TICKREC_AT(TickStruct, lower_limit, 96);
TICKREC_AT(TickStruct, total_volume, 104);
TICKREC_AT(TickStruct, volume, 112);
TICKREC_AT(TickStruct, total_turnover, 120);
TICKREC_AT(TickStruct, turn_over, 128);
TICKREC_AT(TickStruct, open_interest, 136);
TICKREC_AT(TickStruct, diff_interest, 144);
TICKREC_AT(TickStruct, trading_date, 152);
TICKREC_AT(TickStruct, action_date, 156);
TICKREC_AT(TickStruct, action_time, 160);
TICKREC_AT(TickStruct, reserved, 164);
TICKREC_AT(TickStruct, pre_close, 168);
TICKREC_AT(TickStruct, pre_settle, 176);
TICKREC_AT(TickStruct, pre_interest, 184);
TICKREC_AT(TickStruct, bid_prices, 192);
TICKREC_AT(TickStruct, ask_prices, 272);
TICKREC_AT(TickStruct, bid_qty, 352);
TICKREC_AT(TickStruct, ask_qty, 432);

TICKREC_SIZE(BarStruct, 88);
TICKREC_AT(BarStruct, date, 0);
TICKREC_AT(BarStruct, reserved, 4);
TICKREC_AT(BarStruct, time, 8);
TICKREC_AT(BarStruct, open, 16);
TICKREC_AT(BarStruct, high, 24);
TICKREC_AT(BarStruct, low, 32);
TICKREC_AT(BarStruct, close, 40);
TICKREC_AT(BarStruct, settle, 48);
TICKREC_AT(BarStruct, money, 56);
TICKREC_AT(BarStruct, vol, 64);
TICKREC_AT(BarStruct, hold, 72);
TICKREC_AT(BarStruct, add, 80);

TICKREC_SIZE(TransStruct, 112);
TICKREC_AT(TransStruct, exchg, 0);
TICKREC_AT(TransStruct, code, 16);
TICKREC_AT(TransStruct, trading_date, 48);
TICKREC_AT(TransStruct, action_date, 52);
TICKREC_AT(TransStruct, action_time, 56);
TICKREC_AT(TransStruct, index, 64);
TICKREC_AT(TransStruct, ttype, 72);
TICKREC_AT(TransStruct, side, 76);
TICKREC_AT(TransStruct, price, 80);
TICKREC_AT(TransStruct, volume, 88);
TICKREC_AT(TransStruct, askorder, 96);
TICKREC_AT(TransStruct, bidorder, 104);

/* Records follow a 24-byte header at 8-aligned offsets (mappings are page-aligned). */
TICKREC_STATIC_ASSERT(TICKREC_RT_HEADER_BYTES % 8 == 0, "records must start 8-aligned");
TICKREC_STATIC_ASSERT(sizeof(TickStruct) % 8 == 0 && sizeof(BarStruct) % 8 == 0 && sizeof(TransStruct) % 8 == 0,
                      "record sizes keep every record 8-aligned");

/* ---- Helpers for readers ------------------------------------------------------ */

/* 1 when the block starts with the flag bytes, else 0. `bytes` must hold at least 8 bytes. */
static inline int tickrec_has_flag(const void *bytes) {
    static const unsigned char flag[TICKREC_BLOCK_FLAG_BYTES] = TICKREC_BLOCK_FLAG_INIT;
    return memcmp(bytes, flag, TICKREC_BLOCK_FLAG_BYTES) == 0;
}

/* Records published (step 2 of the read protocol): an acquire load of `size`.
 * `size` sits at offset 12 of a page-aligned mapping, so it is 4-aligned. */
static inline uint32_t tickrec_published(const RTDayBlockHeader *hdr) {
    return __atomic_load_n(&hdr->size, __ATOMIC_ACQUIRE);
}

/* Capacity the writer has published (step 4): load it after tickrec_published(). */
static inline uint32_t tickrec_capacity(const RTDayBlockHeader *hdr) {
    return __atomic_load_n(&hdr->capacity, __ATOMIC_ACQUIRE);
}

/* Bytes of a real-time file with room for `capacity` records of `record_bytes`. */
static inline uint64_t tickrec_rt_file_bytes(uint32_t capacity, size_t record_bytes) {
    return (uint64_t)TICKREC_RT_HEADER_BYTES + (uint64_t)capacity * (uint64_t)record_bytes;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TICKREC_H */

// Tests of RejectLog (src/reject-log.ts): exact counts per reason and rate-limited log lines, with an injected clock and a pino logger writing into an array.

import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { RejectLog } from '../../src/reject-log.js';

interface Line {
  level: number;
  msg: string;
  reason?: string;
  feed?: string;
  detail?: string;
  suppressed?: number;
}

function setup(intervalMs = 10_000) {
  const lines: Line[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const clock = { t: 1_000_000 };
  const rl = new RejectLog(log, intervalMs, () => clock.t);
  const summaries = () => lines.filter((l) => l.suppressed !== undefined);
  const firsts = () => lines.filter((l) => l.suppressed === undefined);
  return { lines, clock, rl, summaries, firsts };
}

describe('RejectLog', () => {
  it('a flood of 10,000 rejects at one instant: one line now, one summary after the interval', () => {
    const { lines, clock, rl, summaries } = setup();
    for (let i = 0; i < 10_000; i++) rl.reject('bad_price', `tick SHFE.rb2505: price #${i}`, 'sim');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, reason: 'bad_price', feed: 'sim', detail: 'tick SHFE.rb2505: price #0' });
    expect(rl.counts.get('bad_price')).toBe(10_000);
    expect(rl.total()).toBe(10_000);
    rl.flush(); // before the interval: nothing
    clock.t += 9_999;
    rl.flush();
    expect(lines).toHaveLength(1);
    clock.t += 1;
    rl.flush();
    expect(lines).toHaveLength(2);
    expect(summaries()[0]).toMatchObject({ reason: 'bad_price', suppressed: 9_999, detail: 'tick SHFE.rb2505: price #9999' });
    expect(summaries()[0]!.msg).toContain('9999 more');
    rl.flush();
    clock.t += 60_000;
    rl.flush(); // nothing new to summarize
    expect(lines).toHaveLength(2);
  });

  it('a flood spread over time: one line per interval plus summaries; lines + suppressed = rejects', () => {
    const { lines, clock, rl, summaries, firsts } = setup(1_000);
    for (let i = 0; i < 10_000; i++) {
      rl.reject('duplicate', `#${i}`, 'f');
      clock.t += 1; // 10 s in all
    }
    rl.flush();
    const logged = firsts().length;
    const suppressed = summaries().reduce((n, l) => n + l.suppressed!, 0);
    expect(logged).toBe(10); // at t = 0, 1000, ..., 9000
    expect(summaries()).toHaveLength(10);
    expect(logged + suppressed).toBe(10_000);
    for (const s of summaries()) expect(s.suppressed).toBe(999);
    expect(lines.length).toBe(20);
    expect(rl.counts.get('duplicate')).toBe(10_000);
  });

  it('each reason has its own window and exact count', () => {
    const { clock, rl, firsts, summaries } = setup();
    const want: Record<string, number> = { bad_price: 0, bad_name: 0, duplicate: 0, out_of_order: 0 };
    const reasons = Object.keys(want);
    for (let i = 0; i < 10_007; i++) {
      const r = reasons[(i * 7) % 4]!;
      want[r]!++;
      rl.reject(r, `d${i}`, 'x');
    }
    expect(Object.fromEntries(rl.counts)).toEqual(want);
    expect(rl.total()).toBe(10_007);
    expect(
      firsts()
        .map((l) => l.reason)
        .sort(),
    ).toEqual([...reasons].sort());
    clock.t += 10_000;
    rl.flush();
    expect(summaries()).toHaveLength(4);
    for (const s of summaries()) expect(s.suppressed).toBe(want[s.reason!]! - 1);
  });

  it('a reject after a quiet interval logs at once, with a summary of the previous window first', () => {
    const { lines, clock, rl } = setup();
    rl.reject('bad_date', 'a', 'f');
    rl.reject('bad_date', 'b', 'f');
    rl.reject('bad_date', 'c', 'f');
    clock.t += 10_000;
    rl.reject('bad_date', 'd', 'f');
    expect(lines.map((l) => [l.suppressed ?? null, l.detail])).toEqual([
      [null, 'a'],
      [2, 'c'],
      [null, 'd'],
    ]);
    // a single reject in a window leaves nothing to summarize
    clock.t += 10_000;
    rl.flush();
    rl.reject('bad_date', 'e', 'f');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ detail: 'e' });
  });
});

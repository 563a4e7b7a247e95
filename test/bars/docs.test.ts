// Docs that must not drift from the bar code: the rules in docs/bars.md, its example table, docs/sessions.md against the schema and the bundled file, the block types in docs/format.md.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BarEngine } from '../../src/bars/index.js';
import { SessionsFileSchema, tradingDateOf } from '../../src/calendar/index.js';
import { TickrecBlockType } from '../../src/format/index.js';
import { Collector, BUNDLED_SESSIONS, bundledSessions, tick } from './helpers/ticks.js';

const read = (p: string) => fs.readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

/** The lines of a source file's header comment from the line starting with `marker` to the end of its paragraph. */
function ruleBlock(file: string, marker: string): string[] {
  const lines = read(file).split('\n');
  const head: string[] = [];
  for (const l of lines) {
    if (!l.startsWith('//')) break;
    head.push(l.replace(/^\/\/ ?/, ''));
  }
  const start = head.findIndex((l) => l.startsWith(marker));
  if (start < 0) throw new Error(`${file}: no header line starting with ${marker}`);
  const end = head.findIndex((l, i) => i > start && l.trim() === '');
  return head.slice(start, end < 0 ? head.length : end);
}

describe('docs/bars.md', () => {
  const doc = read('docs/bars.md');

  it('carries the rules of the code word for word', () => {
    const blocks: [string, string][] = [
      ['src/bars/plan.ts', 'LABEL RULES'],
      ['src/bars/plan.ts', 'BUCKET RULE'],
      ['src/bars/engine.ts', 'RULES'],
      ['src/bars/closed.ts', 'FILE'],
      ['src/bars/live.ts', 'LIFECYCLE'],
    ];
    for (const [file, marker] of blocks) {
      const lines = ruleBlock(file, marker);
      expect(lines.length, `${file} ${marker}`).toBeGreaterThan(3);
      for (const line of lines) expect(doc, `docs/bars.md lacks the line of ${file}: ${line}`).toContain(line);
    }
  });

  it('its example table is what the engine does', () => {
    const rows = [
      ...doc.matchAll(
        /^\| (?:\w{3} )?(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?( UTC)?[^|]*\| (\w+)\.(\w+) \| (\d{12}|no bar[^|]*) \| (\d{8}|-) \|$/gm,
      ),
    ];
    expect(rows.length).toBe(8);
    const book = bundledSessions();
    for (const m of rows) {
      const date = Number(`${m[1]}${m[2]}${m[3]}`);
      const time = Number(m[4]) * 10000000 + Number(m[5]) * 100000 + Number(m[6]) * 1000 + Number(m[7] ?? 0);
      const [exchg, code] = [m[9]!, m[10]!];
      const c = new Collector();
      const e = new BarEngine({ sessions: book, emit: c.emit });
      const td = tradingDateOf(book.sessionOf(exchg, code)!, date, time, book.holidays);
      e.onTick(tick({ exchg, code, trading_date: td, action_date: date, action_time: time, price: 1, volume: 1 }));
      e.flush();
      const bars = c.get('min1', exchg, code);
      if (m[11]!.startsWith('no bar')) expect(bars, m[0]).toEqual([]);
      else
        expect(
          bars.map((b) => [b.time + 199000000000, b.date]),
          m[0],
        ).toEqual([[Number(m[11]), Number(m[12])]]);
    }
  });
});

describe('docs/format.md', () => {
  it("lists tickrec's block types with their numbers and folders, and the closed-event files", () => {
    const doc = read('docs/format.md');
    for (const [name, n] of Object.entries(TickrecBlockType)) {
      expect(doc).toMatch(new RegExp(`\\| ${n} \\| \`${name}\` \\| min${name.slice(6)} \\| \`rt/min${name.slice(6)}/\` \\|`));
    }
    expect(doc).toContain('rt/closed/<SESSION>.dmb');
  });
});

describe('docs/sessions.md', () => {
  const doc = read('docs/sessions.md');

  it('describes every key of the sessions file and of a session', () => {
    const sessionShape = (SessionsFileSchema.shape.sessions as unknown as { valueType: { shape: Record<string, unknown> } }).valueType
      .shape;
    for (const k of [...Object.keys(SessionsFileSchema.shape), ...Object.keys(sessionShape)])
      expect(doc, `key ${k}`).toContain(`| \`${k}\` |`);
  });

  it('its trading-date examples are what the rule gives', () => {
    const rows = [
      ...doc.matchAll(
        /^\| (?:\w{3} )?(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?: UTC)? \| (\w+) \([^)]*\) \| (?:\w{3} )?(\d{4})-(\d{2})-(\d{2})/gm,
      ),
    ];
    expect(rows.length).toBe(7);
    const book = bundledSessions();
    for (const m of rows) {
      const s = book.sessions.get(m[6]!)!;
      const td = tradingDateOf(s, Number(`${m[1]}${m[2]}${m[3]}`), Number(m[4]) * 10000000 + Number(m[5]) * 100000, book.holidays);
      expect(td, m[0]).toBe(Number(`${m[7]}${m[8]}${m[9]}`));
    }
  });

  it('its table of shipped sessions has the sections, auction and day_starts of the bundled file', () => {
    const json = JSON.parse(fs.readFileSync(BUNDLED_SESSIONS, 'utf8')) as {
      sessions: Record<string, { sections: string[][]; auction?: string[]; day_starts?: string }>;
    };
    for (const [name, s] of Object.entries(json.sessions)) {
      const row = new RegExp(`^\\| ${name} \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|`, 'm').exec(doc);
      expect(row, `row of ${name}`).not.toBeNull();
      expect(row![1]!.replace(' (UTC)', '').trim(), name).toBe(s.sections.map(([a, b]) => `${a}-${b}`).join(', '));
      expect(row![2]!.trim(), name).toBe(s.auction ? s.auction.join('-') : '-');
      expect(row![3]!.trim(), name).toBe(s.day_starts ?? '-');
    }
  });
});

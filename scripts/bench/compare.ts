// Before/after: runs benchmark suites of two commits interleaved (A B, B A, A B...) on this
// machine and prints each case's headline figure side by side, with the median over rounds.
//
//   npm run bench:compare -- --before <commit> [--after <commit>|HEAD] [--rounds 2] append recorder history-read
//
// Each commit is checked out into a temporary git worktree (node_modules linked from this
// repository, the native addon and dist/ built there), and each round runs every suite once
// per commit, alternating which goes first, so that a slow minute of a shared machine falls
// on both sides. The headline figure of a row is the first numeric column of the suite's text
// table (append: M rec/s; recorder: msg/s; history-read: median ms); rows are matched by
// their case name. The suites rewrite docs/benchmarks.md only inside their worktrees.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './common.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface Args {
  before: string;
  after: string;
  rounds: number;
  suites: string[];
}

function usage(msg: string): never {
  console.error(`bench:compare: ${msg}\nusage: npm run bench:compare -- --before <commit> [--after <commit>] [--rounds N] <suite>...`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { before: '', after: 'HEAD', rounds: 2, suites: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    if (v === '--before' || v === '--after' || v === '--rounds') {
      const next = argv[++i];
      if (next === undefined) usage(`${v} needs a value`);
      if (v === '--rounds') {
        a.rounds = Number(next);
        if (!Number.isInteger(a.rounds) || a.rounds < 1) usage(`--rounds ${next}: give a whole number ≥ 1`);
      } else a[v === '--before' ? 'before' : 'after'] = next;
    } else if (v.startsWith('-')) usage(`unknown option ${v}`);
    else a.suites.push(v);
  }
  if (a.before === '') usage('--before <commit> is required');
  if (a.suites.length === 0) usage('name at least one suite (append, recorder, history-read, ...)');
  return a;
}

function git(args: string[], cwd = REPO): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/** A detached worktree of `commit`, built and ready to run its benchmarks. */
function prepare(commit: string, base: string, label: string): string {
  const sha = git(['rev-parse', '--verify', `${commit}^{commit}`]);
  const dir = path.join(base, label);
  git(['worktree', 'add', '--quiet', '--detach', dir, sha]);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  const step = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0)
      throw new Error(`${label} (${sha.slice(0, 7)}): \`${cmd} ${args.join(' ')}\` failed in ${dir}:\n${r.stderr.slice(-2000)}`);
  };
  step('npx', ['node-gyp', 'rebuild', '--directory=native/fs']);
  step('npm', ['run', 'build', '--silent']);
  console.log(`${label}: ${sha.slice(0, 7)} ${git(['log', '-1', '--format=%s', sha]).slice(0, 80)} (${dir})`);
  return dir;
}

/** Case name → headline figure, from a suite's text table in the runner's output. */
function headlines(out: string, suite: string): Map<string, number> {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`== ${suite}:`));
  const rows = new Map<string, number>();
  if (start < 0) return rows;
  let i = lines.findIndex((l, k) => k > start && /^-+( {2}-+)+$/.test(l));
  if (i < 0) return rows;
  for (i++; i < lines.length && lines[i]!.trim() !== '' && !lines[i]!.startsWith('('); i++) {
    const cells = lines[i]!.split(/ {2,}/).map((c) => c.trim());
    const name = cells[0]!;
    const figure = cells.slice(1).find((c) => /^\d[\d.]*( ?k)?$/.test(c));
    if (figure === undefined) continue;
    rows.set(name, parseFloat(figure) * (figure.endsWith('k') ? 1000 : 1));
  }
  return rows;
}

function runSuite(dir: string, suite: string): Map<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/index.ts', suite], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: process.env,
  });
  if (r.status !== 0) throw new Error(`${suite} in ${dir} exited ${r.status}:\n${r.stderr.slice(-2000)}`);
  return headlines(r.stdout, suite);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-compare-'));
  const sides = [
    { label: 'before', dir: '' },
    { label: 'after', dir: '' },
  ];
  try {
    sides[0]!.dir = prepare(args.before, base, 'before');
    sides[1]!.dir = prepare(args.after, base, 'after');
    // figures[suite][case][side] = one figure per round
    const figures = new Map<string, Map<string, [number[], number[]]>>();
    for (let round = 0; round < args.rounds; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const suite of args.suites) {
        for (const s of order) {
          const load = os.loadavg()[0]!.toFixed(1);
          const rows = runSuite(sides[s]!.dir, suite);
          console.log(`round ${round + 1}/${args.rounds} ${suite} ${sides[s]!.label}: ${rows.size} rows (load ${load})`);
          const bySuite = figures.get(suite) ?? new Map<string, [number[], number[]]>();
          figures.set(suite, bySuite);
          for (const [name, v] of rows) {
            const cell = bySuite.get(name) ?? [[], []];
            cell[s]!.push(v);
            bySuite.set(name, cell);
          }
        }
      }
    }
    console.log('\n| suite | case | before (median) | after (median) | after/before | before runs | after runs |');
    console.log('|---|---|---:|---:|---:|---|---|');
    for (const [suite, rows] of figures) {
      for (const [name, [b, a]] of rows) {
        const mb = b.length > 0 ? median(b) : NaN;
        const ma = a.length > 0 ? median(a) : NaN;
        const fmt = (v: number) => (Number.isNaN(v) ? 'n/a' : v >= 1000 ? Math.round(v).toLocaleString('en-US') : String(+v.toFixed(3)));
        const ratio = Number.isNaN(mb) || Number.isNaN(ma) ? 'n/a' : (ma / mb).toFixed(3);
        console.log(`| ${suite} | ${name} | ${fmt(mb)} | ${fmt(ma)} | ${ratio} | ${b.map(fmt).join(' ')} | ${a.map(fmt).join(' ')} |`);
      }
    }
  } finally {
    for (const s of sides) if (s.dir !== '') spawnSync('git', ['worktree', 'remove', '--force', s.dir], { cwd: REPO });
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main();

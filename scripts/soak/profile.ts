// Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time, for the soak's bottleneck report.

import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The top `n` functions by self samples, one line each: share, name, file:line. */
export function summarizeProfile(file: string, n: number): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of p.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const cf = node.callFrame;
    const where = cf.url ? `${path.basename(cf.url.replace(/^file:\/\//, ''))}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where ? ` (${where})` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
  }
  // who calls the hottest functions: self samples by caller, for the first few
  const parent = new Map<number, ProfileNode>();
  for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node);
  const name = (node: ProfileNode | undefined) => {
    if (!node) return '(root)';
    const cf = node.callFrame;
    return `${cf.functionName || '(anonymous)'}${cf.url ? ` (${path.basename(cf.url.replace(/^file:\/\//, ''))}:${cf.lineNumber + 1})` : ''}`;
  };
  const callers = new Map<string, Map<string, number>>();
  for (const node of p.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const k = name(node);
    let m = callers.get(k);
    if (!m) callers.set(k, (m = new Map()));
    // the first caller outside Node's own modules (fs.fsyncSync is not an answer)
    let up = parent.get(node.id);
    for (let i = 0; i < 6 && up && (up.callFrame.url.startsWith('node:') || /mmap-io/.test(up.callFrame.url)); i++) up = parent.get(up.id);
    const c = name(up);
    m.set(c, (m.get(c) ?? 0) + hits);
  }
  const top = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return top
    .map(([k, v], i) => {
      const line = `${((v / Math.max(1, total)) * 100).toFixed(1).padStart(5)}%  ${k}`;
      if (i >= 8) return line;
      const by = [...(callers.get(k) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]).slice(0, 2);
      return `${line}${by.length ? `  <- ${by.map(([c, h]) => `${c} ${Math.round((h / Math.max(1, v)) * 100)}%`).join(', ')}` : ''}`;
    })
    .join('\n');
}

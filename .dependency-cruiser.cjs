/** Layer rules of docs/architecture.md, held by dependency-cruiser in `npm run lint`; the table is scripts/lint/layers.cjs. */
const { LAYERS, BASE } = require('./scripts/lint/layers.cjs');

const alt = (names) => names.map((n) => n.replace(/[.-]/g, (c) => `\\${c}`)).join('|');
const base = `^src/(${alt(BASE)})\\.ts$`;
/** The modules of a row: a folder's files, or src/index.ts for 'index'. */
const modules = (name) => (name === 'index' ? '^src/index\\.ts$' : `^src/${name}/`);
const folders = Object.keys(LAYERS).filter((n) => n !== 'index');

const layerRules = Object.entries(LAYERS).map(([name, allowed]) => ({
  name: `layer-${name}`,
  severity: 'error',
  comment: `${name} may import only ${allowed.length ? allowed.join(', ') : 'nothing of tickrec'} and the base (docs/architecture.md, Layers)`,
  from: { path: modules(name) },
  to: { path: '^src/', pathNot: [modules(name), base, ...allowed.map(modules)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module may depend on itself through others.',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'base-imports-base',
      severity: 'error',
      comment: 'The base modules at the top of src/ import only each other (docs/architecture.md, Layers).',
      from: { path: base },
      to: { path: '^src/', pathNot: base },
    },
    {
      name: 'layer-table-complete',
      severity: 'error',
      comment: 'Every module of src/ is in a folder of the layer table, or is the base or src/index.ts (scripts/lint/layers.cjs).',
      from: { path: '^src/', pathNot: [base, modules('index'), ...folders.map(modules)] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

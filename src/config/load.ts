// Loading a config file: JSON, ${ENV} substitution, schema validation with errors that
// name the key and the expected value, relative paths resolved against the file.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TickrecError } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';

/** The bundled config folder (…/config next to dist/ and src/). */
export const BUNDLED_CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config');

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces ${NAME} in every string of `value` from `env`; a missing variable is an error naming the key. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, where: string, keyPath: (string | number)[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        throw new TickrecError(
          'E_CONFIG',
          `${where}: ${formatPath(keyPath)}: environment variable ${name} is not set; export it or change the value.`,
          {
            file: where,
          },
        );
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, where, [...keyPath, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, where, [...keyPath, k]);
    return out;
  }
  return value;
}

export function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(top level)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

/** Validates a parsed config object. `where` names its source in errors. */
export function parseConfig(json: unknown, where: string, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): Config {
  const withEnv = substituteEnv(json, env, where);
  const r = ConfigSchema.safeParse(withEnv);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 5).map((i) => `  ${formatPath(i.path)}: ${i.message}`);
    throw new TickrecError(
      'E_CONFIG',
      `${where}: invalid configuration:\n${lines.join('\n')}\nSee the configuration reference in README.md.`,
      {
        file: where,
      },
    );
  }
  const c = r.data;
  c.root = path.resolve(baseDir, c.root);
  const inst = c.instruments;
  if (inst.wondertrader !== undefined) inst.wondertrader = path.resolve(baseDir, inst.wondertrader);
  if (inst.binance_exchange_info !== undefined) inst.binance_exchange_info = path.resolve(baseDir, inst.binance_exchange_info);
  inst.file = inst.file === undefined ? path.join(BUNDLED_CONFIG_DIR, 'instruments.json') : path.resolve(baseDir, inst.file);
  // With a WonderTrader folder and no sessions file, the sessions and holidays are WonderTrader's.
  if (c.sessions !== undefined) c.sessions = path.resolve(baseDir, c.sessions);
  else if (inst.wondertrader === undefined) c.sessions = path.join(BUNDLED_CONFIG_DIR, 'sessions.json');
  const nats = c.publish?.nats;
  if (nats) {
    if (nats.creds_file !== undefined) nats.creds_file = path.resolve(baseDir, nats.creds_file);
    for (const k of ['ca_file', 'cert_file', 'key_file'] as const) {
      const f = nats.tls?.[k];
      if (f !== undefined) nats.tls![k] = path.resolve(baseDir, f);
    }
  }
  return c;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: cannot read the configuration (${(err as Error).message}).`, { file, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: not valid JSON (${(err as Error).message}).`, { file, cause: err });
  }
  return parseConfig(json, file, env, path.dirname(path.resolve(file)));
}

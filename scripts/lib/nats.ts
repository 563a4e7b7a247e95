// Real nats-server processes for the bus tests and the bus benchmark: one JetStream node,
// or a cluster of N with routes, all on 127.0.0.1 free ports, store dirs in a temp dir.
// Nodes can be killed (SIGKILL) and started again on the same ports and store.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sleep, waitFor } from './wait.js';

/** Debian's nats-server; NATS_SERVER overrides. */
export const NATS_SERVER = process.env['NATS_SERVER'] ?? '/usr/sbin/nats-server';

export function natsServerAvailable(): boolean {
  return fs.existsSync(NATS_SERVER);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export class NatsNode {
  proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  log = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly clusterPort: number,
    readonly httpPort: number,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  start(): void {
    if (this.proc) return;
    const p = spawn(NATS_SERVER, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d: string) => {
      this.log = (this.log + d).slice(-20_000);
    });
    this.exited = new Promise((r) => p.once('close', () => r()));
    p.once('close', () => {
      if (this.proc === p) this.proc = undefined;
    });
    this.proc = p;
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill('SIGKILL');
    await this.exited;
    this.proc = undefined;
  }

  /** Answers /healthz (with JetStream current) within the timeout. */
  async ready(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${this.httpPort}/healthz`).catch(() => undefined);
        return r?.ok === true;
      },
      `nats-server ${this.name} healthy on ${this.url}`,
      { timeoutMs, intervalMs: 100, describe: () => this.log.slice(-2000) },
    );
  }
}

export class NatsCluster {
  private constructor(
    readonly nodes: NatsNode[],
    readonly dir: string,
  ) {}

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Starts `size` nodes (1: a single JetStream server without a cluster block) and waits until healthy. */
  static async start(dir: string, size = 3): Promise<NatsCluster> {
    const ports = await Promise.all(Array.from({ length: size * 3 }, () => freePort()));
    const nodes: NatsNode[] = [];
    for (let i = 0; i < size; i++) {
      const name = `n${i + 1}`;
      const [port, cport, hport] = [ports[i * 3]!, ports[i * 3 + 1]!, ports[i * 3 + 2]!];
      const store = path.join(dir, name);
      fs.mkdirSync(store, { recursive: true });
      const routes =
        nodes.length === 0 && size === 1 ? [] : Array.from({ length: size }, (_, j) => `nats-route://127.0.0.1:${ports[j * 3 + 1]}`);
      const conf = [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${port}`,
        `http: 127.0.0.1:${hport}`,
        `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 1GB }`,
        ...(size > 1 ? [`cluster { name: tickrec-test, listen: 127.0.0.1:${cport}, routes: [${routes.join(', ')}] }`] : []),
      ].join('\n');
      const file = path.join(dir, `${name}.conf`);
      fs.writeFileSync(file, conf + '\n');
      nodes.push(new NatsNode(name, port, cport, hport, file));
    }
    const c = new NatsCluster(nodes, dir);
    for (const n of nodes) n.start();
    await Promise.all(nodes.map((n) => n.ready()));
    await sleep(size > 1 ? 500 : 0); // meta leader election after the routes are up
    return c;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes) n.start();
    await Promise.all(this.nodes.map((n) => n.ready()));
  }
}

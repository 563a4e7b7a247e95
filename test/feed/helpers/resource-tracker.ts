// Tracks the timers, immediates and sockets created by code run inside track().run(), directly or from its callbacks, to prove none outlive stop().

import { AsyncLocalStorage, createHook } from 'node:async_hooks';

const KINDS = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'TCPCONNECTWRAP', 'TLSWRAP']);

export interface ResourceTracker {
  /** Runs `fn` so that everything it creates, now or from later callbacks, is tracked. */
  run<T>(fn: () => T): T;
  /** Tracked resources not yet destroyed, as 'Kind#asyncId'. */
  alive(): string[];
  disable(): void;
}

export function trackResources(): ResourceTracker {
  const token = {};
  const als = new AsyncLocalStorage<object>();
  const live = new Map<number, string>();
  const hook = createHook({
    init(asyncId, type) {
      if (KINDS.has(type) && als.getStore() === token) live.set(asyncId, type);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  });
  hook.enable();
  return {
    run: (fn) => als.run(token, fn),
    alive: () => [...live].map(([id, type]) => `${type}#${id}`),
    disable: () => hook.disable(),
  };
}

import type { AppDeps } from '../http/deps.ts';

/** Runs the named jobs on their intervals (one instance at a time across processes). */
export interface Scheduler {
  start(): void;
  stop(): Promise<void>;
}

export function createScheduler(_deps: AppDeps): Scheduler {
  return { start: () => undefined, stop: async () => undefined };
}

import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';

/**
 * The ingestion pipeline as the server sees it: its routes (/collect, /collect.gif) and its
 * lifecycle. `stop` stops intake and returns once every accepted event is durable.
 */
export interface IngestService {
  routes: Hono;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIngestService(_deps: AppDeps): IngestService {
  return { routes: new Hono(), start: async () => undefined, stop: async () => undefined };
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Identifies this process in job_state / job_runs (host:pid:random). */
export function instanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

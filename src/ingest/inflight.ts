import type { Gauge } from 'prom-client';

/**
 * Bounds memory: rows accepted by /collect and not yet durable. Past the cap a request is refused
 * whole with 503 + Retry-After before anything of it is queued, so nothing of it is stored.
 */
export class InflightRows {
  rows = 0;

  constructor(
    private readonly max: number,
    private readonly gauge: Pick<Gauge, 'set'>,
  ) {}

  /** Reserves room for `rows`; false means "overloaded". */
  tryReserve(rows: number): boolean {
    if (this.rows + rows > this.max) return false;
    this.rows += rows;
    this.gauge.set(this.rows);
    return true;
  }

  release(rows: number): void {
    this.rows -= rows;
    this.gauge.set(this.rows);
  }
}

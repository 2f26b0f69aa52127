import { connect, type Socket } from 'node:net';
import type { BenchRequest } from './traffic.ts';

/**
 * An open-loop load generator: requests leave on a fixed schedule (`rate` per second, evenly
 * spaced), whatever the server's answers, and each latency runs from the request's *scheduled*
 * time to the end of its answer — so a stall on either side is counted for every request due
 * during it (coordinated omission, as wrk2 corrects it).
 *
 * Why not autocannon's `overallRate`: each of its connections sends its share of a second's
 * requests back to back as soon as the second starts, then idles until the next one. At 5,000/s
 * over 600 connections that is a burst of saturation at the top of every second, not 5,000/s.
 * Its latency histogram then records each response with an "expected interval" of
 * ceil(1 / per-connection rate) = 1 ms, which back-fills a 300 ms answer with 299 made-up samples
 * (HdrHistogram's recordValueWithExpectedInterval), weighting slow answers by their length.
 *
 * HTTP/1.1 over keep-alive sockets opened before the schedule starts, requests serialised once,
 * answers parsed only as far as status and length: node:http's client cost this 2-core machine
 * about twice the CPU per request, which the server under test then lacked.
 */
export interface OpenLoopResult {
  /** Seconds of schedule, lead-in included. Counts (2xx, errors…) cover all of it; latencies only what follows the lead-in. */
  span: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number; max: number };
  /** How late the generator itself sent (its event loop, or every connection busy). */
  sendLag: { p99: number; max: number };
  /** p99 latency of each second of the schedule, the lead-in's first. */
  p99BySecond: number[];
}

/** Requests still unanswered this long after the schedule ended count as timeouts. */
const DRAIN_MS = 10_000;

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection, one request at a time. */
class Connection {
  private pending: Buffer = Buffer.alloc(0);
  private onAnswer: ((status: number) => void) | undefined;

  /** Closed (by either side): never handed out again. */
  dead = false;

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => this.fail());
    socket.on('close', () => this.fail());
  }

  send(request: Buffer, onAnswer: (status: number) => void): void {
    this.onAnswer = onAnswer;
    this.socket.write(request);
  }

  private fail(): void {
    this.dead = true;
    this.socket.destroy();
    const cb = this.onAnswer;
    this.onAnswer = undefined;
    cb?.(0);
  }

  /** Answers carry Content-Length (Hono's JSON answers do); chunked ones are not needed here. */
  private read(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = this.pending.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.pending.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.pending.length < end + 4 + length) return;
    this.pending = this.pending.subarray(end + 4 + length);
    const cb = this.onAnswer;
    this.onAnswer = undefined;
    cb?.(Number(head.slice(9, 12)));
  }
}

/**
 * Runs `leadInSeconds` then `seconds` of schedule. The lead-in (as wrk2's calibration period) is
 * sent and answered like the rest but left out of the latency figures: the first second on fresh
 * connections after a different workload measured 78–221 ms p99 against 26–90 for the others.
 */
export async function openLoop(
  base: string,
  requests: readonly BenchRequest[],
  opts: { rate: number; seconds: number; leadInSeconds: number; connections: number; pick: () => number },
): Promise<OpenLoopResult> {
  const url = new URL(base);
  const wire = requests.map((r) => {
    const body = Buffer.from(r.body);
    // Host and length are ours (autocannon adds a Content-Length to the header objects it is given).
    const own = Object.entries(r.headers).filter(([k]) => !/^(host|content-length)$/i.test(k));
    const headers = [...own, ['host', url.host], ['content-length', String(body.length)]].map(([k, v]) => `${k}: ${v}\r\n`).join('');
    return Buffer.concat([Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${headers}\r\n`, 'latin1'), body]);
  });

  const idle: Connection[] = [];
  await Promise.all(
    Array.from(
      { length: opts.connections },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
            idle.push(new Connection(socket));
            resolve();
          });
          socket.once('error', reject);
        }),
    ),
  );
  const all = [...idle];

  const span = opts.leadInSeconds + opts.seconds;
  const total = Math.round(opts.rate * span);
  const firstMeasured = Math.round(opts.rate * opts.leadInSeconds);
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  const bySecond: number[][] = Array.from({ length: Math.ceil(span) }, () => []);
  const result: OpenLoopResult = { span, '2xx': 0, non2xx: 0, errors: 0, timeouts: 0, latency: { p50: NaN, p99: NaN, max: NaN }, sendLag: { p99: NaN, max: NaN }, p99BySecond: [] };
  let answered = 0;
  let settled = 0;
  let lagged = 0;
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => (allSettled = resolve));
  /** Scheduled requests waiting for a free connection (each keeps its scheduled time). */
  const backlog: { index: number; scheduled: number }[] = [];

  const fire = (connection: Connection, index: number, scheduled: number) => {
    lags[lagged++] = performance.now() - scheduled;
    connection.send(wire[Math.floor(opts.pick() * wire.length)]!, (status) => {
      const ms = performance.now() - scheduled;
      if (status >= 200 && status < 300) {
        result['2xx']++;
        if (index >= firstMeasured) latencies[answered++] = ms;
        bySecond[Math.min(bySecond.length - 1, Math.floor(index / opts.rate))]!.push(ms);
      } else if (status === 0) result.errors++;
      else result.non2xx++;
      if (!connection.dead) {
        const next = backlog.shift();
        if (next) fire(connection, next.index, next.scheduled);
        else idle.push(connection);
      }
      if (++settled === total) allSettled();
    });
  };

  const start = performance.now();
  const interval = 1000 / opts.rate;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      for (; sent < due; sent++) {
        const scheduled = start + sent * interval;
        // First in, first out: every connection stays busy enough that no keep-alive timeout closes it.
        let connection = idle.shift();
        while (connection?.dead) connection = idle.shift();
        if (connection) fire(connection, sent, scheduled);
        else backlog.push({ index: sent, scheduled });
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
  result.timeouts = total - settled;
  for (const c of all) c.socket.destroy();

  const sorted = (xs: Float64Array, n: number) => xs.slice(0, n).sort();
  const lat = sorted(latencies, answered);
  result.latency = { p50: Math.round(percentile(lat, 50)), p99: Math.round(percentile(lat, 99)), max: Math.round(percentile(lat, 100)) };
  const lag = sorted(lags, lagged);
  result.sendLag = { p99: Math.round(percentile(lag, 99)), max: Math.round(percentile(lag, 100)) };
  result.p99BySecond = bySecond.map((xs) => Math.round(percentile(Float64Array.from(xs).sort(), 99)));
  return result;
}

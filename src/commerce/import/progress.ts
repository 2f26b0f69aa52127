/**
 * Import progress on stderr: on a terminal a redrawn bar with rows/s and ETA; otherwise a plain
 * line every few seconds, for logs. The total is estimated from the rows parsed so far and the
 * share of the file's bytes they took; the bar shows rows written (loaded + rejected) against
 * it, so parsing ahead of the database does not make the bar run ahead.
 */
export interface Progress {
  bytes(n: number): void;
  rows(loaded: number, rejected: number, parsed: number): void;
  done(): void;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function createProgress(label: string, totalBytes: number, stream: NodeJS.WriteStream = process.stderr, intervalMs?: number): Progress {
  const tty = Boolean(stream.isTTY);
  const every = intervalMs ?? (tty ? 100 : 5000);
  const start = performance.now();
  let read = 0;
  let loaded = 0;
  let rejected = 0;
  let parsed = 0;
  let last = 0;
  const render = (final: boolean) => {
    const now = performance.now();
    if (!final && now - last < every) return;
    last = now;
    const seconds = (now - start) / 1000;
    const rate = seconds > 0 ? loaded / seconds : 0;
    const readShare = totalBytes > 0 ? Math.min(1, read / totalBytes) : 1;
    const estimatedRows = readShare > 0 && parsed > 0 ? parsed / readShare : Number.NaN;
    const doneRows = loaded + rejected;
    const share = final ? 1 : Number.isFinite(estimatedRows) ? Math.min(1, doneRows / estimatedRows) : 0;
    const eta = rate > 0 ? (estimatedRows - doneRows) / rate : Number.NaN;
    const stats = `${loaded.toLocaleString('en-US')} rows${rejected ? `, ${rejected} rejected` : ''} · ${Math.round(rate).toLocaleString('en-US')} rows/s`;
    if (tty) {
      const width = 24;
      const filled = Math.round(share * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${stats} · ETA ${final ? '00:00' : duration(eta)}\x1b[K${final ? '\n' : ''}`);
    } else {
      stream.write(`${label}: ${(share * 100).toFixed(1)}% ${stats} · elapsed ${duration(seconds)}${final ? '' : ` · ETA ${duration(eta)}`}\n`);
    }
  };
  return {
    bytes(n) {
      read = n;
      render(false);
    },
    rows(l, r, p) {
      loaded = l;
      rejected = r;
      parsed = p;
      render(false);
    },
    done() {
      render(true);
    },
  };
}

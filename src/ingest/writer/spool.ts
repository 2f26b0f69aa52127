import { crc32 } from 'node:zlib';
import { appendFile, mkdir, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.ts';
import type { PreparedEvent } from '../tables.ts';

/** Events PostgreSQL refused on replay, one JSON line each (quarantine.ts lists and retries them). */
export const QUARANTINE_FILE = 'rejected.ndjson';

/**
 * The local spool: where accepted events go while PostgreSQL is unreachable, so the 202 can still
 * mean "durable". Append-only segment files of lines `crc32hex<space>json-array-of-events\n`,
 * fdatasync'ed before append() resolves. A crash mid-write leaves a torn last line whose checksum
 * (or JSON) fails: it is skipped on replay — its request never got a 202, as the fsync had not
 * returned. Segments are replayed oldest first and deleted only after every line committed;
 * a replay that stops half-way repeats lines, which the idempotency keys make harmless.
 */
export class Spool {
  private current: { handle: FileHandle; path: string } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private counter = 0;
  events = 0;
  bytes = 0;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly onChange: (events: number, bytes: number) => void = () => undefined,
  ) {}

  /** Creates the folder and counts what a previous process left behind. */
  async init(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      // Not fatal: Tally still ingests while PostgreSQL is up; an outage then answers 503.
      this.logger.error({ err: error, dir: this.dir }, 'spool folder unusable');
      return;
    }
    let events = 0;
    let bytes = 0;
    for (const file of await this.segments()) {
      const { records, size } = await this.read(file);
      bytes += size;
      for (const r of records) events += r.length;
    }
    this.events = events;
    this.bytes = bytes;
    this.onChange(events, bytes);
  }

  async segments(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.spool')).sort().map((n) => join(this.dir, n));
  }

  /** Serialises appends and rotations (one writer per segment, lines never interleave). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Appends one batch and fsyncs it; resolves only once the bytes are on disk. */
  append(events: readonly PreparedEvent[]): Promise<void> {
    return this.serial(async () => {
      const json = JSON.stringify(events);
      const line = `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
      if (!this.current) {
        await mkdir(this.dir, { recursive: true });
        // zero-padded ms + pid + counter: lexical order is write order within a process
        const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${String(this.counter++).padStart(6, '0')}.spool`;
        const path = join(this.dir, name);
        this.current = { handle: await open(path, 'a'), path };
      }
      const buf = Buffer.from(line);
      await this.current.handle.write(buf);
      await this.current.handle.datasync();
      this.events += events.length;
      this.bytes += buf.length;
      this.onChange(this.events, this.bytes);
    });
  }

  /** Closes the open segment so that the next append starts a new one (before a replay). */
  rotate(): Promise<void> {
    return this.serial(async () => {
      const c = this.current;
      this.current = undefined;
      if (c) await c.handle.close();
    });
  }

  private async read(path: string): Promise<{ records: PreparedEvent[][]; size: number }> {
    const text = await readFile(path, 'utf8').catch(() => '');
    const records: PreparedEvent[][] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line) continue;
      const space = line.indexOf(' ');
      const json = line.slice(space + 1);
      if (space !== 8 || crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) {
        this.logger.warn({ path, line: i + 1 }, 'spool: skipping a torn or corrupt record');
        continue;
      }
      records.push(JSON.parse(json) as PreparedEvent[]);
    }
    return { records, size: Buffer.byteLength(text) };
  }

  /**
   * Replays every closed segment, oldest first, through `write` (which commits a batch).
   * Throws when `write` throws (PostgreSQL gone again): the segment stays and is retried whole.
   */
  async replay(write: (events: PreparedEvent[]) => Promise<void>): Promise<number> {
    // Close the open segment and list, in one serial step: later appends go to segments that
    // this replay neither reads nor deletes.
    const closed = await this.serial(async () => {
      const c = this.current;
      this.current = undefined;
      if (c) await c.handle.close();
      return this.segments();
    });
    let replayed = 0;
    for (const path of closed) {
      const { records } = await this.read(path);
      for (const batch of records) {
        await write(batch);
        replayed += batch.length;
      }
      const size = await stat(path).then((s) => s.size).catch(() => 0);
      await unlink(path).catch(() => undefined);
      this.events = Math.max(0, this.events - records.reduce((n, r) => n + r.length, 0));
      this.bytes = Math.max(0, this.bytes - size);
      this.onChange(this.events, this.bytes);
      this.logger.info({ path, events: records.length }, 'spool: segment replayed');
    }
    return replayed;
  }

  /** Where events PostgreSQL refused on replay are kept for the operator (never replayed). */
  get rejectedPath(): string {
    return join(this.dir, QUARANTINE_FILE);
  }

  /**
   * Sets aside one event that PostgreSQL refuses for what it is (a constraint or type error, not
   * an outage): left in the spool it would block every later record forever. It is appended,
   * with the error, to rejected.ndjson and fsynced, so nothing accepted is silently lost.
   */
  async reject(event: PreparedEvent, error: unknown): Promise<void> {
    const line = `${JSON.stringify({ rejectedAt: new Date().toISOString(), error: String((error as Error)?.message ?? error), event })}\n`;
    await appendFile(this.rejectedPath, line, { flush: true });
    this.logger.error({ err: error, eventId: event.eventId, table: event.table, file: this.rejectedPath }, 'spool: PostgreSQL refused an event on replay; set aside');
  }

  async close(): Promise<void> {
    await this.rotate();
  }
}

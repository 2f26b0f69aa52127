import { escapeLiteral } from 'pg';

/**
 * Round-trip-free transport for the write transaction.
 *
 * Under load the Node event loop that answers HTTP requests also reads PostgreSQL's replies, so
 * every round trip of a write transaction waits one loop turn (several milliseconds with
 * hundreds of connections). A batch used to take 7–13 of them (BEGIN, keys, locks, upsert, two
 * per COPY, COMMIT): 60–155 ms per transaction for ~250 events in `npm run bench:ingest`, while
 * PostgreSQL's own CPU for it was under 25 ms. PostgreSQL's simple-query protocol runs several
 * statements sent as one message, COPY … FROM STDIN among them, and reads each COPY's data from
 * the messages that follow, so a whole step can go out in one write and come back in one reply.
 * The simple protocol has no bind parameters: `inlineParams` turns a builder's `{text, values}`
 * into literals with node-postgres' own `escapeLiteral`, keeping the `$n::type` casts.
 */

const NEEDS_ESCAPE = /[\\"]/;

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const s = value instanceof Date ? value.toISOString() : String(value);
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${s}"`;
}

/** A parameter as an SQL literal (arrays as array literals, e.g. '{"a","b"}'). */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return escapeLiteral(`{${value.map(arrayElement).join(',')}}`);
  if (value instanceof Date) return escapeLiteral(value.toISOString());
  if (Buffer.isBuffer(value)) return escapeLiteral(`\\x${value.toString('hex')}`);
  return escapeLiteral(String(value));
}

/** `{text, values}` as one statement without parameters ($n → literal; the casts stay). */
export function inlineParams(query: { text: string; values?: readonly unknown[] }): string {
  const values = query.values ?? [];
  return query.text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i >= values.length) throw new Error(`inlineParams: no value for $${n}`);
    return sqlLiteral(values[i]);
  });
}

/** The part of node-postgres' Connection a submittable writes to (not in @types/pg). */
interface WireConnection {
  stream: { cork(): void; uncork(): void };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** CopyData messages stay well below PostgreSQL's 1 GB message limit and the socket's buffer. */
const COPY_MESSAGE_BYTES = 1 << 20;

/**
 * A multi-statement simple query whose COPY … FROM STDIN statements get their data in the same
 * write: `payloads[i]` is the COPY text of the i-th COPY statement in `text`. Resolves with the
 * command tags ("COPY 42", "COMMIT") once PostgreSQL is ready again; rejects with the first error
 * (PostgreSQL then skips the rest of the message and drops the COPY data still in the pipe, per
 * the protocol, so the connection stays in step).
 */
export class CopyScript {
  readonly done: Promise<string[]>;
  private readonly tags: string[] = [];
  private settle!: { resolve: (tags: string[]) => void; reject: (error: Error) => void };

  constructor(
    private readonly text: string,
    private readonly payloads: readonly Buffer[],
  ) {
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  /** Called by node-postgres when the client is free. */
  submit(connection: unknown): void {
    const wire = connection as WireConnection;
    wire.stream.cork();
    wire.query(this.text);
    for (const payload of this.payloads) {
      for (let at = 0; at < payload.length; at += COPY_MESSAGE_BYTES) wire.sendCopyFromChunk(payload.subarray(at, at + COPY_MESSAGE_BYTES));
      wire.endCopyFrom();
    }
    wire.stream.uncork();
  }

  // node-postgres replaces this with its query_timeout hook when one is configured.
  callback(): void {}

  handleCopyInResponse(): void {
    // The data went out with the query.
  }

  handleCommandComplete(message: { text: string }): void {
    this.tags.push(message.text);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}

  handleReadyForQuery(): void {
    this.callback();
    this.settle.resolve(this.tags);
  }

  handleError(error: Error): void {
    this.callback();
    this.settle.reject(error);
  }
}

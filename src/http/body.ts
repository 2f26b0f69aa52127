import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** The Node request behind a Hono context on @hono/node-server; undefined under app.request(). */
function incomingOf(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming;
}

/** Reads a Node request body up to `maxBytes`; null (and the rest left unread) when it is larger. */
function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        // Node discards what is left of the body once the response is sent.
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => {
      done();
      if (incoming.complete) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      else reject(new Error('client closed the connection before the body was complete'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/**
 * The request body as text, or null when it exceeds `maxBytes` (whether announced by
 * Content-Length or not). On @hono/node-server this reads the Node stream directly: Hono's
 * bodyLimit middleware reaches for `c.req.raw.body`, which makes the adapter build a full WHATWG
 * Request, ReadableStream and AbortController per request — 15 % of /collect's CPU and much of
 * its garbage in a profile of `npm run bench:ingest` (docs/benchmarks.md).
 */
export async function readBodyText(c: Context, maxBytes: number): Promise<string | null> {
  const incoming = incomingOf(c);
  if (!incoming || incoming.readableDidRead) {
    const text = await c.req.text();
    return Buffer.byteLength(text) > maxBytes ? null : text;
  }
  const buffer = await readIncoming(incoming, maxBytes);
  return buffer === null ? null : buffer.toString('utf8');
}

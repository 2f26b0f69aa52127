import { createReadStream } from 'node:fs';

/**
 * Streams a file as lines with their 1-based numbers, in constant memory: `for await` over the
 * read stream pauses it while the consumer (the database writer) is busy, so a file of millions
 * of rows never sits in memory. Reports the bytes of the lines handed out so far (not of the
 * read-ahead), for the progress bar's estimate of the total.
 */
export async function* readLines(path: string, onBytes?: (bytes: number) => void): AsyncGenerator<{ line: number; text: string }> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let rest = '';
  let line = 0;
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) {
      line += 1;
      bytes += Buffer.byteLength(part) + 1;
      if (line % 1000 === 0) onBytes?.(bytes);
      yield { line, text: part.endsWith('\r') ? part.slice(0, -1) : part };
    }
  }
  if (rest !== '') {
    line += 1;
    bytes += Buffer.byteLength(rest);
    yield { line, text: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
  }
  onBytes?.(bytes);
}

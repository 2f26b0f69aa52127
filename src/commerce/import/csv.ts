/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes, "" for a quote inside a
 * quoted field, quoted fields may span lines. The first record is the header.
 */

/** True while `text` ends inside an open quoted field (the record continues on the next line). */
export function isOpenRecord(text: string): boolean {
  let quotes = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) quotes++;
  return quotes % 2 === 1;
}

/** Splits one complete record into fields; throws on a stray quote. */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (true) {
    if (text[i] === '"') {
      let value = '';
      i++;
      while (true) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',') throw new Error(`unexpected character after a quoted field at column ${i + 1}`);
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const value = comma < 0 ? text.slice(i) : text.slice(i, comma);
      if (value.includes('"')) throw new Error('a quote inside an unquoted field (quote the whole field and double the quote)');
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

/** Joins physical lines into CSV records (a quoted field may hold newlines). */
export async function* csvRecords(lines: AsyncIterable<{ line: number; text: string }>): AsyncGenerator<{ line: number; fields: string[] } | { line: number; error: string }> {
  let pending: { line: number; text: string } | undefined;
  for await (const l of lines) {
    const current = pending ? { line: pending.line, text: `${pending.text}\n${l.text}` } : l;
    if (isOpenRecord(current.text)) {
      pending = current;
      continue;
    }
    pending = undefined;
    if (current.text === '') continue;
    try {
      yield { line: current.line, fields: parseCsvRecord(current.text) };
    } catch (error) {
      yield { line: current.line, error: `bad CSV: ${(error as Error).message}` };
    }
  }
  if (pending) yield { line: pending.line, error: 'bad CSV: unterminated quoted field at end of file' };
}

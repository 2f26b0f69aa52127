/** A value COPY text format can carry (Date → ISO timestamp; objects → JSON). */
export type CopyValue = string | number | boolean | bigint | Date | null | undefined | Record<string, unknown> | unknown[];

/** Escapes one value for COPY's text format (backslash, tab, newline, CR; NULL as \N). */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'bigint') s = String(value);
  else if (typeof value === 'boolean') s = value ? 't' : 'f';
  else if (value instanceof Date) s = value.toISOString();
  else s = JSON.stringify(value);
  // eslint-disable-next-line no-control-regex
  if (!/[\\\t\n\r\u0000]/.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000/g, '').replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** `COPY "table" ("col", …) FROM STDIN`, identifiers escaped. */
export function copyStatement(escapeIdentifier: (name: string) => string, table: string, columns: readonly string[]): string {
  return `COPY ${escapeIdentifier(table)} (${columns.map(escapeIdentifier).join(', ')}) FROM STDIN`;
}

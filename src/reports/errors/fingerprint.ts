import { hash } from 'node:crypto';

/**
 * Groups JavaScript errors into issues (contract §4.4). The fingerprint is kind, the message with
 * volatile parts replaced by placeholders, and the first stack frame's file and function. Line and
 * column are left out so that a redeploy that moves code doesn't split an issue.
 */

/** One parsed stack frame. `fn` is normalised (see `normalizeFunctionName`); null = anonymous. */
export interface StackFrame {
  fn: string | null;
  file: string;
  line: number | null;
  col: number | null;
}

/** Where an occurrence happened: the first located stack frame, else the beacon's file/line. */
export interface FirstFrame {
  fn: string | null;
  file: string | null;
  line: number | null;
}

export interface ErrorFingerprintInput {
  kind?: string | null;
  message: string;
  stack?: string | null;
  /** The beacon's own `file` (ErrorEvent.filename): used when the stack has no located frame. */
  file?: string | null;
}

/** Normalised messages are capped after placeholders went in, so a long dump can't blow up keys. */
export const MAX_MESSAGE_LENGTH = 500;

/**
 * The file of a frame: the URL without query and fragment, so a cache-busting `?v=123` or a
 * `#hash` does not make a new issue on every deploy.
 */
export function normalizeFile(raw: string): string {
  return raw.trim().replace(/[?#].*$/s, '');
}

/** Names engines print for code that is not in a named function (top level, anonymous). */
const ANONYMOUS = new Set(['', '<anonymous>', '(anonymous function)', 'anonymous function', 'global code', 'module code', 'eval code']);

/**
 * Makes one function print alike in V8, Gecko and WebKit. Each step exists because the engines
 * disagree on it:
 * - V8 prefixes `async ` / `new ` and adds `[as alias]`; Gecko prefixes the async cause
 *   (`async*`, `promise callback*`, `setTimeout handler*`); WebKit prints none of these.
 * - Gecko names anonymous functions after where they sit: `init/<`, `a<`, `[2]</Bar/</<`. V8 and
 *   WebKit print such a function with no name at all, so any name ending in `<` is anonymous (not
 *   its parent: `init/<` is a callback *inside* init, and must not group with init itself).
 * - Gecko's inferred names carry the nesting path (`outer/o.m`): keep the last segment.
 * - V8 puts the receiver's type before a method (`Object.aha`, `Foo.testMethod`,
 *   `HTMLButtonElement.onclick`) where Gecko and WebKit print `aha`, `testMethod`, `onclick`; old
 *   Gecko and Edge print `Foo.prototype.testMethod`. We keep only the last dotted segment. The V8
 *   prefix is the *runtime* receiver, so it isn't even stable in Chrome (one handler on a button
 *   and on a div prints two names). Cost: `Cart.total` and `Order.total` throwing the same
 *   message in the same file are one issue; file and message still have to match, so that's rare.
 * - Old Gecko printed argument lists (`bar(1)`, `()`): dropped.
 * - Top level / anonymous (`<anonymous>`, `Object.<anonymous>`, Safari's `global code`, Edge's
 *   `Anonymous function`) → null, matching V8's `at file:1:2` and Gecko's `@file:1:2`.
 */
export function normalizeFunctionName(raw: string): string | null {
  let name = raw.trim().replace(/\s*\[as [^\]]*\]$/, '');
  name = name.slice(name.lastIndexOf('*') + 1).replace(/^(?:async |new |[gs]et )+/, '');
  if (name.endsWith('<')) return null;
  name = name.slice(name.lastIndexOf('/') + 1);
  if (/(?:^|\.)(?:<anonymous>|\(anonymous function\))$/i.test(name)) return null;
  name = name.replace(/\(.*\)$/, '');
  name = name.slice(name.lastIndexOf('.') + 1).trim();
  return ANONYMOUS.has(name.toLowerCase()) ? null : name;
}

/**
 * Splits `file:line:col` / `file:line` / `file`. The lazy file part stops at the first `:digits`
 * suffix that reaches the end, so ports (`localhost:5000/`) and Windows drives stay in the file.
 */
function splitLocation(location: string): { file: string; line: number | null; col: number | null } {
  const m = /^(.*?)(?::(\d+))?(?::(\d+))?$/s.exec(location.trim())!;
  return { file: m[1]!, line: m[2] === undefined ? null : Number(m[2]), col: m[3] === undefined ? null : Number(m[3]) };
}

/** A frame whose location has no line number is native or engine-internal: `(native)`,
 *  `(<anonymous>)`, `[native code]`, `(index 0)`. Dropping them makes the engines agree: Chrome
 *  prints `at JSON.parse (<anonymous>)` and Safari `parse@[native code]` where Firefox prints
 *  nothing, and the first frame that matters is the page's own caller in all three. */
function located(fn: string | null, location: string): StackFrame | null {
  const { file, line, col } = splitLocation(location);
  if (line === null || file === '') return null;
  return { fn, file: normalizeFile(file), line, col };
}

/** The index of the `(` matching the `)` that ends `s`, or -1. */
function openingParen(s: string): number {
  let depth = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    if (s[i] === ')') depth++;
    else if (s[i] === '(' && --depth === 0) return i;
  }
  return -1;
}

/**
 * V8: `at fn (location)` or `at location`. The location is the last balanced parenthesised
 * group, because names (`I.e.fn.(anonymous function) [as index]`) and paths
 * (`/_next/static/chunks/app/(group)/page.js`) can hold parentheses themselves.
 */
function parseV8Frame(line: string): StackFrame | null {
  const rest = line.replace(/^\s*at\s+/, '').trim();
  const open = rest.endsWith(')') ? openingParen(rest) : -1;
  if (open < 0) return located(null, rest.replace(/^async\s+/, ''));
  const name = rest.slice(0, open).trim();
  const location = rest.slice(open + 1, -1).replace(/^(?:async|address at)\s+/, '');
  if (location.startsWith('eval at ')) {
    // `at fn (eval at outer (https://x/app.js:37:5), <anonymous>:1:1)`: the code was eval'd, so
    // the innermost real URL is where it came from. V8 calls the eval'd top level `eval`, Gecko
    // prints nothing, so that name is anonymous.
    const origin = /\(([^()]+)\)/.exec(location);
    return origin ? located(name === 'eval' ? null : normalizeFunctionName(name), origin[1]!) : null;
  }
  return located(normalizeFunctionName(name), location);
}

/**
 * Gecko and WebKit: `fn@location`, `@location`, or (WebKit, anonymous) a bare `location`. Split
 * at the first `@`: function names don't hold one, URLs can (`/npm/@scope/pkg.js`).
 */
function parseGeckoFrame(line: string): StackFrame | null {
  const text = line.trim();
  const at = text.indexOf('@');
  let name: string | null = null;
  let location = text;
  if (at >= 0) {
    name = normalizeFunctionName(text.slice(0, at));
    location = text.slice(at + 1);
  } else if (!/^(?:[a-z][-a-z0-9+.]*:|\/)\S*$/i.test(text)) {
    return null; // `eval code`, `[native code]`, blank lines, prose: not a location
  }
  // Gecko eval'd code: `https://x/app.js line 26 > eval line 2 > eval:1:30`. Use the outer file
  // and line of the eval call (like V8's `eval at`); the column there is unknown.
  const evalled = /^(.*?) line (\d+) > (?:eval|Function)/.exec(location);
  if (evalled) return { fn: name, file: normalizeFile(evalled[1]!), line: Number(evalled[2]), col: null };
  return located(name, location);
}

/** V8 stacks (Chrome, Edge, Node) have `    at …` lines after a `Name: message` header that
 *  must not be read as a frame; Gecko and WebKit stacks are frames only. */
function frameParser(lines: readonly string[]): (line: string) => StackFrame | null {
  const v8 = lines.some((l) => /^\s*at\s/.test(l));
  return v8 ? (l) => (/^\s*at\s/.test(l) ? parseV8Frame(l) : null) : parseGeckoFrame;
}

/** Every located frame of a V8, Gecko or WebKit `error.stack`, innermost first. */
export function parseStack(stack: string): StackFrame[] {
  const lines = stack.split('\n');
  const parse = frameParser(lines);
  const frames: StackFrame[] = [];
  for (const l of lines) {
    const frame = parse(l);
    if (frame) frames.push(frame);
  }
  return frames;
}

/**
 * The occurrence's location: the first frame with a file, else the beacon's own file and line
 * (an error with no stack, or only native frames). Stops at the first frame: this runs per beacon.
 */
export function firstFrame(stack: string | null | undefined, fallbackFile?: string | null, fallbackLine?: number | null): FirstFrame {
  if (stack) {
    const lines = stack.split('\n');
    const parse = frameParser(lines);
    for (const l of lines) {
      const frame = parse(l);
      if (frame) return { fn: frame.fn, file: frame.file, line: frame.line };
    }
  }
  const file = fallbackFile ? normalizeFile(fallbackFile) : '';
  return { fn: null, file: file === '' ? null : file, line: fallbackLine ?? null };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/**
 * `"…"`, `` `…` `` and `'…'` in one pass, so the leftmost quote wins (`"it's"` is one string).
 * A `'` only opens after a non-letter and only closes before one: `can't access lexical
 * declaration 'cart'` must not read `'t access lexical declaration '` as the quoted value.
 */
const QUOTED = /"[^"\n]*"|`[^`\n]*`|(?<![\p{L}\p{N}])'[^\n]*?'(?![\p{L}\p{N}])/gu;
const HEX_RUN = /[0-9a-f]{8,}/gi;
const DIGIT_RUN = /\d+/g;

/**
 * The message with the parts that vary per occurrence replaced. Order matters: a UUID goes first
 * (else its groups would become hex and digit placeholders), quoted values next (a quoted id
 * is one value, whatever is inside), then hex runs of 8+ (hashes: `chunk-3f9a2b7c.js`) before
 * digit runs (else the hex run would be cut at its digits). Engine wording is left alone
 * (`Uncaught ` included): different wordings are different issues by contract.
 */
export function normalizeMessage(message: string): string {
  return message
    .trim()
    .replace(UUID, '<uuid>')
    .replace(QUOTED, '<str>')
    .replace(HEX_RUN, '<hex>')
    .replace(DIGIT_RUN, '<n>')
    .slice(0, MAX_MESSAGE_LENGTH);
}

/**
 * Stable issue key: the first 16 hex characters of SHA-256 over
 * `kind \0 normalised message \0 first frame's file \0 first frame's function`.
 * (Not `shortHash` from ingest: that module is being moved, and reports must not depend on it.)
 */
export function errorFingerprint({ kind, message, stack, file }: ErrorFingerprintInput): string {
  const where = firstFrame(stack, file);
  const key = `${kind ?? ''}\u0000${normalizeMessage(message)}\u0000${where.file ?? ''}\u0000${where.fn ?? ''}`;
  return hash('sha256', key, 'hex').slice(0, 16);
}

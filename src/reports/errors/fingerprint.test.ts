import { describe, expect, it } from 'vitest';
import { errorFingerprint, firstFrame, normalizeFunctionName, normalizeMessage, parseStack, type StackFrame } from './fingerprint.ts';

/*
 * Stacks marked "Sentry" are ported from getsentry/sentry-javascript (MIT),
 * packages/browser/test/tracekit/{chromium,firefox,safari}.test.ts, recorded from real browsers.
 * The Chrome 73 / Firefox 66 / Safari 12 "eval" fixtures are one page run in three browsers.
 * The shop stacks are written in each engine's format for one cart bug.
 */

// Sentry: CHROME73_EVAL_EXCEPTION
const CHROME73_EVAL = `Error: bad
          at Object.aha (http://localhost:5000/:19:13)
          at callAnotherThing (http://localhost:5000/:20:16)
          at Object.callback (http://localhost:5000/:25:7)
          at http://localhost:5000/:34:17
          at Array.map (<anonymous>)
          at test (http://localhost:5000/:33:23)
          at eval (eval at aha (http://localhost:5000/:37:5), <anonymous>:1:1)
          at aha (http://localhost:5000/:39:5)
          at Foo.testMethod (http://localhost:5000/:44:7)
          at http://localhost:5000/:50:19`;

// Sentry: FIREFOX66_EVAL_EXCEPTION
const FIREFOX66_EVAL = `aha@http://localhost:5000/:19:13
          callAnotherThing@http://localhost:5000/:20:15
          callback@http://localhost:5000/:25:7
          test/<@http://localhost:5000/:34:7
          test@http://localhost:5000/:33:23
          @http://localhost:5000/ line 39 > eval:1:1
          aha@http://localhost:5000/:39:5
          testMethod@http://localhost:5000/:44:7
          @http://localhost:5000/:50:19`;

// Sentry: SAFARI12_EVAL_EXCEPTION
const SAFARI12_EVAL = `aha@http://localhost:5000/:19:22
          aha@[native code]
          callAnotherThing@http://localhost:5000/:20:16
          callback@http://localhost:5000/:25:23
          http://localhost:5000/:34:25
          map@[native code]
          test@http://localhost:5000/:33:26
          eval code
          eval@[native code]
          aha@http://localhost:5000/:39:9
          testMethod@http://localhost:5000/:44:10
          http://localhost:5000/:50:29`;

const SHOP = 'https://shop.example/assets/cart.js';

/** One bug (`lineTotal` reads `product.price` of undefined) as each browser reports it. */
const CART_BUG = {
  chrome: {
    kind: 'TypeError',
    message: "Cannot read properties of undefined (reading 'price')",
    stack: `TypeError: Cannot read properties of undefined (reading 'price')
    at Object.lineTotal (${SHOP}?v=123:41:27)
    at Array.map (<anonymous>)
    at CartView.render (${SHOP}?v=123:18:30)
    at HTMLButtonElement.<anonymous> (${SHOP}?v=123:90:12)`,
  },
  firefox: {
    kind: 'TypeError',
    message: 'can\'t access property "price", product is undefined',
    stack: `lineTotal@${SHOP}?v=123:41:22
render@${SHOP}?v=123:18:30
init/<@${SHOP}?v=123:90:12
EventListener.handleEvent*init@${SHOP}?v=123:89:10
@${SHOP}?v=123:120:1
`,
  },
  safari: {
    kind: 'TypeError',
    message: "undefined is not an object (evaluating 'product.price')",
    stack: `lineTotal@${SHOP}?v=123:41:31
map@[native code]
render@${SHOP}?v=123:18:30
${SHOP}?v=123:90:12`,
  },
};

const fnAndFile = (frames: StackFrame[]) => frames.map((f) => [f.fn, f.file]);

describe('parseStack: V8 (Chrome, Edge)', () => {
  it('parses named, method, anonymous and eval frames and drops native ones', () => {
    const frames = parseStack(CHROME73_EVAL);
    expect(frames).toHaveLength(9);
    expect(frames[0]).toEqual({ fn: 'aha', file: 'http://localhost:5000/', line: 19, col: 13 });
    expect(frames[3]).toEqual({ fn: null, file: 'http://localhost:5000/', line: 34, col: 17 });
    // eval'd code is located at the eval call, V8's `eval` top-level name is anonymous
    expect(frames[5]).toEqual({ fn: null, file: 'http://localhost:5000/', line: 37, col: 5 });
    expect(frames[7]!.fn).toBe('testMethod');
  });

  it('handles async, new, aliases, <anonymous> receivers and parentheses in names and paths', () => {
    const stack = `TypeError: x is not a function
    at async loadCart (https://shop.example/app.js:10:5)
    at new CartStore (https://shop.example/app.js:20:7)
    at Object.d [as add] (https://shop.example/app.js:31:30039)
    at I.e.fn.(anonymous function) [as index] (http://localhost:8080/file.js:10:3651)
    at Object.<anonymous> (https://shop.example/app.js:1:1)
    at onClick (http://localhost:3002/_next/static/chunks/app/(group)/[route]/script.js:1:644)
    at Object.callback (async http://localhost:5000/:25:7)
    at async Promise.all (index 0)`;
    expect(parseStack(stack)).toEqual([
      { fn: 'loadCart', file: 'https://shop.example/app.js', line: 10, col: 5 },
      { fn: 'CartStore', file: 'https://shop.example/app.js', line: 20, col: 7 },
      { fn: 'd', file: 'https://shop.example/app.js', line: 31, col: 30039 },
      { fn: null, file: 'http://localhost:8080/file.js', line: 10, col: 3651 },
      { fn: null, file: 'https://shop.example/app.js', line: 1, col: 1 },
      { fn: 'onClick', file: 'http://localhost:3002/_next/static/chunks/app/(group)/[route]/script.js', line: 1, col: 644 },
      { fn: 'callback', file: 'http://localhost:5000/', line: 25, col: 7 },
    ]);
  });

  it('reads nested eval frames at the outermost real URL (Sentry: CHROME_48_EVAL)', () => {
    const stack =
      'Error: message string\n' +
      'at baz (eval at foo (eval at speak (http://localhost:8080/file.js:21:17)), <anonymous>:1:30)\n' +
      'at foo (eval at speak (http://localhost:8080/file.js:21:17), <anonymous>:2:96)\n' +
      'at eval (eval at speak (http://localhost:8080/file.js:21:17), <anonymous>:4:18)\n' +
      'at Object.speak (http://localhost:8080/file.js:21:17)\n' +
      'at http://localhost:8080/file.js:31:13\n';
    expect(fnAndFile(parseStack(stack))).toEqual([
      ['baz', 'http://localhost:8080/file.js'],
      ['foo', 'http://localhost:8080/file.js'],
      [null, 'http://localhost:8080/file.js'],
      ['speak', 'http://localhost:8080/file.js'],
      [null, 'http://localhost:8080/file.js'],
    ]);
  });

  it('does not read the `Name: message` header as a frame, even when it holds a URL', () => {
    const stack = `Error: Failed to load https://cdn.example/lib.js:1:2
    at loadScript (https://shop.example/app.js:5:9)`;
    expect(fnAndFile(parseStack(stack))).toEqual([['loadScript', 'https://shop.example/app.js']]);
  });

  it('keeps blob: URLs whole (Sentry: CHROME_48_BLOB)', () => {
    const stack = `Error: test
    at Error (native)
    at s (blob:http%3A//localhost%3A8080/abfc40e9-4742-44ed-9dcd-af8f99a29379:31:29146)`;
    expect(parseStack(stack)).toEqual([
      { fn: 's', file: 'blob:http%3A//localhost%3A8080/abfc40e9-4742-44ed-9dcd-af8f99a29379', line: 31, col: 29146 },
    ]);
  });
});

describe('parseStack: Gecko (Firefox)', () => {
  it('parses named, `/<` anonymous, top-level and eval frames', () => {
    const frames = parseStack(FIREFOX66_EVAL);
    expect(frames).toHaveLength(9);
    expect(frames[0]).toEqual({ fn: 'aha', file: 'http://localhost:5000/', line: 19, col: 13 });
    expect(frames[3]).toEqual({ fn: null, file: 'http://localhost:5000/', line: 34, col: 7 }); // test/<
    expect(frames[5]).toEqual({ fn: null, file: 'http://localhost:5000/', line: 39, col: null }); // eval
    expect(frames[8]).toEqual({ fn: null, file: 'http://localhost:5000/', line: 50, col: 19 });
  });

  it('strips async causes, nesting paths and `prototype`, keeps `@` inside URLs', () => {
    const stack = [
      'async*loadCart@https://shop.example/app.js:10:5',
      'promise callback*@webpack-internal:///./.cache/app.js:177:150',
      'EventListener.handleEvent*init@https://shop.example/app.js:89:10',
      'App.prototype.foo@file:///path/to/file.js:15:2', // Sentry: FIREFOX_44_NS_EXCEPTION
      '[2]</Bar.prototype._baz/</<@http://path/to/file.js:703:28', // idem
      'render@https://cdn.jsdelivr.net/npm/@shop/ui@2/dist/index.js:4:11',
      'baz@http://localhost:8080/file.js line 26 > eval line 2 > eval:1:30', // Sentry: FIREFOX_43_EVAL
      'bar(1)@http://127.0.0.1:8000/js/file.js:13', // Sentry: FIREFOX_3
    ].join('\n');
    expect(parseStack(stack)).toEqual([
      { fn: 'loadCart', file: 'https://shop.example/app.js', line: 10, col: 5 },
      { fn: null, file: 'webpack-internal:///./.cache/app.js', line: 177, col: 150 },
      { fn: 'init', file: 'https://shop.example/app.js', line: 89, col: 10 },
      { fn: 'foo', file: 'file:///path/to/file.js', line: 15, col: 2 },
      { fn: null, file: 'http://path/to/file.js', line: 703, col: 28 },
      { fn: 'render', file: 'https://cdn.jsdelivr.net/npm/@shop/ui@2/dist/index.js', line: 4, col: 11 },
      { fn: 'baz', file: 'http://localhost:8080/file.js', line: 26, col: null },
      { fn: 'bar', file: 'http://127.0.0.1:8000/js/file.js', line: 13, col: null },
    ]);
  });
});

describe('parseStack: WebKit (Safari)', () => {
  it('skips [native code] and eval code lines, reads bare anonymous locations', () => {
    const frames = parseStack(SAFARI12_EVAL);
    expect(fnAndFile(frames)).toEqual([
      ['aha', 'http://localhost:5000/'],
      ['callAnotherThing', 'http://localhost:5000/'],
      ['callback', 'http://localhost:5000/'],
      [null, 'http://localhost:5000/'],
      ['test', 'http://localhost:5000/'],
      ['aha', 'http://localhost:5000/'],
      ['testMethod', 'http://localhost:5000/'],
      [null, 'http://localhost:5000/'],
    ]);
    expect(frames[3]).toEqual({ fn: null, file: 'http://localhost:5000/', line: 34, col: 25 });
  });

  it('treats `global code` as top level (Sentry: parentheses fixture)', () => {
    const stack =
      '@http://localhost:3000/(group)/[route]/script.js:1:131\n' +
      'global code@http://localhost:3000/(group)/[route]/script.js:1:334';
    expect(parseStack(stack)).toEqual([
      { fn: null, file: 'http://localhost:3000/(group)/[route]/script.js', line: 1, col: 131 },
      { fn: null, file: 'http://localhost:3000/(group)/[route]/script.js', line: 1, col: 334 },
    ]);
  });
});

describe('one page in three engines', () => {
  it('Chrome 73 and Firefox 66 name every frame alike', () => {
    expect(fnAndFile(parseStack(FIREFOX66_EVAL))).toEqual(fnAndFile(parseStack(CHROME73_EVAL)));
  });

  it('Safari 12 matches Chrome 73 except the eval frame it does not locate', () => {
    const chrome = fnAndFile(parseStack(CHROME73_EVAL));
    chrome.splice(5, 1);
    expect(fnAndFile(parseStack(SAFARI12_EVAL))).toEqual(chrome);
  });

  it('the cart bug has the same first frame in every browser, query string dropped', () => {
    for (const { stack } of Object.values(CART_BUG)) {
      expect(firstFrame(stack)).toEqual({ fn: 'lineTotal', file: SHOP, line: 41 });
    }
  });

  it('the three wordings of the cart bug are three issues', () => {
    const keys = Object.values(CART_BUG).map((e) => errorFingerprint(e));
    expect(new Set(keys).size).toBe(3);
  });
});

describe('normalizeFunctionName', () => {
  it.each([
    ['Object.aha', 'aha'],
    ['Foo.prototype.testMethod', 'testMethod'],
    ['HTMLButtonElement.onclick', 'onclick'],
    ['async fetchCart', 'fetchCart'],
    ['new CartStore', 'CartStore'],
    ['Object.d [as add]', 'd'],
    ['get price', 'price'],
    ['setTimeout handler*tick', 'tick'],
    ['outer/o.m', 'm'],
    ['foo/<', null],
    ['a<', null],
    ['Object.<anonymous>', null],
    ['Anonymous function', null],
    ['global code', null],
    ['()', null],
    ['anonymous', 'anonymous'], // new Function bodies: every engine prints `anonymous`
  ])('%s → %s', (raw, expected) => {
    expect(normalizeFunctionName(raw)).toBe(expected);
  });
});

describe('normalizeMessage', () => {
  it('replaces UUIDs before hex and digit runs', () => {
    expect(normalizeMessage('Order 0f8fad5b-d9cb-469f-a165-70867728950e not found')).toBe('Order <uuid> not found');
  });

  it('replaces single, double and backtick quoted strings alike', () => {
    expect(normalizeMessage("Cannot read properties of undefined (reading 'price')")).toBe(
      'Cannot read properties of undefined (reading <str>)',
    );
    expect(normalizeMessage('can\'t access property "price", product is undefined')).toBe(
      "can't access property <str>, product is undefined",
    );
    expect(normalizeMessage('Unexpected token \'<\', "<!DOCTYPE "... is not valid JSON')).toBe(
      'Unexpected token <str>, <str>... is not valid JSON',
    );
    expect(normalizeMessage('Unknown variant `gift-card-25`')).toBe('Unknown variant <str>');
  });

  it('does not read an apostrophe in a word as an opening quote', () => {
    expect(normalizeMessage("can't access lexical declaration 'cart' before initialization")).toBe(
      "can't access lexical declaration <str> before initialization",
    );
    expect(normalizeMessage("Can't find variable: gtag")).toBe("Can't find variable: gtag");
  });

  it('replaces hex runs of 8 or more, then digit runs', () => {
    expect(normalizeMessage('Failed to fetch dynamically imported module: https://shop.example/assets/ProductPage-3f9a2b7c.js')).toBe(
      'Failed to fetch dynamically imported module: https://shop.example/assets/ProductPage-<hex>.js',
    );
    expect(normalizeMessage('Loading chunk 852 failed.\n(error: https://shop.example/_next/static/chunks/852.3f9a2b7c1d4e5f60.js)')).toBe(
      'Loading chunk <n> failed.\n(error: https://shop.example/_next/static/chunks/<n>.<hex>.js)',
    );
    expect(normalizeMessage('build deadbee at 12:30')).toBe('build deadbee at <n>:<n>'); // 7 hex: a word, kept
  });

  it('keeps engine wording, trims, and caps the length', () => {
    expect(normalizeMessage('  Uncaught TypeError: x is not a function \n')).toBe('Uncaught TypeError: x is not a function');
    expect(normalizeMessage('x'.repeat(2000))).toHaveLength(500);
  });
});

describe('firstFrame', () => {
  it('skips frames without a location', () => {
    const stack = `SyntaxError: Unexpected token '<', "<!DOCTYPE "... is not valid JSON
    at JSON.parse (<anonymous>)
    at parseCart (https://shop.example/app.js:12:20)`;
    expect(firstFrame(stack, 'https://shop.example/other.js', 3)).toEqual({ fn: 'parseCart', file: 'https://shop.example/app.js', line: 12 });
    expect(firstFrame('parse@[native code]\nparseCart@https://shop.example/app.js:12:25')).toEqual({
      fn: 'parseCart', file: 'https://shop.example/app.js', line: 12,
    });
  });

  it("falls back to the beacon's file and line", () => {
    expect(firstFrame(undefined, 'https://shop.example/app.js?v=9#top', 7)).toEqual({ fn: null, file: 'https://shop.example/app.js', line: 7 });
    expect(firstFrame('Error: Script error.\n    at Array.forEach (native)', 'https://shop.example/app.js', 7).file).toBe('https://shop.example/app.js');
    expect(firstFrame('', undefined, undefined)).toEqual({ fn: null, file: null, line: null });
  });
});

describe('errorFingerprint', () => {
  const base = { kind: 'Error', message: 'Request 4812 failed', stack: `Error: Request 4812 failed\n    at Object.submitOrder (${SHOP}?v=1:10:5)` };
  const key = errorFingerprint(base);

  it('is 16 hex characters and stable', () => {
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(errorFingerprint({ ...base })).toBe(key);
  });

  it('one message with different numbers, ids, quoted values, UUIDs, hashes from one function is one issue', () => {
    const frame = 'at submitOrder (https://shop.example/assets/cart.js:10:5)';
    const a = errorFingerprint({
      kind: 'Error',
      message: "Order 0f8fad5b-d9cb-469f-a165-70867728950e: SKU 'TEE-42' failed in chunk-3f9a2b7c.js after 3 tries",
      stack: `Error\n    ${frame}`,
    });
    const b = errorFingerprint({
      kind: 'Error',
      message: 'Order 7c9e6679-7425-40de-944b-e07fc1f90ae7: SKU "MUG-7" failed in chunk-a1b2c3d4e5.js after 12 tries',
      stack: `Error\n    ${frame}`,
    });
    expect(a).toBe(b);
  });

  it('ignores query strings and line/column changes', () => {
    expect(errorFingerprint({ ...base, stack: `Error\n    at submitOrder (${SHOP}?v=2#x:977:31)` })).toBe(key);
  });

  it('another function, file, kind or wording is another issue', () => {
    const others = [
      { ...base, stack: `Error\n    at cancelOrder (${SHOP}:10:5)` },
      { ...base, stack: 'Error\n    at submitOrder (https://shop.example/assets/checkout.js:10:5)' },
      { ...base, kind: 'TypeError' },
      { ...base, message: 'Request 4812 timed out' },
    ];
    expect(new Set([key, ...others.map(errorFingerprint)]).size).toBe(5);
  });

  it('uses the beacon file when there is no stack', () => {
    const noStack = errorFingerprint({ kind: 'Error', message: 'Script error.', file: `${SHOP}?v=1` });
    expect(errorFingerprint({ kind: 'Error', message: 'Script error.', file: `${SHOP}?v=2`, stack: null })).toBe(noStack);
    expect(errorFingerprint({ kind: 'Error', message: 'Script error.', file: 'https://shop.example/other.js' })).not.toBe(noStack);
  });
});

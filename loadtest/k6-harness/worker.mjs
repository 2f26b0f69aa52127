// Runs one k6 scenario for one iteration inside a worker thread. k6's HTTP API is synchronous,
// so each request is handed to the parent thread (which does the real fetch) and this thread
// blocks on Atomics.wait until the answer is written into a SharedArrayBuffer.
import { parentPort, workerData } from 'node:worker_threads';

const CAPACITY = 16 * 1024 * 1024;
const checks = new Map();
const errors = [];

globalThis.__ENV = workerData.env;
globalThis.__VU = 1;
globalThis.__ITER = 0;
globalThis.__k6harness = {
  request(req) {
    const sab = new SharedArrayBuffer(8 + CAPACITY);
    const header = new Int32Array(sab, 0, 2);
    parentPort.postMessage({ kind: 'request', req, sab });
    Atomics.wait(header, 0, 0);
    const bytes = new Uint8Array(sab, 8, header[1]).slice();
    return JSON.parse(new TextDecoder().decode(bytes));
  },
  recordCheck(name, ok) {
    const entry = checks.get(name) ?? { name, passes: 0, fails: 0 };
    if (ok) entry.passes++;
    else entry.fails++;
    checks.set(name, entry);
  },
  recordError(message) {
    errors.push(message);
  },
};

try {
  const scenario = await import(workerData.moduleUrl);
  if (scenario.options === undefined) errors.push('scenario exports no options');
  const data = typeof scenario.setup === 'function' ? scenario.setup() : undefined;
  if (typeof scenario.default !== 'function') throw new Error('scenario has no default function');
  scenario.default(data);
  if (typeof scenario.teardown === 'function') scenario.teardown(data);
} catch (error) {
  errors.push(error && error.stack ? error.stack : String(error));
}
parentPort.postMessage({ kind: 'done', checks: [...checks.values()], errors });

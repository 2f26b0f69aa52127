import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Runs a k6 scenario (loadtest/k6/*.js) for ONE iteration against a live server, without the k6
 * binary: the scenario's `k6`, `k6/http` and `k6/metrics` imports are pointed at small shims and
 * its default function runs in a worker thread whose synchronous HTTP calls this thread serves.
 * Keeps the scripts honest (they parse, their requests succeed, their checks pass) in `npm test`.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const SHIMS: Record<string, string> = {
  k6: resolve(here, 'shims/k6.mjs'),
  'k6/http': resolve(here, 'shims/http.mjs'),
  'k6/metrics': resolve(here, 'shims/metrics.mjs'),
};

export interface K6Result {
  checks: { name: string; passes: number; fails: number }[];
  errors: string[];
  requests: { method: string; url: string; status: number }[];
}

function rewriteImports(source: string): string {
  return source.replace(/from\s+['"](k6(?:\/[a-z]+)?)['"]/g, (whole, name: string) => {
    const shim = SHIMS[name];
    if (!shim) throw new Error(`the harness has no shim for "${name}"`);
    return `from ${JSON.stringify(pathToFileURL(shim).href)}`;
  });
}

export async function runK6Once(script: string, env: Record<string, string>): Promise<K6Result> {
  const sourceDir = resolve(script, '..');
  const dir = mkdtempSync(join(tmpdir(), 'tally-k6-'));
  try {
    cpSync(sourceDir, dir, { recursive: true });
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      writeFileSync(join(dir, file), rewriteImports(readFileSync(join(dir, file), 'utf8')));
    }
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}'); // k6 scripts are ES modules
    const name = resolve(script).slice(sourceDir.length + 1);
    const requests: K6Result['requests'] = [];
    const worker = new Worker(resolve(here, 'worker.mjs'), {
      workerData: { env, moduleUrl: pathToFileURL(join(dir, name)).href },
    });
    return await new Promise<K6Result>((done, fail) => {
      worker.on('error', fail);
      worker.on('message', async (message: { kind: string; [k: string]: unknown }) => {
        if (message.kind === 'done') {
          await worker.terminate();
          done({ checks: message.checks as K6Result['checks'], errors: message.errors as string[], requests });
          return;
        }
        const req = message.req as { method: string; url: string; body?: string; headers: Record<string, string> };
        const sab = message.sab as SharedArrayBuffer;
        const started = performance.now();
        let answer: Record<string, unknown>;
        try {
          const res = await fetch(req.url, { method: req.method, body: req.body, headers: req.headers });
          answer = { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers), duration: performance.now() - started };
        } catch (error) {
          answer = { status: 0, body: '', headers: {}, error: String(error), duration: performance.now() - started };
        }
        requests.push({ method: req.method, url: req.url, status: answer.status as number });
        const bytes = new TextEncoder().encode(JSON.stringify(answer));
        const header = new Int32Array(sab, 0, 2);
        new Uint8Array(sab, 8, bytes.length).set(bytes.subarray(0, sab.byteLength - 8));
        header[1] = Math.min(bytes.length, sab.byteLength - 8);
        Atomics.store(header, 0, 1);
        Atomics.notify(header, 0);
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

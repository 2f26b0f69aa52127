// The parts of the `k6` module the scenarios use.
const h = globalThis.__k6harness;

export function check(value, sets) {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    let ok = false;
    try {
      ok = Boolean(typeof fn === 'function' ? fn(value) : fn);
    } catch (error) {
      h.recordError(`check "${name}" threw: ${error}`);
    }
    h.recordCheck(name, ok);
    all = all && ok;
  }
  return all;
}

export function group(_name, fn) {
  return fn();
}

export function sleep(seconds) {
  // One iteration in a test: wait at most 50 ms, whatever the scenario asks.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(seconds * 1000, 50));
}

export function fail(message) {
  throw new Error(message);
}

export default { check, group, sleep, fail };

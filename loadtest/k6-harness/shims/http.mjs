// k6/http on top of the harness's synchronous request channel.
const h = globalThis.__k6harness;

function path(value, selector) {
  if (!selector) return value;
  let current = value;
  for (const part of String(selector).split('.')) {
    if (current === null || current === undefined) return undefined;
    current = current[/^\d+$/.test(part) ? Number(part) : part];
  }
  return current;
}

function response(raw) {
  return {
    status: raw.status,
    body: raw.body,
    headers: raw.headers,
    error: raw.error ?? '',
    timings: { duration: raw.duration },
    json(selector) {
      return path(JSON.parse(raw.body), selector);
    },
  };
}

export function request(method, url, body, params = {}) {
  const raw = h.request({ method, url, body: body === undefined || body === null ? undefined : String(body), headers: params.headers ?? {} });
  return response(raw);
}

export const get = (url, params) => request('GET', url, undefined, params);
export const post = (url, body, params) => request('POST', url, body, params);
export const put = (url, body, params) => request('PUT', url, body, params);
export const patch = (url, body, params) => request('PATCH', url, body, params);
export const del = (url, body, params) => request('DELETE', url, body, params);
export function batch(requests) {
  return requests.map((r) => (Array.isArray(r) ? request(r[0], r[1], r[2], r[3]) : request(r.method, r.url, r.body, r.params)));
}

export default { request, get, post, put, patch, del, batch };

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small shop for the browser tests, on its own origin (another port than Tally), so the
 * tracker runs cross-origin as on a real store. Every page lives under /s/<publicKey>/ so each
 * test works on a site of its own. Query flags on the first page: `dnt=1` adds
 * data-do-not-track, `hash=1` data-hash, `auto=false` data-auto, `exclude=PATTERNS` data-exclude, `visitor=MODE` data-visitor, `twice=1` includes t.js twice, `nolocal=1` drops data-localhost, `customer=ID` identifies through the
 * queue stub before t.js has loaded.
 */
export interface FixtureShop {
  url: string;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(tally: string, key: string, query: URLSearchParams, title: string, body: string): string {
  const attrs = [
    `data-site="${esc(key)}"`,
    'data-heatmaps',
    'data-errors',
    query.get('nolocal') ? '' : 'data-localhost',
    query.get('dnt') ? 'data-do-not-track="true"' : '',
    query.get('exclude') ? `data-exclude="${esc(query.get('exclude')!)}"` : '',
    query.get('hash') ? 'data-hash' : '',
    query.get('auto') ? `data-auto="${esc(query.get('auto')!)}"` : '',
    query.get('visitor') ? `data-visitor="${esc(query.get('visitor')!)}"` : '',
  ].join(' ');
  const customer = query.get('customer');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};
${customer ? `tally('identify', ${JSON.stringify(customer)}); tally('track', 'queued_before_load', {from: 'stub'});` : ''}</script>
<script defer src="${tally}/t.js" ${attrs}></script>
${query.get('twice') ? `<script defer src="${tally}/t.js" ${attrs}></script>` : ''}
<style>body{margin:0;font:16px sans-serif} button{display:block;margin:8px;padding:8px;width:200px}</style>
</head><body>${body}</body></html>`;
}

function productPage(key: string, id: string): string {
  return `<main id="product"><h1>Product ${esc(id)}</h1>
<button id="add" class="btn add" data-tally-event="add_to_cart" data-tally-prop-product="p-${esc(id)}" data-tally-prop-price="1999"><span class="label">Add to cart</span></button>
<button id="buy" onclick="tally.track('purchase', {order: 'o-${esc(id)}'}, {revenue: {amount: 4999, currency: 'EUR'}})">Buy now</button>
<button id="throw" onclick="window.__missing.boom()">Broken button</button>
<button id="reject" onclick="Promise.reject(new Error('payment declined'))">Pay</button>
<button id="loop" onclick="for (let i = 0; i < 100; i++) setTimeout(() => { throw new RangeError('loop ' + 'x') }, i)">Error loop</button>
<button id="leave" data-tally-event="leave_click" onclick="location.href='/s/${esc(key)}/products/2'">Leave</button>
<div class="filler" style="height:3000px">tall content</div><footer id="end">end</footer></main>`;
}

const SPA = (key: string) => `<nav class="menu">
<a href="/s/${esc(key)}/app/" data-spa>Home</a> <a id="to-cart" href="/s/${esc(key)}/app/cart" data-spa>Cart</a>
<a id="to-checkout" href="/s/${esc(key)}/app/checkout" data-spa>Checkout</a></nav>
<div id="view"></div>
<script>
function render() { document.getElementById('view').textContent = 'view ' + location.pathname; document.title = 'SPA ' + location.pathname; }
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-spa]');
  if (!a) return;
  e.preventDefault();
  history.pushState({}, '', a.getAttribute('href'));
  render();
});
addEventListener('popstate', render);
render();
</script>`;

export async function startFixtureShop(tallyUrl: string): Promise<FixtureShop> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const m = /^\/s\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end('not found');
      return;
    }
    const [, key, rest] = m as unknown as [string, string, string];
    let html: string | undefined;
    const product = /^\/products\/([\w-]+)$/.exec(rest);
    if (product) html = layout(tallyUrl, key, url.searchParams, `Product ${product[1]}`, productPage(key, product[1]!));
    else if (rest.startsWith('/app/')) html = layout(tallyUrl, key, url.searchParams, 'SPA', SPA(key));
    else if (rest === '/') html = layout(tallyUrl, key, url.searchParams, 'Home', `<a id="to-product" href="/s/${esc(key)}/products/1">Product 1</a>`);
    if (!html) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

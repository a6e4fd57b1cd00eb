// Small local HTTP servers for the retry mechanics (what a real server cannot be made to do on cue).
import http from 'node:http';

/** Starts a server whose handler gets (req, body, n) with n = 1-based request count. */
export async function localServer(handler) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
      await handler(req, res, body, seen.length);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    seen,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

export function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A proxy to `target` that forwards request n but answers `failWith` instead of the real answer when `fail(n)`. */
export async function flakyProxy(target, fail) {
  return localServer(async (req, res, body, n) => {
    const headers = { ...req.headers };
    delete headers.host;
    delete headers['content-length'];
    const up = await fetch(target + req.url, { method: req.method, headers, body: body || undefined });
    const text = await up.text();
    if (fail(n)) return json(res, 502, { error: { code: 'bad_gateway', message: 'lost on the way back', details: {}, request_id: 'req_flakyproxy01' } });
    const out = {};
    up.headers.forEach((v, k) => { if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v; });
    res.writeHead(up.status, out);
    res.end(text);
  });
}

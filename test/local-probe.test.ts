/**
 * The httpGet and tcpSocket rules of a sidecar's startup probe (NETWORK_PROBE_SCRIPT, the script
 * the runner runs with node inside the pod's network namespace), without podman: the script runs
 * here with node against servers of this test's own, on 127.0.0.1. The rules are the kubelet's
 * (kubernetes/kubernetes `pkg/probe/http/request.go`: headers, the default `Accept: *\/*`, an empty
 * Accept removed, the `Host` header; `pkg/probe/http/http.go`: a status in [200, 400) succeeds,
 * `RedirectChecker` follows a redirect to the same host name and refuses the 10th, a redirect to
 * another host name is not followed and its 3xx is a warning, which the kubelet counts as a
 * success; TLS without certificate checks; `pkg/probe/tcp`: a connection that opens succeeds).
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { NETWORK_PROBE_SCRIPT, ProbeAction, ProbeAttempt } from '../src/local/probe';

interface Seen {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** One attempt of the script, as the runner makes it (`node -e SCRIPT JSON`). */
function attempt(action: ProbeAction, timeoutMs = 5_000): Promise<ProbeAttempt> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', NETWORK_PROBE_SCRIPT, JSON.stringify({ action, timeoutMs })], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as ProbeAttempt);
    });
  });
}

function httpGet(port: number, p: string, headers: Array<[string, string]> = [], scheme: 'http' | 'https' = 'http'): ProbeAction {
  return { kind: 'httpGet', scheme, host: '127.0.0.1', port, path: p, headers };
}

/** Routes of the test server: `/status/N` answers N; `/to?url=U&code=C` redirects to U with C (302); `/chain/N` redirects N times, then 200. */
function handler(seen: Seen[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ path: req.url!, headers: req.headers });
    const u = new URL(req.url!, 'http://x');
    let m: RegExpExecArray | null;
    if ((m = /^\/status\/(\d+)$/.exec(u.pathname))) {
      res.writeHead(Number(m[1]));
      res.end('status\n');
    } else if (u.pathname === '/to') {
      res.writeHead(Number(u.searchParams.get('code') ?? 302), { Location: u.searchParams.get('url')! });
      res.end();
    } else if ((m = /^\/chain\/(\d+)$/.exec(u.pathname))) {
      const n = Number(m[1]);
      if (n === 0) {
        res.writeHead(200);
        res.end('end of chain\n');
      } else {
        res.writeHead(302, { Location: `/chain/${n - 1}` });
        res.end();
      }
    } else if (u.pathname === '/ok') {
      res.writeHead(200);
      res.end('ok\n');
    } else if (u.pathname === '/silent') {
      // never answers: the attempt's own timeout ends it
    } else {
      res.writeHead(404);
      res.end('not found\n');
    }
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

const seen: Seen[] = [];
const other: Seen[] = [];
const servers: net.Server[] = [];
let port = 0;
let otherPort = 0;
let tlsPort = 0;
let tmp = '';

beforeAll(async () => {
  const main = http.createServer(handler(seen));
  const second = http.createServer(handler(other));
  // A self-signed certificate for "localhost": the probe must not check it.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-steps-probe-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'cert.pem')], { stdio: 'ignore' });
  const tls = https.createServer({ key: fs.readFileSync(path.join(tmp, 'key.pem')), cert: fs.readFileSync(path.join(tmp, 'cert.pem')) }, handler(seen));
  servers.push(main, second, tls);
  [port, otherPort, tlsPort] = await Promise.all([listen(main), listen(second), listen(tls)]);
});

afterAll(async () => {
  for (const s of servers) {
    (s as http.Server).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
  other.length = 0;
});

describe('httpGet startup probe (NETWORK_PROBE_SCRIPT, run with node against a local server)', () => {
  test('a status in [200, 400) passes: 200 and 399; 400 fails with the kubelet\'s message', async () => {
    expect(await attempt(httpGet(port, '/status/200'))).toEqual({ ok: true, message: `HTTP 200 from http://127.0.0.1:${port}/status/200` });
    expect((await attempt(httpGet(port, '/status/399'))).ok).toBe(true);
    expect(await attempt(httpGet(port, '/status/400'))).toEqual({ ok: false, message: `HTTP probe failed with statuscode: 400 (http://127.0.0.1:${port}/status/400)` });
    expect((await attempt(httpGet(port, '/status/503'))).ok).toBe(false);
    expect(seen.map((s) => s.path)).toEqual(['/status/200', '/status/399', '/status/400', '/status/503']);
  });

  test('the path: "" is /, one without a leading slash gets one, a query is kept', async () => {
    await attempt(httpGet(port, ''));
    await attempt(httpGet(port, 'ok'));
    await attempt(httpGet(port, '/ok?a=1&b=2'));
    expect(seen.map((s) => s.path)).toEqual(['/', '/ok', '/ok?a=1&b=2']);
  });

  test('a redirect to the same host is followed: its target decides (200 passes, 404 fails); another port of the same host name too', async () => {
    expect((await attempt(httpGet(port, '/to?url=/ok'))).ok).toBe(true);
    expect(seen.map((s) => s.path)).toEqual(['/to?url=/ok', '/ok']);
    seen.length = 0;
    expect(await attempt(httpGet(port, '/to?url=/missing&code=301'))).toEqual({ ok: false, message: `HTTP probe failed with statuscode: 404 (http://127.0.0.1:${port}/missing)` });
    expect(seen.map((s) => s.path)).toEqual(['/to?url=/missing&code=301', '/missing']);
    // RedirectChecker compares host names, not ports.
    expect((await attempt(httpGet(port, `/to?url=${encodeURIComponent(`http://127.0.0.1:${otherPort}/status/404`)}`))).ok).toBe(false);
    expect(other.map((s) => s.path)).toEqual(['/status/404']);
  });

  test('redirects to the same host: 9 are followed, the 10th fails the attempt (RedirectChecker: len(via) >= 10)', async () => {
    expect(await attempt(httpGet(port, '/chain/9'))).toEqual({ ok: true, message: `HTTP 200 from http://127.0.0.1:${port}/chain/0` });
    expect(seen).toHaveLength(10);
    seen.length = 0;
    expect(await attempt(httpGet(port, '/chain/10'))).toEqual({ ok: false, message: `GET http://127.0.0.1:${port}/chain/1: stopped after 10 redirects` });
    expect(seen.map((s) => s.path)).toEqual(['/chain/10', '/chain/9', '/chain/8', '/chain/7', '/chain/6', '/chain/5', '/chain/4', '/chain/3', '/chain/2', '/chain/1']);
  });

  test('a redirect to another host is not followed and counts as success (the kubelet\'s warning), whatever the target would say', async () => {
    const to = `http://localhost:${otherPort}/status/500`;
    const r = await attempt(httpGet(port, `/to?url=${encodeURIComponent(to)}&code=307`));
    expect(r).toEqual({ ok: true, message: `HTTP 307 redirect to another host (localhost:${otherPort}), not followed: counted as success, as the kubelet does (a warning)` });
    expect(other).toEqual([]); // never asked
    expect((await attempt(httpGet(port, `/to?url=${encodeURIComponent('http://no-such-host.invalid/x')}`))).ok).toBe(true);
  });

  test('a 3xx that is not a redirect Go\'s client follows (300, 304), or one without a Location, passes as it is', async () => {
    expect((await attempt(httpGet(port, '/status/304'))).ok).toBe(true);
    expect((await attempt(httpGet(port, '/to?url=/missing&code=300'))).ok).toBe(true);
    expect((await attempt(httpGet(port, '/status/302'))).ok).toBe(true);
    expect(seen.map((s) => s.path)).toEqual(['/status/304', '/to?url=/missing&code=300', '/status/302']);
  });

  test('headers: the probe\'s (a repeated name joined), Accept */* by default, a given Accept kept, an empty one removed, Host as given, a kube-probe User-Agent', async () => {
    await attempt(httpGet(port, '/ok', [['X-Probe', 'one'], ['x-probe', 'two'], ['X-Other', '']]));
    expect(seen[0].headers).toMatchObject({ 'x-probe': 'one, two', 'x-other': '', 'accept': '*/*', 'host': `127.0.0.1:${port}` });
    expect(seen[0].headers['user-agent']).toMatch(/^kube-probe\//);
    await attempt(httpGet(port, '/ok', [['accept', 'application/json'], ['User-Agent', 'mine'], ['Host', 'web.example']]));
    expect(seen[1].headers).toMatchObject({ 'accept': 'application/json', 'user-agent': 'mine', 'host': 'web.example' });
    await attempt(httpGet(port, '/ok', [['Accept', '']]));
    expect(seen[2].headers).not.toHaveProperty('accept');
  });

  test('https: a self-signed certificate is not checked', async () => {
    expect(await attempt(httpGet(tlsPort, '/ok', [], 'https'))).toEqual({ ok: true, message: `HTTP 200 from https://127.0.0.1:${tlsPort}/ok` });
    expect(seen.map((s) => s.path)).toEqual(['/ok']);
  });

  test('no answer within timeoutSeconds fails; a closed port fails with the connection error', async () => {
    expect(await attempt(httpGet(port, '/silent'), 300)).toEqual({ ok: false, message: 'no answer within 0.3 s (timeoutSeconds)' });
    const s = net.createServer();
    const closed = await listen(s);
    await new Promise((done) => s.close(done));
    const r = await attempt(httpGet(closed, '/ok'));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${closed}/ok: `));
  });
});

describe('tcpSocket startup probe (NETWORK_PROBE_SCRIPT)', () => {
  test('a port that accepts passes; a closed one fails with ECONNREFUSED', async () => {
    expect(await attempt({ kind: 'tcpSocket', host: '127.0.0.1', port })).toEqual({ ok: true, message: `connected to 127.0.0.1:${port}` });
    const s = net.createServer();
    const p = await listen(s);
    await new Promise((r) => s.close(r));
    const r = await attempt({ kind: 'tcpSocket', host: '127.0.0.1', port: p });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(new RegExp(`^tcp 127\\.0\\.0\\.1:${p}: connect ECONNREFUSED`));
  });
});

/**
 * Startup probes of native sidecars, run by the local runner itself: podman 4.3 refuses an init
 * container with a probe (`pkg/domain/infra/abi/play.go`: "cannot create an init container that
 * has either of lifecycle, livenessProbe, readinessProbe, or startupProbe set"), and a sidecar's
 * startup probe is what holds the next init container and the steps back.
 *
 * The semantics are the kubelet's (read in kubernetes/kubernetes, not copied):
 *  - defaults of the API (`pkg/apis/core/v1/defaults.go`): periodSeconds 10, timeoutSeconds 1,
 *    failureThreshold 3, initialDelaySeconds 0; a startup probe's successThreshold must be 1;
 *  - `pkg/kubelet/prober/worker.go`: no probe before initialDelaySeconds have passed since the
 *    container started; then one probe per period (a ticker: the next one a period after the start
 *    of the previous); the first success marks the container started; failureThreshold failures in
 *    a row fail it (the kubelet then restarts a sidecar, the local runner fails the run); a
 *    container that is no longer running fails its probe;
 *  - `pkg/kubelet/prober/prober.go`: an exec probe runs in the container, its command expanded
 *    with the static env (expand.ts), exit 0 is success; each attempt is bounded by timeoutSeconds;
 *  - `pkg/probe/http`: GET `scheme://host:port/path`, host defaulting to the pod's IP, a named port
 *    resolved from the container's ports, the probe's headers, `Accept: *\/*` unless given (an
 *    empty one removed), a `Host` header as the request's host, success for a status in [200, 400);
 *    a redirect (301, 302, 303, 307, 308 with a Location, as Go's client follows) to the same
 *    host name (any port) is followed, but the 10th fails the attempt ("stopped after 10
 *    redirects": `RedirectChecker` refuses once `len(via) >= 10`); one to another host name is not
 *    followed and its 3xx counts as success (the kubelet's `probe.Warning`, "Probe terminated
 *    redirects", is a success with an event); TLS certificates are not checked;
 *  - `pkg/probe/tcp`: success when a TCP connection opens within the timeout.
 * httpGet and tcpSocket run inside the pod's network namespace (nsenter into the pod's infra
 * container), so `127.0.0.1` and the pod IP mean what they mean to the kubelet's prober.
 */
import { K8sObject } from '../wire/workload';

export type ProbeAction =
  | { readonly kind: 'exec'; readonly command: string[] }
  | { readonly kind: 'httpGet'; readonly scheme: 'http' | 'https'; readonly host?: string; readonly port: number; readonly path: string; readonly headers: Array<[string, string]> }
  | { readonly kind: 'tcpSocket'; readonly host?: string; readonly port: number };

/** A startup probe with the API's defaults applied and its port resolved. */
export interface StartupProbe {
  readonly action: ProbeAction;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
}

/** A probe the runner cannot run as written: names the container and the field. */
export class ProbeSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeSpecError';
  }
}

function seconds(container: string, field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new ProbeSpecError(`sidecar ${container}: startupProbe.${field} is ${JSON.stringify(value)}; give a whole number of at least ${min}`);
  }
  return value as number;
}

/** The port a probe names (a number, or a name among the container's ports), as `probe.ResolveContainerPort` does. */
export function resolvePort(port: unknown, c: K8sObject, field: string): number {
  let n: number | undefined;
  if (typeof port === 'number') {n = port;} else if (typeof port === 'string') {
    const named = (c.ports ?? []).find((p: K8sObject) => p.name === port);
    if (!named) {
      throw new ProbeSpecError(`sidecar ${c.name}: startupProbe.${field}.port "${port}" names no port of the container (its ports: `
        + `${(c.ports ?? []).map((p: K8sObject) => p.name ?? p.containerPort).join(', ') || 'none'}); give a port number or a port's name`);
    }
    n = named.containerPort;
  }
  if (!Number.isInteger(n) || n! <= 0 || n! >= 65536) {
    throw new ProbeSpecError(`sidecar ${c.name}: startupProbe.${field}.port is ${JSON.stringify(port)}, not a port (1-65535)`);
  }
  return n!;
}

/** The container's startup probe, or undefined when it has none. Throws a ProbeSpecError for one the runner cannot run. */
export function startupProbeOf(c: K8sObject): StartupProbe | undefined {
  const p = c.startupProbe;
  if (!p) return undefined;
  const name = String(c.name);
  let action: ProbeAction;
  if (p.exec) {
    if (!Array.isArray(p.exec.command) || p.exec.command.length === 0) throw new ProbeSpecError(`sidecar ${name}: startupProbe.exec.command is empty; give the command to run`);
    action = { kind: 'exec', command: p.exec.command.map(String) };
  } else if (p.httpGet) {
    const scheme = String(p.httpGet.scheme ?? 'HTTP').toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') throw new ProbeSpecError(`sidecar ${name}: startupProbe.httpGet.scheme is "${p.httpGet.scheme}"; give HTTP or HTTPS`);
    action = {
      kind: 'httpGet',
      scheme,
      ...(p.httpGet.host ? { host: String(p.httpGet.host) } : {}),
      port: resolvePort(p.httpGet.port, c, 'httpGet'),
      path: String(p.httpGet.path ?? ''),
      headers: (p.httpGet.httpHeaders ?? []).map((h: K8sObject): [string, string] => [String(h.name), String(h.value ?? '')]),
    };
  } else if (p.tcpSocket) {
    action = { kind: 'tcpSocket', ...(p.tcpSocket.host ? { host: String(p.tcpSocket.host) } : {}), port: resolvePort(p.tcpSocket.port, c, 'tcpSocket') };
  } else {
    const kind = Object.keys(p).find((k) => !['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'].includes(k));
    throw new ProbeSpecError(`sidecar ${name}: a local run does not run a startupProbe of kind ${kind ?? '(none)'}; use exec, httpGet or tcpSocket`);
  }
  if (p.successThreshold !== undefined && p.successThreshold !== 1) {
    throw new ProbeSpecError(`sidecar ${name}: startupProbe.successThreshold is ${JSON.stringify(p.successThreshold)}; a startup probe's must be 1 (the API server refuses any other)`);
  }
  return {
    action,
    initialDelayMs: seconds(name, 'initialDelaySeconds', p.initialDelaySeconds, 0, 0) * 1000,
    periodMs: seconds(name, 'periodSeconds', p.periodSeconds, 10, 1) * 1000,
    timeoutMs: seconds(name, 'timeoutSeconds', p.timeoutSeconds, 1, 1) * 1000,
    failureThreshold: seconds(name, 'failureThreshold', p.failureThreshold, 3, 1),
  };
}

/** One probe attempt: success or failure, and what was seen. */
export interface ProbeAttempt {
  readonly ok: boolean;
  readonly message: string;
}

/** What the probe loop needs from the world (injected, so the rules are tested without a clock). */
export interface ProbeLoopDeps {
  /** When the container started (ms). */
  readonly startedAtMs: number;
  /** Runs one attempt, bounded by the probe's timeout. */
  attempt(): Promise<ProbeAttempt>;
  /** The container's exit code once it is no longer running, else undefined. */
  exited(): Promise<number | undefined>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The sidecar is started: its probe passed (or it has none). */
export interface ProbePassed {
  readonly attempts: number;
}

/** The sidecar will not start: its probe failed failureThreshold times, or it exited first. */
export class SidecarStartError extends Error {
  constructor(message: string, readonly attempts: number) {
    super(message);
    this.name = 'SidecarStartError';
  }
}

/** Runs a startup probe by the kubelet's rules (see the file comment) until it passes or fails. */
export async function runStartupProbe(container: string, probe: StartupProbe, deps: ProbeLoopDeps): Promise<ProbePassed> {
  let attempts = 0;
  let failures = 0;
  let next = deps.startedAtMs + probe.initialDelayMs;
  for (;;) {
    const wait = next - deps.now();
    if (wait > 0) await deps.sleep(wait);
    const code = await deps.exited();
    if (code !== undefined) {
      throw new SidecarStartError(`sidecar ${container} exited with code ${code} before its startup probe passed (${attempts} probe${attempts === 1 ? '' : 's'} run)`, attempts);
    }
    const began = deps.now();
    attempts++;
    const r = await deps.attempt();
    if (r.ok) return { attempts };
    failures++;
    if (failures >= probe.failureThreshold) {
      throw new SidecarStartError(`sidecar ${container}: its startup probe failed ${failures} time${failures === 1 ? '' : 's'} in a row `
        + `(failureThreshold ${probe.failureThreshold}, every ${probe.periodMs / 1000} s); the last one: ${r.message}`, attempts);
    }
    next = began + probe.periodMs;
  }
}

/** A probe action in words, for messages: `httpGet http://<pod IP>:8080/health`. */
export function describeProbe(action: ProbeAction): string {
  switch (action.kind) {
    case 'exec': return `exec ${JSON.stringify(action.command)}`;
    case 'httpGet': return `httpGet ${action.scheme}://${action.host ?? '<pod IP>'}:${action.port}${action.path.startsWith('/') || !action.path ? action.path || '/' : `/${action.path}`}`;
    case 'tcpSocket': return `tcpSocket ${action.host ?? '<pod IP>'}:${action.port}`;
  }
}

/**
 * The network probe, as a script for `node -e` run inside the pod's network namespace: one
 * attempt of an httpGet or tcpSocket action (its JSON in argv[1]), printing `{"ok":…,"message":…}`.
 * Plain JavaScript in a string, so that it runs the same from lib/ and from sources under a test
 * runner.
 */
export const NETWORK_PROBE_SCRIPT = String.raw`
const os = require('os');
const net = require('net');
const spec = JSON.parse(process.argv[1]);
let finished = false;
const finish = (ok, message) => {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify({ ok, message }), () => process.exit(0));
};
setTimeout(() => finish(false, 'no answer within ' + spec.timeoutMs / 1000 + ' s (timeoutSeconds)'), spec.timeoutMs);
const podIP = () => {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list || []) if (!a.internal && a.family === 'IPv4') return a.address;
  return '127.0.0.1';
};
const host = spec.action.host || podIP();
if (spec.action.kind === 'tcpSocket') {
  const s = net.connect({ host, port: spec.action.port });
  s.on('connect', () => { s.destroy(); finish(true, 'connected to ' + host + ':' + spec.action.port); });
  s.on('error', (e) => finish(false, 'tcp ' + host + ':' + spec.action.port + ': ' + e.message));
} else {
  const a = spec.action;
  // Names are case-insensitive (Go's http.Header.Add canonicalises them): one header per name, its values joined.
  const headers = {};
  const lower = {};
  const first = {};
  for (const [k, v] of a.headers) {
    const l = k.toLowerCase();
    if (lower[l] === undefined) { lower[l] = k; first[l] = v; headers[k] = v; } else headers[lower[l]] += ', ' + v;
  }
  if (!lower['user-agent']) headers['User-Agent'] = 'kube-probe/cdk8s-steps';
  if (!lower['accept']) headers['Accept'] = '*/*';
  else if (first['accept'] === '') delete headers[lower['accept']];
  const hostHeader = lower['host'] ? headers[lower['host']] : undefined;
  const start = new URL(a.scheme + '://' + (host.includes(':') ? '[' + host + ']' : host) + ':' + a.port);
  const path = a.path === '' ? '/' : (a.path.startsWith('/') ? a.path : '/' + a.path);
  const get = (url, left) => {
    const mod = require(url.protocol === 'https:' ? 'https' : 'http');
    const req = mod.get(url, { headers: { ...headers, ...(hostHeader ? { Host: hostHeader } : {}) }, rejectUnauthorized: false }, (res) => {
      let read = 0;
      res.on('data', (d) => { read += d.length; if (read > 10240) res.destroy(); });
      const code = res.statusCode;
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(code) && location) {
        const to = new URL(location, url);
        if (to.hostname !== url.hostname) { res.resume(); return finish(true, 'HTTP ' + code + ' redirect to another host (' + to.host + '), not followed: counted as success, as the kubelet does (a warning)'); }
        if (left === 0) { res.resume(); return finish(false, 'GET ' + url.href + ': stopped after 10 redirects'); }
        res.resume();
        return get(to, left - 1);
      }
      res.resume();
      if (code >= 200 && code < 400) finish(true, 'HTTP ' + code + ' from ' + url.href);
      else finish(false, 'HTTP probe failed with statuscode: ' + code + ' (' + url.href + ')');
    });
    req.on('error', (e) => finish(false, 'GET ' + url.href + ': ' + e.message));
  };
  // Go's client asks the kubelet's RedirectChecker before following redirect k with k requests made: the 10th is refused.
  get(new URL(path, start), 9);
}
`;

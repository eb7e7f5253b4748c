/**
 * The kubelet's `$(VAR)` rules, so that a local run gives every container the command, args and
 * environment a kubelet would. Pure.
 *
 * Written from Kubernetes' sources (read, not copied):
 *  - `third_party/forked/golang/expansion/expand.go`: `$$` is one `$`; `$(NAME)` is the value of
 *    NAME, or stays as written when NAME is not defined; `$(` without a `)` and a `$` before any
 *    other character (or at the end) stay as written; the result is never expanded again;
 *  - `pkg/kubelet/kubelet_pods.go` (`makeEnvironmentVariables`): an env entry's `value` (when not
 *    empty) is expanded with the entries defined before it (after `envFrom`) and the service-link
 *    variables; a `valueFrom` entry is resolved, not expanded;
 *  - `pkg/kubelet/container/helpers.go` (`ExpandContainerCommandAndArgs`): command and args are
 *    expanded with the container's whole final environment;
 *  - `ExpandContainerCommandOnlyStatic` (used by `pkg/kubelet/prober/prober.go` for exec probes):
 *    the probe's command is expanded with the env entries' `value` fields as written (a
 *    `valueFrom` entry counts as empty).
 *
 * What a local run cannot know stays as written and is reported: variables set through
 * `valueFrom` (the downward API, ConfigMap and Secret keys: podman sets them in the container, but
 * only once it creates it), names that `envFrom` may define, and service links (the kubelet adds
 * `<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT`... for the services of the namespace).
 */
import { K8sObject } from '../wire/workload';

/** Expands `input` by the kubelet's rules; `lookup` returns a variable's value or undefined when it is not defined. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    if (dollar < 0 || dollar === input.length - 1) break;
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '(') {
      const close = input.indexOf(')', dollar + 2);
      if (close < 0) {
        out += '$(';
        i = dollar + 2;
      } else {
        const name = input.slice(dollar + 2, close);
        out += lookup(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      // A `$` before any other character stays, with that character (a whole code point).
      const cp = String.fromCodePoint(input.codePointAt(dollar + 1)!);
      out += `$${cp}`;
      i = dollar + 1 + cp.length;
    }
  }
  return out + input.slice(i);
}

/** Every `$(NAME)` that `expand` would look up in `input`, in order. */
export function references(input: string): string[] {
  const names: string[] = [];
  expand(input, (name) => {
    names.push(name);
    return '';
  });
  return names;
}

/** `$` doubled: what podman ≥ 4.7, which expands command and args itself, turns back into `s`. */
export function escapeDollars(s: string): string {
  return s.replace(/\$/g, '$$$$');
}

/** The names the kubelet gives service links (`pkg/kubelet/envvars/envvars.go`), and the `kubernetes` service's. */
const SERVICE_LINK = /^[A-Z_][A-Z0-9_]*_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$/;

/** A `$(NAME)` a local run left as written although a kubelet might have expanded it. */
export interface UnknownReference {
  readonly container: string;
  /** e.g. `args`, `command`, `env DB_URL`, `startupProbe` */
  readonly field: string;
  readonly name: string;
  /** Why the runner cannot know it. */
  readonly why: string;
}

export interface ExpandedContainer {
  /** The container with command, args and env values expanded (and exec probes, as `probes` says). */
  readonly container: K8sObject;
  readonly unknown: UnknownReference[];
}

export interface ExpandOptions {
  /** The pod's `enableServiceLinks` (default true): whether service links may define a name. */
  readonly serviceLinks?: boolean;
  /**
   * podman ≥ 4.7 expands `$(VAR)` in command and args itself (podman PR #19630): their `$` are
   * doubled after expanding, so that podman's pass gives back exactly the kubelet's result.
   */
  readonly podmanExpandsCommand?: boolean;
}

function describeValueFrom(valueFrom: K8sObject): string {
  const kind = Object.keys(valueFrom ?? {})[0] ?? 'valueFrom';
  return `valueFrom (${kind})`;
}

/**
 * A container as a kubelet would start it: env values, command and args expanded by the kubelet's
 * rules, and the exec command of its probes by the static rule. Returns a copy; `c` is not changed.
 */
export function expandContainer(c: K8sObject, options: ExpandOptions = {}): ExpandedContainer {
  const name = String(c.name);
  const serviceLinks = options.serviceLinks !== false;
  const hasEnvFrom = Array.isArray(c.envFrom) && c.envFrom.length > 0;
  const known = new Map<string, string>();
  /** Names defined through valueFrom, with how. */
  const resolvedLater = new Map<string, string>();
  const unknown: UnknownReference[] = [];

  const lookupIn = (field: string) => (variable: string): string | undefined => {
    if (known.has(variable)) return known.get(variable);
    const later = resolvedLater.get(variable);
    if (later) {
      unknown.push({ container: name, field, name: variable, why: `${variable} is set through ${later}, which a local run resolves only when podman creates the container` });
    } else if (hasEnvFrom) {
      unknown.push({ container: name, field, name: variable, why: `${variable} may come from the container's envFrom, which a local run does not read` });
    } else if (serviceLinks && SERVICE_LINK.test(variable)) {
      unknown.push({ container: name, field, name: variable, why: `${variable} looks like a service link, which a kubelet sets from the services of the namespace and a local run cannot know` });
    }
    return undefined;
  };

  const env = (Array.isArray(c.env) ? c.env : []).map((e: K8sObject) => {
    const value = typeof e.value === 'string' ? e.value : '';
    if (value !== '') {
      const expanded = expand(value, lookupIn(`env ${e.name}`));
      known.set(e.name, expanded);
      resolvedLater.delete(e.name);
      return { ...e, value: expanded };
    }
    if (e.valueFrom) {
      known.delete(e.name);
      resolvedLater.set(e.name, describeValueFrom(e.valueFrom));
      return e;
    }
    known.set(e.name, '');
    resolvedLater.delete(e.name);
    return e;
  });

  const commandLine = (field: 'command' | 'args'): string[] | undefined => {
    if (!Array.isArray(c[field])) return undefined;
    return c[field].map((s: string) => {
      const expanded = expand(String(s), lookupIn(field));
      return options.podmanExpandsCommand ? escapeDollars(expanded) : expanded;
    });
  };

  // Exec probes: the env entries' values as written (valueFrom ones empty), nothing else.
  const staticEnv = new Map<string, string>((Array.isArray(c.env) ? c.env : []).map((e: K8sObject) => [e.name, typeof e.value === 'string' ? e.value : '']));
  const probe = (field: string): K8sObject | undefined => {
    const p = c[field];
    if (!p?.exec?.command) return p;
    return { ...p, exec: { ...p.exec, command: p.exec.command.map((s: string) => expand(String(s), (v) => staticEnv.get(v))) } };
  };

  const out: K8sObject = { ...c };
  if (Array.isArray(c.env)) out.env = env;
  const command = commandLine('command');
  const args = commandLine('args');
  if (command) out.command = command;
  if (args) out.args = args;
  for (const field of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    if (c[field]) out[field] = probe(field);
  }
  return { container: out, unknown };
}

/** One line per variable: where it was left as written, and why. For the run's report. */
export function describeUnknown(refs: readonly UnknownReference[]): string[] {
  const byName = new Map<string, { why: string; where: string[] }>();
  for (const r of refs) {
    const entry = byName.get(r.name) ?? { why: r.why, where: [] };
    const where = `${r.container} (${r.field})`;
    if (!entry.where.includes(where)) entry.where.push(where);
    byName.set(r.name, entry);
  }
  return [...byName].map(([n, e]) => `$(${n}) left as written in ${e.where.join(', ')}: ${e.why}`);
}

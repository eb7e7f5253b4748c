/**
 * The images of a local run, settled before anything is played: each container's image is had
 * under its `imagePullPolicy` (present, or pulled), or replaced for this run, or the run is refused
 * with one error per image that names the containers, the image, the pull policy and the fix.
 * podman then plays a copy in which every container names an image it has (`imagePullPolicy:
 * Never`), so it pulls nothing itself and its own errors never reach the user alone.
 *
 *  - `imagePullPolicy` as the kubelet reads it (`Always` by default for `:latest` or no tag,
 *    `IfNotPresent` otherwise): `Never` needs the image in podman, `IfNotPresent` pulls it when it
 *    is not, `Always` pulls it; when that pull fails but podman has the image, a step or sidecar
 *    runs with podman's copy and the run says so (a kubelet would report ErrImagePull instead);
 *  - `--image FROM=TO` (`substitutes`): every container whose image is FROM runs TO, used as
 *    podman has it and pulled only when absent;
 *  - the entrypoint image (the `cdk8s-steps-init` copy container's): when the manifest's cannot be
 *    had under its pull policy, and the steps speak the contract of the entrypoint binary this
 *    package carries, the run uses the local image made from that binary (entrypoint-image.ts) and
 *    says so in one line; `entrypointImage` names another image for this run instead; a contract
 *    mismatch is an error naming both versions. An entrypoint image whose
 *    `io.cdk8s-steps.contract` label names another contract than the steps' is refused too.
 */
import { ContractMismatchError, localEntrypointImage, packagedContractVersion } from './entrypoint-image';
import { podman } from './podman';
import { CONTRACT_LABEL } from '../image/layout';
import { isSidecar } from '../pod/sidecar';
import { readWrapperArgs } from '../wire/args';
import { INIT_CONTAINER_NAME } from '../wire/layout';
import { K8sObject } from '../wire/workload';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface ImageOptions {
  /** `--image FROM=TO`: the image each FROM is replaced with for this run. */
  readonly substitutes?: ReadonlyMap<string, string>;
  /** `--entrypoint-image REF`: the copy container runs REF instead of the manifest's entrypoint image. */
  readonly entrypointImage?: string;
  /** One line per thing the run does differently from the manifest (a substitute, a local copy, the packaged entrypoint). */
  readonly notify?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Upper bound for each pull (default 10 minutes). */
  readonly pullTimeoutMs?: number;
}

/** Some images cannot be had: one line per image, each naming the containers and the fix. */
export class ImageError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ImageError';
  }
}

/** A container of the pod in words: `step unit`, `sidecar db`, `init container migrate`, the copy container. */
export function containerRole(c: K8sObject, init: boolean): string {
  if (init && c.name === INIT_CONTAINER_NAME) return `the entrypoint copy container ${INIT_CONTAINER_NAME}`;
  if (init) return isSidecar(c) ? `sidecar ${c.name}` : `init container ${c.name}`;
  return readWrapperArgs(c.command, c.args) ? `step ${c.name}` : `container ${c.name}`;
}

/** The pull policy the kubelet applies: the container's, else Always for `:latest` or no tag (and no digest), else IfNotPresent. */
export function pullPolicyOf(c: K8sObject): PullPolicy {
  const p = c.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const image = String(c.image ?? '');
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The contract version the steps' `-contract=` flags name (they all must name the same one). */
export function manifestContract(containers: readonly K8sObject[]): number | undefined {
  const versions = new Set<number>();
  for (const c of containers) {
    const flag = readWrapperArgs(c.command, c.args)?.flags.get('contract');
    if (flag) versions.add(Number(flag[0]));
  }
  if (versions.size > 1) throw new ImageError([`the steps name different contract versions (-contract=${[...versions].join(', -contract=')}); synthesise the manifest again with one version of cdk8s-steps`]);
  return versions.size === 1 ? [...versions][0] : undefined;
}

/** Parses `FROM=TO` values of `--image`; throws for one that is not. */
export function parseSubstitutes(values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const from = v.slice(0, eq).trim();
    const to = v.slice(eq + 1).trim();
    if (eq <= 0 || !from || !to || /\s/.test(from + to)) {
      throw new Error(`--image wants FROM=TO (the image the manifest names, =, the image to run instead), e.g. --image node:22=localhost/node:22; got "${v}"`);
    }
    if (out.has(from) && out.get(from) !== to) throw new Error(`--image ${from} is given twice, as ${out.get(from)} and as ${to}; give it once`);
    out.set(from, to);
  }
  return out;
}

/** The first line of podman's error that says what went wrong. */
export function podmanReason(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /^Error:/.test(l)) ?? lines[lines.length - 1] ?? 'unknown error';
  return line.replace(/^Error:\s*/, '');
}

interface Use {
  readonly name: string;
  readonly role: string;
  readonly image: string;
  readonly policy: PullPolicy;
  readonly substituted?: string;
}

/**
 * Settles every container's image (see the file comment). Returns container name → the image to
 * play (present in podman); throws an ImageError naming every image that cannot be had, or a
 * ContractMismatchError.
 */
export async function resolveImages(spec: K8sObject, options: ImageOptions = {}): Promise<Map<string, string>> {
  const notify = options.notify ?? (() => undefined);
  const inits: K8sObject[] = spec.initContainers ?? [];
  const ctrs: K8sObject[] = spec.containers ?? [];
  const substitutes = options.substitutes ?? new Map<string, string>();
  const all = [...inits.map((c) => ({ c, init: true })), ...ctrs.map((c) => ({ c, init: false }))];

  const named = new Set(all.map(({ c }) => String(c.image)));
  const unused = [...substitutes.keys()].filter((from) => !named.has(from));
  if (unused.length > 0) {
    throw new ImageError(unused.map((from) => `--image ${from}=${substitutes.get(from)}: no container of the pod runs ${from}; the pod's images are ${[...named].join(', ')}`));
  }

  const uses: Use[] = all.map(({ c, init }) => {
    const role = containerRole(c, init);
    const image = String(c.image);
    if (init && c.name === INIT_CONTAINER_NAME && options.entrypointImage) {
      return { name: c.name, role, image: options.entrypointImage, policy: 'IfNotPresent', substituted: `${image} (--entrypoint-image)` };
    }
    const to = substitutes.get(image);
    if (to !== undefined) return { name: c.name, role, image: to, policy: 'IfNotPresent', substituted: `${image} (--image)` };
    return { name: c.name, role, image, policy: pullPolicyOf(c) };
  });
  for (const to of new Set(uses.filter((u) => u.substituted && !u.substituted.endsWith('(--entrypoint-image)')).map((u) => u.image))) {
    const by = uses.filter((u) => u.image === to && u.substituted);
    notify(`${by.map((u) => u.role).join(', ')}: running ${to} instead of ${by[0].substituted!.replace(/ \(--image\)$/, '')} (--image)`);
  }

  const present = new Map<string, boolean>();
  const exists = async (image: string) => {
    if (!present.has(image)) present.set(image, (await podman(['image', 'exists', image], { allowFailure: true, signal: options.signal })).code === 0);
    return present.get(image)!;
  };
  const pulls = new Map<string, Promise<string | undefined>>();
  /** Pulls once per run; resolves to undefined when pulled, else podman's reason. */
  const pull = (image: string, roles: string[], quietPull = false) => {
    if (!pulls.has(image)) {
      pulls.set(image, (async () => {
        if (!quietPull) notify(`pulling ${image} (${roles.join(', ')})`);
        const r = await podman(['pull', '--quiet', image], { allowFailure: true, signal: options.signal, timeoutMs: options.pullTimeoutMs ?? 600_000 });
        if (r.code === 0) {
          present.set(image, true);
          return undefined;
        }
        return podmanReason(r.stderr || r.stdout);
      })());
    }
    return pulls.get(image)!;
  };

  /** Why `image` cannot be had under `policy` (nothing when it can, pulled if need be); `localCopy` when podman has an older copy. */
  type Availability = { problem?: string; localCopy?: boolean };
  const availability = async (image: string, policy: PullPolicy, roles: string[], quietPull = false): Promise<Availability> => {
    if (policy === 'Never') return await exists(image) ? {} : { problem: 'podman does not have it and imagePullPolicy Never forbids pulling it' };
    if (policy === 'IfNotPresent' && await exists(image)) return {};
    const had = await exists(image);
    const reason = await pull(image, roles, quietPull);
    if (reason === undefined) return {};
    if (policy === 'Always' && had) return { problem: `it could not be pulled (${reason})`, localCopy: true };
    return { problem: `podman does not have it and it could not be pulled (${reason})` };
  };

  const chosen = new Map<string, string>();
  const problems: string[] = [];
  const copy = uses.find((u) => u.name === INIT_CONTAINER_NAME && inits.some((c) => c.name === u.name));
  const contract = manifestContract(ctrs);

  // Steps, sidecars and other containers: grouped by image and policy, one error per image.
  const groups = new Map<string, Use[]>();
  for (const u of uses) {
    if (u === copy) continue;
    const key = `${u.image}\0${u.policy}`;
    groups.set(key, [...groups.get(key) ?? [], u]);
  }
  for (const group of groups.values()) {
    const { image, policy } = group[0];
    const roles = group.map((u) => u.role);
    const a = await availability(image, policy, roles);
    if (a.problem && a.localCopy) {
      notify(`${roles.join(', ')}: ${image} ${a.problem}; this run uses the copy podman has (a kubelet would report ErrImagePull)`);
    } else if (a.problem) {
      problems.push(`${roles.join(', ')}: image ${image} (imagePullPolicy ${policy}${group[0].substituted ? `, for ${group[0].substituted}` : ''}): ${a.problem}. `
        + `Fix: \`podman pull ${image}\` or build it (\`podman build -t ${image} …\`), map it to an image podman has for this run (--image ${image}=LOCAL-IMAGE)`
        + `${policy === 'IfNotPresent' || group[0].substituted ? '' : ', or give the container imagePullPolicy IfNotPresent'}`);
    }
    for (const u of group) chosen.set(u.name, image);
  }

  if (copy) {
    // Its pull is not announced: the entrypoint image is small, and when it fails, one line says what the run does instead.
    const a = await availability(copy.image, copy.policy, [copy.role], true);
    let image = copy.image;
    if (a.problem && options.entrypointImage) {
      problems.push(`--entrypoint-image ${copy.image}: ${a.problem}; build or pull it first, or leave --entrypoint-image out to use the entrypoint this cdk8s-steps carries`);
    } else if (a.problem) {
      if (contract === undefined) {
        problems.push(`${copy.role}: image ${copy.image} (imagePullPolicy ${copy.policy}): ${a.problem}, and no step names its contract version (-contract=), so the entrypoint this cdk8s-steps carries cannot stand in for it`);
      } else if (contract !== packagedContractVersion()) {
        const mismatch = new ContractMismatchError(contract, packagedContractVersion(), 'the manifest');
        problems.push(`${copy.role}: image ${copy.image} (imagePullPolicy ${copy.policy}): ${a.problem}; the entrypoint this cdk8s-steps carries cannot stand in for it: ${mismatch.message}`);
      } else {
        const local = await localEntrypointImage();
        image = local.reference;
        notify(`entrypoint image ${copy.image} (imagePullPolicy ${copy.policy}): ${a.problem.replace(/^podman does not have it and it could not be pulled/, 'not in podman and not pullable')}; `
          + `this run uses ${local.reference}, made from the entrypoint binary this cdk8s-steps carries (contract ${local.contract}, ${local.platform})`);
      }
    }
    if (!a.problem || image !== copy.image) {
      if (contract !== undefined) await checkLabel(image, contract, options.signal);
      chosen.set(copy.name, image);
    }
  }
  if (problems.length > 0) throw new ImageError(problems);
  return chosen;
}

/** Refuses an entrypoint image whose contract label names another version than the steps'. */
async function checkLabel(image: string, contract: number, signal?: AbortSignal): Promise<void> {
  const r = await podman(['image', 'inspect', '--format', `{{index .Labels "${CONTRACT_LABEL}"}}`, image], { allowFailure: true, signal });
  const label = r.code === 0 ? r.stdout.trim() : '';
  if (!/^\d+$/.test(label) || Number(label) === contract) return;
  throw new ImageError([`the entrypoint image ${image} speaks contract ${label} (its ${CONTRACT_LABEL} label), but the steps were synthesised for contract ${contract} `
    + `(-contract=${contract}): name an entrypoint image of contract ${contract} with --entrypoint-image, or synthesise the manifest with the cdk8s-steps version of that image`]);
}

/**
 * The rules for names: containers (steps, sidecars), objects, results, environment variables.
 * Each returns why a name is refused, or undefined. Pure. Internal: not part of the public API.
 */
import { INIT_CONTAINER_NAME, RESERVED_ENV_PREFIX } from '../wire/layout';

const MAX_DNS_LABEL = 63;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Returns why `name` is not a DNS-1123 label (a container name), or undefined when it is one. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_DNS_LABEL) return `it is ${name.length} characters long (at most ${MAX_DNS_LABEL})`;
  if (!DNS_1123_LABEL.test(name)) {
    return 'it must consist of lower-case letters, digits and "-", and start and end with a letter or digit';
  }
  return undefined;
}

/**
 * Returns why `value` is not a DNS-1123 subdomain of at most `max` characters (object names,
 * service account names; 253 is Kubernetes' own maximum), or undefined when it is one. With
 * `prefix` it is a `generateName`: a trailing '-' is allowed and the API server appends 5
 * characters, so at most `max - 5`.
 */
export function dnsSubdomainProblem(value: string, prefix = false, max = 253): string | undefined {
  const most = prefix ? max - 5 : max;
  const body = prefix ? value.replace(/-$/, '') : value;
  if (value.length === 0 || value.length > most || !DNS_1123_SUBDOMAIN.test(body)) {
    return `must be a DNS-1123 subdomain of at most ${most} characters: lowercase letters, digits, '-' and '.', `
      + 'starting and ending with a letter or digit';
  }
  return undefined;
}

/**
 * Argo's longest Workflow, WorkflowTemplate and ClusterWorkflowTemplate name
 * (`maxCharsInObjectName` in argo-workflows `workflow/validate/validate.go`: it becomes a label value).
 */
export const MAX_WORKFLOW_NAME = 63;

/** The longest Job name: the API server copies it into its pods' `job-name` label (at most 63 characters). */
const MAX_JOB_NAME = 63;

/** The kind of object a host writes, as its name rule tells them apart. */
export type HostObjectKind = 'Pod' | 'Job' | 'Workflow';

/**
 * Returns why `name` cannot be the `metadata.name` of the host's object, or undefined: a DNS-1123
 * subdomain, at most 63 characters for a Job (the API server copies a Job's name into the
 * `job-name` label of its pod template, pkg/registry/batch/job/strategy.go `generateSelector`, and
 * a label value holds at most 63) and for a Workflow or WorkflowTemplate (Argo's own limit).
 */
export function objectNameProblem(name: string, kind: HostObjectKind): string | undefined {
  switch (kind) {
    case 'Pod':
      return dnsSubdomainProblem(name);
    case 'Job': {
      const problem = dnsSubdomainProblem(name, false, MAX_JOB_NAME);
      return problem && `${problem} (a Job's name is also the job-name label of its pods)`;
    }
    case 'Workflow': {
      const problem = dnsSubdomainProblem(name, false, MAX_WORKFLOW_NAME);
      return problem && `${problem} (Argo rejects Workflow and WorkflowTemplate names over ${MAX_WORKFLOW_NAME} characters)`;
    }
  }
}

/** What a container of a host is: a step or a sidecar. */
export type ContainerRole = 'Step' | 'Sidecar';

/**
 * Returns why a new step or sidecar cannot be called `name`, or undefined: a container name is a
 * DNS-1123 label, not the injected copy container's, and not taken by a step or sidecar already.
 * @param taken the names of the host's steps and sidecars so far
 */
export function newContainerNameProblem(name: string, role: ContainerRole, taken: ReadonlySet<string>): string | undefined {
  const problem = dnsLabelProblem(name);
  if (problem) return `${role} name "${name}" is not a valid container name (a DNS-1123 label): ${problem}`;
  if (name === INIT_CONTAINER_NAME) return `${role} name "${name}" is reserved for the injected copy container: choose another`;
  if (taken.has(name)) return `Cannot add ${role.toLowerCase()} "${name}": a step or sidecar with that name already exists`;
  return undefined;
}

/** Returns why a sidecar's `options.name` conflicts with its name, or undefined (it is left out or the same). */
export function sidecarOptionsNameProblem(name: string, optionsName: string | undefined): string | undefined {
  return optionsName !== undefined && optionsName !== name
    ? `Sidecar "${name}": options.name is "${optionsName}"; leave it out, the sidecar name is the container name`
    : undefined;
}

/** The longest result name: a short file name, and few bytes in every record that carries it. */
export const MAX_RESULT_NAME = 63;
const RESULT_NAME = /^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/;

/** Returns why `name` is not a valid result name, or undefined when it is one. */
export function resultNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_RESULT_NAME) return `it is ${name.length} characters long (at most ${MAX_RESULT_NAME})`;
  if (!RESULT_NAME.test(name)) {
    return 'it must consist of lower-case letters, digits, "-" and "_", and start and end with a letter or digit';
  }
  return undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Returns why `name` cannot be set from a result, or undefined when it can: a portable environment
 * variable name (what a shell can read as `$NAME`), not one the wrapper sets itself.
 */
export function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) {
    return 'an environment variable name must consist of letters, digits and "_", and not start with a digit';
  }
  return reservedEnvProblem(name);
}

/** Returns why a step may not set `name` in its environment (a name the wrapper sets), or undefined. */
export function reservedEnvProblem(name: string): string | undefined {
  return name.startsWith(RESERVED_ENV_PREFIX) ? `names starting with ${RESERVED_ENV_PREFIX} are set by the step wrapper` : undefined;
}

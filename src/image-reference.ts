/**
 * Container image references (`[registry/]path[:tag][@algorithm:hex]`), checked against the
 * grammar of the distribution project's `reference` package, which container runtimes use.
 * Pure logic, no constructs.
 */

/** Thrown for a malformed image reference; the message says what is wrong and how to fix it. */
export class InvalidImageReferenceError extends Error {
  constructor(public readonly reference: string, problem: string, fix: string, context?: string) {
    // The name leads the message too, so that it shows wherever only the message is printed.
    super(`InvalidImageReferenceError: ${context ? context + ': ' : ''}invalid image reference ${JSON.stringify(reference)}: ${problem}. ${fix}`);
    this.name = 'InvalidImageReferenceError';
  }
}

/** A parsed image reference. */
export interface ImageReference {
  /** Registry host (and port) when the reference names one, e.g. `ghcr.io` or `localhost:5000`. */
  readonly domain?: string;
  /** Repository path inside the registry, e.g. `cdk8s-steps/entrypoint`. */
  readonly path: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` or `sha512:<128 hex>`. */
  readonly digest?: string;
}

const EXAMPLE = 'Write it like ghcr.io/owner/image:1.2.3 or ghcr.io/owner/image:1.2.3@sha256:<64 lowercase hex digits>';
const DOMAIN_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const ALGORITHM = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
/** Hex digits per supported digest algorithm. */
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha512: 128 };
const MAX_NAME_LENGTH = 255;

/**
 * Parses `reference`, or throws `InvalidImageReferenceError`; `context` (e.g. the API that was
 * called) starts its message.
 */
export function parseImageReference(reference: string, context?: string): ImageReference {
  const fail = (problem: string, fix: string): never => {
    throw new InvalidImageReferenceError(reference, problem, fix, context);
  };
  if (typeof reference !== 'string' || reference.trim() === '') fail('it is empty', EXAMPLE);
  const space = reference.search(/\s/);
  if (space >= 0) {
    fail(`it contains whitespace at position ${space}`, 'Remove the spaces (often a stray space or newline from copy and paste)');
  }
  const [nameAndTag, digest, ...extra] = reference.split('@');
  if (extra.length > 0) fail('it contains more than one "@"', `Keep one "@" before the digest. ${EXAMPLE}`);
  if (digest !== undefined) checkDigest(digest, fail);

  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  const name = colon >= 0 ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) {
    fail(`tag ${JSON.stringify(tag)} is not valid`,
      'A tag is 1 to 128 letters, digits, "_", "." or "-", and does not start with "." or "-"');
  }
  if (name === '') fail('the repository name is missing', EXAMPLE);
  if (name.length > MAX_NAME_LENGTH) fail(`the name is ${name.length} characters long`, `Use at most ${MAX_NAME_LENGTH}`);

  const parts = name.split('/');
  // Like docker: the first part is a registry when it has a "." or a ":" or is localhost.
  const domain = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost') ? parts.shift() : undefined;
  if (domain !== undefined && !DOMAIN.test(domain)) {
    fail(`registry ${JSON.stringify(domain)} is not a valid host name or host:port`, EXAMPLE);
  }
  for (const part of parts) checkPathComponent(part, parts.join('/'), fail);
  return { domain, path: parts.join('/'), tag, digest };
}

function checkDigest(digest: string, fail: (problem: string, fix: string) => never): void {
  const colon = digest.indexOf(':');
  const algorithm = colon >= 0 ? digest.slice(0, colon) : '';
  const hex = digest.slice(colon + 1);
  if (colon < 0 || !ALGORITHM.test(algorithm)) {
    fail(`digest ${JSON.stringify(digest)} is not <algorithm>:<hex>`, 'Write the digest as sha256:<64 lowercase hex digits>');
  }
  const length = DIGEST_LENGTHS[algorithm];
  if (length === undefined) {
    fail(`digest algorithm ${JSON.stringify(algorithm)} is not supported`, 'Use a sha256 digest (or sha512), as registries report it');
  }
  const bad = hex.search(/[^0-9a-f]/);
  if (bad >= 0) {
    const fix = /[A-F]/.test(hex[bad]) ? 'Write the hex digits in lowercase' : 'Copy the digest again from the registry or `podman manifest inspect`';
    fail(`digest has ${JSON.stringify(hex[bad])} at hex position ${bad}, not a lowercase hex digit`, fix);
  }
  if (hex.length !== length) {
    fail(`${algorithm} digest has ${hex.length} hex digits, not ${length}`, 'Copy the whole digest; it may have been cut');
  }
}

function checkPathComponent(part: string, path: string, fail: (problem: string, fix: string) => never): void {
  if (part === '') fail(`repository path ${JSON.stringify(path)} has an empty component`, 'Remove the doubled, leading or trailing "/"');
  if (/[A-Z]/.test(part)) {
    fail(`repository path ${JSON.stringify(path)} has uppercase letters`,
      `Repository paths are lowercase (only tags may have uppercase): use ${JSON.stringify(path.toLowerCase())}`);
  }
  if (!PATH_COMPONENT.test(part)) {
    fail(`repository path component ${JSON.stringify(part)} is not valid`,
      'A component is lowercase letters and digits, joined by ".", "_", "__" or "-", with none at either end');
  }
}

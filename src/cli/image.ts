/**
 * `cdk8s-steps image build` and `cdk8s-steps image push`: the entrypoint image from the binaries the
 * package carries, with no Go, no clone and no container engine (skopeo for the push).
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { CliError } from './errors';
import { buildEntrypointImage, writeImageLayout } from '../image/build';
import { pushEntrypointImage } from '../image/push';

export const IMAGE_USAGE = `  image build [--out DIR] [--version V]
      Writes the entrypoint image (an OCI image index: linux/amd64 and linux/arm64, made from the
      binaries this package carries) as an OCI image layout into DIR (default
      cdk8s-steps-entrypoint), tagged with the package version, and prints the index digest: for
      one package version it is the same on every machine, and a release pins it.
        --version V         label and tag the image with V instead of the package version
  image push REF [--tls-verify=false]
      Builds that image and copies it unchanged to REF ([registry/]path[:tag], the tag defaulting
      to the package version) with skopeo (skopeo copy --all --preserve-digests), checks the digest
      the registry got, and prints the digest reference and Entrypoint.fromImage('REF@sha256:...').
      Needs skopeo and, for a private registry, \`skopeo login\` (or podman login) first.
        --tls-verify=false  for a registry that speaks plain HTTP or whose certificate is not trusted
`;

interface Io { readonly out: { write(s: string): void }; readonly err: { write(s: string): void } }

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]}\nusage:\n${usage}`);
  }
}

/** Any error of the image code as a CliError (a one-line message, exit 2). */
function cliError(e: unknown): never {
  if (e instanceof CliError) throw e;
  throw new CliError(e instanceof Error ? e.message : String(e));
}

export async function imageCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'build': {
      const { values, positionals } = parse(rest, { out: { type: 'string' }, version: { type: 'string' } }, IMAGE_USAGE);
      if (positionals.length > 0) throw new CliError(`image build takes no arguments, got ${positionals.join(' ')} (--out DIR names the directory)\nusage:\n${IMAGE_USAGE}`);
      const dir = (values.out as string | undefined) ?? 'cdk8s-steps-entrypoint';
      try {
        const image = buildEntrypointImage({ version: values.version as string | undefined });
        writeImageLayout(image, dir);
        io.err.write(`wrote the entrypoint image ${image.tag} (${image.platforms.map((p) => p.platform).join(', ')}) as an OCI image layout into ${dir}; `
          + `push it with \`cdk8s-steps image push REGISTRY/REPO\`, or \`skopeo copy --all --preserve-digests oci:${dir}:${image.tag} docker://REGISTRY/REPO:${image.tag}\`\n`);
        io.out.write(`${image.index.digest}\n`);
      } catch (e) {
        cliError(e);
      }
      return 0;
    }
    case 'push': {
      const { values, positionals } = parse(rest, { 'tls-verify': { type: 'string' } }, IMAGE_USAGE);
      if (positionals.length !== 1) {
        throw new CliError(`${positionals.length === 0 ? 'image push needs the repository to push to (e.g. registry.example.com/you/cdk8s-steps-entrypoint)' : `image push takes one repository, got ${positionals.join(' ')}`}\nusage:\n${IMAGE_USAGE}`);
      }
      const tls = values['tls-verify'] as string | undefined;
      if (tls !== undefined && tls !== 'true' && tls !== 'false') throw new CliError(`--tls-verify must be true or false, got "${tls}"`);
      try {
        const pushed = await pushEntrypointImage(positionals[0], { tlsVerify: tls !== 'false' });
        io.out.write(`pushed ${pushed.reference}\n${pushed.usage}\n`);
      } catch (e) {
        cliError(e);
      }
      return 0;
    }
    default:
      throw new CliError(`${sub === undefined ? 'image needs a subcommand' : `unknown image subcommand "${sub}"`}: build or push\nusage:\n${IMAGE_USAGE}`);
  }
}

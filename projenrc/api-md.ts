/**
 * Post-processes jsii-docgen's API.md (the last step of the `docgen` task).
 *
 * jsii-docgen renders every `@see` tag as a link whose target is the tag's text. For the members
 * we inherit from cdk8s-plus, that text is a member name such as
 * `INetworkPolicyPeer.toNetworkPolicyPeerConfig ()`, which becomes a link to a file that does not
 * exist. Such a line is rewritten as a plain reference in code; `@see` lines with a URL or an
 * `#anchor` are kept as they are.
 *
 *   ts-node projenrc/api-md.ts API.md
 */
import * as fs from 'fs';

const SEE_LINE = /^> \[(.+)\]\((.+)\)$/;
const KEEP = /^([a-z][a-z0-9+.-]*:|#)/i;

/** API.md with every `@see` link that has no URL or anchor turned into plain text. */
export function fixApiMd(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => {
      const m = SEE_LINE.exec(line);
      if (!m || m[1] !== m[2] || KEEP.test(m[2])) return line;
      return `> See \`${m[1].replace(/\s+\(\)$/, '()')}\``;
    })
    .join('\n');
}

if (require.main === module) {
  const file = process.argv[2] ?? 'API.md';
  fs.writeFileSync(file, fixApiMd(fs.readFileSync(file, 'utf8')));
}

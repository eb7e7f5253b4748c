/**
 * Every relative link and #anchor in the repository's Markdown (README, docs/, folder READMEs,
 * API.md) resolves to a file a reader of the repository has, and to a heading or id in it.
 */
import * as path from 'path';
import { anchorsOf, deadLinks, DocRepo, gitRepo, linksOf } from './markdown-links';

function memoryRepo(files: Record<string, string>): DocRepo {
  return { files: new Set(Object.keys(files)), read: (file) => files[file] };
}

describe('the link checker', () => {
  const repo = memoryRepo({
    'README.md': [
      '# Title',
      'See [the contract](docs/contract.md#exit-codes), [bench](bench/README.md) and [a folder](docs/).',
      'Also [up](#title), [a dup](#usage-1), [code](#resources-resourcestrategy) and [html](#my-id).',
      '## Usage',
      '## Usage',
      '## Resources: `ResourceStrategy`',
      '<a name="x" id="my-id"></a>',
      '```',
      '[inside code](missing.md)',
      '```',
      '[web](https://example.com/nothing) [mail](mailto:a@b.c) [encoded](docs/with%20space.md)',
    ].join('\n'),
    'docs/contract.md': '# Contract\n\n## Exit codes\n\nBack to [the README](../README.md#usage).\n',
    'docs/with space.md': '# Spaced\n',
    'bench/README.md': '# Bench\n',
  });

  test('accepts links to files, folders, headings (also duplicated or with code) and ids', () => {
    expect(deadLinks(repo, 'README.md')).toEqual([]);
    expect(deadLinks(repo, 'docs/contract.md')).toEqual([]);
  });

  test('does not count links inside code blocks', () => {
    expect(linksOf(repo.read('README.md')).map((l) => l.target)).not.toContain('missing.md');
  });

  test('computes anchors as GitHub does', () => {
    expect([...anchorsOf(repo.read('README.md'))]).toEqual(
      expect.arrayContaining(['title', 'usage', 'usage-1', 'resources-resourcestrategy', 'my-id', 'x']),
    );
  });

  test('reports a missing file, a link outside the repository and an unknown anchor, with the line', () => {
    const bad = memoryRepo({
      'README.md': 'intro\n\n[seed](../shared/reference/notes.txt)\n\n[gone](docs/gone.md) [anchor](docs/a.md#nope) [self](#nowhere)\n',
      'docs/a.md': '# A\n',
    });
    expect(deadLinks(bad, 'README.md')).toEqual([
      'README.md:3: ../shared/reference/notes.txt: points outside the repository',
      'README.md:5: docs/gone.md: no such file in the repository (docs/gone.md is missing or git-ignored)',
      'README.md:5: docs/a.md#nope: no heading or id "nope" in docs/a.md',
      'README.md:5: #nowhere: no heading or id "nowhere" in README.md',
    ]);
  });

  test('reports a link to a git-ignored file as dead', () => {
    const bad = memoryRepo({ 'README.md': '[out](dist/ci.k8s.yaml)\n' });
    expect(deadLinks(bad, 'README.md')).toHaveLength(1);
  });
});

describe('the repository\'s Markdown', () => {
  const repo = gitRepo(path.resolve(__dirname, '..'));
  const markdown = [...repo.files].filter((f) => f.endsWith('.md')).sort();

  test('includes the README, docs/, the folder READMEs and API.md', () => {
    expect(markdown).toEqual(expect.arrayContaining([
      'README.md', 'API.md', 'docs/contract.md', 'bench/README.md', 'entrypoint-image/README.md', 'test/e2e/README.md',
    ]));
  });

  test.each(markdown)('%s has no dead link', (file) => {
    expect(deadLinks(repo, file)).toEqual([]);
  });
});

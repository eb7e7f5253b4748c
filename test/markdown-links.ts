/**
 * Finds the dead links of a Markdown file: relative links to files that are not in the repository
 * (missing, git-ignored, or outside it) and `#anchors` that no heading or `id`/`name` attribute of
 * the target file defines. Markdown is parsed with commonmark (so links inside code are not links),
 * and heading anchors are computed with github-slugger, as GitHub renders them.
 * External links (`https:`, `mailto:`, …) are not fetched.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Node, Parser } from 'commonmark';
import GithubSlugger from 'github-slugger';

/** The files a reader of the repository sees, and their contents. */
export interface DocRepo {
  /** Repository-relative POSIX paths of every file that is not git-ignored. */
  readonly files: ReadonlySet<string>;
  /** The text of one of `files`. */
  read(file: string): string;
}

/** A link as written in a Markdown file. */
export interface MarkdownLink {
  readonly target: string;
  /** 1-based line of the block that holds the link. */
  readonly line: number;
}

const HTML_LINK = /\b(?:href|src)\s*=\s*"([^"]*)"/g;
const HTML_ANCHOR = /\b(?:id|name)\s*=\s*"([^"]*)"/g;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function lineOf(node: Node): number {
  for (let n: Node | null = node; n; n = n.parent) {
    if (n.sourcepos) return n.sourcepos[0][0];
  }
  return 0;
}

function textOf(node: Node): string {
  let text = '';
  const walker = node.walker();
  for (let e = walker.next(); e; e = walker.next()) {
    if (e.entering && (e.node.type === 'text' || e.node.type === 'code')) text += e.node.literal ?? '';
  }
  return text;
}

function matches(re: RegExp, text: string): string[] {
  return [...text.matchAll(re)].map((m) => m[1]);
}

/** Every link and image destination, including `href`/`src` attributes of inline HTML. */
export function linksOf(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  const walker = new Parser().parse(markdown).walker();
  for (let e = walker.next(); e; e = walker.next()) {
    const node = e.node;
    if (!e.entering) continue;
    if ((node.type === 'link' || node.type === 'image') && node.destination !== null) {
      links.push({ target: node.destination, line: lineOf(node) });
    } else if (node.type === 'html_inline' || node.type === 'html_block') {
      for (const target of matches(HTML_LINK, node.literal ?? '')) links.push({ target, line: lineOf(node) });
    }
  }
  return links;
}

/** The anchors a file defines: GitHub's heading slugs and HTML `id`/`name` attributes. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const slugger = new GithubSlugger();
  const walker = new Parser().parse(markdown).walker();
  for (let e = walker.next(); e; e = walker.next()) {
    if (!e.entering) continue;
    if (e.node.type === 'heading') anchors.add(slugger.slug(textOf(e.node)));
    if (e.node.type === 'html_inline' || e.node.type === 'html_block') {
      for (const anchor of matches(HTML_ANCHOR, e.node.literal ?? '')) anchors.add(anchor);
    }
  }
  return anchors;
}

function isDirectory(repo: DocRepo, dir: string): boolean {
  if (dir === '') return true;
  for (const file of repo.files) if (file.startsWith(`${dir}/`)) return true;
  return false;
}

function safeDecode(text: string): string {
  try { return decodeURIComponent(text); } catch { return text; }
}

/** One message per dead link of `file` (a path in `repo.files`): `file:line: target: why`. */
export function deadLinks(repo: DocRepo, file: string): string[] {
  const dead: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (target: string) => {
    if (!anchorCache.has(target)) anchorCache.set(target, anchorsOf(repo.read(target)));
    return anchorCache.get(target)!;
  };
  for (const { target, line } of linksOf(repo.read(file))) {
    const fail = (why: string) => dead.push(`${file}:${line}: ${target}: ${why}`);
    if (SCHEME.test(target)) continue; // external: not fetched
    const hash = target.indexOf('#');
    const filePart = safeDecode(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : safeDecode(target.slice(hash + 1));
    let resolved = file;
    if (filePart !== '') {
      const joined = filePart.startsWith('/')
        ? path.posix.normalize(filePart.slice(1))
        : path.posix.join(path.posix.dirname(file), filePart);
      resolved = joined.replace(/\/+$/, '');
      if (resolved === '.') resolved = '';
      if (resolved === '..' || resolved.startsWith('../')) {
        fail('points outside the repository');
        continue;
      }
      if (!repo.files.has(resolved) && !isDirectory(repo, resolved)) {
        fail(`no such file in the repository (${resolved || '.'} is missing or git-ignored)`);
        continue;
      }
    }
    if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && !anchorsIn(resolved).has(anchor)) {
      fail(`no heading or id "${anchor}" in ${resolved}`);
    }
  }
  return dead;
}

/** The repository at `root` as a reader sees it: tracked and untracked files, without ignored ones. */
export function gitRepo(root: string): DocRepo {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && fs.existsSync(path.join(root, f)));
  return { files: new Set(listed), read: (file) => fs.readFileSync(path.join(root, file), 'utf8') };
}

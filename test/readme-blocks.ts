/**
 * The code blocks of the README, as written, for the tests that run or compile them (so the README
 * and what is tested cannot drift): each block's language, text, line and the section it is in.
 * Parsed with commonmark, as the link check does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Parser } from 'commonmark';

export const README = path.resolve(__dirname, '..', 'README.md');

export interface CodeBlock {
  /** The info string's first word (`ts`, `sh`, or '' for a plain block). */
  readonly lang: string;
  readonly text: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The `##` heading the block is under. */
  readonly section: string;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let section = '';
  const walker = new Parser().parse(markdown).walker();
  for (let e = walker.next(); e; e = walker.next()) {
    const node = e.node;
    if (!e.entering) continue;
    if (node.type === 'heading' && node.level === 2) {
      let text = '';
      const w = node.walker();
      for (let h = w.next(); h; h = w.next()) if (h.entering && (h.node.type === 'text' || h.node.type === 'code')) text += h.node.literal ?? '';
      section = text;
    }
    if (node.type === 'code_block' && node.info !== null) {
      blocks.push({ lang: (node.info ?? '').split(/\s+/)[0], text: node.literal ?? '', line: node.sourcepos[0][0], section });
    }
  }
  return blocks;
}

export function readmeBlocks(): CodeBlock[] {
  return codeBlocks(fs.readFileSync(README, 'utf8'));
}

/** The README's Quick start, block by block, in the order its steps come (throws when the section no longer has that shape). */
export interface QuickStart {
  /** 1. the project: mkdir, npm init, cdk8s and its tools, tsconfig, cdk8s.yaml */
  readonly project: CodeBlock;
  /** 2. cdk8s-steps from a clone's packed tarball: clone, pack, install */
  readonly install: CodeBlock;
  /** 3. main.ts */
  readonly pipeline: CodeBlock;
  /** 4. synth and run */
  readonly run: CodeBlock;
  /** 4. what run prints at the end (the table) */
  readonly table: CodeBlock;
  /** 5. image push */
  readonly push: CodeBlock;
  /** 5. synth again and apply */
  readonly apply: CodeBlock;
}

export function quickStart(blocks = readmeBlocks()): QuickStart {
  const qs = blocks.filter((b) => b.section === 'Quick start');
  const shape = qs.map((b) => b.lang || 'plain').join(' ');
  // The steps, then "More of the step API" (ts).
  if (!shape.startsWith('sh sh ts sh plain sh sh')) throw new Error(`README's Quick start blocks are "${shape}", not the steps test/e2e/quickstart.test.ts performs (sh sh ts sh plain sh sh ...)`);
  const [project, install, pipeline, run, table, push, apply] = qs;
  return { project, install, pipeline, run, table, push, apply };
}

/** A shell block's commands, one per line, without the comments after them. */
export function commands(block: CodeBlock): string[] {
  return block.text.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));
}

/**
 * The pictures rendered in a real browser (Debian's chromium, headless): the screenshot's pixels
 * must show a bar (timeline) or a node (graph) of the right colour for every step, on a white
 * background elsewhere.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DOMParser, Element } from '@xmldom/xmldom';
import { Duration } from 'cdk8s';
import fc from 'fast-check';
import { checkInChromium, near, newStepPod, pixel, runBin, scratch, screenshot, writeManifest } from './cli-helpers';
import { OnError, RunIf } from '../src';
import { parseDocuments, pickWorkload } from '../src/cli/manifest';
import { StepView, stepViews } from '../src/cli/model';
import { renderGraph } from '../src/cli/render/graph';
import { PLAIN_NODE_COLOR, REASON_COLORS, textWidth } from '../src/cli/render/svg';
import { MIN_BAR, renderTimeline } from '../src/cli/render/timeline';
import { StepGraphData } from '../src/wire/graph';
import { parseReport } from '../src/wire/report';
import { HostTraits } from '../src/wire/step-traits';

const dir = scratch();

/** A 7-step pipeline with a fan-out, through the public API. */
function pipeline() {
  const { chart, pod } = newStepPod('pipe');
  const img = { image: 'localhost/step:dev', command: ['true'] };
  const checkout = pod.addStep('checkout', img);
  const install = pod.addStep('install', { ...img, dependsOn: [checkout] });
  const checks = ['lint', 'unit', 'typecheck'].map((n) => pod.addStep(n, { ...img, dependsOn: [install] }));
  const build = pod.addStep('build', { ...img, dependsOn: checks });
  pod.addStep('publish', { ...img, dependsOn: [build] });
  const file = writeManifest(dir, chart, 'pipe.k8s.yaml');
  return { file, workload: pickWorkload(parseDocuments(fs.readFileSync(file, 'utf8'), file), file, undefined) };
}

/** A run of the pipeline: unit fails, so build and publish are skipped. */
const OUTCOMES: Record<string, [string, number, number, number]> = {
  checkout: ['Succeeded', 0, 0, 400],
  install: ['Succeeded', 0, 420, 1500],
  lint: ['Succeeded', 0, 1520, 2100],
  unit: ['Failed', 1, 1520, 2600],
  typecheck: ['TimedOut', 124, 1530, 3000],
  build: ['Skipped', 120, 3010, 3020],
  publish: ['Skipped', 120, 3030, 3040],
};

function runViews(graph: ReturnType<typeof pipeline>['workload']['graph']) {
  const T = Date.parse('2026-11-27T10:00:00.000Z');
  return stepViews(graph, (s) => {
    const [reason, exitCode, t0, t1] = OUTCOMES[s];
    const at = (t: number) => new Date(T + t).toISOString();
    const report = parseReport(JSON.stringify({ step: s, reason, exitCode, startedAt: at(t0), finishedAt: at(t1), attempts: 1 }));
    return { started: true, exitCode, report };
  });
}

test('timeline: one bar per step in its reason\'s colour, at its place on the time axis', () => {
  const { workload } = pipeline();
  const views = runViews(workload.graph);
  const layout = renderTimeline(views, { title: 'pipe' });
  const file = path.join(dir, 'timeline.svg');
  fs.writeFileSync(file, layout.svg);
  const png = screenshot(file, layout.width, layout.height);
  expect({ w: png.width, h: png.height }).toEqual({ w: layout.width, h: layout.height });
  expect(layout.bars.map((b) => b.step).sort()).toEqual(Object.keys(OUTCOMES).sort());
  for (const b of layout.bars) {
    const want = REASON_COLORS[OUTCOMES[b.step][0]];
    if (b.hatched) {
      // A step that did not run: an outline and stripes of its colour, white between them.
      const inside: string[] = [];
      for (let x = Math.ceil(b.x); x < b.x + b.width; x++) for (let y = Math.ceil(b.y); y < b.y + b.height; y++) inside.push(pixel(png, x, y));
      expect({ step: b.step, colour: inside.some((c) => near(c, want, 24)), white: inside.some((c) => near(c, '#ffffff', 24)) }).toEqual({ step: b.step, colour: true, white: true });
    } else {
      const got = pixel(png, b.x + b.width / 2, b.y + b.height / 2);
      expect({ step: b.step, got, ok: near(got, want) }).toEqual({ step: b.step, got, ok: true });
    }
    // Just above the bar (between rows) is background, not bar.
    expect({ step: b.step, above: near(pixel(png, b.x + b.width / 2, b.y - 3), want) }).toEqual({ step: b.step, above: false });
  }
  // The failed step is readable at a glance: its bar is at least MIN_BAR wide and its row tinted.
  const unit = layout.bars.find((b) => b.step === 'unit')!;
  expect(unit.width).toBeGreaterThanOrEqual(MIN_BAR);
  expect(near(pixel(png, 4, unit.y + unit.height / 2), '#ffebee')).toBe(true);
  // Bars keep the run's order in time: checkout ends before install starts, unit ends after lint.
  const bar = (s: string) => layout.bars.find((b) => b.step === s)!;
  expect(bar('checkout').x + bar('checkout').width).toBeLessThan(bar('install').x);
  expect(bar('unit').x + bar('unit').width).toBeGreaterThan(bar('lint').x + bar('lint').width);
}, 180_000);

test('graph --format svg through the bin: dagre lays it out left to right, one node per step', async () => {
  const { file, workload } = pipeline();
  const r = await runBin(['graph', file, '--format', 'svg']);
  expect(r.code).toBe(0);
  const svgFile = path.join(dir, 'graph.svg');
  fs.writeFileSync(svgFile, r.stdout);
  const layout = renderGraph(workload.graph);
  expect(r.stdout.trim()).toBe(layout.svg);
  const png = screenshot(svgFile, layout.width, layout.height);
  expect(layout.nodes).toHaveLength(7);
  for (const n of layout.nodes) {
    // Inside the node's left padding (its label is centred).
    const got = pixel(png, n.x - n.width / 2 + 4, n.y);
    expect({ step: n.step, got, ok: near(got, PLAIN_NODE_COLOR) }).toEqual({ step: n.step, got, ok: true });
  }
  // Left to right: every dependency's node is left of its dependent's.
  const node = (s: string) => layout.nodes.find((n) => n.step === s)!;
  for (const s of workload.graph.steps) {
    for (const d of workload.graph.dependsOn.get(s) ?? []) expect(node(d).x).toBeLessThan(node(s).x);
  }
  expect(near(pixel(png, 2, 2), '#ffffff')).toBe(true);
}, 180_000);

test('graph of a run: nodes coloured by reason', () => {
  const { workload } = pipeline();
  const layout = renderGraph(workload.graph, runViews(workload.graph));
  const file = path.join(dir, 'graph-run.svg');
  fs.writeFileSync(file, layout.svg);
  const png = screenshot(file, layout.width, layout.height);
  for (const n of layout.nodes) {
    const want = REASON_COLORS[OUTCOMES[n.step][0]];
    const got = pixel(png, n.x - n.width / 2 + 4, n.y);
    expect({ step: n.step, got, ok: near(got, want) }).toEqual({ step: n.step, got, ok: true });
  }
}, 180_000);

/** A random DAG of `n` steps (each depends on up to three earlier ones), with random traits: the last `finals` steps are finally steps. */
function randomHost(n: number, finals: number, seed: number): { graph: StepGraphData; traits: HostTraits; views: StepView[] } {
  let x = seed;
  const rnd = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  const names = Array.from({ length: n }, (_, i) => (rnd() < 0.2 ? `a-rather-long-step-name-${i}` : `s${i}`));
  const main = n - finals;
  const dependsOn = new Map<string, string[]>();
  names.forEach((s, i) => {
    if (i >= main) {
      dependsOn.set(s, names.slice(0, i));
      return;
    }
    const k = i === 0 ? 0 : Math.floor(rnd() * 4);
    dependsOn.set(s, [...new Set(Array.from({ length: k }, () => names[Math.floor(rnd() * i)]))]);
  });
  const graph: StepGraphData = { steps: names, dependsOn };
  const flags = ['all_succeeded', 'always', 'any_failed', 'result_in', 'result_not_in'];
  const traits: HostTraits = {
    steps: new Map(names.map((s, i) => {
      const runIf = i >= main ? 'always' : flags[Math.floor(rnd() * flags.length)];
      return [s, {
        runIf,
        ...runIf.startsWith('result') ? { condition: `${names[0]}.channel ${runIf === 'result_in' ? 'in' : 'not in'} [stable, beta, a-very-long-channel-name]` } : {},
        retries: rnd() < 0.3 ? Math.floor(rnd() * 5) : 0,
        ...rnd() < 0.3 ? { timeout: `${Math.floor(rnd() * 600)}s` } : {},
        continueOnError: rnd() < 0.2,
        isFinally: i >= main,
      }];
    })),
    sidecars: rnd() < 0.5 ? ['postgres', 'redis-cache'].slice(0, 1 + Math.floor(rnd() * 2)) : [],
  };
  const reasons = ['Succeeded', 'Failed', 'Skipped', 'TimedOut', 'DependencyLost', 'Aborted'];
  const reportOf = () => parseReport(JSON.stringify({ reason: reasons[Math.floor(rnd() * reasons.length)], exitCode: 0 }));
  const views = stepViews(graph, () => ({ started: true, exitCode: 0, report: reportOf() }), traits);
  return { graph, traits, views };
}

/** Every coordinate an SVG element draws at, parsed from the SVG's XML; text spans estimated from the font size. */
interface Box { what: string; x0: number; y0: number; x1: number; y1: number }
function extents(svg: string): { width: number; height: number; viewBox: string; boxes: Box[] } {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = doc.documentElement!;
  const num = (e: Element, a: string) => Number(e.getAttribute(a) ?? 0);
  const boxes: Box[] = [];
  const all = root.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const e = all[i];
    let p = e.parentNode as Element | null;
    let inDefs = false;
    for (; p; p = p.parentNode as Element | null) if (p.nodeName === 'defs') inDefs = true;
    if (inDefs) continue;
    const what = `${e.nodeName}${e.nodeName === 'text' ? ` "${e.textContent}"` : ''}`;
    if (e.nodeName === 'rect') boxes.push({ what, x0: num(e, 'x'), y0: num(e, 'y'), x1: num(e, 'x') + num(e, 'width'), y1: num(e, 'y') + num(e, 'height') });
    if (e.nodeName === 'line') boxes.push({ what, x0: Math.min(num(e, 'x1'), num(e, 'x2')), y0: Math.min(num(e, 'y1'), num(e, 'y2')), x1: Math.max(num(e, 'x1'), num(e, 'x2')), y1: Math.max(num(e, 'y1'), num(e, 'y2')) });
    if (e.nodeName === 'path') {
      // M/L x,y pairs, H x, V y: track the pen.
      let cx = 0;
      let cy = 0;
      for (const m of (e.getAttribute('d') ?? '').matchAll(/([MLHVC])\s*([-\d.,\s]+)/g)) {
        const v = m[2].trim().split(/[\s,]+/).map(Number);
        if (m[1] === 'H') {cx = v[0];} else if (m[1] === 'V') {cy = v[0];} else { cx = v[v.length - 2]; cy = v[v.length - 1]; }
        boxes.push({ what: `path ${m[1]}`, x0: cx, y0: cy, x1: cx, y1: cy });
      }
    }
    if (e.nodeName === 'text') {
      const size = num(e, 'font-size') || 12;
      const w = textWidth(e.textContent ?? '', size);
      const anchor = e.getAttribute('text-anchor') ?? 'start';
      const x0 = anchor === 'middle' ? num(e, 'x') - w / 2 : anchor === 'end' ? num(e, 'x') - w : num(e, 'x');
      boxes.push({ what, x0, y0: num(e, 'y') - size, x1: x0 + w, y1: num(e, 'y') + size * 0.25 });
    }
  }
  return { width: num(root, 'width'), height: num(root, 'height'), viewBox: root.getAttribute('viewBox') ?? '', boxes };
}

function outside(svg: string): string[] {
  const { width, height, viewBox, boxes } = extents(svg);
  expect(viewBox).toBe(`0 0 ${width} ${height}`);
  return boxes.filter((b) => b.x0 < 0 || b.y0 < 0 || b.x1 > width || b.y1 > height).map((b) => `${b.what} [${b.x0}, ${b.y0}, ${b.x1}, ${b.y1}] in ${width}x${height}`);
}

describe('every element inside the picture', () => {
  test('graph: random DAGs of 5 to 200 steps, with marks, finally steps, sidecars and outcomes', () => {
    const sizes = fc.integer({ min: 5, max: 200 });
    fc.assert(fc.property(sizes, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), (n, finals, seed, run) => {
      const { graph, traits, views } = randomHost(n, finals, seed);
      const layout = renderGraph(graph, run ? views : undefined, traits);
      expect(outside(layout.svg)).toEqual([]);
      expect(layout.nodes).toHaveLength(n);
      // The finally steps' edges are one bundle: no edge from a non-finally step ends at a finally step.
      if (finals > 0) expect(layout.bundle).toBeDefined();
    }), { numRuns: 30 });
  }, 300_000);

  test('the dagre layout of examples that once put an edge above the picture', () => {
    // checkout -> cleanup was routed at y = -9.5 (issue 20): a fan-out with a finally step.
    const { graph, traits } = randomHost(8, 1, 7);
    expect(outside(renderGraph(graph, undefined, traits).svg)).toEqual([]);
  });

  test('timeline: random runs with skipped, failed, retried and still running steps', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 2 ** 30 }), (n, seed) => {
      const { graph, traits } = randomHost(n, 0, seed);
      let x = seed;
      const rnd = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
      const T = Date.parse('2026-11-27T10:00:00.000Z');
      const reasons: Array<[string, number]> = [['Succeeded', 0], ['Failed', 1], ['Skipped', 120], ['Skipped', 0], ['TimedOut', 124], ['Aborted', 122]];
      const views = stepViews(graph, () => {
        const t0 = Math.floor(rnd() * 60_000);
        const u = rnd();
        if (u < 0.1) return { started: false };
        if (u < 0.2) return { started: true, startedAtMs: T + t0 };
        const [reason, exitCode] = reasons[Math.floor(rnd() * reasons.length)];
        const t1 = t0 + (reason === 'Skipped' || reason === 'Aborted' ? 0 : Math.floor(rnd() * 30_000));
        const report = parseReport(JSON.stringify({ reason, exitCode, startedAt: new Date(T + t0).toISOString(), finishedAt: new Date(T + t1).toISOString(), attempts: 1, message: 'dependency `x` failed (exit 1) and a long explanation follows here' }));
        const failed = rnd() < 0.3 ? [{ attempt: 1, of: 3, exitCode: 1, backoffMs: 500, atMs: T + t0 + (t1 - t0) / 2 }] : undefined;
        return { started: true, exitCode, report, failedAttempts: failed };
      }, traits);
      const layout = renderTimeline(views, { now: T + 90_000, title: 'pod random' });
      expect(outside(layout.svg)).toEqual([]);
      for (const b of layout.bars) expect(b.width).toBeGreaterThanOrEqual(MIN_BAR);
      const bar = new Map(layout.bars.map((b) => [b.step, b]));
      // Connectors only forward in time: a dependency's end is never right of the start it explains.
      for (const w of layout.waits) expect(bar.get(w.from)!.x + bar.get(w.from)!.width).toBeLessThanOrEqual(bar.get(w.to)!.x + 0.5);
      for (const v of views) {
        const b = bar.get(v.name);
        if (!b) continue;
        expect({ step: v.name, hatched: b.hatched }).toEqual({ step: v.name, hatched: v.report?.reason === 'Skipped' || v.report?.reason === 'Aborted' });
        expect(b.attemptEnds).toHaveLength(v.failedAttempts?.length ?? 0);
      }
    }), { numRuns: 40 });
  }, 300_000);
});

describe('rendered in Chromium', () => {
  test('every picture parses and draws nothing outside its page (text measured with the real font)', () => {
    const { chart, pod } = newStepPod('marks', { });
    const img = { image: 'localhost/step:dev', command: ['true'] };
    const build = pod.addStep('build', { ...img, results: ['channel'], retries: 2, timeout: Duration.seconds(90) });
    const lint = pod.addStep('lint', { ...img, dependsOn: [build], onError: OnError.CONTINUE });
    const test = pod.addStep('test', { ...img, dependsOn: [build] });
    pod.addStep('notify', { ...img, dependsOn: [test, lint], runIf: RunIf.anyFailed() });
    pod.addStep('deploy', { ...img, dependsOn: [test], runIf: RunIf.resultIn(build.result('channel'), ['stable', 'beta']) });
    pod.addFinally('teardown', img);
    pod.addSidecar('db', { image: 'localhost/postgres:dev' });
    const marked = pickWorkload(parseDocuments(fs.readFileSync(writeManifest(dir, chart, 'marks.k8s.yaml'), 'utf8'), 'm'), 'm', undefined);
    const { workload } = pipeline();
    const big = randomHost(200, 2, 12345);
    const T = Date.parse('2026-11-27T10:00:00.000Z');
    const retried = stepViews(marked.graph, (s) => {
      const at = (t: number) => new Date(T + t).toISOString();
      const r = (reason: string, exitCode: number, t0: number, t1: number, attempts = 1) =>
        parseReport(JSON.stringify({ step: s, reason, exitCode, startedAt: at(t0), finishedAt: at(t1), attempts, message: reason === 'Skipped' ? 'condition false: result build.channel is "dev", not in [stable, beta]' : undefined }));
      if (s === 'build') return { started: true, exitCode: 0, report: r('Succeeded', 0, 0, 4200, 3), failedAttempts: [{ attempt: 1, of: 3, exitCode: 1, backoffMs: 500, atMs: T + 1000 }, { attempt: 2, of: 3, exitCode: 1, backoffMs: 1000, atMs: T + 2500 }] };
      if (s === 'test') return { started: true, exitCode: 3, report: r('Failed', 3, 4210, 9000) };
      if (s === 'deploy') return { started: true, exitCode: 0, report: r('Skipped', 0, 9010, 9010) };
      if (s === 'lint') return { started: true, startedAtMs: T + 4215 };
      return { started: false };
    }, marked.traits);
    const svgs = [
      { name: 'graph: a pipeline', svg: renderGraph(workload.graph).svg },
      { name: 'graph: a pipeline run', svg: renderGraph(workload.graph, runViews(workload.graph)).svg },
      { name: 'graph: every mark, finally, a sidecar', svg: renderGraph(marked.graph, undefined, marked.traits).svg },
      { name: 'graph: a run with marks', svg: renderGraph(marked.graph, retried, marked.traits).svg },
      { name: 'graph: 200 random steps', svg: renderGraph(big.graph, big.views, big.traits).svg },
      { name: 'timeline: a failing run', svg: renderTimeline(runViews(workload.graph), { title: 'pod pipe' }).svg },
      { name: 'timeline: retries, a skip, a step still running', svg: renderTimeline(retried, { now: T + 12_000, title: 'pod marks' }).svg },
    ];
    const checks = checkInChromium([
      ...svgs,
      // The check itself can fail: a malformed SVG, and one with an element off the page.
      { name: 'malformed', svg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text x="1" x="2">x</text></svg>' },
      { name: 'off the page', svg: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text x="30" y="15" font-size="12">overflowing</text></svg>' },
    ], dir);
    const byName = new Map(checks.map((c) => [c.name, c]));
    for (const { name } of svgs) {
      const c = byName.get(name)!;
      expect({ name, error: c.error, outside: c.outside }).toEqual({ name, error: undefined, outside: [] });
      expect(c.elements).toBeGreaterThan(5);
    }
    expect(byName.get('malformed')!.error).toMatch(/redefined/);
    expect(byName.get('off the page')!.outside.map((o) => o.element)).toEqual(['text "overflowing"']);
  }, 300_000);
});

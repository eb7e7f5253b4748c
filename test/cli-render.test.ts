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
import { MARK_LEGEND, PLAIN_NODE_COLOR, REASON_COLORS, textWidth } from '../src/cli/render/svg';
import { labelBox, MIN_BAR, overlaps, renderTimeline, segmentsOf, TimelineLayout } from '../src/cli/render/timeline';
import { readGraphAnnotation, StepGraphData } from '../src/wire/graph';
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
      const w = textWidth(e.textContent ?? '', size, e.getAttribute('font-weight') === 'bold');
      const anchor = e.getAttribute('text-anchor') ?? 'start';
      const x0 = anchor === 'middle' ? num(e, 'x') - w / 2 : anchor === 'end' ? num(e, 'x') - w : num(e, 'x');
      boxes.push({ what, x0, y0: num(e, 'y') - size, x1: x0 + w, y1: num(e, 'y') + size * 0.25 });
    }
  }
  return { width: num(root, 'width'), height: num(root, 'height'), viewBox: root.getAttribute('viewBox') ?? '', boxes };
}

/** The elements of an SVG (outside its defs) named `tag`. */
function elementsOf(svg: string, tag: string): Element[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const all = doc.documentElement!.getElementsByTagName(tag);
  const out: Element[] = [];
  for (let i = 0; i < all.length; i++) {
    let p = all[i].parentNode as Element | null;
    let inDefs = false;
    for (; p; p = p.parentNode as Element | null) if (p.nodeName === 'defs') inDefs = true;
    if (!inDefs) out.push(all[i]);
  }
  return out;
}

/** Each `<path>`'s first and last point (M/L pairs, H and V moves). */
function pathEnds(svg: string): Array<{ start: { x: number; y: number }; end: { x: number; y: number } }> {
  return elementsOf(svg, 'path').map((e) => {
    const pts: Array<{ x: number; y: number }> = [];
    let [cx, cy] = [0, 0];
    for (const m of (e.getAttribute('d') ?? '').matchAll(/([MLHV])\s*([-\d.,\s]+)/g)) {
      const v = m[2].trim().split(/[\s,]+/).map(Number);
      if (m[1] === 'H') {cx = v[0];} else if (m[1] === 'V') {cy = v[0];} else { cx = v[0]; cy = v[1]; }
      pts.push({ x: cx, y: cy });
    }
    return { start: pts[0], end: pts[pts.length - 1] };
  });
}

/** The texts of an SVG, outside its defs and titles. */
function textsOf(svg: string): string[] {
  return elementsOf(svg, 'text').map((e) => e.textContent ?? '');
}

const within = (p: { x: number; y: number }, n: { x: number; y: number; width: number; height: number }, slack = 1.5) =>
  Math.abs(p.x - n.x) <= n.width / 2 + slack && Math.abs(p.y - n.y) <= n.height / 2 + slack;

/**
 * The finally bundle, checked on the drawn paths: every edge that ends at a finally step starts at
 * the bundle's bar or at another finally step (never at a step of the run), and each finally step
 * that waits on no other finally step has the bar's arrow.
 */
function expectBundled(layout: ReturnType<typeof renderGraph>, traits: HostTraits): void {
  const finals = layout.nodes.filter((n) => traits.steps.get(n.step)?.isFinally);
  if (finals.length === 0 || finals.length === layout.nodes.length) return;
  const bundle = layout.bundle!;
  expect(bundle).toBeDefined();
  const fromBar = (p: { x: number; y: number }) => Math.abs(p.x - (bundle.x + 3)) <= 0.2 && p.y >= bundle.top - 0.2 && p.y <= bundle.bottom + 0.2;
  const ends = pathEnds(layout.svg);
  for (const f of finals) {
    const into = ends.filter((e) => within(e.end, f));
    const wrong = into.filter((e) => !fromBar(e.start) && !finals.some((g) => g !== f && within(e.start, g)));
    expect({ step: f.step, wrong }).toEqual({ step: f.step, wrong: [] });
  }
  // At least one arrow leaves the bar.
  expect(ends.filter((e) => fromBar(e.start)).length).toBeGreaterThan(0);
}

/** The legend names each mark that some step has, and no other; a pod with sidecars has the sidecars row with a pill for each. */
function expectLegendAndSidecars(layout: ReturnType<typeof renderGraph>, traits: HostTraits): void {
  const texts = textsOf(layout.svg);
  for (const m of MARK_LEGEND) {
    const used = layout.nodes.some((n) => n.marks.some((k) => k.key === m.key));
    expect({ mark: m.key, inLegend: texts.includes(`${m.symbol} ${m.says}`) }).toEqual({ mark: m.key, inLegend: used });
  }
  const plotBottom = Math.max(...layout.nodes.map((n) => n.y + n.height / 2));
  const label = elementsOf(layout.svg, 'text').find((e) => e.textContent === 'sidecars:');
  expect(label !== undefined).toBe(traits.sidecars.length > 0);
  if (!label) return;
  expect(Number(label.getAttribute('y'))).toBeGreaterThan(plotBottom);
  for (const s of traits.sidecars) {
    // The pill: a group titled for the sidecar, a rounded rect and its name in it, on the sidecars' row.
    const pill = elementsOf(layout.svg, 'g').find((g) => g.getElementsByTagName('title')[0]?.textContent?.startsWith(`sidecar ${s}:`));
    expect({ sidecar: s, pill: pill !== undefined }).toEqual({ sidecar: s, pill: true });
    const rect = pill!.getElementsByTagName('rect')[0];
    const text = pill!.getElementsByTagName('text')[0];
    expect(text.textContent).toBe(s);
    expect(Number(rect.getAttribute('rx'))).toBeGreaterThan(0);
    const [x, w] = [Number(rect.getAttribute('x')), Number(rect.getAttribute('width'))];
    expect(Number(text.getAttribute('x'))).toBeGreaterThan(x);
    expect(Number(text.getAttribute('x'))).toBeLessThan(x + w);
    expect(Number(text.getAttribute('y'))).toBe(Number(label.getAttribute('y')));
  }
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
      if (finals > 0) expectBundled(layout, traits);
      expectLegendAndSidecars(layout, traits);
    }), { numRuns: 30 });
  }, 300_000);

  test('the graph of issue 20 whose edge checkout -> cleanup dagre routes above every node', () => {
    // examples/ci-pipeline.ts with a finally step `cleanup`: 8 nodes, 7 edges into cleanup. Read
    // without its traits (a manifest whose wrapper arguments say nothing of finally), each edge is
    // drawn: dagre routes checkout -> cleanup above the nodes, at a negative y (issue 20: -9.5).
    const { chart, pod } = newStepPod('issue20');
    const img = { image: 'localhost/step:dev', command: ['true'] };
    const checkout = pod.addStep('checkout', { ...img, retries: 2, timeout: Duration.minutes(5) });
    const install = pod.addStep('install', { ...img, dependsOn: [checkout] });
    const unit = pod.addStep('unit', { ...img, dependsOn: [install] });
    const lint = pod.addStep('lint', { ...img, dependsOn: [install], onError: OnError.CONTINUE });
    const types = pod.addStep('typecheck', { ...img, dependsOn: [install] });
    const build = pod.addStep('build', { ...img, dependsOn: [unit, lint, types] });
    pod.addStep('publish', { ...img, dependsOn: [build] });
    pod.addFinally('cleanup', img);
    const w = pickWorkload(parseDocuments(fs.readFileSync(writeManifest(dir, chart, 'issue20.k8s.yaml'), 'utf8'), 'i'), 'i', undefined);
    expect(w.graph.steps).toHaveLength(8);
    expect(w.graph.dependsOn.get('cleanup')).toHaveLength(7);
    const plain = renderGraph(w.graph);
    expect(outside(plain.svg)).toEqual([]);
    // The edge that was clipped is there, inside the picture, above the nodes.
    const top = Math.min(...plain.nodes.map((n) => n.y - n.height / 2));
    const cleanup = plain.nodes.find((n) => n.step === 'cleanup')!;
    const checkoutNode = plain.nodes.find((n) => n.step === 'checkout')!;
    const edge = elementsOf(plain.svg, 'path').map((e) => e.getAttribute('d')!).find((d) => {
      const ys = [...d.matchAll(/[ML]([-\d.]+),([-\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
      return within(ys[0], checkoutNode) && within(ys[ys.length - 1], cleanup);
    });
    expect(edge).toBeDefined();
    const ys = [...edge!.matchAll(/[ML]([-\d.]+),([-\d.]+)/g)].map((m) => Number(m[2]));
    expect(Math.min(...ys)).toBeLessThan(top);
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(0);
    // With its traits: one bundle, nothing outside.
    const marked = renderGraph(w.graph, undefined, w.traits);
    expect(outside(marked.svg)).toEqual([]);
    expectBundled(marked, w.traits);
    expectLegendAndSidecars(marked, w.traits);
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
      expect(crossings(layout)).toEqual([]);
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

/** No connector crosses a bar or a label other than those of the two steps it joins. */
function crossings(layout: TimelineLayout): string[] {
  const out: string[] = [];
  for (const w of layout.waits) {
    for (const b of layout.bars) {
      const others = [...b.step === w.from || b.step === w.to ? [] : [{ what: `bar of ${b.step}`, box: { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height } }],
        ...b.step === w.to && b.label.anchor === 'start' ? [] : [{ what: `label of ${b.step}`, box: labelBox(b) }]];
      for (const o of others) if (segmentsOf(w.points).some((seg) => overlaps(seg, o.box))) out.push(`${w.from} -> ${w.to} crosses the ${o.what}`);
    }
  }
  return out;
}

describe('timeline labels and connectors', () => {
  const T = Date.parse('2026-11-27T10:00:00.000Z');
  const at = (t: number) => new Date(T + t).toISOString();
  const LONG = 'dependency `failed` failed (exit 1): this step and the 3 steps that wait for it were skipped';

  /**
   *   long (runs 60 s), quick (20 ms), flaky (3 attempts), failed (exit 1) -> skipped (Skipped 120, a long reason),
   *   aborted (Aborted 122), late (Skipped 120 at the very end, the same long reason)
   */
  function run() {
    const g = readGraphAnnotation(JSON.stringify({ version: 2, steps: ['long', 'quick', 'flaky', 'failed', 'skipped', 'aborted', 'late'], dependsOn: [[], [], [], [], [3], [], [0]] }), 'p');
    const traits: HostTraits = { steps: new Map(g.steps.map((s) => [s, { runIf: 'all_succeeded', retries: s === 'flaky' ? 2 : 0, continueOnError: false, isFinally: false }])), sidecars: [] };
    const facts: Record<string, [string, number, number, number, number, string?]> = {
      long: ['Succeeded', 0, 0, 60_000, 1],
      quick: ['Succeeded', 0, 1000, 1020, 1],
      flaky: ['Succeeded', 0, 2000, 9000, 3],
      failed: ['Failed', 1, 2000, 3000, 1],
      skipped: ['Skipped', 120, 3010, 3010, 1, LONG],
      aborted: ['Aborted', 122, 4000, 4000, 1, 'aborted by SIGTERM: the pod is being deleted'],
      late: ['Skipped', 120, 60_010, 60_010, 1, `${LONG}; ${LONG}; ${LONG}`],
    };
    return stepViews(g, (s) => {
      const [reason, exitCode, t0, t1, attempts, message] = facts[s];
      const report = parseReport(JSON.stringify({ step: s, reason, exitCode, startedAt: at(t0), finishedAt: at(t1), attempts, message }));
      return { started: true, exitCode, report };
    }, traits);
  }

  test('a short bar has its duration beside it; skipped and aborted say why; a retried step its attempts', () => {
    const layout = renderTimeline(run(), { now: T + 61_000 });
    const bar = (s: string) => layout.bars.find((b) => b.step === s)!;
    const texts = textsOf(layout.svg);
    // 20 ms of 60 s: the narrowest bar, its duration written beside it (right of its end).
    expect(bar('quick').width).toBe(MIN_BAR);
    expect(bar('quick').label).toMatchObject({ text: '20ms', anchor: 'start', x: bar('quick').x + MIN_BAR + 5 });
    expect(texts).toContain('20ms');
    expect(bar('failed').label.text).toBe('Failed (exit 1) 1.00s');
    expect(bar('flaky').label.text).toBe('7.00s · 3 of 3 attempts');
    expect(texts).toContain('7.00s · 3 of 3 attempts');
    // Did not run: hatched, with the reason in full where there is room for it (more than 60 characters).
    expect(bar('skipped').hatched).toBe(true);
    expect(bar('skipped').label.text).toBe(`Skipped (exit 120): ${LONG}`);
    expect(texts).toContain(`Skipped (exit 120): ${LONG}`);
    expect(bar('aborted')).toMatchObject({ hatched: true, label: { text: 'Aborted (exit 122): aborted by SIGTERM: the pod is being deleted' } });
    // A reason too long for either side is cut to the room of the wider one (here left of the bar,
    // at the right end of the run), not to a count of characters.
    const late = bar('late');
    expect(late.label.anchor).toBe('end');
    expect(labelBox(late).x0).toBeGreaterThanOrEqual(bar('long').x);
    expect(late.label.text).toMatch(/^Skipped \(exit 120\): dependency `failed` failed .*…$/);
    expect(late.label.text.length).toBeGreaterThan(60);
    expect(labelBox(late).x1).toBeLessThanOrEqual(layout.width);
    expect(outside(layout.svg)).toEqual([]);
  });

  test('a connector crosses no other bar or label: drawn where the way is clear, left out where it is not', () => {
    // test-report's run: `test` ends, `publish` (the row between) is skipped at once, `notify` starts right after.
    const g = readGraphAnnotation(JSON.stringify({ version: 2, steps: ['build', 'test', 'publish', 'notify', 'deploy'], dependsOn: [[], [0], [1], [1], [0]] }), 'p');
    const times: Record<string, [string, number, number, number]> = {
      build: ['Succeeded', 0, 0, 20],
      test: ['Failed', 1, 1690, 1705],
      publish: ['Skipped', 120, 1707, 1707],
      notify: ['Succeeded', 0, 1712, 1741],
      deploy: ['Succeeded', 0, 2200, 2216],
    };
    const views = (t: typeof times) => stepViews(g, (s) => {
      const [reason, exitCode, t0, t1] = t[s];
      return { started: true, exitCode, report: parseReport(JSON.stringify({ step: s, reason, exitCode, startedAt: at(t0), finishedAt: at(t1), attempts: 1, message: reason === 'Skipped' ? 'dependency `test` failed (exit 1)' : undefined })) };
    });
    const crowded = renderTimeline(views(times), { now: T + 2300 });
    expect(crossings(crowded)).toEqual([]);
    expect(crowded.waits.map((w) => `${w.from}->${w.to}`)).not.toContain('test->notify');
    // With the row between clear (publish skipped later, its label right of it), the connector is drawn.
    const clear = renderTimeline(views({ ...times, publish: ['Skipped', 120, 1800, 1800] }), { now: T + 2300 });
    expect(clear.waits.map((w) => `${w.from}->${w.to}`)).toContain('test->notify');
    expect(crossings(clear)).toEqual([]);
    expect(elementsOf(clear.svg, 'path').filter((p) => p.getAttribute('stroke-dasharray'))).toHaveLength(clear.waits.length);
  });
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

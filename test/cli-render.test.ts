/**
 * The pictures rendered in a real browser (Debian's chromium, headless): the screenshot's pixels
 * must show a bar (timeline) or a node (graph) of the right colour for every step, on a white
 * background elsewhere.
 */
import * as fs from 'fs';
import * as path from 'path';
import { near, newStepPod, pixel, runBin, scratch, screenshot, writeManifest } from './cli-helpers';
import { parseDocuments, pickWorkload } from '../src/cli/manifest';
import { stepViews } from '../src/cli/model';
import { renderGraph } from '../src/cli/render/graph';
import { PLAIN_NODE_COLOR, REASON_COLORS } from '../src/cli/render/svg';
import { renderTimeline } from '../src/cli/render/timeline';
import { parseReport } from '../src/wire/report';

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
    const got = pixel(png, b.x + b.width / 2, b.y + b.height / 2);
    expect({ step: b.step, got, ok: near(got, want) }).toEqual({ step: b.step, got, ok: true });
    // Just above the bar (between rows) is background, not bar.
    expect({ step: b.step, above: near(pixel(png, b.x + b.width / 2, b.y - 3), want) }).toEqual({ step: b.step, above: false });
  }
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

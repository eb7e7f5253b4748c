/**
 * The DAG as an SVG, laid out left to right by @dagrejs/dagre (a maintained layout library: no
 * layout is computed here; this module draws what dagre placed, moved so that everything lies
 * inside the picture). Nodes are coloured by outcome when the input has a run; marks under a
 * step's name say what the manifest says of it (finally, condition, retries, timeout, onError
 * CONTINUE), and a legend says what the marks and colours mean. The edges into finally steps are
 * one bundle: a bar after the last steps, "after every other step", with one arrow to each first
 * finally step. Sidecars, which serve every step, are a row of their own.
 */
import * as dagre from '@dagrejs/dagre';
import { arrowMarker, colorOf, esc, FONT, legend, Mark, MARK_LEGEND, marksOf, PLAIN_NODE_COLOR, SMALL_FONT, textOn, textWidth } from './svg';
import { StepGraphData } from '../../wire/graph';
import { HostTraits } from '../../wire/step-traits';
import { StepView, displayReason } from '../model';

export interface NodeBox {
  readonly step: string;
  /** Centre. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly color: string;
  readonly marks: Mark[];
}

export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: NodeBox[];
  /** The bar that bundles the edges into the finally steps, when there are any. */
  readonly bundle?: { readonly x: number; readonly top: number; readonly bottom: number };
  readonly svg: string;
}

const NODE_HEIGHT = 28;
const MARKED_HEIGHT = 42;
const MARGIN = 12;
/** The space between two items of the legend. */
const LEGEND_GAP = 24;
const EDGE = '#455a64';
/** dagre's id of the bundle's node: no step name (a DNS label) can be it. */
const BUNDLE = '\u0000finally';

interface Point { x: number; y: number }

export function renderGraph(graph: StepGraphData, views?: readonly StepView[], traits?: HostTraits): GraphLayout {
  const viewOf = new Map((views ?? []).map((v) => [v.name, v]));
  const marksBy = new Map(graph.steps.map((s) => [s, marksOf(traits?.steps.get(s))]));
  const finals = new Set(graph.steps.filter((s) => traits?.steps.get(s)?.isFinally));
  const main = graph.steps.filter((s) => !finals.has(s));
  const bundled = finals.size > 0 && main.length > 0;

  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 44, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of graph.steps) {
    const marks = marksBy.get(s)!;
    const w = Math.max(textWidth(s), textWidth(marks.map((m) => m.text).join('  '), 10));
    g.setNode(s, { width: w + 24, height: marks.length ? MARKED_HEIGHT : NODE_HEIGHT });
  }
  for (const s of graph.steps) {
    for (const d of graph.dependsOn.get(s) ?? []) {
      // A finally step waits for every other step: that is the bundle, not an edge each.
      if (bundled && finals.has(s) && !finals.has(d)) continue;
      g.setEdge(d, s);
    }
  }
  if (bundled) {
    g.setNode(BUNDLE, { width: 6, height: NODE_HEIGHT });
    const dependedOn = new Set(main.flatMap((s) => graph.dependsOn.get(s) ?? []));
    for (const s of main) if (!dependedOn.has(s)) g.setEdge(s, BUNDLE);
    for (const f of finals) if (!(graph.dependsOn.get(f) ?? []).some((d) => finals.has(d))) g.setEdge(BUNDLE, f);
  }
  dagre.layout(g);

  // The bar of the bundle spans every step it stands for, and the finally steps it points to.
  const box = (s: string) => { const n = g.node(s); return { top: n.y - n.height / 2, bottom: n.y + n.height / 2 }; };
  const bar = bundled ? {
    x: g.node(BUNDLE).x,
    top: Math.min(...graph.steps.map((s) => box(s).top)),
    bottom: Math.max(...graph.steps.map((s) => box(s).bottom)),
  } : undefined;
  // Edges as dagre routed them (those of the bundle are drawn from the bar).
  const edges: Point[][] = g.edges()
    .filter((e) => e.v !== BUNDLE && e.w !== BUNDLE)
    .map((e) => (g.edge(e).points ?? []) as Point[])
    .filter((pts) => pts.length >= 2);
  const fromBar: Point[][] = bar ? [...finals].filter((f) => g.hasEdge(BUNDLE, f)).map((f) => {
    const n = g.node(f);
    return [{ x: bar.x + 3, y: n.y }, { x: n.x - n.width / 2, y: n.y }];
  }) : [];

  // Everything dagre placed, moved inside the picture: edges may be routed above or left of the nodes.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of graph.steps) {
    const n = g.node(s);
    xs.push(n.x - n.width / 2, n.x + n.width / 2);
    ys.push(n.y - n.height / 2, n.y + n.height / 2);
  }
  for (const p of [...edges, ...fromBar].flat()) { xs.push(p.x); ys.push(p.y); }
  if (bar) { xs.push(bar.x - 3, bar.x + 3); ys.push(bar.top, bar.bottom); }
  const dx = MARGIN - Math.min(...xs);
  const dy = MARGIN - Math.min(...ys);
  const plotWidth = Math.max(...xs) + dx + MARGIN;
  const plotHeight = Math.max(...ys) + dy + MARGIN;
  const at = (p: Point) => `${(p.x + dx).toFixed(1)},${(p.y + dy).toFixed(1)}`;

  const nodes: NodeBox[] = graph.steps.map((s) => {
    const n = g.node(s);
    const v = viewOf.get(s);
    return { step: s, x: n.x + dx, y: n.y + dy, width: n.width, height: n.height, color: v ? colorOf(v) : PLAIN_NODE_COLOR, marks: marksBy.get(s)! };
  });

  // Below the plot: the sidecars, then the legends, each a row.
  const body: string[] = [];
  let y = plotHeight;
  let width = plotWidth;
  const sidecars = traits?.sidecars ?? [];
  if (sidecars.length > 0) {
    const label = 'sidecars:';
    let x = MARGIN;
    body.push(`<text x="${x}" y="${y + 17}" ${FONT} fill="#37474f">${esc(label)}</text>`);
    x += textWidth(label) + 8;
    for (const s of sidecars) {
      const w = textWidth(s) + 20;
      body.push(`<g><title>${esc(`sidecar ${s}: runs beside the steps`)}</title><rect x="${x}" y="${y + 2}" width="${w}" height="22" rx="11" fill="#ffffff" stroke="#37474f" stroke-dasharray="2 2"/>`
        + `<text x="${x + w / 2}" y="${y + 17}" ${FONT} text-anchor="middle" fill="#37474f">${esc(s)}</text></g>`);
      x += w + 8;
    }
    width = Math.max(width, x - 8 + MARGIN);
    y += 30;
  }
  const usedMarks = MARK_LEGEND.filter((m) => nodes.some((n) => n.marks.some((k) => k.key === m.key)) || (m.key === 'finally' && bundled));
  if (usedMarks.length > 0) {
    // Items a fixed gap apart (widths from the font's advance widths), on as many rows as the plot's width needs.
    const right = Math.max(plotWidth, 360) - MARGIN;
    let x = MARGIN;
    for (const m of usedMarks) {
      const text = `${m.symbol} ${m.says}`;
      const w = textWidth(text);
      if (x > MARGIN && x + w > right) {
        x = MARGIN;
        y += 20;
      }
      body.push(`<text x="${x}" y="${y + 14}" ${FONT} fill="#37474f">${esc(text)}</text>`);
      width = Math.max(width, x + w + MARGIN);
      x += w + LEGEND_GAP;
    }
    y += 22;
  }
  if (views) {
    const l = legend([...new Set(views.map(displayReason))], MARGIN, y + 4);
    body.push(l.svg);
    width = Math.max(width, MARGIN + l.width + MARGIN);
    y += 22;
  }
  width = Math.ceil(Math.max(width, 200));
  const height = Math.ceil(y + (y > plotHeight ? 6 : 0));

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  parts.push(`<defs>${arrowMarker('arrow', EDGE)}</defs>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  for (const pts of [...edges, ...fromBar]) {
    parts.push(`<path d="M${pts.map(at).join(' L')}" fill="none" stroke="${EDGE}" stroke-width="1.2" marker-end="url(#arrow)"/>`);
  }
  if (bar) {
    parts.push(`<g><title>finally steps run after every other step, whatever happened</title><rect x="${(bar.x + dx - 3).toFixed(1)}" y="${(bar.top + dy).toFixed(1)}" width="6" height="${(bar.bottom - bar.top).toFixed(1)}" rx="3" fill="${EDGE}"/></g>`);
  }
  for (const n of nodes) {
    const v = viewOf.get(n.step);
    const tip = [v ? `${n.step}: ${displayReason(v)}` : n.step, ...n.marks.map((m) => m.text)].join('\n');
    const ink = textOn(n.color);
    const finallyStyle = n.marks.some((m) => m.key === 'finally') ? ` stroke="${ink === '#ffffff' ? '#263238' : '#37474f'}" stroke-width="2" stroke-dasharray="5 3"` : '';
    const nameY = n.marks.length ? n.y - 3 : n.y + 4;
    parts.push(`<g><title>${esc(tip)}</title><rect x="${(n.x - n.width / 2).toFixed(1)}" y="${(n.y - n.height / 2).toFixed(1)}" width="${n.width}" height="${n.height}" rx="6" fill="${n.color}"${finallyStyle}/>`
      + `<text x="${n.x.toFixed(1)}" y="${nameY.toFixed(1)}" ${FONT} text-anchor="middle" fill="${ink}">${esc(n.step)}</text>`
      + (n.marks.length ? `<text x="${n.x.toFixed(1)}" y="${(n.y + 12).toFixed(1)}" ${SMALL_FONT} text-anchor="middle" fill="${ink}" fill-opacity="0.85">${esc(n.marks.map((m) => m.text).join('  '))}</text>` : '')
      + '</g>');
  }
  parts.push(...body);
  parts.push('</svg>');
  return { width, height, nodes, ...bar ? { bundle: { x: bar.x + dx, top: bar.top + dy, bottom: bar.bottom + dy } } : {}, svg: parts.join('\n') };
}

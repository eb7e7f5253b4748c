/**
 * The DAG as an SVG, laid out left to right by @dagrejs/dagre (a maintained layout library: no
 * layout is computed here). Nodes are coloured by reason when the input has a run.
 */
import * as dagre from '@dagrejs/dagre';
import { arrowMarker, colorOf, esc, FONT, legend, PLAIN_NODE_COLOR, textOn, textWidth } from './svg';
import { StepGraphData } from '../../wire/graph';
import { StepView, displayReason } from '../model';

export interface NodeBox {
  readonly step: string;
  /** Centre. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly color: string;
}

export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: NodeBox[];
  readonly svg: string;
}

const NODE_HEIGHT = 28;
const LEGEND_HEIGHT = 28;

export function renderGraph(graph: StepGraphData, views?: readonly StepView[]): GraphLayout {
  const viewOf = new Map((views ?? []).map((v) => [v.name, v]));
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 40, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of graph.steps) g.setNode(s, { width: textWidth(s) + 24, height: NODE_HEIGHT });
  for (const s of graph.steps) for (const d of graph.dependsOn.get(s) ?? []) g.setEdge(d, s);
  dagre.layout(g);

  const label = g.graph();
  const width = Math.ceil(Math.max(label.width ?? 0, 200));
  const plotHeight = Math.ceil(label.height ?? 0);
  const height = plotHeight + (views ? LEGEND_HEIGHT : 0);
  const nodes: NodeBox[] = graph.steps.map((s) => {
    const n = g.node(s);
    const v = viewOf.get(s);
    return { step: s, x: n.x, y: n.y, width: n.width, height: n.height, color: v ? colorOf(v) : PLAIN_NODE_COLOR };
  });

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  parts.push(arrowMarker('arrow', '#455a64'));
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  for (const e of g.edges()) {
    const pts: Array<{ x: number; y: number }> = g.edge(e).points ?? [];
    if (pts.length < 2) continue;
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="#455a64" stroke-width="1.2" marker-end="url(#arrow)"/>`);
  }
  for (const n of nodes) {
    const v = viewOf.get(n.step);
    const tip = v ? `${n.step}: ${displayReason(v)}` : n.step;
    parts.push(`<g><title>${esc(tip)}</title><rect x="${(n.x - n.width / 2).toFixed(1)}" y="${(n.y - n.height / 2).toFixed(1)}" width="${n.width}" height="${n.height}" rx="6" fill="${n.color}"/>`
      + `<text x="${n.x.toFixed(1)}" y="${(n.y + 4).toFixed(1)}" ${FONT} text-anchor="middle" fill="${textOn(n.color)}">${esc(n.step)}</text></g>`);
  }
  if (views) parts.push(legend([...new Set(views.map(displayReason))], 8, plotHeight + 8));
  parts.push('</svg>');
  return { width, height, nodes, svg: parts.join('\n') };
}

/** The DAG as text: Mermaid (`graph LR`) and Graphviz DOT, nodes coloured by reason when there is a run. */
import { displayReason, StepView } from './model';
import { StepGraphData } from '../wire/graph';
import { REASON_COLORS, textOn, UNKNOWN_COLOR } from './render/svg';

/** Mermaid node ids must be plain identifiers: step names may contain '-'. */
function mermaidId(i: number): string {
  return `s${i}`;
}

export function toMermaid(graph: StepGraphData, views?: readonly StepView[]): string {
  const viewOf = new Map((views ?? []).map((v) => [v.name, v]));
  const id = new Map(graph.steps.map((s, i) => [s, mermaidId(i)]));
  const lines = ['graph LR'];
  for (const s of graph.steps) {
    const v = viewOf.get(s);
    const text = v ? `${s}<br/>${displayReason(v)}` : s;
    lines.push(`  ${id.get(s)}["${text.replace(/"/g, '#quot;')}"]`);
  }
  for (const s of graph.steps) for (const d of graph.dependsOn.get(s) ?? []) lines.push(`  ${id.get(d)} --> ${id.get(s)}`);
  if (views) {
    const used = new Set<string>();
    for (const s of graph.steps) {
      const v = viewOf.get(s);
      if (!v) continue;
      const cls = displayReason(v).replace(/[^A-Za-z]/g, '');
      used.add(cls);
      lines.push(`  class ${id.get(s)} ${cls}`);
    }
    for (const cls of used) {
      const fill = REASON_COLORS[cls] ?? UNKNOWN_COLOR;
      lines.push(`  classDef ${cls} fill:${fill},color:${textOn(fill)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function toDot(graph: StepGraphData, views?: readonly StepView[]): string {
  const viewOf = new Map((views ?? []).map((v) => [v.name, v]));
  const lines = ['digraph steps {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fillcolor="#eceff1", fontname="Helvetica"];'];
  for (const s of graph.steps) {
    const v = viewOf.get(s);
    if (v) {
      const fill = REASON_COLORS[displayReason(v)] ?? UNKNOWN_COLOR;
      lines.push(`  ${dotString(s)} [label=${dotString(`${s}\n${displayReason(v)}`)}, fillcolor="${fill}", fontcolor="${textOn(fill)}"];`);
    } else {
      lines.push(`  ${dotString(s)};`);
    }
  }
  for (const s of graph.steps) for (const d of graph.dependsOn.get(s) ?? []) lines.push(`  ${dotString(d)} -> ${dotString(s)};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

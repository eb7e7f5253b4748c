/**
 * Above 200 tasks: which steps move into nested DAG templates ("parts") so that no DAG has more
 * tasks than Argo allows, without changing any step's outcome. Pure: steps in, a layout out.
 *
 * A part is a DAG template run by one task of the entry DAG. Inside it, its steps depend on each
 * other as before; the part's task depends on what its steps depend on outside it, and a step
 * outside that depends on steps in it depends on the part. That keeps every outcome when
 * (docs/argo.md, "Above 200 tasks", argues it from `workflow/controller/dag.go`):
 * - every step of a part runs when its dependencies all succeeded (`runIf` allSucceeded: such a
 *   step is never Skipped, only Omitted, and only after a failure upstream);
 * - every step of a part depends on all the steps its part depends on outside, through steps of
 *   the part (so the part not running means none of its steps would have run), and every step of
 *   the part reaches every step that a step outside depends on (so "the part Succeeded" means
 *   "each of those steps succeeded");
 * - no result crosses a part's boundary outwards (a task outside cannot read a task inside); a
 *   result read inside a part from a producer outside is passed in as the part's input.
 * Steps with the same dependencies and dependents ("twins") and chains of twin groups, each group
 * depending on the whole previous one, have these properties; this module finds those and cuts
 * them into parts of at most `maxTasks` tasks. Other steps stay in the entry DAG.
 */
import { StepPlan, resultReads } from '../plan';

/** A nested DAG: its task in the entry DAG, its template, its steps in declaration order. */
export interface Part {
  /** The task's name in the entry DAG (capitals: no step name can take it). */
  readonly name: string;
  /** The DAG template's name. */
  readonly template: string;
  readonly steps: string[];
}

/** The entry DAG: its entries in declaration order (of their first step), and where each step is. */
export interface DagLayout {
  readonly entries: ReadonlyArray<{ readonly step: string } | { readonly part: Part }>;
  readonly parts: Part[];
  /** The part of each step that is in one. */
  readonly partOf: ReadonlyMap<string, Part>;
}

export const PART_TASK_PREFIX = 'Part-';
export const PART_TEMPLATE_PREFIX = 'Cdk8sSteps-part-';

/** The tasks a flat DAG of `steps` has: one per step and a join per `onError: CONTINUE` step without dependents. */
export function flatTaskCount(steps: StepPlan[]): number {
  const hasDependents = new Set(steps.flatMap(s => s.dependsOn));
  return steps.length + steps.filter(s => s.continueOnError && !hasDependents.has(s.name)).length;
}

/**
 * The layout of the main (non-finally) steps. Flat when they fit in `maxTasks` tasks; otherwise
 * every chain of twin groups is cut into parts of at most `maxTasks` tasks (a group larger than
 * that into parts of its own). The entry DAG may still be larger than `maxTasks`: the limit check
 * reports it.
 */
export function layoutDag(steps: StepPlan[], maxTasks: number): DagLayout {
  if (flatTaskCount(steps) <= maxTasks) return { entries: steps.map(s => ({ step: s.name })), parts: [], partOf: new Map() };
  const index = new Map(steps.map((s, i) => [s.name, i]));
  const byName = new Map(steps.map(s => [s.name, s]));
  const dependents = new Map<string, string[]>(steps.map(s => [s.name, []]));
  for (const s of steps) for (const d of s.dependsOn) dependents.get(d)!.push(s.name);
  const readers = new Map<string, string[]>();
  for (const s of steps) {
    const reads = resultReads(s).map(r => r.result.step);
    for (const p of new Set(reads)) readers.set(p, [...readers.get(p) ?? [], s.name]);
  }
  // Producers read outside their part stay in the entry DAG; finding one can change the groups: repeat.
  const blocked = new Set<string>();
  for (;;) {
    const segments = cut(steps, byName, dependents, index, blocked, maxTasks);
    const segmentOf = new Map<string, number>();
    segments.forEach((seg, i) => seg.forEach(s => segmentOf.set(s, i)));
    const before = blocked.size;
    for (const seg of segments) {
      if (seg.length < 2) continue;
      for (const p of seg) if ((readers.get(p) ?? []).some(r => segmentOf.get(r) !== segmentOf.get(p))) blocked.add(p);
    }
    if (blocked.size === before) return build(steps, segments, index);
  }
}

/** The entries from the segments (a segment of one step is that step). */
function build(steps: StepPlan[], segments: string[][], index: ReadonlyMap<string, number>): DagLayout {
  const inSegment = new Set(segments.flat());
  const groups = [...segments, ...steps.filter(s => !inSegment.has(s.name)).map(s => [s.name])]
    .sort((a, b) => index.get(a[0])! - index.get(b[0])!);
  const parts: Part[] = [];
  const partOf = new Map<string, Part>();
  const entries = groups.map(group => {
    if (group.length === 1) return { step: group[0] };
    const n = parts.length + 1;
    const part: Part = { name: `${PART_TASK_PREFIX}${n}`, template: `${PART_TEMPLATE_PREFIX}${n}`, steps: group };
    parts.push(part);
    group.forEach(s => partOf.set(s, part));
    return { part };
  });
  return { entries, parts, partOf };
}

interface Unit {
  readonly members: string[];
  /** Can move into a part (all members run when all their dependencies succeeded). */
  readonly movable: boolean;
}

/**
 * Twin groups, linked into chains (a group whose only dependent group is the next one, which
 * depends on it alone), cut into segments of at most `maxTasks` tasks: the candidate parts.
 */
function cut(steps: StepPlan[], byName: ReadonlyMap<string, StepPlan>, dependents: ReadonlyMap<string, string[]>,
  index: ReadonlyMap<string, number>, blocked: ReadonlySet<string>, maxTasks: number): string[][] {
  const units = new Map<string, Unit>();
  const unitOf = new Map<string, Unit>();
  const sorted = (names: string[]) => names.map(n => index.get(n)!).sort((a, b) => a - b).join(',');
  for (const s of steps) {
    const movable = s.runIf.kind === 'allSucceeded' && !s.isFinally && !blocked.has(s.name);
    const key = movable ? `${sorted(s.dependsOn)}|${sorted(dependents.get(s.name)!)}` : `\u0000${s.name}`;
    let unit = units.get(key);
    if (!unit) {
      unit = { members: [], movable };
      units.set(key, unit);
    }
    unit.members.push(s.name);
    unitOf.set(s.name, unit);
  }
  // Twins share their dependencies and dependents: the first member stands for the group.
  const around = (u: Unit, of: (s: string) => string[]) => new Set(of(u.members[0]).map(n => unitOf.get(n)!));
  const next = new Map<Unit, Unit>();
  const hasPrevious = new Set<Unit>();
  for (const u of units.values()) {
    if (!u.movable) continue;
    const after = around(u, s => dependents.get(s)!);
    if (after.size !== 1) continue;
    const [v] = after;
    const before = around(v, s => byName.get(s)!.dependsOn);
    if (v.movable && before.size === 1 && before.has(u)) {
      next.set(u, v);
      hasPrevious.add(v);
    }
  }
  const joins = (members: string[]) => members.filter(m => byName.get(m)!.continueOnError).length;
  const segments: string[][] = [];
  for (const start of units.values()) {
    if (!start.movable || hasPrevious.has(start)) continue;
    let current: Unit[] = [];
    let size = 0;
    const close = () => {
      if (current.length > 0) segments.push(current.flatMap(u => u.members));
      current = [];
      size = 0;
    };
    for (let u: Unit | undefined = start; u; u = next.get(u)) {
      const own = u.members.length + joins(u.members);
      if (own > maxTasks) {
        // Too large for one part: parts of its own, each at most maxTasks tasks (its members are leaves there).
        close();
        let piece: string[] = [];
        let tasks = 0;
        for (const m of u.members) {
          const t = byName.get(m)!.continueOnError ? 2 : 1;
          if (piece.length > 0 && tasks + t > maxTasks) {
            segments.push(piece);
            piece = [];
            tasks = 0;
          }
          piece.push(m);
          tasks += t;
        }
        segments.push(piece);
        continue;
      }
      // The last group of a segment has its joins inside the part (its members are the part's leaves).
      if (size + own > maxTasks) close();
      current.push(u);
      size += u.members.length;
    }
    close();
  }
  return segments;
}

/**
 * Why a StepWorkflow of these steps would break Argo's item limits whatever their containers
 * (more than `maxTasks` tasks left in one DAG, or more than `maxTemplates` templates with a
 * single container shape), or undefined when the graph fits. For the StepPod's limit error,
 * which recommends the Argo target only for a graph that fits it.
 */
export function argoGraphProblem(steps: StepPlan[], maxTasks: number, maxTemplates: number): string | undefined {
  const main = steps.filter(s => !s.isFinally);
  const finals = steps.filter(s => s.isFinally);
  const layout = layoutDag(main, maxTasks);
  const dependedOn = new Set(main.flatMap(s => s.dependsOn));
  const entrySteps = layout.entries.filter(e => 'step' in e).map(e => main.find(s => s.name === (e as { step: string }).step)!);
  const entryTasks = layout.entries.length + entrySteps.filter(s => s.continueOnError && !dependedOn.has(s.name)).length;
  const finallyTasks = flatTaskCount(finals.map(s => ({ ...s, dependsOn: s.dependsOn.filter(d => finals.some(f => f.name === d)) })));
  if (entryTasks > maxTasks) return `${entryTasks} tasks would stay in one Argo DAG, over Argo's ${maxTasks}`;
  if (finallyTasks > maxTasks) return `its ${finallyTasks} finally steps would be one Argo DAG, over Argo's ${maxTasks} tasks`;
  const templates = 1 + layout.parts.length + (finals.length > 0 ? 1 : 0) + (steps.some(s => s.continueOnError) ? 1 : 0) + 1;
  if (templates > maxTemplates) return `it would need ${templates} Argo templates, over Argo's ${maxTemplates}`;
  return undefined;
}

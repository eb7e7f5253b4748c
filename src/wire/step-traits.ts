/**
 * What a synthesised manifest says of each step besides the graph: its run condition, retries,
 * timeout, `onError`, whether it is a finally step, and the sidecars that run beside the steps.
 * Read back from the step containers' wrapper arguments (a StepPod or StepJob, docs/contract.md)
 * or from the templates and tasks of a StepWorkflow (docs/argo.md, "Mapping"), for the CLI's
 * pictures and its `attempt n/m`. Pure. Internal.
 */
import { readWrapperArgs } from './args';
import { StepGraphData } from './graph';
import { K8sObject } from './workload';
import { FINALLY_TEMPLATE, continueTask } from '../argo/rules';

/** One step's traits. */
export interface StepTraits {
  /** The run condition's wire flag: `all_succeeded` (the default), `always`, `any_failed`, `result_in`, `result_not_in`. */
  readonly runIf: string;
  /** What a result condition compares, as people read it: `build.channel in [stable, beta]`. */
  readonly condition?: string;
  /** Extra attempts after a failed one (0: none). */
  readonly retries: number;
  /** The time limit of one attempt, as written (`90s`, `1500ms`; a StepWorkflow's in whole seconds). */
  readonly timeout?: string;
  /** `onError: CONTINUE`: a failure still counts as succeeded for the dependents. */
  readonly continueOnError: boolean;
  /** Added with `addFinally()`: runs after every other step, whatever happened. */
  readonly isFinally: boolean;
}

/** The traits of every step of one host, and its sidecars. */
export interface HostTraits {
  readonly steps: ReadonlyMap<string, StepTraits>;
  /** Names of the sidecars that serve the steps (native sidecars of a pod; a Workflow's per-step sidecars). */
  readonly sidecars: string[];
}

const PLAIN: StepTraits = { runIf: 'all_succeeded', retries: 0, continueOnError: false, isFinally: false };

/** A traitless host: every step plain, no sidecars (a live Pod whose spec does not say more). */
export function plainTraits(graph: StepGraphData): HostTraits {
  return { steps: new Map(graph.steps.map((s) => [s, PLAIN])), sidecars: [] };
}

/** The `$$` the library writes for every `$` of a condition value (the kubelet turns it back). */
function unescapeDollars(v: string): string {
  return v.replace(/\$\$/g, '$');
}

/**
 * The finally steps by the contract's definition ("steps with -run_if=always that wait for every
 * other step"): the largest set of `always` steps each of which waits for every step outside the
 * set (finally steps may wait for each other, in their order).
 */
function finallySteps(graph: StepGraphData, always: ReadonlySet<string>): Set<string> {
  const finals = new Set(always);
  for (let changed = true; changed;) {
    changed = false;
    for (const s of [...finals]) {
      const waits = new Set(graph.dependsOn.get(s) ?? []);
      if (!graph.steps.every((o) => o === s || finals.has(o) || waits.has(o))) {
        finals.delete(s);
        changed = true;
      }
    }
  }
  // A lone always step in a graph of one step waits for nothing: not a finally step.
  return finals.size === graph.steps.length ? new Set() : finals;
}

/** The traits of a StepPod's (or a StepJob template's) steps, from the pod spec. */
export function podTraits(graph: StepGraphData, podSpec: K8sObject | undefined): HostTraits {
  const read = new Map<string, Omit<StepTraits, 'isFinally'>>();
  const containers: unknown[] = Array.isArray(podSpec?.containers) ? podSpec!.containers : [];
  for (const c of containers) {
    if (typeof c !== 'object' || c === null) continue;
    const container = c as K8sObject;
    if (!Array.isArray(container.command) || !Array.isArray(container.args)) continue;
    const w = readWrapperArgs(container.command, container.args);
    const name = w?.flags.get('step')?.[0] ?? container.name;
    if (!w || typeof name !== 'string' || !graph.dependsOn.has(name)) continue;
    const flag = (k: string) => w.flags.get(k)?.[0];
    const runIf = flag('run_if') ?? 'all_succeeded';
    const values = (w.flags.get('value') ?? []).map(unescapeDollars);
    const result = flag('result');
    const retries = Number(flag('retries') ?? 0);
    read.set(name, {
      runIf,
      ...result !== undefined && (runIf === 'result_in' || runIf === 'result_not_in')
        ? { condition: `${result} ${runIf === 'result_in' ? 'in' : 'not in'} [${values.join(', ')}]` } : {},
      retries: Number.isInteger(retries) && retries > 0 ? retries : 0,
      ...flag('timeout') !== undefined ? { timeout: flag('timeout') } : {},
      continueOnError: flag('on_error') === 'continue',
    });
  }
  const finals = finallySteps(graph, new Set([...read].filter(([, t]) => t.runIf === 'always').map(([s]) => s)));
  const initContainers: unknown[] = Array.isArray(podSpec?.initContainers) ? podSpec!.initContainers : [];
  const sidecars = initContainers
    .filter((c): c is K8sObject => typeof c === 'object' && c !== null && (c as K8sObject).restartPolicy === 'Always')
    .map((c) => String(c.name));
  return {
    steps: new Map(graph.steps.map((s) => [s, { ...PLAIN, ...read.get(s), isFinally: finals.has(s) }])),
    sidecars,
  };
}

/** Argo's task results, as a `depends` expression names them (docs/enhanced-depends-logic.md). */
const OPERAND = /([A-Za-z0-9][-A-Za-z0-9]*)\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned)\b/g;

/** The results each task named in a `depends` expression is tested for. */
function dependsOperands(depends: unknown): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (typeof depends !== 'string') return out;
  for (const m of depends.matchAll(OPERAND)) out.set(m[1], (out.get(m[1]) ?? new Set()).add(m[2]));
  return out;
}

function same(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === b.length && b.every((x) => a.has(x));
}

/** A template field that is a literal, or `{{inputs.parameters.NAME}}` resolved from the task's arguments. */
function resolved(v: unknown, task: K8sObject): string | undefined {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  const m = /^\{\{inputs\.parameters\.([-A-Za-z0-9_]+)\}\}$/.exec(v);
  if (!m) return v;
  const args: unknown[] = Array.isArray(task.arguments?.parameters) ? task.arguments.parameters : [];
  const arg = args.find((p): p is K8sObject => typeof p === 'object' && p !== null && (p as K8sObject).name === m[1]);
  return arg?.value === undefined ? undefined : String(arg.value);
}

/** The condition of a result `when` the library writes: `{{=tasks["p"].status == 'Succeeded' && tasks["p"].outputs.parameters["n"] in ["a", "b"]}}`. */
function resultCondition(when: string): { runIf: string; condition: string } | undefined {
  const m = /tasks\[("(?:[^"\\]|\\.)*")\]\.outputs\.parameters\[("(?:[^"\\]|\\.)*")\] in \[(.*)\]\)?\}\}$/.exec(when);
  if (!m) return undefined;
  const negated = /&& !\(/.test(when);
  let values: string[];
  try {
    values = JSON.parse(`[${m[3]}]`);
  } catch {
    return undefined;
  }
  return {
    runIf: negated ? 'result_not_in' : 'result_in',
    condition: `${JSON.parse(m[1])}.${JSON.parse(m[2])} ${negated ? 'not in' : 'in'} [${values.join(', ')}]`,
  };
}

/**
 * The traits of a StepWorkflow's steps, from its spec: the `depends` and `when` of each step's task
 * (run condition; an `onError: CONTINUE` dependency is accepted as Succeeded, Failed or Errored, or
 * has a join task), its template's `retryStrategy.limit` and `activeDeadlineSeconds` (literal or a
 * parameter the task passes), the tasks of the exit handler (finally), and the templates' sidecars.
 */
export function workflowTraits(graph: StepGraphData, workflow: K8sObject): HostTraits {
  const templates: K8sObject[] = Array.isArray(workflow.spec?.templates) ? workflow.spec.templates.filter((t: unknown) => typeof t === 'object' && t !== null) : [];
  const byName = new Map(templates.map((t) => [t.name, t]));
  const onExit = workflow.spec?.onExit ?? FINALLY_TEMPLATE;
  const tasks: Array<{ task: K8sObject; dag: string }> = [];
  for (const t of templates) {
    const list: unknown[] = Array.isArray(t.dag?.tasks) ? t.dag.tasks : [];
    for (const task of list) if (typeof task === 'object' && task !== null) tasks.push({ task: task as K8sObject, dag: t.name });
  }
  const taskNames = new Set(tasks.map((t) => t.task.name));
  const continued = new Set<string>();
  for (const { task } of tasks) {
    for (const [name, results] of dependsOperands(task.depends)) {
      if (same(results, ['Succeeded', 'Failed', 'Errored']) || same(results, ['Skipped', 'Omitted'])) continued.add(name);
    }
  }
  const steps = new Map<string, StepTraits>();
  const sidecars = new Set<string>();
  for (const step of graph.steps) {
    const found = tasks.find((t) => t.task.name === step);
    if (!found) {
      steps.set(step, PLAIN);
      continue;
    }
    const { task, dag } = found;
    const operands = [...dependsOperands(task.depends).values()];
    let runIf = 'all_succeeded';
    let condition: string | undefined;
    if (operands.some((r) => r.has('Omitted') && r.has('Succeeded'))) runIf = 'always';
    else if (operands.some((r) => r.has('Omitted')) || task.when === 'false') runIf = 'any_failed';
    else if (typeof task.when === 'string') ({ runIf, condition } = resultCondition(task.when) ?? { runIf, condition });
    const template = byName.get(task.template) ?? {};
    const retries = Number(resolved(template.retryStrategy?.limit, task) ?? 0);
    const deadline = resolved(template.activeDeadlineSeconds, task);
    for (const s of Array.isArray(template.sidecars) ? template.sidecars : []) if (typeof s?.name === 'string') sidecars.add(s.name);
    const isFinally = dag === onExit;
    steps.set(step, {
      // The exit handler runs whatever happened: a finally step is `always`, as in a pod.
      runIf: isFinally ? 'always' : runIf,
      ...condition !== undefined ? { condition } : {},
      retries: Number.isInteger(retries) && retries > 0 ? retries : 0,
      ...deadline !== undefined ? { timeout: `${deadline}s` } : {},
      continueOnError: continued.has(step) || taskNames.has(continueTask(step)),
      isFinally,
    });
  }
  return { steps, sidecars: [...sidecars] };
}

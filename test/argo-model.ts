/**
 * A model of how the Argo Workflows controller runs the DAGs this library writes, written from its
 * source (argo-workflows v4.1.2; the same logic in v3.7):
 *
 * - `workflow/controller/dag.go` `executeDAGTask`: a task whose `depends` names tasks waits until
 *   they are all fulfilled, then evaluates the expression over their results (Succeeded, Failed,
 *   Errored, Skipped, Omitted; `evaluateDependsLogic`); false: the task's node is Omitted (type
 *   Skipped). Otherwise its `when`; false: the node is Skipped. Otherwise the template runs: a
 *   container template is a Pod node, a suspend template a Suspend node, a DAG template a nested
 *   DAG node whose phase is its own assessment. `connectDependencies`: a task without
 *   dependencies is a child of the DAG's node, any other task a child of each outbound node of
 *   each task it names (`getOutboundNodes` in `operator.go`: a Pod, Suspend or Skipped node is its
 *   own outbound node, a DAG node the outbound nodes of its target tasks).
 * - `assessDAGPhase`: a breadth-first walk from the DAG node's children, each node carrying the
 *   phase of its branch (its own once it completed: Succeeded, Failed or Error; otherwise its
 *   parent's), once per node and phase (`phase_node.go`); each target task (a task no other task
 *   names) takes its branch phase, Failed or Error preferred; the DAG is Succeeded unless a target
 *   is Failed or Error, then the phase of the last such target in name order (failFast off).
 * - `operator.go`: the Workflow takes the entry DAG's phase; when that Succeeded and the exit
 *   handler failed, the exit handler's.
 *
 * Not modelled (the library never writes them, or they affect timing only): retries (a step's
 * final phase is given), failFast, withItems/withParam, continueOn, daemons, hooks.
 *
 * Also `checkReferences()`: what Argo's validation (`workflow/validate/validate.go`) would reject
 * in how templates, tasks and parameters refer to each other.
 */

export type Phase = 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

interface Node {
  readonly id: string;
  readonly name: string;
  readonly type: 'DAG' | 'Pod' | 'Skipped' | 'Suspend';
  phase: Phase;
  readonly children: string[];
  outboundNodes: string[];
  /** For a Pod: the task's input parameters as resolved; its container with them substituted. */
  inputs?: Record<string, string>;
  container?: any;
  /** A Pod's output parameters (its results). */
  outputs?: Record<string, string>;
}

export interface Run {
  /** How the step's pod ends: 'Failed' (non-zero exit) or 'Error'. Steps not named succeed. */
  readonly failing: ReadonlyMap<string, 'Failed' | 'Error'>;
  /** Values of results as `step.name` -> value, for the steps that succeed (unset: empty). */
  readonly results?: ReadonlyMap<string, string>;
}

export interface Outcome {
  /** Each step's node phase; a step inside a nested DAG that did not run has the nested DAG's. */
  readonly steps: Map<string, Phase>;
  /** The container each step's pod ran, its parameters substituted, as JSON. */
  readonly containers: Map<string, string>;
  readonly workflow: Phase;
}

const completed = (p: Phase) => p === 'Succeeded' || p === 'Failed' || p === 'Error';
const failedOrError = (p: Phase | '') => p === 'Failed' || p === 'Error';

/** The task names a `depends` expression names. */
export function dependsNames(expr: string | undefined): string[] {
  return [...new Set([...(expr ?? '').matchAll(/([A-Za-z0-9][-A-Za-z0-9]*)\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned)\b/g)].map(m => m[1]))];
}

/** Evaluates a `depends` expression of `&&`, `||`, `!`, parentheses and `task.Result` operands. */
export function evalDepends(expr: string, results: (task: string, result: string) => boolean): boolean {
  const tokens = expr.match(/\(|\)|&&|\|\||!|[A-Za-z0-9][-A-Za-z0-9]*\.[A-Za-z]+/g) ?? [];
  if (tokens.join('') !== expr.replace(/\s+/g, '')) throw new Error(`cannot parse depends: ${expr}`);
  let i = 0;
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === '||') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const and = (): boolean => {
    let v = unary();
    while (tokens[i] === '&&') {
      i++;
      const r = unary();
      v = v && r;
    }
    return v;
  };
  const unary = (): boolean => {
    const t = tokens[i++];
    if (t === '!') return !unary();
    if (t === '(') {
      const v = or();
      if (tokens[i++] !== ')') throw new Error(`unbalanced depends: ${expr}`);
      return v;
    }
    const [task, result] = t.split('.');
    return results(task, result);
  };
  const v = or();
  if (i !== tokens.length) throw new Error(`trailing tokens in depends: ${expr}`);
  return v;
}

/** Runs `workflow` as the controller would, with the given failures and results. */
export function runWorkflow(workflow: any, run: Run): Outcome {
  const templates = new Map<string, any>(workflow.spec.templates.map((t: any) => [t.name, t]));
  const nodes = new Map<string, Node>();
  const wfName = 'wf';
  let nextId = 0;
  const newNode = (name: string, type: Node['type'], phase: Phase): Node => {
    const node: Node = { id: `n${nextId++}`, name, type, phase, children: [], outboundNodes: [] };
    nodes.set(node.id, node);
    return node;
  };
  const outbound = (node: Node): string[] => (node.type === 'DAG' ? node.outboundNodes.flatMap(id => outbound(nodes.get(id)!)) : [node.id]);
  const addChild = (parent: Node, child: Node) => {
    if (!parent.children.includes(child.id)) parent.children.push(child.id);
  };
  const stepPhases = new Map<string, Phase>();
  const containers = new Map<string, string>();

  /** Substitutes `{{inputs.parameters.x}}` as Argo does (the value JSON-escaped into the JSON text). */
  const substitute = (value: any, inputs: Record<string, string>): any => JSON.parse(JSON.stringify(value)
    .replace(/\{\{inputs\.parameters\.([-a-zA-Z0-9_]+)\}\}/g, (tag, name) => {
      if (!(name in inputs)) throw new Error(`unresolved ${tag}`);
      return JSON.stringify(inputs[name]).slice(1, -1);
    }));

  /** Executes a DAG template as `node`; `inputs` are the DAG template's own input parameters. */
  const executeDag = (template: any, node: Node, inputs: Record<string, string>): void => {
    const tasks: any[] = template.dag.tasks;
    const taskNodes = new Map<string, Node>();
    // `{{=…}}` over the tasks of this DAG, in the forms the library writes (src/argo/depends.ts).
    const status = (task: string) => taskNodes.get(task)?.phase;
    const output = (task: string, name: string) => taskNodes.get(task)?.outputs?.[name] ?? '';
    const expression = (text: string): string => {
      const value = /^\{\{=tasks\["([^"]+)"\]\.status == 'Succeeded' \? tasks\["[^"]+"\]\.outputs\.parameters\["([^"]+)"\] : ''\}\}$/.exec(text);
      if (value) return status(value[1]) === 'Succeeded' ? output(value[1], value[2]) : '';
      return text;
    };
    const when = (text: string): boolean => {
      if (text === 'false') return false;
      const m = /^\{\{=tasks\["([^"]+)"\]\.status == 'Succeeded' && (!\()?tasks\["[^"]+"\]\.outputs\.parameters\["([^"]+)"\] in (\[.*\])\)?\}\}$/.exec(text);
      if (!m) throw new Error(`the model does not know this when: ${text}`);
      const inList = (JSON.parse(m[4]) as string[]).includes(output(m[1], m[3]));
      return status(m[1]) === 'Succeeded' && (m[2] ? !inList : inList);
    };
    const connect = (task: any, child: Node) => {
      const deps = dependsNames(task.depends);
      if (deps.length === 0) addChild(node, child);
      for (const d of deps) for (const out of outbound(taskNodes.get(d)!)) addChild(nodes.get(out)!, child);
    };
    for (const task of topological(tasks)) {
      const name = `${node.name}.${task.name}`;
      if (task.depends !== undefined) {
        const go = evalDepends(task.depends, (t, result) => {
          const dep = taskNodes.get(t);
          if (!dep) throw new Error(`${name}: depends names ${t}, not a task of this DAG`);
          return result === 'Errored' ? dep.phase === 'Error' : result === 'Daemoned' ? false : dep.phase === result;
        });
        if (!go) {
          const omitted = newNode(name, 'Skipped', 'Omitted');
          taskNodes.set(task.name, omitted);
          connect(task, omitted);
          continue;
        }
      }
      const args: Record<string, string> = {};
      for (const p of task.arguments?.parameters ?? []) args[p.name] = expression(substitute(p.value, inputs));
      if (task.when !== undefined && !when(substitute(task.when, inputs))) {
        const skipped = newNode(name, 'Skipped', 'Skipped');
        taskNodes.set(task.name, skipped);
        connect(task, skipped);
        continue;
      }
      const tmpl = templates.get(task.template);
      if (!tmpl) throw new Error(`${name}: no template ${task.template}`);
      const declared = (tmpl.inputs?.parameters ?? []).map((p: any) => p.name).sort();
      const passed = Object.keys(args).sort();
      if (JSON.stringify(declared) !== JSON.stringify(passed)) {
        throw new Error(`${name}: template ${tmpl.name} takes [${declared}], the task passes [${passed}]`);
      }
      let child: Node;
      if (tmpl.dag) {
        child = newNode(name, 'DAG', 'Succeeded');
        taskNodes.set(task.name, child);
        connect(task, child);
        executeDag(tmpl, child, args);
      } else if (tmpl.suspend) {
        child = newNode(name, 'Suspend', 'Succeeded');
        taskNodes.set(task.name, child);
        connect(task, child);
      } else {
        child = newNode(name, 'Pod', run.failing.get(task.name) ?? 'Succeeded');
        taskNodes.set(task.name, child);
        connect(task, child);
        child.inputs = args;
        child.container = substitute(tmpl.container, args);
        child.outputs = Object.fromEntries((tmpl.outputs?.parameters ?? []).map((p: any) => [p.name,
          child.phase === 'Succeeded' ? run.results?.get(`${task.name}.${p.name}`) ?? '' : p.valueFrom?.default ?? '']));
        if (containers.has(task.name)) throw new Error(`step ${task.name} runs twice`);
        containers.set(task.name, JSON.stringify(child.container));
      }
    }
    // Target tasks: those no other task names (findLeafTaskNames, sorted).
    const named = new Set(tasks.flatMap(t => dependsNames(t.depends)));
    const targets = tasks.map(t => t.name).filter(t => !named.has(t)).sort();
    node.phase = assess(node, targets.map(t => taskNodes.get(t)!));
    node.outboundNodes = targets.flatMap(t => outbound(taskNodes.get(t)!));
    for (const task of tasks) {
      const n = taskNodes.get(task.name)!;
      const tmpl = templates.get(task.template);
      if (tmpl?.container) stepPhases.set(task.name, n.phase);
      // The steps of a nested DAG that did not run never got nodes: they share its phase.
      if (tmpl?.dag && n.type === 'Skipped') for (const s of stepsOf(tmpl)) stepPhases.set(s, n.phase);
    }
  };

  /** The step tasks of a DAG template and of the DAG templates it runs. */
  const stepsOf = (tmpl: any): string[] => tmpl.dag.tasks.flatMap((t: any) => {
    const inner = templates.get(t.template);
    if (inner?.dag) return stepsOf(inner);
    return inner?.suspend ? [] : [t.name];
  });

  /** assessDAGPhase (dag.go), failFast off. */
  const assess = (dag: Node, targets: Node[]): Phase => {
    const targetPhases = new Map<string, Phase | ''>(targets.map(t => [t.id, '']));
    const seen = new Set<string>();
    const queue: Array<{ id: string; phase: Phase }> = [];
    const add = (ids: string[], phase: Phase) => {
      for (const id of ids) {
        const key = `${id}-${phase}`;
        if (!seen.has(key)) {
          seen.add(key);
          queue.push({ id, phase });
        }
      }
    };
    add(dag.children, 'Succeeded');
    while (queue.length > 0) {
      const curr = queue.shift()!;
      const n = nodes.get(curr.id)!;
      let branch = curr.phase;
      if (completed(n.phase)) branch = n.phase;
      if (targetPhases.has(n.id) && !failedOrError(targetPhases.get(n.id)!)) targetPhases.set(n.id, branch);
      add(n.children, branch);
    }
    let result: Phase = 'Succeeded';
    for (const t of [...targets].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = targetPhases.get(t.id)!;
      if (p === '') throw new Error(`target ${t.name} was never reached`);
      if (failedOrError(p)) result = p;
    }
    return result;
  };

  const root = newNode(wfName, 'DAG', 'Succeeded');
  executeDag(templates.get(workflow.spec.entrypoint), root, {});
  let phase = root.phase;
  if (workflow.spec.onExit) {
    const exit = newNode(`${wfName}.onExit`, 'DAG', 'Succeeded');
    executeDag(templates.get(workflow.spec.onExit), exit, {});
    if (phase === 'Succeeded' && failedOrError(exit.phase)) phase = exit.phase;
  }
  return { steps: stepPhases, containers, workflow: phase };
}

/** The tasks in an order where each comes after the tasks it names (throws on a cycle). */
function topological(tasks: any[]): any[] {
  const byName = new Map(tasks.map(t => [t.name, t]));
  const done = new Set<string>();
  const out: any[] = [];
  const visit = (t: any, path: Set<string>) => {
    if (done.has(t.name)) return;
    if (path.has(t.name)) throw new Error(`cycle through ${t.name}`);
    path.add(t.name);
    for (const d of dependsNames(t.depends)) {
      const dep = byName.get(d);
      if (!dep) throw new Error(`task ${t.name} depends on ${d}, which is not in its DAG`);
      visit(dep, path);
    }
    path.delete(t.name);
    done.add(t.name);
    out.push(t);
  };
  for (const t of tasks) visit(t, new Set());
  return out;
}

/**
 * What Argo's validation would reject in how the Workflow's parts refer to each other: a task's
 * template that does not exist, arguments that differ from the template's inputs, `depends` on a
 * task of another DAG, a `{{inputs.parameters.x}}` the template does not declare, a template no
 * task runs, duplicate names. Returns the problems (empty: none).
 */
export function checkReferences(workflow: any): string[] {
  const problems: string[] = [];
  const templates = new Map<string, any>();
  for (const t of workflow.spec.templates) {
    if (templates.has(t.name)) problems.push(`template ${t.name} twice`);
    templates.set(t.name, t);
  }
  const used = new Set<string>([workflow.spec.entrypoint, workflow.spec.onExit].filter(Boolean));
  for (const t of workflow.spec.templates) {
    const declared = new Set<string>((t.inputs?.parameters ?? []).map((p: any) => p.name));
    const { inputs, ...body } = t;
    for (const m of JSON.stringify(body).matchAll(/\{\{inputs\.parameters\.([-a-zA-Z0-9_]+)\}\}/g)) {
      if (!declared.has(m[1])) problems.push(`template ${t.name} uses inputs.parameters.${m[1]}, which it does not declare`);
    }
    if (!t.dag) continue;
    const names = new Set<string>();
    for (const task of t.dag.tasks) {
      if (names.has(task.name)) problems.push(`${t.name}: task ${task.name} twice`);
      names.add(task.name);
    }
    for (const task of t.dag.tasks) {
      used.add(task.template);
      const target = templates.get(task.template);
      if (!target) {
        problems.push(`${t.name}.${task.name}: no template ${task.template}`);
        continue;
      }
      const want = (target.inputs?.parameters ?? []).map((p: any) => p.name).sort().join(',');
      const got = (task.arguments?.parameters ?? []).map((p: any) => p.name).sort().join(',');
      if (want !== got) problems.push(`${t.name}.${task.name}: passes [${got}] to ${task.template}, which takes [${want}]`);
      for (const d of dependsNames(task.depends)) if (!names.has(d)) problems.push(`${t.name}.${task.name}: depends on ${d}, not a task of ${t.name}`);
    }
  }
  for (const name of templates.keys()) if (!used.has(name)) problems.push(`template ${name} is never run`);
  return problems;
}

/** The task that runs `step`, in whichever DAG template it is. */
export function stepTask(workflow: any, step: string): any {
  for (const t of workflow.spec.templates) {
    const task = t.dag?.tasks.find((x: any) => x.name === step);
    if (task) return task;
  }
  throw new Error(`no task ${step}`);
}

/**
 * The template `step` runs with the values its task passes substituted (as Argo does for each
 * pod): what a template of its own would say. Results read from other steps stay references.
 */
export function resolvedTemplate(workflow: any, step: string): any {
  const task = stepTask(workflow, step);
  const template = workflow.spec.templates.find((t: any) => t.name === task.template);
  const args = new Map<string, string>((task.arguments?.parameters ?? []).map((p: any) => [p.name, p.value]));
  const { inputs, ...body } = template;
  const resolved = JSON.parse(JSON.stringify(body).replace(/\{\{inputs\.parameters\.([-a-zA-Z0-9_]+)\}\}/g, (tag, name) => {
    const v = args.get(name);
    return v === undefined || v.startsWith('{{') ? tag : JSON.stringify(v).slice(1, -1);
  }));
  const resultInputs = (inputs?.parameters ?? []).filter((p: any) => args.get(p.name)?.startsWith('{{'));
  return { ...resolved, ...resultInputs.length > 0 ? { inputs: { parameters: resultInputs } } : {} };
}

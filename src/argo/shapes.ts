/**
 * Shared templates: steps whose container templates differ only in values run from one template
 * that takes those values as `inputs.parameters`, each task passing its own as `arguments`.
 * Pure: one template renderer per step in, templates and per-step arguments out.
 *
 * A value is a position of the template that Argo substitutes a parameter into: the image, each
 * element of command and args, each env value, the timeout (`activeDeadlineSeconds`), the retry
 * limit, and the step's results directory. Everything else is the template's shape, resources
 * included: Argo cannot take a quantity in `container.resources` from a parameter
 * (argo-workflows#703, #6939). A position is a parameter only when Argo gives its value back
 * unchanged (`substitutable()`); otherwise it stays literal, so it is part of the shape.
 */

/**
 * Renders a step's template. `value(key, literal)` returns what to write at a value position: the
 * literal, or a `{{inputs.parameters.…}}` reference. `name` is the template's name, `container`
 * the name of its container (Argo renames it `main` in the pod).
 */
export type TemplateRenderer = (value: ValueFn, names: { readonly template: string; readonly container: string }) => any;
export type ValueFn = <T extends string | number>(key: string, literal: T) => T | string;

/** One step, ready to be given a template. */
export interface ShapeInput {
  readonly step: string;
  readonly render: TemplateRenderer;
  /** Input parameters the template declares whatever its shape (results read into the env). */
  readonly resultInputs: number;
}

/** What a step's task needs: the template it runs and the values it passes. */
export interface StepTemplateRef {
  readonly template: string;
  /** The shape's parameters with this step's values (the result arguments are added by the DAG). */
  readonly arguments: Array<{ readonly name: string; readonly value: string }>;
}

export interface Shapes {
  /** The container templates, in the order of the first step of each shape. */
  readonly templates: any[];
  readonly byStep: ReadonlyMap<string, StepTemplateRef>;
}

/** The most input parameters a template may have (Argo ≥ 4.0's CRDs); a shape needing more is not shared. */
const MAX_PARAMETERS = 500;

/**
 * Whether Argo writes `value` back unchanged when it substitutes it for a parameter. Argo has no
 * escape for `{{` (`util/template`): a value with `{{` or `}}` would be read as a tag. It
 * substitutes into JSON text with Go's `strconv.Quote` (`simpleReplaceStrict` in
 * `util/template/simple_template.go`), whose `\a`, `\v`, `\x..` and `\U........` escapes are not
 * JSON: control characters other than tab, newline, carriage return, backspace and form feed,
 * DEL, and characters outside the Basic Multilingual Plane (written as surrogate pairs here) stay
 * literal too.
 */
export function substitutable(value: string): boolean {
  if (value.includes('{{') || value.includes('}}')) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && ![0x08, 0x09, 0x0a, 0x0c, 0x0d].includes(c)) || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/**
 * Groups the steps by shape. A shape with one step keeps a literal template named after the
 * step (as in a flat mapping); a shape with several gets one template, named after what its
 * literal image and command say (`shared-busybox-sh`), whose parameters are the positions that
 * differ between its steps.
 * @param taken names no shared template may take (step names, the library's own templates)
 */
export function shareTemplates(inputs: ShapeInput[], taken: ReadonlySet<string>): Shapes {
  const groups = new Map<string, Array<{ input: ShapeInput; values: Map<string, string | number> }>>();
  for (const input of inputs) {
    const values = new Map<string, string | number>();
    const key = JSON.stringify(input.render((k, literal) => {
      values.set(k, literal);
      return typeof literal === 'string' && !substitutable(literal) ? literal : `\u0000${k}`;
    }, { template: '', container: '' }));
    const group = groups.get(key) ?? [];
    group.push({ input, values });
    groups.set(key, group);
  }
  const names = new Set(taken);
  const templates: any[] = [];
  const byStep = new Map<string, StepTemplateRef>();
  const literal = (input: ShapeInput) => {
    templates.push(input.render((_, v) => v, { template: input.step, container: input.step }));
    byStep.set(input.step, { template: input.step, arguments: [] });
  };
  for (const group of groups.values()) {
    const [first] = group;
    // The positions whose values differ, in a reading order: image, command, args, env, the rest.
    const keys = [...first.values.keys()];
    const varying = keys.filter(k => group.some(g => g.values.get(k) !== first.values.get(k)))
      .sort((a, b) => rank(a) - rank(b) || keys.indexOf(a) - keys.indexOf(b));
    if (group.length === 1 || varying.length + first.input.resultInputs > MAX_PARAMETERS) {
      group.forEach(g => literal(g.input));
      continue;
    }
    const params = parameterNames(varying);
    const name = uniqueName(shapeName(first.values, new Set(varying)), names);
    names.add(name);
    const template = first.input.render((k, v) => (params.has(k) ? `{{inputs.parameters.${params.get(k)}}}` : v), { template: name, container: 'main' });
    // The shape's parameters first, then the results the steps read (declared by the renderer).
    const declared = [...varying.map(k => ({ name: params.get(k)! })), ...template.inputs?.parameters ?? []];
    templates.push(declared.length > 0 ? { name: template.name, inputs: { parameters: declared }, ...withoutInputs(template) } : template);
    for (const g of group) {
      byStep.set(g.input.step, { template: name, arguments: varying.map(k => ({ name: params.get(k)!, value: String(g.values.get(k)) })) });
    }
  }
  return { templates, byStep };
}

/** Where a value position comes in the parameters (then in template order). */
function rank(key: string): number {
  const order = ['image', 'command-', 'args-', 'env-', 'results', 'retries', 'timeout'];
  const i = order.findIndex(o => (o.endsWith('-') ? key.startsWith(o) : key === o));
  return i < 0 ? order.length : i;
}

function withoutInputs(template: any): any {
  const { name, inputs, ...rest } = template;
  return rest;
}

/** Parameter names (`[-a-zA-Z0-9_]+`) for value keys: `image`, `command-0`, `env-HOME`, … */
function parameterNames(keys: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const key of keys) {
    const base = key.replace(/[^-a-zA-Z0-9_]/g, '_');
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    out.set(key, name);
  }
  return out;
}

/** `shared-<image>-<command>` from the literal positions: a description of the shape, lowercase (pod names contain it). */
function shapeName(values: ReadonlyMap<string, string | number>, varying: ReadonlySet<string>): string {
  const parts = ['shared'];
  const image = values.get('image');
  if (typeof image === 'string' && !varying.has('image')) {
    // registry/path/name:tag@digest -> name
    parts.push(image.replace(/@.*$/, '').replace(/:[^/]*$/, '').split('/').pop() ?? '');
  }
  const command = values.get('command-0');
  if (typeof command === 'string' && !varying.has('command-0')) parts.push(command.split('/').pop() ?? '');
  return parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/-$/, '').slice(0, 50).replace(/-$/, '');
}

function uniqueName(base: string, taken: ReadonlySet<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

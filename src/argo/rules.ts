/**
 * Argo's own rules for what the transformation emits, checked at synth so a bad name fails here
 * with the step's name instead of at submission. Sources (Argo Workflows v4 API, the version
 * `@kubernetes-models/argo-workflows` 2.0.0 is generated from): `workflow/validate/validate.go`
 * (DAG checks, `workflowFieldNameFmt`, `paramOrArtifactNameRegex`), docs/variables.md and the
 * expr-lang language definition (keywords). Pure: names in, problems out.
 */
import { Plan, readsResult, resultReads } from '../plan';

/** `workflowFieldNameFmt`, max `workflowFieldMaxLength` (template and task names). */
const FIELD_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const FIELD_MAX = 128;
/** Parameter names (`paramOrArtifactNameRegex` in validate.go): letters, digits, `-` and `_`. */
const PARAM_NAME = /^[-a-zA-Z0-9_]+$/;
/**
 * Words expr-lang (Argo's `depends` and `{{=…}}` language) reads as operators or literals: a task
 * of that name cannot be an operand (`in.Succeeded` does not parse).
 */
const EXPR_KEYWORDS = new Set(['true', 'false', 'nil', 'not', 'and', 'or', 'in', 'matches', 'contains', 'let', 'if', 'else']);
/** Container names Argo gives the containers of every pod it creates. */
export const ARGO_CONTAINERS = new Set(['main', 'wait', 'init']);

/** Names this target uses for its own templates; they contain capitals, which step names cannot. */
export const DAG_TEMPLATE = 'Cdk8sSteps';
export const FINALLY_TEMPLATE = 'Cdk8sSteps-finally';
export const CONTINUE_TEMPLATE = 'Cdk8sSteps-continue';
/** The join task that keeps a failed `onError: CONTINUE` step without dependents from failing the DAG. */
export function continueTask(step: string): string {
  return `Continue-${step}`;
}

/** Everything in the plan that Argo would reject or misread, one message per problem. */
export function argoProblems(plan: Plan, sidecars: string[]): string[] {
  const errors: string[] = [];
  const usesDepends = plan.steps.some(s => s.dependsOn.length > 0);
  for (const step of plan.steps) {
    const where = `Step "${step.name}"`;
    if (!FIELD_NAME.test(step.name) || step.name.length > FIELD_MAX) {
      errors.push(`${where}: Argo task and template names must match ${FIELD_NAME.source} (at most ${FIELD_MAX} characters): rename the step`);
    }
    if (usesDepends && /^[0-9]/.test(step.name)) {
      errors.push(`${where}: Argo rejects a DAG task name that begins with a digit when tasks use 'depends': rename the step, e.g. "s-${step.name}"`);
    }
    if (EXPR_KEYWORDS.has(step.name)) {
      errors.push(`${where}: "${step.name}" is a keyword of Argo's depends expressions (expr-lang), so it cannot name a task: rename the step`);
    }
    for (const result of step.results) {
      if (!PARAM_NAME.test(result)) {
        errors.push(`${where}: result "${result}" is not a valid Argo parameter name (${PARAM_NAME.source}): rename it`);
      }
    }
    const reads = resultReads(step).map(r => r.result);
    if (step.isFinally && reads.length > 0) {
      errors.push(`${where} is a finally step and reads the result "${reads[0].step}.${reads[0].name}": a StepWorkflow runs `
        + 'finally steps in Argo\'s exit handler, which cannot read task outputs. Make it a step that depends on the producer with runIf always instead');
    }
    if (readsResult(step.runIf)) {
      const bad = step.runIf.values.find(v => v.includes('{{') || v.includes('}}'));
      if (bad !== undefined) {
        errors.push(`${where}: the value ${JSON.stringify(bad)} of its condition contains "{{" or "}}", which Argo reads as a template tag: change the value`);
      }
    }
  }
  for (const name of sidecars) {
    if (ARGO_CONTAINERS.has(name)) {
      errors.push(`Sidecar "${name}": Argo names its own containers ${[...ARGO_CONTAINERS].join(', ')} in every pod: rename the sidecar`);
    }
  }
  return errors;
}

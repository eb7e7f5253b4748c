/**
 * The run conditions on the wire (docs/contract.md, `-run_if`): read from run-if-conditions.json,
 * the one list the library and the entrypoint's Go tests both load. Internal.
 */
import conditions from './run-if-conditions.json';
import { RunIfKind } from '../plan';

/** One entry of run-if-conditions.json. */
export interface RunIfCondition {
  /** The library's name of the kind (`RunIfPlan['kind']`). */
  readonly kind: string;
  /** The value of `-run_if`. */
  readonly flag: string;
  /** The condition the wrapper applies without `-run_if` (no flag is written for it). */
  readonly default: boolean;
  /** Whether it compares a result (`-result` and `-value` go with it). */
  readonly readsResult: boolean;
}

/** Every run condition of the contract, as run-if-conditions.json lists them. */
export const RUN_IF_CONDITIONS: readonly RunIfCondition[] = conditions.conditions;

/** The contract's entry for a kind; throws for a kind the list lacks (test/run-if.test.ts keeps them equal). */
export function runIfCondition(kind: RunIfKind): RunIfCondition {
  const found = RUN_IF_CONDITIONS.find(c => c.kind === kind);
  if (!found) throw new Error(`run condition ${kind} is missing from src/wire/run-if-conditions.json: add it there (and to the entrypoint's decide())`);
  return found;
}

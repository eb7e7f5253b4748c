/**
 * The docgen task's post-processing of API.md (projenrc/api-md.ts): jsii-docgen's `@see` links to
 * inherited cdk8s-plus members have no target; they become plain references.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fixApiMd } from '../projenrc/api-md';

describe('fixApiMd', () => {
  test('turns a @see link to a member name into a code reference', () => {
    const input = 'Return the configuration of this peer.\n\n> [INetworkPolicyPeer.toNetworkPolicyPeerConfig ()](INetworkPolicyPeer.toNetworkPolicyPeerConfig ())\n';
    expect(fixApiMd(input)).toBe('Return the configuration of this peer.\n\n> See `INetworkPolicyPeer.toNetworkPolicyPeerConfig()`\n');
  });

  test('keeps @see links with a URL or an anchor, and other lines', () => {
    const input = [
      '> [https://kubernetes.io/docs/concepts/storage/volumes](https://kubernetes.io/docs/concepts/storage/volumes)',
      '> [#cdk8s-steps.StepPod](#cdk8s-steps.StepPod)',
      '- *Type:* <a href="#cdk8s-steps.Step">Step</a>',
      '> a quote with [a link](somewhere.md)',
    ].join('\n');
    expect(fixApiMd(input)).toBe(input);
  });

  test('is idempotent', () => {
    const once = fixApiMd('> [IPodSelector.toPodSelectorConfig ()](IPodSelector.toPodSelectorConfig ())');
    expect(fixApiMd(once)).toBe(once);
  });
});

test('the docgen task runs the post-processing after jsii-docgen', () => {
  const tasks = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '.projen', 'tasks.json'), 'utf8')).tasks;
  const steps: string[] = tasks.docgen.steps.map((s: { exec?: string; execArgs?: string[] }) => s.exec ?? (s.execArgs ?? []).join(' '));
  const docgen = steps.findIndex((s) => s.startsWith('jsii-docgen'));
  const fix = steps.findIndex((s) => s.includes('projenrc/api-md.ts'));
  expect(docgen).toBeGreaterThanOrEqual(0);
  expect(fix).toBeGreaterThan(docgen);
});

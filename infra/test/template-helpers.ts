// Helpers to read a synthesized CloudFormation template in tests.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SppoStack } from '../src/stack.ts';
import { buildSppoApp } from '../src/build.ts';

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface Synthesized {
  stack: SppoStack;
  template: Template;
  json: { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };
  outdir: string;
}

const outdirs: string[] = [];

/** Remove every temp dir `synthesize` made (call from afterAll). */
export function cleanupSynthesized(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Synthesize the stack into a temp dir (assets are staged there, as `cdk synth` would), with AWS's
 * own rule pack (cdk-nag AwsSolutions) as a validation plugin: a finding that no construct
 * acknowledges makes the synthesis throw, with CDK's report naming each rule, construct path and the
 * source line that created it. `extend` adds constructs before synthesis (tests of the checks).
 */
export function synthesize(context: Record<string, unknown> = {}, { extend }: { extend?: (stack: SppoStack) => void } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'sppo-infra-'));
  outdirs.push(outdir);
  const { app, stack } = buildSppoApp({ context, outdir });
  extend?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() as Synthesized['json'], outdir };
}

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string; description: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/** Every AwsSolutions finding left in the report CDK wrote during synthesis, warnings included
 * (they do not fail a synthesis), one line each: severity, rule, construct path, what is wrong. */
export function remainingFindings(outdir: string): string[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  return report.pluginReports
    .filter((r) => r.pluginName === 'AwsSolutions')
    .flatMap((r) => r.violations)
    .flatMap((v) => v.violatingConstructs.map((c) => `${v.severity} ${v.ruleName} at ${c.constructPath}: ${v.description}`));
}

/** Render an intrinsic as readable text: {Fn::Join} joined, {Fn::GetAtt:[id,Arn]} -> "id.Arn", {Ref:id} -> "id". */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    if ('Fn::GetAtt' in o) return (o['Fn::GetAtt'] as string[]).join('.');
    if ('Ref' in o) return String(o.Ref);
    return JSON.stringify(o);
  }
  return String(value);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: unknown;
  Sid?: string;
}

export const asList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Every identity-policy statement in the template, with the logical id of its policy. */
export function allStatements(json: Synthesized['json']): { policy: string; statement: Statement }[] {
  const out: { policy: string; statement: Statement }[] = [];
  for (const [id, resource] of Object.entries(json.Resources)) {
    const props = resource.Properties ?? {};
    const docs: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') docs.push(props.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role' || resource.Type === 'AWS::IAM::User') {
      for (const p of asList(props.Policies as { PolicyDocument: unknown }[] | undefined)) docs.push(p.PolicyDocument);
    }
    for (const doc of docs) {
      for (const statement of asList((doc as { Statement: Statement | Statement[] }).Statement)) out.push({ policy: id, statement });
    }
  }
  return out;
}

/** Logical ids of resources of a type whose rendered properties match a predicate. */
export function findIds(json: Synthesized['json'], type: string, predicate: (props: Record<string, unknown>) => boolean = () => true): string[] {
  return Object.entries(json.Resources)
    .filter(([, r]) => r.Type === type && predicate(r.Properties ?? {}))
    .map(([id]) => id);
}

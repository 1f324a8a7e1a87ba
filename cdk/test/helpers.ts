import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

export const DNS_ACCOUNT = '111111111111';
export const CHILD_ACCOUNT = '222222222222';
export const REGION = 'eu-west-1';

/** A stack in a concrete environment, so ARNs and names render as plain strings. */
export function stackIn(account: string = DNS_ACCOUNT, id = 'TestStack'): Stack {
  const app = new App();
  return new Stack(app, id, { env: { account, region: REGION } });
}

/** An environment-agnostic stack (what the example app synthesizes). */
export function agnosticStack(id = 'TestStack'): Stack {
  return new Stack(new App(), id);
}

export function template(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** The one resource of a type: its logical ID and definition. */
export function only(t: Template, type: string): [string, any] {
  const found = Object.entries(t.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.map(([k]) => k).join(', ')}`);
  return found[0] as [string, any];
}

/** Every statement of the role's inline policies, by policy name. */
export function inlinePolicies(role: any): Record<string, any[]> {
  const out: Record<string, any[]> = {};
  for (const p of role.Properties.Policies ?? []) out[p.PolicyName] = p.PolicyDocument.Statement;
  return out;
}

const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::URLSuffix': 'amazonaws.com' };

/**
 * A template value with the pseudo parameters of a concrete environment filled in (the partition
 * stays `Ref AWS::Partition` even in a stack with an account and region) and Fn::Join of plain
 * strings joined, so ARNs compare as strings.
 */
export function plain(value: any): any {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref' && PSEUDO[value.Ref] !== undefined) return PSEUDO[value.Ref];
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [sep, parts] = value['Fn::Join'];
      const rendered = plain(parts);
      if (rendered.every((p: unknown) => typeof p === 'string')) return rendered.join(sep);
      if (sep !== '') return { 'Fn::Join': [sep, rendered] };
      // Adjacent strings merged: ['arn:', 'aws', ':route53:::hostedzone/', {Ref}] -> ['arn:aws:route53:::hostedzone/', {Ref}]
      const merged: unknown[] = [];
      for (const p of rendered) {
        if (typeof p === 'string' && typeof merged[merged.length - 1] === 'string') merged[merged.length - 1] += p;
        else merged.push(p);
      }
      return { 'Fn::Join': ['', merged] };
    }
    return Object.fromEntries(keys.map((k) => [k, plain(value[k])]));
  }
  return value;
}

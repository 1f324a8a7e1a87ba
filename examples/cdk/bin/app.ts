#!/usr/bin/env node
// CDK app for subdomain-delegation. `npm ci && npx cdk synth` works offline: nothing here looks up
// AWS (no fromLookup), and a missing bootstrap.zip only gives a warning (see lib/provider.ts).
// Settings are context values (cdk.json, or -c key=value).
import { App } from 'aws-cdk-lib';
import { providerCode } from '../lib/provider';
import { ChildAccountStack, ParentDelegationsStack, ProviderStack } from '../lib/stacks';

const app = new App({ analyticsReporting: false });
const ctx = (key: string): string => {
  const value = app.node.tryGetContext(key);
  if (value === undefined || value === null) throw new Error(`missing context value ${key} (cdk.json or -c ${key}=...)`);
  return String(value);
};
const optional = (key: string): string | undefined => {
  const value = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
};

const childServiceToken = (value: string | undefined): 'queued' | 'direct' | undefined => {
  if (value !== undefined && value !== 'queued' && value !== 'direct') {
    throw new Error(`context value childServiceToken must be queued or direct, not ${value}`);
  }
  return value;
};
const list = (value: string | undefined): string[] | undefined =>
  value === undefined ? undefined : value.split(',').map((s) => s.trim());
const number = (key: string): number | undefined => {
  const value = optional(key);
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) throw new Error(`context value ${key} must be a whole number, not ${value}`);
  return Number(value);
};

const flag = (key: string): boolean | undefined => {
  const value = optional(key);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new Error(`context value ${key} must be true or false, not ${value}`);
  return value === 'true';
};

const providerName = ctx('providerName');
const readerRoleNamePrefix = ctx('readerRoleNamePrefix');
const reserved = optional('reservedConcurrency');

// Stacks are environment-agnostic: deploy each with the credentials of the right account
// (`cdk deploy SubdomainDelegationProvider` as the DNS account, `SubdomainDelegationChild` as the child).
const provider = new ProviderStack(app, 'SubdomainDelegationProvider', {
  description: 'subdomain-delegation provider (DNS account)',
  providerCode: providerCode(app),
  providerName,
  readerRoleNamePrefix,
  organizationId: optional('organizationId'),
  delegationPolicy: optional('delegationPolicy'),
  // Required: '*' is the explicit choice of any name.
  allowedRecordNames: list(ctx('allowedRecordNames'))!,
  parentZoneApexNames: list(optional('parentZoneApexNames')),
  parentRoleArn: optional('parentRoleArn'),
  route53RequestsPerSecond: number('route53RequestsPerSecond'),
  reservedConcurrency: reserved === 'none' ? 'none' : number('reservedConcurrency'),
  queued: flag('queuedServiceToken'),
  batchSize: number('batchSize'),
  batchingWindowSeconds: number('batchingWindowSeconds'),
  maxConcurrency: number('maxConcurrency'),
  maxChangesPerBatch: number('maxChangesPerBatch'),
});

new ParentDelegationsStack(app, 'SubdomainDelegationParent', {
  description: 'Delegations declared in the DNS account',
  serviceToken: provider.provider.serviceToken,
  parentHostedZoneId: ctx('parentHostedZoneId'),
  parentHostedZoneName: ctx('parentHostedZoneName'),
});

new ChildAccountStack(app, 'SubdomainDelegationChild', {
  description: 'Child account: zone, reader role and delegation',
  dnsAccountId: ctx('dnsAccountId'),
  providerName,
  readerRoleNamePrefix,
  externalId: ctx('childExternalId'),
  parentHostedZoneName: ctx('parentHostedZoneName'),
  zoneName: ctx('childZoneName'),
  serviceToken: childServiceToken(optional('childServiceToken')),
});

app.synth();

#!/usr/bin/env node
// CDK app for subdomain-delegation, built on the subdomain-delegation-cdk construct library
// (../../cdk). `npm ci && npx cdk synth` works offline on a fresh clone: nothing here looks up AWS
// (no fromLookup), and without a built zip the provider's code is read from the release bucket.
// Settings are context values (cdk.json, or -c key=value).
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DelegationPolicy, ProviderCode, ReservedConcurrency, ServiceTokenType } from 'subdomain-delegation-cdk';
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

// The provider's code: a local zip when there is one (scripts/package), else the release layout in
// the bucket <codeBucketPrefix>-<region>. An explicitly named zip must exist.
const archName = process.env.SUBDOMAIN_DELEGATION_ARCH || ctx('architecture');
if (archName !== 'arm64' && archName !== 'x86_64') throw new Error(`architecture must be arm64 or x86_64, not ${archName}`);
const architecture = archName === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
const namedZip = process.env.SUBDOMAIN_DELEGATION_ZIP || optional('bootstrapZip');
if (namedZip !== undefined && !fs.existsSync(namedZip)) throw new Error(`${namedZip} does not exist (SUBDOMAIN_DELEGATION_ZIP or bootstrapZip)`);
const builtZip = path.resolve(__dirname, '..', '..', '..', 'target', `lambda-${archName}`, 'subdomain-delegation', 'bootstrap.zip');
const zip = namedZip ?? (fs.existsSync(builtZip) ? builtZip : undefined);
const code = zip !== undefined
  ? ProviderCode.fromZip(zip)
  : ProviderCode.fromBucketPrefix(ctx('codeBucketPrefix'), { version: optional('codeVersion') });

const childServiceToken = optional('childServiceToken') ?? 'queued';
if (childServiceToken !== 'queued' && childServiceToken !== 'direct') {
  throw new Error(`context value childServiceToken must be queued or direct, not ${childServiceToken}`);
}
const reserved = optional('reservedConcurrency');
const batchingWindowSeconds = number('batchingWindowSeconds');

const providerName = ctx('providerName');
const readerRoleNamePrefix = ctx('readerRoleNamePrefix');
const parentHostedZoneName = ctx('parentHostedZoneName');
const childAccountId = ctx('childAccountId');
const childZoneName = ctx('childZoneName');
const labZoneName = `lab.${parentHostedZoneName}`;
// Required: '*' is the explicit choice of any name.
const allowedRecordNames = list(ctx('allowedRecordNames'))!;
const policyJson = optional('delegationPolicy');
const delegationPolicy = policyJson === undefined ? undefined : DelegationPolicy.fromJson(policyJson);

// The allotment must let the provider write what this app delegates: IAM's allowedRecordNames
// (StringLike) for both names, and the delegation policy for the child account's zone (the DNS
// account's own lab zone takes a name the policy allots to nobody).
const stringLike = (pattern: string, name: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(name);
for (const name of [childZoneName, labZoneName]) {
  if (!allowedRecordNames.some((p) => stringLike(p, name))) {
    throw new Error(`allowedRecordNames (${allowedRecordNames.join(',')}) does not allow ${name}: the provider could not write it`);
  }
}
if (delegationPolicy === undefined || !delegationPolicy.allots(childAccountId, childZoneName)) {
  throw new Error(`delegationPolicy does not allot ${childZoneName} to the child account ${childAccountId}: the provider would refuse it`);
}

// Stacks are environment-agnostic: deploy each with the credentials of the right account
// (`cdk deploy SubdomainDelegationProvider SubdomainDelegationParent` as the DNS account,
// `cdk deploy SubdomainDelegationChild` as the child account childAccountId).
const provider = new ProviderStack(app, 'SubdomainDelegationProvider', {
  description: 'subdomain-delegation provider (DNS account)',
  code,
  architecture,
  providerName,
  readerRoleNamePrefix,
  organizationId: optional('organizationId'),
  delegationPolicy,
  allowedRecordNames,
  parentZoneApexNames: list(optional('parentZoneApexNames')),
  parentRoleArn: optional('parentRoleArn'),
  route53RequestsPerSecond: number('route53RequestsPerSecond'),
  reservedConcurrency: reserved === 'none' ? ReservedConcurrency.NONE
    : reserved === undefined ? undefined : ReservedConcurrency.of(number('reservedConcurrency')!),
  queued: flag('queuedServiceToken'),
  batchSize: number('batchSize'),
  batchingWindow: batchingWindowSeconds === undefined ? undefined : Duration.seconds(batchingWindowSeconds),
  maxConcurrency: number('maxConcurrency'),
  maxChangesPerBatch: number('maxChangesPerBatch'),
});

new ParentDelegationsStack(app, 'SubdomainDelegationParent', {
  description: 'Delegations declared in the DNS account',
  provider: provider.provider,
  parentHostedZoneId: ctx('parentHostedZoneId'),
  labZoneName,
});

new ChildAccountStack(app, 'SubdomainDelegationChild', {
  description: 'Child account: zone, reader role and delegation',
  dnsAccountId: ctx('dnsAccountId'),
  providerName,
  readerRoleNamePrefix,
  externalId: ctx('childExternalId'),
  parentHostedZoneName,
  zoneName: childZoneName,
  serviceTokenType: childServiceToken === 'queued' ? ServiceTokenType.QUEUED : ServiceTokenType.DIRECT,
});

app.synth();

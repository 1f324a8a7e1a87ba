import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { DelegationReaderRole, ProviderCode, SubdomainDelegationProvider } from '../lib';
import { CHILD_ACCOUNT, DNS_ACCOUNT, REGION, agnosticStack, inlinePolicies, only, plain, stackIn, template } from './helpers';

const DESCRIBE = ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'];

describe('DelegationReaderRole', () => {
  test('trusts exactly the provider role of this region, with the ExternalId; reads only its zone and stack', () => {
    const stack = stackIn(CHILD_ACCOUNT);
    const zone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: `${CHILD_ACCOUNT}.accounts.example.com` });
    DelegationReaderRole.forZone(stack, 'Reader', zone, { providerAccount: DNS_ACCOUNT, externalId: 'ext-id-1' });
    const t = template(stack);
    const [zoneId] = only(t, 'AWS::Route53::HostedZone');
    const [, role] = only(t, 'AWS::IAM::Role');
    assert.equal(role.Properties.RoleName, `subdomain-delegation-reader-${REGION}`);
    assert.deepEqual(plain(role.Properties.AssumeRolePolicyDocument.Statement), [{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${DNS_ACCOUNT}:role/subdomain-delegation-${REGION}` },
      Condition: { StringEquals: { 'sts:ExternalId': 'ext-id-1' } },
    }]);
    assert.equal(role.Properties.ManagedPolicyArns, undefined);
    t.resourceCountIs('AWS::IAM::Policy', 0);
    assert.deepEqual(plain(inlinePolicies(role)['read-delegated-zone']), [
      {
        Sid: 'ReadChildZone',
        Effect: 'Allow',
        Action: ['route53:GetHostedZone', 'route53:GetDNSSEC'],
        Resource: { 'Fn::Join': ['', ['arn:aws:route53:::hostedzone/', { Ref: zoneId }]] },
      },
      { Sid: 'VerifyThisStack', Effect: 'Allow', Action: DESCRIBE, Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  test('in an environment-agnostic stack the names follow the region; a custom provider name and prefix', () => {
    const stack = agnosticStack();
    const zone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'dev.example.com' });
    DelegationReaderRole.forZone(stack, 'Reader', zone, {
      providerAccount: DNS_ACCOUNT, providerName: 'dns-delegation', roleNamePrefix: 'dns-reader', externalId: 'ext-id-1',
    });
    const [, role] = only(template(stack), 'AWS::IAM::Role');
    assert.deepEqual(role.Properties.RoleName, { 'Fn::Join': ['', ['dns-reader-', { Ref: 'AWS::Region' }]] });
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal, {
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${DNS_ACCOUNT}:role/dns-delegation-`, { Ref: 'AWS::Region' }]] },
    });
  });

  test('grantReadDelegation adds zones to the one statement; grantStackVerification adds stacks', () => {
    const app = new App();
    const env = { account: CHILD_ACCOUNT, region: REGION };
    const stack = new Stack(app, 'Roles', { env });
    const other = new Stack(app, 'Delegations', { env });
    new CfnWaitConditionHandle(other, 'Handle');
    const reader = new DelegationReaderRole(stack, 'Reader', { providerAccount: DNS_ACCOUNT, externalId: 'ext-id-1' });
    reader.grantReadDelegation(route53.PublicHostedZone.fromHostedZoneId(stack, 'A', 'Z0AAA'));
    reader.grantReadDelegation(route53.PublicHostedZone.fromHostedZoneId(stack, 'B', 'Z0BBB'));
    reader.grantStackVerification(other);
    const [, role] = only(Template.fromStack(stack), 'AWS::IAM::Role');
    const [read, verify] = inlinePolicies(role)['read-delegated-zone'];
    assert.deepEqual(read.Resource, [
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z0AAA']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z0BBB']] },
    ]);
    assert.equal(verify.Resource.length, 2);
  });

  test('trusts the provider role itself when given', () => {
    const stack = stackIn();
    const provider = new SubdomainDelegationProvider(stack, 'Provider', {
      code: ProviderCode.fromBucketPrefix('artifacts'), allowedRecordNames: ['lab.example.com'],
    });
    const zone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'lab.example.com' });
    DelegationReaderRole.forZone(stack, 'Reader', zone, { providerRole: provider.role, externalId: 'ext-id-1' });
    const t = template(stack);
    const roles = Object.entries(t.findResources('AWS::IAM::Role')) as Array<[string, any]>;
    const [providerRoleId] = roles.find(([, r]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service)!;
    const [, reader] = roles.find(([, r]) => r.Properties.RoleName === `subdomain-delegation-reader-${REGION}`)!;
    assert.deepEqual(reader.Properties.AssumeRolePolicyDocument.Statement[0].Principal, {
      AWS: { 'Fn::GetAtt': [providerRoleId, 'Arn'] },
    });
  });

  test('refuses a role that reads no zone, and ambiguous or malformed settings', () => {
    const stack = stackIn(CHILD_ACCOUNT);
    new DelegationReaderRole(stack, 'Idle', { providerAccount: DNS_ACCOUNT, externalId: 'ext-id-1' });
    assert.throws(() => template(stack), /reads no zone/);
    const other = stackIn(CHILD_ACCOUNT, 'Other');
    const provider = new SubdomainDelegationProvider(other, 'Provider', {
      code: ProviderCode.fromBucketPrefix('artifacts'), allowedRecordNames: ['*.example.com'],
    });
    assert.throws(() => new DelegationReaderRole(other, 'Both', {
      providerAccount: DNS_ACCOUNT, providerRole: provider.role, externalId: 'ext-id-1',
    }), /exactly one of providerAccount and providerRole/);
    assert.throws(() => new DelegationReaderRole(other, 'Neither', { externalId: 'ext-id-1' }), /exactly one/);
    assert.throws(() => new DelegationReaderRole(other, 'Short', { providerAccount: DNS_ACCOUNT, externalId: 'x' }), /externalId/);
    assert.throws(() => new DelegationReaderRole(other, 'Account', { providerAccount: 'dns', externalId: 'ext-id-1' }), /12-digit/);
  });
});

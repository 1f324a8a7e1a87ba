import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import {
  DelegationReaderRole, DnssecMode, OnConflict, ProviderCode, ServiceTokenType, SubdomainDelegation,
  SubdomainDelegationProvider,
} from '../lib';
import { CHILD_ACCOUNT, DNS_ACCOUNT, REGION, agnosticStack, only, stackIn, template } from './helpers';

const TOKEN = `arn:aws:sns:${REGION}:${DNS_ACCOUNT}:subdomain-delegation`;

describe('SubdomainDelegation', () => {
  test('maps every property of the README table, and nothing unset', () => {
    const stack = stackIn(CHILD_ACCOUNT);
    const zone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'dev.example.com' });
    const reader = DelegationReaderRole.forZone(stack, 'Reader', zone, { providerAccount: DNS_ACCOUNT, externalId: 'ext-id-1' });
    const parentRole = iam.Role.fromRoleArn(stack, 'ParentRole', 'arn:aws:iam::333333333333:role/parent-writer');
    new SubdomainDelegation(stack, 'Delegation', {
      serviceToken: TOKEN,
      childHostedZone: zone,
      parentHostedZoneName: 'example.com',
      childRole: reader,
      childExternalId: 'ext-id-1',
      parentRole,
      parentExternalId: 'parent-ext',
      delegatedName: 'dev.example.com',
      ttl: Duration.hours(1),
      waitForSync: false,
      dnssec: DnssecMode.REQUIRED,
      onConflict: OnConflict.REPLACE,
      allowOccludedRecords: true,
      stsRegion: 'eu-west-1',
    });
    const t = template(stack);
    const [zoneId] = only(t, 'AWS::Route53::HostedZone');
    const [roleId] = only(t, 'AWS::IAM::Role');
    t.hasResourceProperties('Custom::SubdomainDelegation', Match.objectEquals({
      ServiceToken: TOKEN,
      ServiceTimeout: '900',
      ParentHostedZoneName: 'example.com',
      ChildHostedZoneId: { Ref: zoneId },
      ChildRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      ChildExternalId: 'ext-id-1',
      ParentRoleArn: 'arn:aws:iam::333333333333:role/parent-writer',
      ParentExternalId: 'parent-ext',
      DelegatedName: 'dev.example.com',
      TTL: '3600',
      WaitForSync: 'false',
      Dnssec: 'required',
      OnConflict: 'replace',
      AllowOccludedRecords: 'true',
      StsRegion: 'eu-west-1',
    }));
    // The reader role's permissions are inline: Fn::GetAtt orders them, no DependsOn is needed.
    const [, delegation] = only(t, 'Custom::SubdomainDelegation');
    assert.equal(delegation.DependsOn, undefined);
  });

  test('a role with a separately attached policy: the delegation waits for the policy', () => {
    const stack = stackIn(CHILD_ACCOUNT);
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountPrincipal(DNS_ACCOUNT) });
    new SubdomainDelegation(stack, 'Delegation', { serviceToken: TOKEN, childHostedZoneId: 'Z0A', childRole: role });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['route53:GetHostedZone'], resources: ['*'] }));
    const t = template(stack);
    const [policyId] = only(t, 'AWS::IAM::Policy');
    const [, delegation] = only(t, 'Custom::SubdomainDelegation');
    assert.deepEqual(delegation.DependsOn, [policyId]);
  });

  test('sends only what is set: no parent zone at all is allowed (the provider finds it)', () => {
    const stack = stackIn();
    new SubdomainDelegation(stack, 'Delegation', { serviceToken: TOKEN, childHostedZoneId: 'Z0CHILD' });
    template(stack).hasResourceProperties('Custom::SubdomainDelegation', Match.objectEquals({
      ServiceToken: TOKEN,
      ServiceTimeout: '900',
      ChildHostedZoneId: 'Z0CHILD',
    }));
  });

  test('a parent zone object gives ParentHostedZoneId', () => {
    const stack = stackIn();
    const parent = route53.PublicHostedZone.fromHostedZoneId(stack, 'Parent', 'Z0PARENT');
    new SubdomainDelegation(stack, 'Delegation', { serviceToken: TOKEN, childHostedZoneId: 'Z0CHILD', parentHostedZone: parent });
    template(stack).hasResourceProperties('Custom::SubdomainDelegation', {
      ParentHostedZoneId: 'Z0PARENT',
      ParentHostedZoneName: Match.absent(),
    });
  });

  test('ServiceTimeout defaults to 15 minutes and can be set', () => {
    const stack = stackIn();
    new SubdomainDelegation(stack, 'Standard', { serviceToken: TOKEN, childHostedZoneId: 'Z0A' });
    new SubdomainDelegation(stack, 'Longer', { serviceToken: TOKEN, childHostedZoneId: 'Z0B', serviceTimeout: Duration.minutes(30) });
    const t = template(stack);
    t.hasResourceProperties('Custom::SubdomainDelegation', { ChildHostedZoneId: 'Z0A', ServiceTimeout: '900' });
    t.hasResourceProperties('Custom::SubdomainDelegation', { ChildHostedZoneId: 'Z0B', ServiceTimeout: '1800' });
    assert.throws(
      () => new SubdomainDelegation(stackIn(), 'TooLong', { serviceToken: TOKEN, childHostedZoneId: 'Z0C', serviceTimeout: Duration.hours(2) }),
      /serviceTimeout/,
    );
  });

  test('the removal policy applies to the custom resource', () => {
    const stack = stackIn();
    new SubdomainDelegation(stack, 'Kept', { serviceToken: TOKEN, childHostedZoneId: 'Z0A', removalPolicy: RemovalPolicy.RETAIN });
    new SubdomainDelegation(stack, 'Removed', { serviceToken: TOKEN, childHostedZoneId: 'Z0B' });
    const t = template(stack);
    t.hasResource('Custom::SubdomainDelegation', {
      Properties: Match.objectLike({ ChildHostedZoneId: 'Z0A' }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    t.hasResource('Custom::SubdomainDelegation', {
      Properties: Match.objectLike({ ChildHostedZoneId: 'Z0B' }),
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('exposes every attribute the README documents', () => {
    const stack = stackIn();
    const d = new SubdomainDelegation(stack, 'Delegation', { serviceToken: TOKEN, childHostedZoneId: 'Z0A' });
    const attrs: Record<string, string> = {
      DelegatedName: d.delegatedName,
      NameServers: d.nameServers,
      ParentHostedZoneId: d.parentHostedZoneId,
      ChildHostedZoneId: d.childHostedZoneId,
      TTL: d.ttl,
      ChangeId: d.changeId,
      DsRecord: d.dsRecord,
    };
    for (const [name, value] of Object.entries(attrs)) new CfnOutput(stack, `Out${name}`, { value });
    new CfnOutput(stack, 'OutId', { value: d.delegationId });
    const t = template(stack);
    const [id] = only(t, 'Custom::SubdomainDelegation');
    for (const name of Object.keys(attrs)) {
      t.hasOutput(`Out${name}`, { Value: { 'Fn::GetAtt': [id, name] } });
    }
    t.hasOutput('OutId', { Value: { Ref: id } });
  });

  test('takes either ServiceToken of a provider in the app', () => {
    const stack = stackIn();
    const provider = new SubdomainDelegationProvider(stack, 'Provider', {
      code: ProviderCode.fromBucketPrefix('artifacts'),
      allowedRecordNames: ['*.example.com'],
    });
    new SubdomainDelegation(stack, 'Queued', { provider, childHostedZoneId: 'Z0A' });
    new SubdomainDelegation(stack, 'Direct', { provider, serviceTokenType: ServiceTokenType.DIRECT, childHostedZoneId: 'Z0B' });
    const t = template(stack);
    const [topicId] = only(t, 'AWS::SNS::Topic');
    const [fnId] = only(t, 'AWS::Lambda::Function');
    t.hasResourceProperties('Custom::SubdomainDelegation', { ChildHostedZoneId: 'Z0A', ServiceToken: { Ref: topicId } });
    t.hasResourceProperties('Custom::SubdomainDelegation', { ChildHostedZoneId: 'Z0B', ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] } });
  });

  test('a provider without the queued token needs DIRECT', () => {
    const stack = stackIn();
    const provider = new SubdomainDelegationProvider(stack, 'Provider', {
      code: ProviderCode.fromBucketPrefix('artifacts'),
      allowedRecordNames: ['*'],
      parentZoneApexNames: ['example.com'],
      queued: false,
    });
    assert.throws(() => new SubdomainDelegation(stack, 'Queued', { provider, childHostedZoneId: 'Z0A' }), /no queued ServiceToken/);
  });

  test('the ServiceToken of a provider in another account, in this stack\'s region', () => {
    const stack = agnosticStack();
    new SubdomainDelegation(stack, 'Queued', {
      serviceToken: SubdomainDelegationProvider.serviceTokenFor(stack, { account: DNS_ACCOUNT }),
      childHostedZoneId: 'Z0A',
    });
    new SubdomainDelegation(stack, 'Direct', {
      serviceToken: SubdomainDelegationProvider.serviceTokenFor(stack, {
        account: DNS_ACCOUNT, providerName: 'dns-delegation', serviceTokenType: ServiceTokenType.DIRECT,
      }),
      childHostedZoneId: 'Z0B',
    });
    const t = template(stack);
    t.hasResourceProperties('Custom::SubdomainDelegation', {
      ChildHostedZoneId: 'Z0A',
      ServiceToken: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:', { Ref: 'AWS::Region' }, `:${DNS_ACCOUNT}:subdomain-delegation`]] },
    });
    t.hasResourceProperties('Custom::SubdomainDelegation', {
      ChildHostedZoneId: 'Z0B',
      ServiceToken: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, `:${DNS_ACCOUNT}:function:dns-delegation`]],
      },
    });
  });

  test('refuses wrong combinations at synth time', () => {
    const stack = stackIn();
    const zone = route53.PublicHostedZone.fromHostedZoneId(stack, 'Zone', 'Z0ZONE');
    const cases: Array<[string, () => void, RegExp]> = [
      ['no token', () => new SubdomainDelegation(stack, 'A', { childHostedZoneId: 'Z0A' }), /serviceToken and provider/],
      ['no child', () => new SubdomainDelegation(stack, 'B', { serviceToken: TOKEN }), /childHostedZone and childHostedZoneId/],
      ['two children', () => new SubdomainDelegation(stack, 'C', { serviceToken: TOKEN, childHostedZone: zone, childHostedZoneId: 'Z0A' }),
        /childHostedZone and childHostedZoneId/],
      ['two parents', () => new SubdomainDelegation(stack, 'D', {
        serviceToken: TOKEN, childHostedZoneId: 'Z0A', parentHostedZoneId: 'Z0P', parentHostedZoneName: 'example.com',
      }), /at most one of parentHostedZone/],
      ['ttl too long', () => new SubdomainDelegation(stack, 'E', { serviceToken: TOKEN, childHostedZoneId: 'Z0A', ttl: Duration.days(8) }), /ttl/],
      ['ttl not whole', () => new SubdomainDelegation(stack, 'F', { serviceToken: TOKEN, childHostedZoneId: 'Z0A', ttl: Duration.millis(1500) }), /ttl/],
      ['external id without role', () => new SubdomainDelegation(stack, 'G', { serviceToken: TOKEN, childHostedZoneId: 'Z0A', childExternalId: 'x1' }),
        /childExternalId needs childRole/],
      ['token type with a token', () => new SubdomainDelegation(stack, 'H', {
        serviceToken: TOKEN, serviceTokenType: ServiceTokenType.DIRECT, childHostedZoneId: 'Z0A',
      }), /serviceTokenType/],
    ];
    for (const [name, make, error] of cases) assert.throws(make, error, name);
    const vpcStack = agnosticStack('Private');
    const privateZone = new route53.PrivateHostedZone(vpcStack, 'Private', {
      zoneName: 'internal.example.com',
      vpc: new ec2.Vpc(vpcStack, 'Vpc', { maxAzs: 1, natGateways: 0 }),
    });
    assert.throws(() => new SubdomainDelegation(vpcStack, 'P', { serviceToken: TOKEN, childHostedZone: privateZone }), /public zones only/);
  });
});

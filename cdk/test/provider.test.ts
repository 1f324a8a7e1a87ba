import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  DelegationPolicy, ProviderCode, ReservedConcurrency, SubdomainDelegationProvider, SubdomainDelegationProviderProps,
} from '../lib';
import { DNS_ACCOUNT, REGION, agnosticStack, inlinePolicies, only, plain, stackIn, template } from './helpers';

const ORG = 'o-exampleorg1';
const POLICY = DelegationPolicy.fromRules([
  { accounts: ['*'], names: ['{account}.accounts.example.com', '*.{account}.accounts.example.com'] },
]);

function provider(props: Partial<SubdomainDelegationProviderProps> = {}, stack: Stack = stackIn()): [Template, SubdomainDelegationProvider] {
  const p = new SubdomainDelegationProvider(stack, 'Provider', {
    code: ProviderCode.fromBucketPrefix('artifacts'),
    allowedRecordNames: ['*.accounts.example.com'],
    parentZoneApexNames: ['example.com'],
    ...props,
  });
  return [template(stack), p];
}

function statementsBySid(t: Template): Record<string, any> {
  const [, role] = Object.entries(t.findResources('AWS::IAM::Role'))
    .find(([, r]: [string, any]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com')!;
  const out: Record<string, any> = {};
  for (const stmts of Object.values(inlinePolicies(role))) for (const s of stmts) out[s.Sid] = plain(s);
  return out;
}

describe('SubdomainDelegationProvider', () => {
  test('the function as cfn/provider.yaml deploys it', () => {
    const [t] = provider({ delegationPolicy: POLICY });
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'subdomain-delegation',
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['arm64'],
      MemorySize: 128,
      Timeout: 300,
      ReservedConcurrentExecutions: 20,
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: { Ref: Match.anyValue() } },
      Code: {
        S3Bucket: `artifacts-${REGION}`,
        S3Key: `subdomain-delegation/${SubdomainDelegationProvider.PROVIDER_VERSION}/subdomain-delegation-${SubdomainDelegationProvider.PROVIDER_VERSION}-arm64.zip`,
      },
      Environment: {
        Variables: Match.objectEquals({
          DELEGATION_POLICY: POLICY.json,
          DELEGATION_PARENT_ROLE_ARNS: '',
          DELEGATION_ROUTE53_REQUESTS_PER_SECOND: '10',
          DELEGATION_MAX_CHANGES_PER_BATCH: '100',
          DELEGATION_RESOURCE_TYPES: 'Custom::SubdomainDelegation',
          DELEGATION_METRICS_NAMESPACE: 'SubdomainDelegation',
          DELEGATION_PARENT_ZONE_IDS: '*',
          DELEGATION_AUDIT_DISABLED: 'true',
        }),
      },
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', Match.objectEquals({
      FunctionName: { Ref: Match.anyValue() },
      Qualifier: '$LATEST',
      MaximumEventAgeInSeconds: 3600,
      MaximumRetryAttempts: 1,
    }));
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/subdomain-delegation', RetentionInDays: 365 });
    // The role's permissions are inline: Fn::GetAtt orders them, a DependsOn would only repeat it.
    const [, fn] = only(t, 'AWS::Lambda::Function');
    assert.equal(fn.DependsOn, undefined);
    // The local-test-only switches never reach a deployed function.
    const text = JSON.stringify(t.toJSON());
    assert.ok(!text.includes('DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL') && !text.includes('DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION'));
  });

  test('a policy added to the role later is in place before the function', () => {
    const stack = stackIn();
    const p = new SubdomainDelegationProvider(stack, 'Provider', {
      code: ProviderCode.fromBucketPrefix('artifacts'), allowedRecordNames: ['*.example.com'],
    });
    p.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['route53:ListTagsForResource'], resources: ['*'] }));
    const t = template(stack);
    const [policyId] = only(t, 'AWS::IAM::Policy');
    const [, fn] = only(t, 'AWS::Lambda::Function');
    assert.deepEqual(fn.DependsOn, [policyId]);
  });

  test('every setting reaches its environment variable', () => {
    const [t] = provider({
      delegationPolicy: DelegationPolicy.fromJson('{"allow":[]}'),
      parentRoleArn: 'arn:aws:iam::333333333333:role/parent-writer',
      route53RequestsPerSecond: 25,
      maxChangesPerBatch: 40,
      resourceTypes: ['Custom::SubdomainDelegation', 'AWS::CloudFormation::CustomResource'],
      parentHostedZoneIds: ['Z0PARENT1', 'Z0PARENT2'],
      audit: { zones: ['Z0PARENT1', 'example.com'], removeDangling: true, securityHub: true },
      memorySize: 256,
      architecture: lambda.Architecture.X86_64,
      reservedConcurrency: ReservedConcurrency.of(5),
      applicationLogLevel: lambda.ApplicationLogLevel.DEBUG,
      metricsNamespace: 'Platform/Dns',
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['x86_64'],
      MemorySize: 256,
      ReservedConcurrentExecutions: 5,
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'DEBUG' }),
      Code: Match.objectLike({ S3Key: Match.stringLikeRegexp('-x86_64\\.zip$') }),
      Environment: {
        Variables: Match.objectEquals({
          DELEGATION_POLICY: '{"allow":[]}',
          DELEGATION_PARENT_ROLE_ARNS: 'arn:aws:iam::333333333333:role/parent-writer',
          DELEGATION_ROUTE53_REQUESTS_PER_SECOND: '25',
          DELEGATION_MAX_CHANGES_PER_BATCH: '40',
          DELEGATION_RESOURCE_TYPES: 'Custom::SubdomainDelegation,AWS::CloudFormation::CustomResource',
          DELEGATION_METRICS_NAMESPACE: 'Platform/Dns',
          DELEGATION_PARENT_ZONE_IDS: 'Z0PARENT1,Z0PARENT2',
          DELEGATION_AUDIT_ZONES: 'Z0PARENT1,example.com',
          DELEGATION_AUDIT_REMOVE_DANGLING: 'true',
          DELEGATION_AUDIT_ALLOWED_NAMES: '*.accounts.example.com',
          DELEGATION_AUDIT_SECURITY_HUB: 'true',
        }),
      },
    });
    const s = statementsBySid(t);
    assert.deepEqual(s.AssumeParentRole, {
      Sid: 'AssumeParentRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::333333333333:role/parent-writer',
    });
    assert.deepEqual(s.ReadParentRecords.Resource, ['arn:aws:route53:::hostedzone/Z0PARENT1', 'arn:aws:route53:::hostedzone/Z0PARENT2']);
    assert.equal(s.AuditFindings.Action, 'securityhub:BatchImportFindings');
    assert.match(JSON.stringify(s.AuditFindings.Resource), /:securityhub:.*product\/.*\/default/);
  });

  test('the audit zones default to the parent zones; no reservation reserves nothing', () => {
    const [t] = provider({ parentHostedZoneIds: ['Z0PARENT'], audit: {}, reservedConcurrency: ReservedConcurrency.NONE });
    t.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          DELEGATION_AUDIT_ZONES: 'Z0PARENT',
          DELEGATION_AUDIT_DISABLED: Match.absent(),
          DELEGATION_AUDIT_REMOVE_DANGLING: Match.absent(),
          DELEGATION_AUDIT_ALLOWED_NAMES: Match.absent(),
          DELEGATION_AUDIT_SECURITY_HUB: Match.absent(),
        }),
      },
    });
    assert.equal(statementsBySid(t).AuditFindings, undefined, 'no Security Hub permission unless asked');
  });

  test('the role: least privilege, as cfn/provider.yaml', () => {
    const [t] = provider({ organizationId: ORG });
    const [, role] = Object.entries(t.findResources('AWS::IAM::Role'))[0] as [string, any];
    assert.equal(role.Properties.RoleName, `subdomain-delegation-${REGION}`);
    assert.equal(role.Properties.ManagedPolicyArns, undefined, 'no managed policies');
    assert.deepEqual(Object.keys(inlinePolicies(role)).sort(), ['assume-roles', 'logs', 'queued-requests', 'route53', 'verify-requests']);
    t.resourceCountIs('AWS::IAM::Policy', 0);
    const s = statementsBySid(t);
    assert.deepEqual(s.WriteDelegationRecordsOnly, {
      Sid: 'WriteDelegationRecordsOnly',
      Effect: 'Allow',
      Action: 'route53:ChangeResourceRecordSets',
      Resource: 'arn:aws:route53:::hostedzone/*',
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsRecordTypes': ['NS', 'DS'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
        },
        'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['*.accounts.example.com'] },
      },
    });
    assert.deepEqual(s.NeverTheParentZoneApex, {
      Sid: 'NeverTheParentZoneApex',
      Effect: 'Deny',
      Action: 'route53:ChangeResourceRecordSets',
      Resource: 'arn:aws:route53:::hostedzone/*',
      Condition: { 'ForAnyValue:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['example.com'] } },
    });
    assert.deepEqual(s.AssumeChildReaderRoles, {
      Sid: 'AssumeChildReaderRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: 'arn:aws:iam::*:role/subdomain-delegation-reader-*',
      Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
    });
    assert.equal(s.AssumeParentRole, undefined, 'no parent role is configured');
    assert.deepEqual(s.VerifyStacksOfThisAccount.Action,
      ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents']);
    assert.equal(s.VerifyStacksOfThisAccount.Resource, `arn:aws:cloudformation:${REGION}:${DNS_ACCOUNT}:stack/*/*`);
    assert.deepEqual(s.ReadZones.Action, ['route53:GetHostedZone', 'route53:GetDNSSEC']);
    assert.equal(s.WaitForSync.Resource, 'arn:aws:route53:::change/*');
    assert.deepEqual(s.WriteOwnLogs.Action, ['logs:CreateLogStream', 'logs:PutLogEvents']);
    const [queueId] = Object.entries(t.findResources('AWS::SQS::Queue')).find(([, q]: [string, any]) => q.Properties.RedrivePolicy)!;
    assert.deepEqual(s.ConsumeRequestQueue, {
      Sid: 'ConsumeRequestQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
      Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
    });
    assert.equal(s.AuditListZones, undefined, 'the audit is off');
    // The organization may invoke the function (the direct ServiceToken for its stacks).
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction', Principal: '*', PrincipalOrgID: ORG,
    });
  });

  test('without an apex list there is no Deny; without an organization no org condition', () => {
    const [t] = provider({ allowedRecordNames: ['dev.example.com'], parentZoneApexNames: undefined });
    const s = statementsBySid(t);
    assert.equal(s.NeverTheParentZoneApex, undefined);
    assert.equal(s.AssumeChildReaderRoles.Condition, undefined);
    t.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  test('the queued ServiceToken: topic, queue with a dead-letter queue, event source mapping', () => {
    const [t, p] = provider({ organizationId: ORG, batchSize: 1000, batchingWindow: Duration.seconds(10), maxConcurrency: 5 });
    const [topicId] = only(t, 'AWS::SNS::Topic');
    const queues = Object.entries(t.findResources('AWS::SQS::Queue')) as Array<[string, any]>;
    assert.equal(queues.length, 2);
    const [mainId, main] = queues.find(([, q]) => q.Properties.RedrivePolicy)!;
    const [deadId, dead] = queues.find(([, q]) => !q.Properties.RedrivePolicy)!;
    t.hasResourceProperties('AWS::SNS::Topic', Match.objectEquals({
      TopicName: 'subdomain-delegation', DisplayName: 'Custom::SubdomainDelegation requests',
    }));
    assert.deepEqual(main.Properties, {
      QueueName: 'subdomain-delegation-requests',
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 2100,
      MessageRetentionPeriod: 345600,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadId, 'Arn'] }, maxReceiveCount: 5 },
    });
    assert.deepEqual(plain(dead.Properties), {
      QueueName: 'subdomain-delegation-requests-dlq',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [`arn:aws:sqs:${REGION}:${DNS_ACCOUNT}:subdomain-delegation-requests`],
      },
    });
    // Only the topic may send to the queue, and the topic delivers the SNS envelope to it.
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: mainId }],
      PolicyDocument: {
        Statement: [{
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topicId } } },
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Resource: { 'Fn::GetAtt': [mainId, 'Arn'] },
        }],
      },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs', TopicArn: { Ref: topicId }, Endpoint: { 'Fn::GetAtt': [mainId, 'Arn'] }, RawMessageDelivery: false,
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [mainId, 'Arn'] },
      FunctionName: { Ref: Match.anyValue() },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    // Who may publish: this account, the organization, CloudFormation for stacks of the organization.
    const [, topicPolicy] = only(t, 'AWS::SNS::TopicPolicy');
    assert.deepEqual(topicPolicy.Properties.Topics, [{ Ref: topicId }]);
    assert.deepEqual(plain(topicPolicy.Properties.PolicyDocument.Statement), [
      {
        Sid: 'PublishFromThisAccount', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId },
        Principal: { AWS: `arn:aws:iam::${DNS_ACCOUNT}:root` },
      },
      {
        Sid: 'PublishFromOrganization', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId },
        Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
      },
      {
        Sid: 'PublishFromCloudFormationForOurStacks', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId },
        Principal: { Service: 'cloudformation.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceOrgID': ORG } },
      },
    ]);
    assert.ok(p.queuedServiceToken && p.topic && p.queue && p.deadLetterQueue);
  });

  test('without an organization, CloudFormation may publish for this account\'s stacks only; a topic key is used', () => {
    const stack = stackIn();
    const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:${REGION}:${DNS_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    const [t] = provider({ topicKmsKey: key }, stack);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: key.keyArn });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Sid: 'PublishFromThisAccount' }),
          Match.objectLike({
            Sid: 'PublishFromCloudFormationForOurStacks', Condition: { StringEquals: { 'aws:SourceAccount': DNS_ACCOUNT } },
          }),
        ],
      },
    });
  });

  test('direct only: no topic, no queues, no SQS permission, no dead-letter alarm', () => {
    const [t, p] = provider({ queued: false, maxChangesPerBatch: 7 });
    for (const type of ['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::SNS::Subscription', 'AWS::SQS::Queue',
      'AWS::SQS::QueuePolicy', 'AWS::Lambda::EventSourceMapping']) {
      t.resourceCountIs(type, 0);
    }
    const s = statementsBySid(t);
    assert.equal(s.ConsumeRequestQueue, undefined);
    assert.equal(p.queuedServiceToken, undefined);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DELEGATION_MAX_CHANGES_PER_BATCH: '7' }) },
    });
  });

  test('the operational alarms of cfn/provider.yaml: errors, throttles, dead-letter queue, FAILED answers', () => {
    const [t, p] = provider();
    t.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    assert.equal(p.alarms.length, 4);
    const [fnId] = only(t, 'AWS::Lambda::Function');
    const [deadId] = Object.entries(t.findResources('AWS::SQS::Queue')).find(([, q]: [string, any]) => !q.Properties.RedrivePolicy)!;
    const anyIn5Minutes = { Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' };
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...anyIn5Minutes,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadId, 'QueueName'] } }],
      Statistic: 'Maximum',
    });
    for (const metric of ['Errors', 'Throttles']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...anyIn5Minutes,
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
        Statistic: 'Sum',
      });
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...anyIn5Minutes,
      Namespace: 'SubdomainDelegation',
      MetricName: 'Requests',
      Dimensions: Match.arrayEquals([{ Name: 'FunctionName', Value: { Ref: fnId } }, { Name: 'Outcome', Value: 'FAILED' }]),
      Statistic: 'Sum',
    });
    assert.ok(p.failedRequestsAlarm);
    // No audit: no audit alarm, no schedule.
    t.resourceCountIs('AWS::Scheduler::Schedule', 0);
    assert.equal(p.auditAlarm, undefined);
  });

  test('without metrics there is no FAILED-answers alarm, and the function publishes none', () => {
    const [t, p] = provider({ metricsNamespace: '' });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    assert.equal(p.failedRequestsAlarm, undefined);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DELEGATION_METRICS_NAMESPACE: '' }) },
    });
    const [quiet] = provider({ alarmOnFailedRequests: false });
    quiet.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });

  test('alarms can be turned off, and get the actions given', () => {
    const [off] = provider({ alarms: false });
    off.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    const stack = stackIn();
    const topic = new sns.Topic(stack, 'Ops');
    const [t] = provider({ alarmActions: [new cw_actions.SnsAction(topic)] }, stack);
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')) as any[];
    assert.equal(alarms.length, 4);
    for (const a of alarms) assert.deepEqual(a.Properties.AlarmActions, [{ Ref: stack.getLogicalId(topic.node.defaultChild as CfnElement) }]);
  });

  test('the audit: schedule, its own role, the alarm treating missing data as breaching, the e-mail topic', () => {
    const [t, p] = provider({
      parentHostedZoneIds: ['Z0PARENT'],
      audit: { schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)) },
      alarmEmail: 'dns-team@example.com',
    });
    const [fnId] = only(t, 'AWS::Lambda::Function');
    const [, schedule] = only(t, 'AWS::Scheduler::Schedule');
    const roles = Object.entries(t.findResources('AWS::IAM::Role')) as Array<[string, any]>;
    const [scheduleRoleId, scheduleRole] = roles.find(([, r]) =>
      r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'scheduler.amazonaws.com')!;
    assert.deepEqual(schedule.Properties, {
      Description: 'Audit of every delegation of the parent zones (docs/design.md, "Audit")',
      ScheduleExpression: 'rate(6 hours)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [scheduleRoleId, 'Arn'] },
        Input: '{"subdomainDelegationAudit":{}}',
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 3600 },
      },
    });
    assert.deepEqual(scheduleRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition,
      { StringEquals: { 'aws:SourceAccount': DNS_ACCOUNT } });
    assert.deepEqual(inlinePolicies(scheduleRole)['invoke-the-audit'], [{
      Sid: 'InvokeTheProvider', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [fnId, 'Arn'] },
    }]);
    assert.deepEqual(statementsBySid(t).AuditListZones, {
      Sid: 'AuditListZones', Effect: 'Allow', Action: 'route53:ListHostedZones', Resource: '*',
    });
    const [topicId] = Object.entries(t.findResources('AWS::SNS::Topic'))
      .find(([, r]: [string, any]) => r.Properties.DisplayName === 'subdomain-delegation alarms')!;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        { Id: Match.anyValue(), Expression: 'dangling + broken', Label: 'dangling or DNSSEC-broken delegations', ReturnData: true },
        { Id: 'dangling', ReturnData: false, MetricStat: {
          Metric: { Namespace: 'SubdomainDelegation/Audit', MetricName: 'Delegations', Dimensions: [{ Name: 'Verdict', Value: 'dangling' }] },
          Period: 86400, Stat: 'Sum' } },
        { Id: 'broken', ReturnData: false, MetricStat: {
          Metric: { Namespace: 'SubdomainDelegation/Audit', MetricName: 'Delegations', Dimensions: [{ Name: 'Verdict', Value: 'dnssec-broken' }] },
          Period: 86400, Stat: 'Sum' } },
      ],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'dns-team@example.com', TopicArn: { Ref: topicId } });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': DNS_ACCOUNT } },
      })] },
    });
    // Every alarm notifies the e-mail topic.
    for (const a of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as any[]) {
      assert.deepEqual(a.Properties.AlarmActions, [{ Ref: topicId }]);
    }
    assert.equal(p.alarms.length, 5);
    assert.ok(p.auditAlarm && p.alarms.includes(p.auditAlarm));
  });

  test('the audit alarm\'s missing data can be not breaching; a rare schedule with breaching is warned about', () => {
    const [t] = provider({ audit: { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING } });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.anyValue(), TreatMissingData: 'notBreaching' });
    t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 day)' });
    const stack = stackIn();
    provider({ audit: { schedule: scheduler.ScheduleExpression.rate(Duration.days(7)) } }, stack);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('less often than daily'));
  });

  test('the dashboard only when asked', () => {
    const [without] = provider();
    without.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    const [t, p] = provider({ dashboard: true, audit: {} });
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: `subdomain-delegation-${REGION}` });
    const body = JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard'));
    for (const part of ['Requests by outcome', 'Route53Calls', 'BatchMessages', 'Invocations', 'Throttles',
      'ApproximateNumberOfMessagesVisible', 'SubdomainDelegation/Audit', 'FAILED requests', 'filter ispresent(summary) and status', 'alarms']) {
      assert.ok(body.includes(part), part);
    }
    const [named] = provider({ dashboard: true, dashboardName: 'dns' });
    named.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'dns' });
    assert.ok(p.dashboard);
    assert.throws(() => provider({ dashboardName: 'x' }), /dashboardName needs dashboard/);
  });

  test('code from a local zip, as an asset', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-cdk-'));
    const zip = path.join(dir, 'bootstrap.zip');
    fs.writeFileSync(zip, 'PK\u0005\u0006' + '\u0000'.repeat(18));
    const [t] = provider({ code: ProviderCode.fromZip(zip) });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: Match.stringLikeRegexp('cdk-.*-assets'), S3Key: Match.stringLikeRegexp('\\.zip$') },
    });
    assert.throws(() => provider({ code: ProviderCode.fromZip(path.join(dir, 'missing.zip')) }), /does not exist/);
  });

  test('code from the release layout in an environment-agnostic stack: the bucket follows the region', () => {
    const [t] = provider({ code: ProviderCode.fromBucketPrefix('artifacts', { version: '9.9.9' }) }, agnosticStack());
    t.hasResourceProperties('AWS::Lambda::Function', {
      Code: {
        S3Bucket: { 'Fn::Join': ['-', ['artifacts', { Ref: 'AWS::Region' }]] },
        S3Key: 'subdomain-delegation/9.9.9/subdomain-delegation-9.9.9-arm64.zip',
      },
    });
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { 'Fn::Join': ['', ['subdomain-delegation-', { Ref: 'AWS::Region' }]] },
    });
    const [own] = provider({ code: ProviderCode.fromBucketPrefix('artifacts', { key: 'builds/abc123/bootstrap.zip', objectVersion: 'v1' }) });
    own.hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: `artifacts-${REGION}`, S3Key: 'builds/abc123/bootstrap.zip', S3ObjectVersion: 'v1' },
    });
  });

  test('refuses settings cfn/provider.yaml refuses', () => {
    const cases: Array<[Partial<SubdomainDelegationProviderProps>, RegExp]> = [
      [{ allowedRecordNames: [] }, /allowedRecordNames/],
      [{ allowedRecordNames: ['Dev.Example.com.'] }, /allowedRecordNames/],
      [{ parentZoneApexNames: ['example.com.'] }, /parentZoneApexNames/],
      [{ parentHostedZoneIds: ['/hostedzone/Z0'] }, /parentHostedZoneIds/],
      [{ parentRoleArn: 'arn:aws:iam::333333333333:role/a,arn:aws:iam::333333333333:role/b' }, /parentRoleArn/],
      [{ batchSize: 11, batchingWindow: Duration.seconds(0) }, /batchingWindow/],
      [{ maxConcurrency: 1 }, /maxConcurrency/],
      [{ maxChangesPerBatch: 101 }, /maxChangesPerBatch/],
      [{ route53RequestsPerSecond: 0 }, /route53RequestsPerSecond/],
      [{ memorySize: 2048 }, /memorySize/],
      [{ providerName: 'has space' }, /providerName/],
      [{ organizationId: 'exampleorg' }, /organizationId/],
      [{ resourceTypes: ['AWS::S3::Bucket'] }, /resourceTypes/],
      [{ alarmEmail: 'nobody' }, /alarmEmail/],
      [{ metricsNamespace: 'AWS/Lambda' }, /metricsNamespace/],
    ];
    for (const [props, error] of cases) assert.throws(() => provider(props), error, JSON.stringify(props));
    assert.throws(() => ReservedConcurrency.of(0), /reserved concurrency/);
    assert.throws(() => DelegationPolicy.fromJson('{"allow": 1}'), /allow/);
    assert.throws(() => ProviderCode.fromBucketPrefix('Bad_Bucket'), /bucketPrefix/);
    assert.throws(() => ProviderCode.fromBucketPrefix('artifacts', { version: 'latest' }), /version/);
  });

  test('warns when the mapping may take the whole reserved concurrency', () => {
    const stack = stackIn();
    provider({ reservedConcurrency: ReservedConcurrency.of(2), maxConcurrency: 2 }, stack);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('maxConcurrency'));
  });

  test('names other accounts derive: the role ARN of this region', () => {
    const stack = stackIn('222222222222');
    assert.equal(plain(stack.resolve(SubdomainDelegationProvider.roleArnFor(stack, { account: DNS_ACCOUNT }))),
      `arn:aws:iam::${DNS_ACCOUNT}:role/subdomain-delegation-${REGION}`);
    assert.throws(() => SubdomainDelegationProvider.roleArnFor(stack, { account: 'dns' }), /12-digit/);
  });
});

describe('DelegationPolicy', () => {
  test('renders DELEGATION_POLICY and tells which account a name is allotted to', () => {
    const policy = DelegationPolicy.fromRules([
      { accounts: ['222222222222'], names: ['dev.example.com'] },
      { accounts: ['*'], names: ['{account}.accounts.example.com', '*.{account}.accounts.example.com'] },
    ]);
    assert.equal(policy.json,
      '{"allow":[{"accounts":["222222222222"],"names":["dev.example.com"]},'
      + '{"accounts":["*"],"names":["{account}.accounts.example.com","*.{account}.accounts.example.com"]}]}');
    assert.ok(policy.allots('222222222222', 'dev.example.com'));
    assert.ok(!policy.allots('333333333333', 'dev.example.com'));
    assert.ok(policy.allots('333333333333', '333333333333.accounts.example.com'));
    assert.ok(policy.allots('333333333333', 'a.b.333333333333.accounts.example.com'));
    assert.ok(!policy.allots('333333333333', '222222222222.accounts.example.com'));
    assert.ok(DelegationPolicy.fromJson(policy.json).allots('222222222222', 'dev.example.com'));
  });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, CfnResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Where scripts/package leaves the zips (relative to this file's folder). */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The default path: the zip for the build machine's own architecture. */
export const DEFAULT_ZIP = path.join(REPO_ROOT, 'target', 'lambda', 'subdomain-delegation', 'bootstrap.zip');

export interface ProviderCode {
  readonly code: lambda.Code;
  readonly architecture: lambda.Architecture;
  /** True when the zip was missing and a placeholder that cannot serve requests was used. */
  readonly placeholder: boolean;
  /** The zip that was looked for. */
  readonly zip: string;
}

/**
 * Picks the provider's code:
 *  - zip path: env SUBDOMAIN_DELEGATION_ZIP, else context `bootstrapZip`, else
 *    target/lambda-<arch>/subdomain-delegation/bootstrap.zip when an architecture is given,
 *    else the default path target/lambda/subdomain-delegation/bootstrap.zip (built for this machine);
 *  - architecture: env SUBDOMAIN_DELEGATION_ARCH, else context `architecture` (arm64 | x86_64),
 *    else this machine's.
 * A missing zip does not stop `cdk synth`: a placeholder asset is used, and SubdomainDelegationProvider
 * attaches a warning; `npm run deploy` (cdk deploy --strict) refuses to deploy with that warning.
 */
export function providerCode(scope: Construct): ProviderCode {
  const archName: string | undefined =
    process.env.SUBDOMAIN_DELEGATION_ARCH || scope.node.tryGetContext('architecture') || undefined;
  const hostArch = process.arch === 'arm64' ? 'arm64' : 'x86_64';
  const arch = archName ?? hostArch;
  if (arch !== 'arm64' && arch !== 'x86_64') {
    throw new Error(`architecture must be arm64 or x86_64, not ${arch}`);
  }
  const zip: string =
    process.env.SUBDOMAIN_DELEGATION_ZIP ||
    scope.node.tryGetContext('bootstrapZip') ||
    (archName
      ? path.join(REPO_ROOT, 'target', `lambda-${arch}`, 'subdomain-delegation', 'bootstrap.zip')
      : DEFAULT_ZIP);
  const architecture = arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
  if (fs.existsSync(zip)) {
    return { code: lambda.Code.fromAsset(zip), architecture, placeholder: false, zip };
  }
  // Inline code is not possible for provided.al2023, so the placeholder is a tiny asset folder whose
  // bootstrap only says what to do. It never answers CloudFormation: do not deploy it.
  const dir = path.join(os.tmpdir(), 'subdomain-delegation-placeholder');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'bootstrap'),
    '#!/bin/sh\necho "placeholder: build the provider with scripts/package and deploy again" >&2\nexit 1\n',
    { mode: 0o755 },
  );
  return { code: lambda.Code.fromAsset(dir), architecture, placeholder: true, zip };
}

export interface SubdomainDelegationProviderProps {
  readonly code: lambda.Code;
  readonly architecture: lambda.Architecture;
  /** Set when `code` is the placeholder from providerCode(): attaches a warning that blocks --strict. */
  readonly placeholderFor?: string;
  /** Function name; the role is `<providerName>-<region>` (IAM names are global). */
  readonly providerName?: string;
  /** The provider may assume roles named `<prefix>-*` (child reader roles). */
  readonly readerRoleNamePrefix?: string;
  /** Parent zone IDs the provider may list and change; default: every zone of the account. */
  readonly parentHostedZoneIds?: string[];
  /**
   * Required: IAM StringLike patterns (lower case, no trailing dot) for
   * route53:ChangeResourceRecordSetsNormalizedRecordNames; every name of a change batch must match one.
   * `['*']` is the explicit choice of any name.
   */
  readonly allowedRecordNames: string[];
  /**
   * Apex names of the parent zones (lower case, no trailing dot), e.g. `['example.com']`: an explicit
   * IAM Deny refuses any change batch naming one of them, whatever allowedRecordNames allows.
   */
  readonly parentZoneApexNames?: string[];
  /**
   * Role in another account that holds the parent zone. Becomes DELEGATION_PARENT_ROLE_ARNS, the only
   * ParentRoleArn a request may name, and the only role besides the readers the provider may assume.
   * Unset: no request may name a parent role.
   */
  readonly parentRoleArn?: string;
  /**
   * DELEGATION_ROUTE53_REQUESTS_PER_SECOND: the DNS account's Route 53 request rate the provider paces
   * itself by once throttled. Default 10 (Route 53's default: burst 50, refill 10 per second); raise
   * it only when the DNS account's Route 53 quota was raised. 1..1000.
   */
  readonly route53RequestsPerSecond?: number;
  /**
   * Reserved concurrency, default 20: a flood of forged invocations cannot take the account's whole
   * Lambda concurrency. `'none'` reserves nothing, for accounts whose quota is too small to reserve
   * any (there is no 0: it would throttle every request).
   */
  readonly reservedConcurrency?: number | 'none';
  /** DELEGATION_POLICY JSON; unset = only zones in this account may be delegated to. */
  readonly delegationPolicy?: string;
  /** o-...: let the whole organization invoke the function and publish to the topic; only assume roles inside it. */
  readonly organizationId?: string;
  readonly logRetention?: logs.RetentionDays;
  /**
   * The queued ServiceToken (default true): an SNS topic named `providerName`, subscribed by an SQS
   * queue (with a dead-letter queue) from which the function takes requests in batches, planned per
   * parent zone. For StackSets, bursts and organization-wide rollouts. False: only the direct token.
   */
  readonly queued?: boolean;
  /**
   * Customer managed key (ARN) for the topic. Unset: not encrypted, because CloudFormation publishes
   * with the member account's stack credentials, which cannot use the AWS managed key alias/aws/sns.
   * The key's policy must admit the publishers (kms:GenerateDataKey*, kms:Decrypt via SNS).
   */
  readonly topicKmsKeyArn?: string;
  /** Most requests per invocation from the queue, 1..10000 (default 500; above 10 needs a batching window). */
  readonly batchSize?: number;
  /** How long the event source mapping gathers requests, 0..300 s (default 2 s). */
  readonly batchingWindow?: Duration;
  /** Most batches in flight at once, 2..1000 (default 2); keep it below reservedConcurrency. */
  readonly maxConcurrency?: number;
  /** DELEGATION_MAX_CHANGES_PER_BATCH: change budget of one Route 53 change batch, 1..100 (default 100). */
  readonly maxChangesPerBatch?: number;
}

/** The function's Timeout; the queue's visibility timeout is derived from it. */
const FUNCTION_TIMEOUT = Duration.seconds(300);
/** How often a message is received before it moves to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;

/** The same provider as cfn/provider.yaml, as a construct. */
export class SubdomainDelegationProvider extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  /** Direct ServiceToken (the function ARN): one request per invocation, the lowest latency. */
  readonly serviceToken: string;
  /** Queued ServiceToken (the SNS topic ARN), when `queued` is not false. */
  readonly queuedServiceToken?: string;
  readonly topic?: sns.Topic;
  readonly queue?: sqs.Queue;
  readonly deadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: SubdomainDelegationProviderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const providerName = props.providerName ?? 'subdomain-delegation';
    const readerPrefix = props.readerRoleNamePrefix ?? 'subdomain-delegation-reader';
    const zoneArns = (props.parentHostedZoneIds ?? ['*']).map((z) =>
      stack.formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: z }),
    );
    const normalized = /^[a-z0-9_*?-]+(\.[a-z0-9_*?-]+)*$/;
    // (Lists given as tokens, e.g. a CfnParameter's valueAsList, are checked by CloudFormation instead.)
    if (!Token.isUnresolved(props.allowedRecordNames) &&
        (props.allowedRecordNames.length === 0 || props.allowedRecordNames.some((n) => !normalized.test(n)))) {
      throw new Error(
        `allowedRecordNames needs one or more lower-case patterns without a trailing dot ('*' = any name), not ${JSON.stringify(props.allowedRecordNames)}`,
      );
    }
    const apexNames = props.parentZoneApexNames ?? [];
    if (!Token.isUnresolved(apexNames) && apexNames.some((n) => !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(n))) {
      throw new Error(`parentZoneApexNames must be lower case without a trailing dot, not ${JSON.stringify(apexNames)}`);
    }
    if (props.parentRoleArn && !Token.isUnresolved(props.parentRoleArn) &&
        !/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/([A-Za-z0-9+=.@_-]+\/)*[A-Za-z0-9+=.@_-]+$/.test(props.parentRoleArn)) {
      // No comma: DELEGATION_PARENT_ROLE_ARNS is a comma-separated list.
      throw new Error(`parentRoleArn must be one IAM role ARN, not ${props.parentRoleArn}`);
    }
    const requestsPerSecond = props.route53RequestsPerSecond ?? 10;
    if (!Token.isUnresolved(requestsPerSecond) &&
        (!Number.isInteger(requestsPerSecond) || requestsPerSecond < 1 || requestsPerSecond > 1000)) {
      throw new Error(`route53RequestsPerSecond must be an integer 1..1000, not ${requestsPerSecond}`);
    }
    const reserved = props.reservedConcurrency ?? 20;
    if (reserved !== 'none' && !Token.isUnresolved(reserved) && (!Number.isInteger(reserved) || reserved < 1)) {
      throw new Error(`reservedConcurrency must be a positive integer or 'none' (0 would throttle every request), not ${reserved}`);
    }
    const wholeIn = (name: string, value: number, min: number, max: number): number => {
      if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < min || value > max)) {
        throw new Error(`${name} must be an integer ${min}..${max}, not ${value}`);
      }
      return value;
    };
    const maxChanges = wholeIn('maxChangesPerBatch', props.maxChangesPerBatch ?? 100, 1, 100);
    const queued = props.queued ?? true;
    const batchSize = wholeIn('batchSize', props.batchSize ?? 500, 1, 10000);
    const windowSeconds = wholeIn('batchingWindow', (props.batchingWindow ?? Duration.seconds(2)).toSeconds(), 0, 300);
    const maxConcurrency = wholeIn('maxConcurrency', props.maxConcurrency ?? 2, 2, 1000);
    if (batchSize > 10 && windowSeconds < 1) {
      throw new Error(`a batchSize above 10 (${batchSize}) needs a batchingWindow of at least 1 second (an SQS rule)`);
    }

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${providerName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    skipCheckov(logGroup.node.defaultChild as CfnResource, [
      ['CKV_AWS_158', 'Logs hold no secrets (the ResponseURL query string is never logged); default encryption at rest.'],
    ]);

    // The queued ServiceToken: topic -> queue (dead-letter queue after 5 receives) -> function.
    if (queued) {
      const queueName = `${providerName}-requests`;
      const sqsManaged: Array<[string, string]> = [
        ['CKV_AWS_27', 'Encrypted with SQS-managed SSE, which checkov does not recognize (it looks for a KMS key only); a KMS key would have to admit sns.amazonaws.com.'],
      ];
      const dlq = new sqs.Queue(this, 'RequestDeadLetterQueue', {
        queueName: `${queueName}-dlq`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        retentionPeriod: Duration.days(14),
        // Only the request queue may move messages here (named, not referenced: that would be circular).
        redriveAllowPolicy: {
          redrivePermission: sqs.RedrivePermission.BY_QUEUE,
          sourceQueues: [sqs.Queue.fromQueueArn(this, 'RequestQueueRef', stack.formatArn({ service: 'sqs', resource: queueName }))],
        },
      });
      skipCheckov(dlq.node.defaultChild as CfnResource, sqsManaged);
      const queue = new sqs.Queue(this, 'RequestQueue', {
        queueName,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        // 6 x the function timeout plus the longest batching window (Lambda's advice for SQS sources).
        visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6 + 300),
        // SQS's default, 4 days: beyond the hour CloudFormation waits and the 5 receives before the DLQ.
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      });
      skipCheckov(queue.node.defaultChild as CfnResource, sqsManaged);
      const topic = new sns.Topic(this, 'Topic', {
        topicName: providerName,
        displayName: 'Custom::SubdomainDelegation requests',
        masterKey: props.topicKmsKeyArn ? kms.Key.fromKeyArn(this, 'TopicKey', props.topicKmsKeyArn) : undefined,
      });
      skipCheckov(topic.node.defaultChild as CfnResource, [
        ['CKV_AWS_26', 'CloudFormation publishes with the stack credentials of member accounts, which cannot use alias/aws/sns; set topicKmsKeyArn to a key that admits them.'],
      ]);
      // CloudFormation publishes with the stack's credentials (as it invokes a ServiceToken function).
      topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'PublishFromThisAccount',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
      }));
      if (props.organizationId) {
        topic.addToResourcePolicy(new iam.PolicyStatement({
          sid: 'PublishFromOrganization',
          principals: [new iam.AnyPrincipal()],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
        }));
      }
      // Should CloudFormation publish as its service principal instead: only for stacks of ours.
      topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'PublishFromCloudFormationForOurStacks',
        principals: [new iam.ServicePrincipal('cloudformation.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: props.organizationId
          ? { StringEquals: { 'aws:SourceOrgID': props.organizationId } }
          : { StringEquals: { 'aws:SourceAccount': stack.account } },
      }));
      // The queue policy (only this topic may send: aws:SourceArn) comes with the subscription. Not
      // raw: the body is the SNS notification, which the function unwraps.
      topic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: false }));
      this.topic = topic;
      this.queue = queue;
      this.deadLetterQueue = dlq;
    }

    this.role = new iam.Role(this, 'Role', {
      roleName: `${providerName}-${stack.region}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the subdomain-delegation provider; child reader roles trust exactly this role.',
    });
    const policy = new iam.Policy(this, 'Policy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
        new iam.PolicyStatement({ sid: 'FindParentZoneByName', actions: ['route53:ListHostedZonesByName'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'ReadZones',
          actions: ['route53:GetHostedZone', 'route53:GetDNSSEC'],
          resources: [stack.formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: '*' })],
        }),
        new iam.PolicyStatement({
          sid: 'WaitForSync',
          actions: ['route53:GetChange'],
          resources: [stack.formatArn({ service: 'route53', region: '', account: '', resource: 'change', resourceName: '*' })],
        }),
        new iam.PolicyStatement({ sid: 'ReadParentRecords', actions: ['route53:ListResourceRecordSets'], resources: zoneArns }),
        new iam.PolicyStatement({
          sid: 'WriteDelegationRecordsOnly',
          actions: ['route53:ChangeResourceRecordSets'],
          resources: zoneArns,
          // ForAllValues: every type, action and name of the change batch must be in the lists.
          conditions: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsRecordTypes': ['NS', 'DS'],
              'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
            },
            'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': props.allowedRecordNames },
          },
        }),
        // An explicit Deny wins over any Allow; ForAnyValue refuses a batch in which any one name is an apex.
        ...(Token.isUnresolved(apexNames) || apexNames.length > 0
          ? [
              new iam.PolicyStatement({
                sid: 'NeverTheParentZoneApex',
                effect: iam.Effect.DENY,
                actions: ['route53:ChangeResourceRecordSets'],
                resources: [stack.formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: '*' })],
                conditions: { 'ForAnyValue:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': apexNames } },
              }),
            ]
          : []),
        new iam.PolicyStatement({
          sid: 'AssumeChildReaderRoles',
          actions: ['sts:AssumeRole'],
          resources: [`arn:${stack.partition}:iam::*:role/${readerPrefix}-*`],
          conditions: props.organizationId ? { StringEquals: { 'aws:ResourceOrgID': props.organizationId } } : undefined,
        }),
        // Exactly the one parent role this deployment names (also DELEGATION_PARENT_ROLE_ARNS).
        ...(props.parentRoleArn
          ? [new iam.PolicyStatement({ sid: 'AssumeParentRole', actions: ['sts:AssumeRole'], resources: [props.parentRoleArn] })]
          : []),
        new iam.PolicyStatement({
          sid: 'VerifyStacksOfThisAccount',
          // DescribeStackEvents: the cleanup Delete of a replaced ID must show in the stack's events.
          actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
          resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*/*' })],
        }),
        // What the SQS event source mapping needs, on the request queue only.
        ...(this.queue
          ? [
              new iam.PolicyStatement({
                sid: 'ConsumeRequestQueue',
                actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
                resources: [this.queue.queueArn],
              }),
            ]
          : []),
      ],
    });
    policy.attachToRole(this.role);

    this.function = new lambda.Function(this, 'Function', {
      functionName: providerName,
      description: 'Custom::SubdomainDelegation provider (delegates subdomains to child accounts\' Route 53 zones)',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      architecture: props.architecture,
      code: props.code,
      role: this.role,
      memorySize: 128,
      timeout: FUNCTION_TIMEOUT,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      reservedConcurrentExecutions: reserved === 'none' ? undefined : reserved,
      // CloudFormation invokes the direct token asynchronously. It waits at most an hour for an answer, so an event
      // queued longer (throttled) is dropped; a crash is retried once, and a retried invocation
      // answers the same request idempotently (see cfn/provider.yaml EventInvokeConfig).
      maxEventAge: Duration.hours(1),
      retryAttempts: 1,
      // The loopback/skip-verification switches are for local tests only and never set here.
      // DELEGATION_PARENT_ROLE_ARNS is always set: empty means no request may name a ParentRoleArn.
      environment: {
        ...(props.delegationPolicy ? { DELEGATION_POLICY: props.delegationPolicy } : {}),
        DELEGATION_PARENT_ROLE_ARNS: props.parentRoleArn ?? '',
        DELEGATION_ROUTE53_REQUESTS_PER_SECOND: Token.isUnresolved(requestsPerSecond)
          ? Token.asString(requestsPerSecond)
          : String(requestsPerSecond),
        DELEGATION_MAX_CHANGES_PER_BATCH: Token.isUnresolved(maxChanges) ? Token.asString(maxChanges) : String(maxChanges),
        // The one custom resource type the example's stacks declare (delegation.ts).
        DELEGATION_RESOURCE_TYPES: 'Custom::SubdomainDelegation',
      },
    });
    // The role's policy must exist before the function first runs. The role itself is already implied
    // by Fn::GetAtt, so DependsOn names only the policy (cfn-lint W3005 flags a redundant one).
    (this.function.node.defaultChild as CfnResource).addOverride('DependsOn', [
      (policy.node.defaultChild as CfnResource).logicalId,
    ]);
    skipCheckov(this.function.node.defaultChild as CfnResource, [
      ['CKV_AWS_116', 'No DLQ: the provider always answers the ResponseURL itself; a queued event could no longer be answered.'],
      ['CKV_AWS_117', 'Not in a VPC: only public AWS endpoints and the S3 pre-signed ResponseURL are called.'],
      ...(reserved === 'none'
        ? [['CKV_AWS_115', "reservedConcurrency 'none' chosen: the account's concurrency quota is too small to reserve any."] as [string, string]]
        : []),
      ['CKV_AWS_173', 'The variables are a non-secret allow list, role ARNs, a rate and a change budget; encrypted at rest with the Lambda service key.'],
      ...(props.parentRoleArn
        ? [['CKV_AWS_45', "DELEGATION_PARENT_ROLE_ARNS is a role ARN, not a secret; the secret scan mistakes the ARN's account ID for one."] as [string, string]]
        : []),
    ]);

    if (props.organizationId) {
      // CloudFormation in other accounts invokes the ServiceToken with the stack's credentials.
      this.function.addPermission('OrganizationInvoke', {
        principal: new iam.OrganizationPrincipal(props.organizationId),
        action: 'lambda:InvokeFunction',
      });
    }
    if (props.placeholderFor) {
      Annotations.of(this.function).addWarningV2(
        'subdomain-delegation:placeholder-code',
        `${props.placeholderFor} does not exist: synthesized with a placeholder that cannot serve requests. ` +
          'Run scripts/package (or set SUBDOMAIN_DELEGATION_ZIP) before deploying.',
      );
    }
    if (this.queue) {
      // The policy (ConsumeRequestQueue) is in place first: the mapping depends on the function,
      // which depends on the policy.
      new lambda.EventSourceMapping(this, 'RequestQueueEventSource', {
        target: this.function,
        eventSourceArn: this.queue.queueArn,
        batchSize,
        maxBatchingWindow: Duration.seconds(windowSeconds),
        // The function answers each request itself and reports undelivered answers only.
        reportBatchItemFailures: true,
        maxConcurrency,
      });
    }
    this.serviceToken = this.function.functionArn;
    this.queuedServiceToken = this.topic?.topicArn;
  }
}

/** Records why a checkov check does not apply, in the template itself. */
export function skipCheckov(resource: CfnResource, skips: Array<[string, string]>): void {
  resource.addMetadata('checkov', { skip: skips.map(([id, comment]) => ({ id, comment })) });
}

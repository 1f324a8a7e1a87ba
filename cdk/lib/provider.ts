import { Annotations, Aspects, CfnResource, Duration, Fn, IAspect, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ProviderCode } from './code';
import { ServiceTokenType } from './enums';
import { DelegationPolicy, ReservedConcurrency } from './policy';
import { DEFAULT_PROVIDER_NAME, DEFAULT_READER_ROLE_NAME_PREFIX, PROVIDER_VERSION, RESOURCE_TYPE } from './version';

/**
 * The audit of every delegation, on a schedule (README.md, "Audit"): EventBridge Scheduler invokes
 * the function with `{"subdomainDelegationAudit": {}}`; dangling, lame, stale and DNSSEC-broken NS
 * records are logged, counted as CloudWatch metrics (namespace `SubdomainDelegation/Audit`) and
 * alarmed on.
 */
export interface ProviderAuditOptions {
  /**
   * When the audit runs.
   *
   * @default ScheduleExpression.rate(Duration.days(1))
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * The parent zones the audit reads, by ID or (lower-case) name (`DELEGATION_AUDIT_ZONES`).
   * `['*']`: every public zone the account lists. An audit event may only name some of these.
   *
   * @default - the provider's parentHostedZoneIds
   */
  readonly zones?: string[];

  /**
   * Let the scheduled audit delete dangling delegations: only when every delegated name server
   * answered, in two probes a minute apart, that it does not serve the name; only names matching
   * allowedRecordNames; never an apex. Stale and lame delegations are only reported.
   *
   * @default false
   */
  readonly removeDangling?: boolean;

  /**
   * Import the scheduled audit's findings into AWS Security Hub (enabled in the provider's account
   * and region): one finding per delegation, archived once it is ok again. Adds only
   * securityhub:BatchImportFindings on the account's default product.
   *
   * @default false
   */
  readonly securityHub?: boolean;

  /**
   * How the audit alarm treats a day without data.
   *
   * The function publishes a count for every parent zone and verdict on every run, zeros included,
   * so a day without data means the audit did not run (the schedule, its role or the function is
   * broken): for a detector of subdomain takeovers that is itself worth an alarm, hence BREACHING.
   * CloudWatch treats data as missing only when its evaluation range (a few periods) holds none, so
   * a late run does not alarm; a stopped schedule does within days. The alarm's period is one day:
   * with a schedule less frequent than daily, pass NOT_BREACHING (or IGNORE).
   *
   * @default TreatMissingData.BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

/**
 * Properties of a `SubdomainDelegationProvider`: the parameters of cfn/provider.yaml.
 */
export interface SubdomainDelegationProviderProps {
  /**
   * The provider's code: `ProviderCode.fromZip(path)`, `ProviderCode.fromBucketPrefix(prefix)` or
   * `ProviderCode.fromBucket(bucket, key)`.
   */
  readonly code: ProviderCode;

  /**
   * The function's architecture; must match the zip (scripts/package builds both).
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * Function name, topic name, log group `/aws/lambda/<providerName>`, queues
   * `<providerName>-requests[-dlq]`; the role is `<providerName>-<region>` (IAM names are global).
   * Child accounts derive the ServiceToken and the trusted role from it: keep it the same everywhere.
   *
   * @default 'subdomain-delegation'
   */
  readonly providerName?: string;

  /**
   * The function's memory, 128-1024 MB.
   *
   * @default 128
   */
  readonly memorySize?: number;

  /**
   * The function's reserved concurrency: a flood of forged invocations from the organization cannot
   * take the DNS account's whole Lambda concurrency.
   *
   * @default ReservedConcurrency.of(20)
   */
  readonly reservedConcurrency?: ReservedConcurrency;

  /**
   * Retention of the log group `/aws/lambda/<providerName>`.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The function's application log level (JSON logs).
   *
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;

  /**
   * Parent zone IDs (without `/hostedzone/`) whose records the provider may list and change.
   * `['*']`: every zone of this account.
   *
   * @default ['*']
   */
  readonly parentHostedZoneIds?: string[];

  /**
   * Required: name patterns (IAM StringLike, lower case, no trailing dot) the provider may write NS
   * and DS records at, e.g. `['*.accounts.example.com', 'dev.example.com']`; every name of a change
   * batch must match one. `['*']` is the explicit choice of any name.
   */
  readonly allowedRecordNames: string[];

  /**
   * The parent zones' apex names (lower case, no trailing dot), e.g. `['example.com']`: an explicit
   * IAM Deny refuses any change batch that names one, whatever allowedRecordNames allows. Strongly
   * recommended, and essential with `['*']`.
   *
   * @default - no apex Deny
   */
  readonly parentZoneApexNames?: string[];

  /**
   * The provider may assume roles named `<prefix>-*` in any account (the reader roles,
   * `DelegationReaderRole`).
   *
   * @default 'subdomain-delegation-reader'
   */
  readonly readerRoleNamePrefix?: string;

  /**
   * A role in another account that holds the parent zone. It becomes `DELEGATION_PARENT_ROLE_ARNS`,
   * the only `ParentRoleArn` a request may name, and the provider may assume it. That role's own
   * policy must limit its writes (NS/DS, UPSERT/DELETE, names, no apex).
   *
   * @default - no request may name a parent role; the provider writes with its own credentials
   */
  readonly parentRoleArn?: string;

  /**
   * Which names each account's zones may be delegated (`DELEGATION_POLICY`).
   *
   * @default - only zones in this account may be delegated to
   */
  readonly delegationPolicy?: DelegationPolicy;

  /**
   * The custom resource types this provider serves (`DELEGATION_RESOURCE_TYPES`); a request naming
   * another type is refused, so another provider's custom resource in progress cannot be borrowed.
   *
   * @default ['Custom::SubdomainDelegation']
   */
  readonly resourceTypes?: string[];

  /**
   * The DNS account's Route 53 request rate, by which the provider paces itself once throttled
   * (`DELEGATION_ROUTE53_REQUESTS_PER_SECOND`), 1-1000. Raise it only when the account's Route 53
   * quota was raised.
   *
   * @default 10
   */
  readonly route53RequestsPerSecond?: number;

  /**
   * The change-throughput budget of one Route 53 change batch in the batched mode
   * (`DELEGATION_MAX_CHANGES_PER_BATCH`), 1-100.
   *
   * @default 100
   */
  readonly maxChangesPerBatch?: number;

  /**
   * The AWS Organizations ID (`o-...`): principals of the organization may invoke the function (if
   * allowOrganizationInvoke) and publish to the topic (if queued), and the provider may assume
   * reader roles only in accounts of the organization.
   *
   * @default - this account only
   */
  readonly organizationId?: string;

  /**
   * With organizationId, add a `lambda:InvokeFunction` permission for the whole organization (the
   * direct ServiceToken for other accounts' stacks).
   *
   * @default true
   */
  readonly allowOrganizationInvoke?: boolean;

  /**
   * Create the queued ServiceToken: an SNS topic named `<providerName>`, subscribed by an SQS queue
   * (with a dead-letter queue after 5 receives) from which the function takes requests in batches.
   *
   * @default true
   */
  readonly queued?: boolean;

  /**
   * A customer managed KMS key for the topic. The key's policy must let the publishers (principals
   * of the organization, via `sns.<region>.amazonaws.com`) use `kms:GenerateDataKey*` and
   * `kms:Decrypt`. Not the AWS managed `alias/aws/sns`: it admits only this account.
   *
   * @default - the topic is not encrypted
   */
  readonly topicKmsKey?: kms.IKey;

  /**
   * Most requests per invocation from the queue, 1-10000. Above 10, SQS requires a batching window
   * of at least 1 second.
   *
   * @default 500
   */
  readonly batchSize?: number;

  /**
   * How long the event source mapping gathers requests before it invokes the function, 0-300 s.
   *
   * @default Duration.seconds(2)
   */
  readonly batchingWindow?: Duration;

  /**
   * Most batches in flight at once, 2-1000; keep it below the reserved concurrency, which the
   * direct ServiceToken shares.
   *
   * @default 2
   */
  readonly maxConcurrency?: number;

  /**
   * CloudWatch namespace of the function's own metrics (`DELEGATION_METRICS_NAMESPACE`, written in
   * its logs in the Embedded Metric Format, no API call): Requests by RequestType and Outcome,
   * Route53Calls, Throttles, Duration, and per batch BatchMessages and ParentCalls, all with
   * FunctionName. An empty string: no metrics (and no failed-requests alarm).
   *
   * @default 'SubdomainDelegation'
   */
  readonly metricsNamespace?: string;

  /**
   * Alarm when a request is answered FAILED (the `Requests` metric with Outcome FAILED; needs
   * metrics). A refusal (a conflict, a name not allotted, a forged request) is FAILED too.
   *
   * @default true
   */
  readonly alarmOnFailedRequests?: boolean;

  /**
   * An e-mail address every alarm of this provider notifies, through an SNS topic (the address must
   * confirm the subscription).
   *
   * @default - the alarms only show in CloudWatch (and notify `alarmActions`)
   */
  readonly alarmEmail?: string;

  /**
   * The scheduled audit of every delegation.
   *
   * @default - no audit: the function refuses every audit event (`DELEGATION_AUDIT_DISABLED`)
   */
  readonly audit?: ProviderAuditOptions;

  /**
   * The operational alarms of cfn/provider.yaml: function errors (a crash, or an init error from an
   * invalid setting), throttles (invocations beyond the reserved concurrency wait, and may time
   * out), messages in the dead-letter queue (requests nobody will answer) and, with metrics, FAILED
   * answers. `false` leaves them out (the audit alarm stays with `audit`).
   *
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * Actions of every alarm this construct creates (e.g. `new cw_actions.SnsAction(topic)`).
   *
   * @default - none
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * A CloudWatch dashboard of the provider: requests by outcome, Route 53 calls and throttles,
   * duration, the function, the queues, requests per batch, the audit's verdicts, and the FAILED
   * requests from the logs.
   *
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * The dashboard's name (with `dashboard`).
   *
   * @default - `<providerName>-<region>`
   */
  readonly dashboardName?: string;
}

/**
 * Where a provider runs, for stacks in other accounts that cannot reference the construct.
 */
export interface ProviderReferenceOptions {
  /** The DNS account that runs the provider. */
  readonly account: string;

  /**
   * The provider's name.
   *
   * @default 'subdomain-delegation'
   */
  readonly providerName?: string;
}

/**
 * A provider's ServiceToken, for stacks in other accounts.
 */
export interface ProviderServiceTokenOptions extends ProviderReferenceOptions {
  /**
   * Which ServiceToken.
   *
   * @default ServiceTokenType.QUEUED
   */
  readonly serviceTokenType?: ServiceTokenType;
}

/** The function's timeout; the queue's visibility timeout is derived from it. */
const FUNCTION_TIMEOUT = Duration.seconds(300);
/** How often a message is received before it moves to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;
const AUDIT_NAMESPACE = 'SubdomainDelegation/Audit';
const AUDIT_VERDICTS = ['ok', 'dangling', 'dnssec-broken', 'lame', 'stale', 'unknown'];

/**
 * The subdomain-delegation provider, as cfn/provider.yaml deploys it, for the DNS (parent) account:
 * the function, its log group, a least-privilege role, organization-wide access, the two
 * ServiceTokens (the function itself, and an SNS topic whose requests reach the function through an
 * SQS queue in batches), the optional scheduled audit, alarms and a dashboard.
 *
 * Deploy one per region in which stacks use the ServiceToken: a ServiceToken must be in the stack's
 * own region.
 */
export class SubdomainDelegationProvider extends Construct {
  /** The provider release this library is made for (the default code version). */
  public static readonly PROVIDER_VERSION: string = PROVIDER_VERSION;

  /**
   * The ServiceToken of a provider in another account, in the calling stack's region:
   * `arn:<partition>:sns:<region>:<account>:<providerName>` (queued) or
   * `arn:<partition>:lambda:<region>:<account>:function:<providerName>` (direct).
   */
  public static serviceTokenFor(scope: Construct, options: ProviderServiceTokenOptions): string {
    const stack = Stack.of(scope);
    const name = options.providerName ?? DEFAULT_PROVIDER_NAME;
    checkAccount(options.account);
    return (options.serviceTokenType ?? ServiceTokenType.QUEUED) === ServiceTokenType.QUEUED
      ? `arn:${stack.partition}:sns:${stack.region}:${options.account}:${name}`
      : `arn:${stack.partition}:lambda:${stack.region}:${options.account}:function:${name}`;
  }

  /**
   * The execution role ARN of a provider in another account, in the calling stack's region
   * (`arn:<partition>:iam::<account>:role/<providerName>-<region>`): the role reader roles trust.
   */
  public static roleArnFor(scope: Construct, options: ProviderReferenceOptions): string {
    const stack = Stack.of(scope);
    checkAccount(options.account);
    return `arn:${stack.partition}:iam::${options.account}:role/${options.providerName ?? DEFAULT_PROVIDER_NAME}-${stack.region}`;
  }

  /** The function. */
  public readonly function: lambda.Function;
  /** The function's execution role: every reader role must trust exactly this role. */
  public readonly role: iam.Role;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The direct ServiceToken (the function ARN): one request per invocation, the lowest latency. */
  public readonly serviceToken: string;
  /** The queued ServiceToken (the SNS topic ARN), unless `queued` is false. */
  public readonly queuedServiceToken?: string;
  /** The request topic (queued ServiceToken). */
  public readonly topic?: sns.Topic;
  /** The request queue between the topic and the function. */
  public readonly queue?: sqs.Queue;
  /** Requests whose answer could not be delivered after 5 receives. */
  public readonly deadLetterQueue?: sqs.Queue;
  /** Every alarm this construct created. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The alarm on dangling or DNSSEC-broken delegations, or an audit that stopped running (with `audit`). */
  public readonly auditAlarm?: cloudwatch.Alarm;
  /** The alarm on requests answered FAILED (with metrics and `alarmOnFailedRequests`). */
  public readonly failedRequestsAlarm?: cloudwatch.Alarm;
  /** The topic notifying `alarmEmail`. */
  public readonly alarmTopic?: sns.Topic;
  /** The namespace of the function's metrics; empty when off. */
  public readonly metricsNamespace: string;
  /** The dashboard (with `dashboard`). */
  public readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SubdomainDelegationProviderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const providerName = props.providerName ?? DEFAULT_PROVIDER_NAME;
    if (!Token.isUnresolved(providerName) && !/^[A-Za-z0-9-]{1,40}$/.test(providerName)) {
      throw new Error(`providerName must be 1-40 characters of A-Za-z0-9-, not ${providerName}`);
    }
    const readerPrefix = props.readerRoleNamePrefix ?? DEFAULT_READER_ROLE_NAME_PREFIX;
    if (!Token.isUnresolved(readerPrefix) && !/^[A-Za-z0-9+=,.@_-]{1,48}$/.test(readerPrefix)) {
      throw new Error(`readerRoleNamePrefix must be 1-48 characters of A-Za-z0-9+=,.@_-, not ${readerPrefix}`);
    }
    const architecture = props.architecture ?? lambda.Architecture.ARM_64;

    // What the provider may write: checked here as cfn/provider.yaml's parameter patterns check it.
    const allowed = props.allowedRecordNames;
    if (!Token.isUnresolved(allowed) &&
        (allowed.length === 0 || allowed.some((n) => !Token.isUnresolved(n) && !/^[a-z0-9_*?-]+(\.[a-z0-9_*?-]+)*$/.test(n)))) {
      throw new Error(
        `allowedRecordNames needs one or more lower-case patterns without a trailing dot ('*' = any name), not ${JSON.stringify(allowed)}`,
      );
    }
    const apexNames = props.parentZoneApexNames ?? [];
    if (!Token.isUnresolved(apexNames) && apexNames.some((n) => !Token.isUnresolved(n) && !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(n))) {
      throw new Error(`parentZoneApexNames must be lower case without a trailing dot, not ${JSON.stringify(apexNames)}`);
    }
    const zoneIds = props.parentHostedZoneIds ?? ['*'];
    if (!Token.isUnresolved(zoneIds) &&
        (zoneIds.length === 0 || zoneIds.some((z) => !Token.isUnresolved(z) && !/^(\*|[A-Z0-9]{1,32})$/.test(z)))) {
      throw new Error(`parentHostedZoneIds must be zone IDs without /hostedzone/, or ['*'], not ${JSON.stringify(zoneIds)}`);
    }
    if (props.parentRoleArn && !Token.isUnresolved(props.parentRoleArn) &&
        !/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/([A-Za-z0-9+=.@_-]+\/)*[A-Za-z0-9+=.@_-]+$/.test(props.parentRoleArn)) {
      // No comma: DELEGATION_PARENT_ROLE_ARNS is a comma-separated list.
      throw new Error(`parentRoleArn must be one IAM role ARN, not ${props.parentRoleArn}`);
    }
    const resourceTypes = props.resourceTypes ?? [RESOURCE_TYPE];
    if (!Token.isUnresolved(resourceTypes) && (resourceTypes.length === 0 || resourceTypes.some((t) =>
      !Token.isUnresolved(t) && !/^(Custom::[A-Za-z0-9_@-]{1,60}|AWS::CloudFormation::CustomResource)$/.test(t)))) {
      throw new Error(`resourceTypes must be Custom::<name> or AWS::CloudFormation::CustomResource, not ${JSON.stringify(resourceTypes)}`);
    }
    if (props.organizationId !== undefined && !Token.isUnresolved(props.organizationId) &&
        !/^o-[a-z0-9]{10,32}$/.test(props.organizationId)) {
      throw new Error(`organizationId must be an AWS Organizations ID (o-...), not ${props.organizationId}`);
    }
    const requestsPerSecond = wholeIn('route53RequestsPerSecond', props.route53RequestsPerSecond ?? 10, 1, 1000);
    const maxChanges = wholeIn('maxChangesPerBatch', props.maxChangesPerBatch ?? 100, 1, 100);
    const memorySize = wholeIn('memorySize', props.memorySize ?? 128, 128, 1024);
    const reserved = (props.reservedConcurrency ?? ReservedConcurrency.of(20)).executions;
    const queued = props.queued ?? true;
    const batchSize = wholeIn('batchSize', props.batchSize ?? 500, 1, 10000);
    const windowSeconds = wholeIn('batchingWindow', (props.batchingWindow ?? Duration.seconds(2)).toSeconds(), 0, 300);
    const maxConcurrency = wholeIn('maxConcurrency', props.maxConcurrency ?? 2, 2, 1000);
    if (!Token.isUnresolved(batchSize) && !Token.isUnresolved(windowSeconds) && batchSize > 10 && windowSeconds < 1) {
      throw new Error(`a batchSize above 10 (${batchSize}) needs a batchingWindow of at least 1 second (an SQS rule)`);
    }
    if (queued && reserved !== undefined && !Token.isUnresolved(reserved) && !Token.isUnresolved(maxConcurrency) && maxConcurrency >= reserved) {
      Annotations.of(this).addWarningV2('subdomain-delegation:max-concurrency',
        `maxConcurrency (${maxConcurrency}) should stay below the reserved concurrency (${reserved}), which direct invocations share`);
    }
    const metricsNamespace = props.metricsNamespace ?? 'SubdomainDelegation';
    if (!Token.isUnresolved(metricsNamespace) && metricsNamespace !== '' &&
        (metricsNamespace.startsWith('AWS/') || !/^[A-Za-z0-9._/#:-][A-Za-z0-9._/#: -]{0,254}$/.test(metricsNamespace))) {
      throw new Error(`metricsNamespace must be a CloudWatch namespace outside AWS/ (or empty for none), not ${metricsNamespace}`);
    }
    this.metricsNamespace = metricsNamespace;
    if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && !/^[^@\s]+@[^@\s]+$/.test(props.alarmEmail)) {
      throw new Error(`alarmEmail must be an e-mail address, not ${props.alarmEmail}`);
    }
    const audit = props.audit;
    const auditZones = audit?.zones ?? zoneIds;
    if (audit && !Token.isUnresolved(auditZones) &&
        auditZones.some((z) => !Token.isUnresolved(z) && !/^(\*|[A-Z0-9]{1,32}|[a-z0-9_-]+(\.[a-z0-9_-]+)*)$/.test(z))) {
      throw new Error(`audit zones must be zone IDs or lower-case zone names, not ${JSON.stringify(auditZones)}`);
    }

    const zoneArn = (zone: string) => `arn:${stack.partition}:route53:::hostedzone/${zone}`;
    const zoneArns = Token.isUnresolved(zoneIds)
      ? Fn.split(',', Fn.join('', [zoneArn(''), Fn.join(`,${zoneArn('')}`, zoneIds)]))
      : zoneIds.map(zoneArn);
    const commaList = (list: string[]) => (Token.isUnresolved(list) ? Fn.join(',', list) : list.join(','));
    const numberString = (n: number) => (Token.isUnresolved(n) ? Token.asString(n) : String(n));

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${providerName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    skipCheckov(this.logGroup, [
      ['CKV_AWS_158', 'Logs hold no secrets (the provider never logs the ResponseURL query string or credentials); the default CloudWatch Logs encryption at rest is enough.'],
    ]);

    // The queued ServiceToken: topic -> queue (dead-letter queue after 5 receives) -> function.
    if (queued) {
      const queueName = `${providerName}-requests`;
      const sqsManaged: Array<[string, string]> = [
        ['CKV_AWS_27', 'Encrypted at rest with SQS-managed SSE, which checkov does not recognize (it looks for a KMS key only); a KMS key would have to admit sns.amazonaws.com.'],
      ];
      this.deadLetterQueue = new sqs.Queue(this, 'RequestDeadLetterQueue', {
        queueName: `${queueName}-dlq`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        retentionPeriod: Duration.days(14),
        // Only the request queue may move messages here (its ARN is built from its name: a reference
        // would be circular, as the request queue's redrive policy names this queue).
        redriveAllowPolicy: {
          redrivePermission: sqs.RedrivePermission.BY_QUEUE,
          sourceQueues: [sqs.Queue.fromQueueArn(this, 'RequestQueueRef', stack.formatArn({ service: 'sqs', resource: queueName }))],
        },
      });
      skipCheckov(this.deadLetterQueue, sqsManaged);
      this.queue = new sqs.Queue(this, 'RequestQueue', {
        queueName,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        // 6 x the function's timeout plus the longest batching window (Lambda's advice for SQS
        // sources): a message is not received again while a batch that holds it may still run.
        visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6 + 300),
        // SQS's default, 4 days: beyond the hour CloudFormation waits and the 5 receives before the DLQ.
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
      });
      skipCheckov(this.queue, sqsManaged);
      this.topic = new sns.Topic(this, 'Topic', {
        topicName: providerName,
        displayName: 'Custom::SubdomainDelegation requests',
        masterKey: props.topicKmsKey,
      });
      skipCheckov(this.topic, [
        ['CKV_AWS_26', 'CloudFormation publishes with the stack credentials of member accounts, which cannot use the AWS managed key alias/aws/sns; set topicKmsKey to a customer managed key that admits them.'],
      ]);
      // CloudFormation publishes a request to a ServiceToken topic with the stack's credentials, as
      // it invokes a ServiceToken function.
      this.topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'PublishFromThisAccount',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }));
      if (props.organizationId) {
        this.topic.addToResourcePolicy(new iam.PolicyStatement({
          sid: 'PublishFromOrganization',
          principals: [new iam.AnyPrincipal()],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
        }));
      }
      // Should CloudFormation publish as its service principal instead: only for stacks of ours.
      this.topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'PublishFromCloudFormationForOurStacks',
        principals: [new iam.ServicePrincipal('cloudformation.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: props.organizationId
          ? { StringEquals: { 'aws:SourceOrgID': props.organizationId } }
          : { StringEquals: { 'aws:SourceAccount': stack.account } },
      }));
      // The queue policy (only this topic may send: aws:SourceArn) comes with the subscription. Not
      // raw: the body is the SNS notification, which the function unwraps.
      this.topic.addSubscription(new subscriptions.SqsSubscription(this.queue, { rawMessageDelivery: false }));
    }

    const partitionHostedZones = `arn:${stack.partition}:route53:::hostedzone/*`;
    this.role = new iam.Role(this, 'Role', {
      roleName: `${providerName}-${stack.region}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the subdomain-delegation provider; child reader roles trust exactly this role.',
      // Inline policies, as cfn/provider.yaml: they exist as soon as the role does, before the
      // function first runs.
      inlinePolicies: {
        'logs': new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({
            sid: 'WriteOwnLogs',
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [this.logGroup.logGroupArn],
          })],
        }),
        'route53': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ sid: 'FindParentZoneByName', actions: ['route53:ListHostedZonesByName'], resources: ['*'] }),
            // Parent zones, and child zones in this account (no ChildRoleArn).
            new iam.PolicyStatement({
              sid: 'ReadZones',
              actions: ['route53:GetHostedZone', 'route53:GetDNSSEC'],
              resources: [partitionHostedZones],
            }),
            new iam.PolicyStatement({
              sid: 'WaitForSync',
              actions: ['route53:GetChange'],
              resources: [`arn:${stack.partition}:route53:::change/*`],
            }),
            new iam.PolicyStatement({ sid: 'ReadParentRecords', actions: ['route53:ListResourceRecordSets'], resources: zoneArns }),
            // ForAllValues: every record type, action and (normalized) name of the change batch must
            // be in the lists; a batch with one NS and one A record is refused whole.
            new iam.PolicyStatement({
              sid: 'WriteDelegationRecordsOnly',
              actions: ['route53:ChangeResourceRecordSets'],
              resources: zoneArns,
              conditions: {
                'ForAllValues:StringEquals': {
                  'route53:ChangeResourceRecordSetsRecordTypes': ['NS', 'DS'],
                  'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
                },
                'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': allowed },
              },
            }),
            // The audit's only read beyond the provider's own: every public zone, when its zones are
            // "*" (ListHostedZones has no resource-level permission).
            ...(audit ? [new iam.PolicyStatement({ sid: 'AuditListZones', actions: ['route53:ListHostedZones'], resources: ['*'] })] : []),
            ...(audit?.securityHub
              ? [new iam.PolicyStatement({
                sid: 'AuditFindings',
                actions: ['securityhub:BatchImportFindings'],
                resources: [Stack.of(this).formatArn({
                  service: 'securityhub', resource: 'product', resourceName: `${Stack.of(this).account}/default`,
                })],
              })]
              : []),
            // An explicit Deny wins over any Allow. ForAnyValue: the batch is refused when any one of
            // its names is an apex (ForAllValues would refuse only a batch of apex names alone).
            ...(Token.isUnresolved(apexNames) || apexNames.length > 0
              ? [new iam.PolicyStatement({
                sid: 'NeverTheParentZoneApex',
                effect: iam.Effect.DENY,
                actions: ['route53:ChangeResourceRecordSets'],
                resources: [partitionHostedZones],
                conditions: { 'ForAnyValue:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': apexNames } },
              })]
              : []),
          ],
        }),
        'assume-roles': new iam.PolicyDocument({
          statements: [
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
          ],
        }),
        ...(this.queue
          ? {
            'queued-requests': new iam.PolicyDocument({
              statements: [new iam.PolicyStatement({
                // What the SQS event source mapping needs, on the request queue only.
                sid: 'ConsumeRequestQueue',
                actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
                resources: [this.queue.queueArn],
              })],
            }),
          }
          : {}),
        'verify-requests': new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({
            // A request from a stack of this account is checked against CloudFormation
            // (docs/design.md, "Who may ask"); stacks using this ServiceToken are in this region.
            sid: 'VerifyStacksOfThisAccount',
            actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
            resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*/*' })],
          })],
        }),
      },
    });

    // The loopback and skip-verification switches are for local tests only and never set here.
    // DELEGATION_PARENT_ROLE_ARNS is always set: empty means no request may name a ParentRoleArn.
    const environment: Record<string, string> = {
      DELEGATION_PARENT_ROLE_ARNS: props.parentRoleArn ?? '',
      DELEGATION_ROUTE53_REQUESTS_PER_SECOND: numberString(requestsPerSecond),
      DELEGATION_MAX_CHANGES_PER_BATCH: numberString(maxChanges),
      DELEGATION_RESOURCE_TYPES: commaList(resourceTypes),
      // Empty: no metrics.
      DELEGATION_METRICS_NAMESPACE: metricsNamespace,
      // Parent discovery (a request naming no parent zone) chooses only among these ('*': any).
      DELEGATION_PARENT_ZONE_IDS: commaList(zoneIds),
    };
    if (props.delegationPolicy) environment.DELEGATION_POLICY = props.delegationPolicy.json;
    if (audit) {
      // An audit event may only narrow the deployment's audit: zones among DELEGATION_AUDIT_ZONES.
      environment.DELEGATION_AUDIT_ZONES = commaList(auditZones);
      if (audit.removeDangling) {
        // Only names the IAM policy above lets it write.
        environment.DELEGATION_AUDIT_REMOVE_DANGLING = 'true';
        environment.DELEGATION_AUDIT_ALLOWED_NAMES = commaList(allowed);
      }
      if (audit.securityHub) environment.DELEGATION_AUDIT_SECURITY_HUB = 'true';
    } else {
      // Without the audit every audit event is refused.
      environment.DELEGATION_AUDIT_DISABLED = 'true';
    }

    this.function = new lambda.Function(this, 'Function', {
      functionName: providerName,
      description: 'Custom::SubdomainDelegation provider (delegates subdomains to child accounts\' Route 53 zones)',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      architecture,
      code: props.code.bind(this, architecture),
      role: this.role,
      memorySize,
      // Long enough to wait for INSYNC; the provider answers FAILED itself before the deadline.
      timeout: FUNCTION_TIMEOUT,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: props.applicationLogLevel ?? lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      reservedConcurrentExecutions: reserved,
      // CloudFormation invokes the direct ServiceToken asynchronously and waits at most an hour for
      // an answer, so an event queued longer (throttled) is dropped; a crash is retried once, and a
      // retried invocation answers the same request idempotently.
      maxEventAge: Duration.hours(1),
      retryAttempts: 1,
      environment,
    });
    skipCheckov(this.function, [
      ['CKV_AWS_116', 'No DLQ for asynchronous invocations: the provider always answers the ResponseURL itself; an event in a DLQ could no longer be answered. The queued ServiceToken has its own SQS dead-letter queue.'],
      ['CKV_AWS_117', 'Not in a VPC: the function only calls public AWS endpoints (Route 53, STS, CloudFormation) and the S3 pre-signed ResponseURL.'],
      ['CKV_AWS_173', 'The environment holds no secrets (an allow list of names, role ARNs, a rate, a change budget, type names); Lambda encrypts it at rest with its service key.'],
      ...(reserved === undefined
        ? [['CKV_AWS_115', 'ReservedConcurrency.NONE chosen: the account\'s concurrency quota is too small to reserve any.'] as [string, string]]
        : []),
      ...(props.parentRoleArn
        ? [['CKV_AWS_45', 'DELEGATION_PARENT_ROLE_ARNS is a role ARN, not a secret; the secret scan mistakes the ARN\'s account ID for one.'] as [string, string]]
        : []),
    ]);

    // lambda.Function makes itself depend on its role, which Fn::GetAtt already implies (cfn-lint
    // W3005): the role's permissions are inline. Only a policy added to the role later (a
    // DefaultPolicy, from addToRolePolicy) needs an explicit DependsOn.
    const fn = this.function;
    const role = this.role;
    const dependsOnlyOnPolicies: IAspect = {
      visit(node) {
        if (node !== fn) return;
        const cfn = fn.node.defaultChild as CfnResource;
        const policy = role.node.tryFindChild('DefaultPolicy')?.node.defaultChild as CfnResource | undefined;
        if (policy) cfn.addOverride('DependsOn', [policy.logicalId]);
        else cfn.addDeletionOverride('DependsOn');
      },
    };
    Aspects.of(fn).add(dependsOnlyOnPolicies);

    if (props.organizationId && (props.allowOrganizationInvoke ?? true)) {
      // CloudFormation invokes a cross-account ServiceToken with the stack's credentials;
      // PrincipalOrgID limits that to principals of the organization. Who may delegate which name is
      // decided by the provider itself (request verification + DELEGATION_POLICY).
      this.function.addPermission('OrganizationInvokePermission', {
        principal: new iam.OrganizationPrincipal(props.organizationId),
        action: 'lambda:InvokeFunction',
      });
    }

    if (this.queue) {
      new lambda.EventSourceMapping(this, 'RequestQueueEventSource', {
        target: this.function,
        eventSourceArn: this.queue.queueArn,
        batchSize,
        maxBatchingWindow: Duration.seconds(windowSeconds),
        // The function answers each request itself and reports the undelivered answers only.
        reportBatchItemFailures: true,
        maxConcurrency,
      });
    }
    this.serviceToken = this.function.functionArn;
    this.queuedServiceToken = this.topic?.topicArn;

    // The audit: a schedule with a role of its own that may only invoke the function.
    if (audit) {
      const schedule = audit.schedule ?? scheduler.ScheduleExpression.rate(Duration.days(1));
      const scheduleRole = new iam.Role(this, 'AuditScheduleRole', {
        description: 'EventBridge Scheduler\'s role for the subdomain-delegation audit; it may only invoke the function.',
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
        inlinePolicies: {
          'invoke-the-audit': new iam.PolicyDocument({
            statements: [new iam.PolicyStatement({
              sid: 'InvokeTheProvider',
              actions: ['lambda:InvokeFunction'],
              resources: [this.function.functionArn],
            })],
          }),
        },
      });
      new scheduler.CfnSchedule(this, 'AuditSchedule', {
        description: 'Audit of every delegation of the parent zones (docs/design.md, "Audit")',
        scheduleExpression: schedule.expressionString,
        scheduleExpressionTimezone: schedule.timeZone?.timezoneName,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: this.function.functionArn,
          roleArn: scheduleRole.roleArn,
          // No settings: the run is exactly the deployment's (DELEGATION_AUDIT_ZONES).
          input: '{"subdomainDelegationAudit":{}}',
          // A missed audit is not retried: the next one comes at the next scheduled time.
          retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 },
        },
      });
      const missing = audit.treatMissingData ?? cloudwatch.TreatMissingData.BREACHING;
      const every = rateSeconds(schedule.expressionString);
      if (missing === cloudwatch.TreatMissingData.BREACHING && every !== undefined && every > 86400) {
        Annotations.of(this).addWarningV2('subdomain-delegation:audit-missing-data',
          `the audit runs less often than daily (${schedule.expressionString}) but its alarm treats a day without data as breaching: pass audit.treatMissingData NOT_BREACHING`);
      }
      const verdict = (v: string) => new cloudwatch.Metric({
        namespace: AUDIT_NAMESPACE,
        metricName: 'Delegations',
        dimensionsMap: { Verdict: v },
        statistic: 'Sum',
        period: Duration.days(1),
      });
      this.auditAlarm = new cloudwatch.Alarm(this, 'AuditAlarm', {
        alarmDescription: 'The subdomain-delegation audit found dangling delegations (a takeover risk) or DNSSEC-broken ones '
          + '(the subdomain fails validation), or has not run for days. Its log group holds one JSON line per finding, with the evidence.',
        metric: new cloudwatch.MathExpression({
          expression: 'dangling + broken',
          usingMetrics: { dangling: verdict('dangling'), broken: verdict('dnssec-broken') },
          label: 'dangling or DNSSEC-broken delegations',
          period: Duration.days(1),
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: missing,
      });
    }

    // Operational alarms, as cfn/provider.yaml: any one event in 5 minutes.
    const alarms: cloudwatch.Alarm[] = [];
    const fiveMinutes = Duration.minutes(5);
    const anyIn5Minutes = (id: string, description: string, metric: cloudwatch.IMetric) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarms.push(alarm);
      return alarm;
    };
    if (props.alarms ?? true) {
      anyIn5Minutes('FunctionErrorsAlarm',
        'The subdomain-delegation function crashed or could not start (an invalid setting stops it at init): requests may go '
          + 'unanswered. Its log group says why.',
        this.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }));
      anyIn5Minutes('FunctionThrottlesAlarm',
        'Invocations of the subdomain-delegation function were throttled by its reserved concurrency: direct requests wait in '
          + 'Lambda\'s queue (at most an hour), queued ones in SQS. Raise the reserved concurrency, or lower maxConcurrency.',
        this.function.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }));
      if (this.deadLetterQueue) {
        anyIn5Minutes('DeadLetterQueueAlarm',
          'A queued request reached the dead-letter queue: its answer could not be delivered in 5 receives, and nobody answers it '
            + 'any more (its stack times out). It stays in ALARM until the messages are read and deleted (or redriven).',
          this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }));
      }
      if (metricsNamespace !== '' && (props.alarmOnFailedRequests ?? true)) {
        // The function's EMF metric Requests, dimension set (FunctionName, Outcome): every request type.
        this.failedRequestsAlarm = anyIn5Minutes('FailedRequestsAlarm',
          'A request was answered FAILED (a conflict, a refusal, Route 53 refusing or stalling). The summary log lines with '
            + 'status FAILED name the stack and the reason.',
          new cloudwatch.Metric({
            namespace: metricsNamespace,
            metricName: 'Requests',
            dimensionsMap: { FunctionName: this.function.functionName, Outcome: 'FAILED' },
            statistic: 'Sum',
            period: fiveMinutes,
          }));
      }
    }
    if (this.auditAlarm) alarms.push(this.auditAlarm);
    this.alarms = alarms;

    // Every alarm notifies the e-mail topic and the given actions.
    if (props.alarmEmail !== undefined) {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'subdomain-delegation alarms' });
      skipCheckov(this.alarmTopic, [
        ['CKV_AWS_26', 'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key; the messages are alarm state changes (metric counts, no record data).'],
      ]);
      this.alarmTopic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }));
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    for (const alarm of alarms) {
      for (const action of props.alarmActions ?? []) alarm.addAlarmAction(action);
      if (this.alarmTopic) {
        alarm.addAlarmAction(new cw_actions.SnsAction(this.alarmTopic));
        alarm.addOkAction(new cw_actions.SnsAction(this.alarmTopic));
      }
    }

    if (props.dashboard) {
      this.dashboard = this.makeDashboard(props.dashboardName ?? `${providerName}-${stack.region}`, audit !== undefined);
    } else if (props.dashboardName !== undefined) {
      throw new Error('dashboardName needs dashboard: true');
    }
  }

  private makeDashboard(dashboardName: string, audit: boolean): cloudwatch.Dashboard {
    const period = Duration.minutes(5);
    const fn = this.function;
    const ns = this.metricsNamespace;
    const own = (metricName: string, statistic: string, dimensions: Record<string, string> = {}, label?: string) => new cloudwatch.Metric({
      namespace: ns, metricName, statistic, period, label, dimensionsMap: { FunctionName: fn.functionName, ...dimensions },
    });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName });
    if (ns !== '') {
      const outcomes: cloudwatch.IMetric[] = [];
      for (const requestType of ['Create', 'Update', 'Delete']) {
        for (const outcome of ['SUCCESS', 'FAILED']) {
          outcomes.push(own('Requests', 'Sum', { RequestType: requestType, Outcome: outcome }, `${requestType} ${outcome}`));
        }
      }
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Requests by outcome', left: outcomes, width: 12 }),
        new cloudwatch.GraphWidget({
          title: 'Route 53 calls and throttles',
          left: [own('Route53Calls', 'Sum'), own('ParentCalls', 'Sum'), own('Throttles', 'Sum'), own('BatchThrottles', 'Sum')],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Duration (ms)',
          left: [own('Duration', 'p50'), own('Duration', 'p99'), own('Duration', 'Maximum'), own('BatchDuration', 'Maximum')],
          width: 12,
        }),
      );
    }
    dashboard.addWidgets(new cloudwatch.GraphWidget({
      title: 'Function',
      left: [fn.metricInvocations({ period, statistic: 'Sum' }), fn.metricErrors({ period, statistic: 'Sum' }),
        fn.metricThrottles({ period, statistic: 'Sum' })],
      width: 12,
    }));
    if (this.queue && this.deadLetterQueue) {
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: 'Queue depth',
        left: [
          this.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
          this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        ],
        width: 12,
      }));
      if (ns !== '') {
        dashboard.addWidgets(new cloudwatch.GraphWidget({
          title: 'Requests per batch',
          left: [own('BatchMessages', 'Average'), own('BatchMessages', 'Maximum')],
          width: 12,
        }));
      }
    }
    if (audit) {
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: 'Audit verdicts',
        left: AUDIT_VERDICTS.map((v) => new cloudwatch.Metric({
          namespace: AUDIT_NAMESPACE,
          metricName: 'Delegations',
          dimensionsMap: { Verdict: v },
          statistic: 'Sum',
          period: Duration.days(1),
          label: v,
        })),
        width: 12,
      }));
    }
    dashboard.addWidgets(new cloudwatch.LogQueryWidget({
      title: 'FAILED requests',
      logGroupNames: [this.logGroup.logGroupName],
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      queryLines: [
        'fields @timestamp, request_type, requesting_account, stack_name, name, reason',
        'filter ispresent(summary) and status = "FAILED"',
        'sort @timestamp desc',
        'limit 50',
      ],
      width: 12,
    }));
    if (this.alarms.length > 0) {
      dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
    }
    return dashboard;
  }
}

function wholeIn(name: string, value: number, min: number, max: number): number {
  if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < min || value > max)) {
    throw new Error(`${name} must be an integer ${min}..${max}, not ${value}`);
  }
  return value;
}

function checkAccount(account: string): void {
  if (!Token.isUnresolved(account) && !/^[0-9]{12}$/.test(account)) {
    throw new Error(`account must be a 12-digit account ID, not ${account}`);
  }
}

/** The interval of a `rate(...)` expression in seconds; undefined for cron and at expressions. */
function rateSeconds(expression: string): number | undefined {
  const m = /^rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const unit = m[2].startsWith('minute') ? 60 : m[2].startsWith('hour') ? 3600 : 86400;
  return Number(m[1]) * unit;
}

/** Records in the template why a checkov check does not apply (scripts/check-templates runs checkov). */
function skipCheckov(construct: Construct, skips: Array<[string, string]>): void {
  (construct.node.defaultChild as CfnResource).addMetadata('checkov', { skip: skips.map(([id, comment]) => ({ id, comment })) });
}

import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { SubdomainDelegation } from './delegation';
import { ProviderCode, SubdomainDelegationProvider } from './provider';

export interface ProviderStackProps extends StackProps {
  readonly providerCode: ProviderCode;
  readonly providerName: string;
  readonly readerRoleNamePrefix: string;
  readonly organizationId?: string;
  readonly delegationPolicy?: string;
  readonly allowedRecordNames: string[];
  readonly parentZoneApexNames?: string[];
  readonly parentRoleArn?: string;
  readonly route53RequestsPerSecond?: number;
  readonly reservedConcurrency?: number | 'none';
  /** The queued ServiceToken (SNS topic -> SQS -> function); default true. */
  readonly queued?: boolean;
  readonly batchSize?: number;
  readonly batchingWindowSeconds?: number;
  readonly maxConcurrency?: number;
  readonly maxChangesPerBatch?: number;
}

/** DNS (parent) account: the provider, one per region that uses it. */
export class ProviderStack extends Stack {
  readonly provider: SubdomainDelegationProvider;

  constructor(scope: Construct, id: string, props: ProviderStackProps) {
    super(scope, id, props);
    this.provider = new SubdomainDelegationProvider(this, 'Provider', {
      code: props.providerCode.code,
      architecture: props.providerCode.architecture,
      placeholderFor: props.providerCode.placeholder ? props.providerCode.zip : undefined,
      providerName: props.providerName,
      readerRoleNamePrefix: props.readerRoleNamePrefix,
      organizationId: props.organizationId,
      delegationPolicy: props.delegationPolicy,
      allowedRecordNames: props.allowedRecordNames,
      parentZoneApexNames: props.parentZoneApexNames,
      parentRoleArn: props.parentRoleArn,
      route53RequestsPerSecond: props.route53RequestsPerSecond,
      reservedConcurrency: props.reservedConcurrency,
      queued: props.queued,
      batchSize: props.batchSize,
      batchingWindow: props.batchingWindowSeconds === undefined ? undefined : Duration.seconds(props.batchingWindowSeconds),
      maxConcurrency: props.maxConcurrency,
      maxChangesPerBatch: props.maxChangesPerBatch,
    });
    // Direct: the function ARN (a single stack, lowest latency). Queued: the topic ARN (StackSets, bursts).
    new CfnOutput(this, 'ServiceToken', { value: this.provider.serviceToken });
    if (this.provider.queuedServiceToken) {
      new CfnOutput(this, 'SnsServiceToken', { value: this.provider.queuedServiceToken });
    }
    new CfnOutput(this, 'ProviderRoleArn', { value: this.provider.role.roleArn });
  }
}

export interface ParentDelegationsStackProps extends StackProps {
  /** The provider's direct ServiceToken (a few delegations in one stack need no batching). */
  readonly serviceToken: string;
  readonly parentHostedZoneId: string;
  readonly parentHostedZoneName: string;
}

/** DNS (parent) account: a child zone in the same account, delegated by the provider. */
export class ParentDelegationsStack extends Stack {
  constructor(scope: Construct, id: string, props: ParentDelegationsStackProps) {
    super(scope, id, props);
    const lab = new route53.PublicHostedZone(this, 'LabZone', { zoneName: `lab.${props.parentHostedZoneName}` });
    const delegation = new SubdomainDelegation(this, 'LabDelegation', {
      serviceToken: props.serviceToken,
      parentHostedZoneId: props.parentHostedZoneId,
      childHostedZoneId: lab.hostedZoneId,
      delegatedName: lab.zoneName,
      ttl: Duration.days(2),
    });
    new CfnOutput(this, 'LabNameServers', { value: delegation.nameServers });
  }
}

export interface ChildAccountStackProps extends StackProps {
  /** The account that runs the provider (and owns the parent zone). */
  readonly dnsAccountId: string;
  readonly providerName: string;
  readonly readerRoleNamePrefix: string;
  readonly externalId: string;
  readonly parentHostedZoneName: string;
  readonly zoneName: string;
  /**
   * 'queued' (default): the provider's SNS topic, batched per parent zone; 'direct': its function.
   * Choose before the first deployment: CloudFormation refuses to change a resource's ServiceToken.
   */
  readonly serviceToken?: 'queued' | 'direct';
}

/**
 * Child (workload) account, as cfn/child-account.yaml: the zone, a reader role that trusts only the
 * provider's role (with an ExternalId), and the delegation through the provider of this region.
 */
export class ChildAccountStack extends Stack {
  constructor(scope: Construct, id: string, props: ChildAccountStackProps) {
    super(scope, id, props);
    const zone = new route53.PublicHostedZone(this, 'Zone', { zoneName: props.zoneName });

    // The provider of this region runs as <providerName>-<region> in the DNS account.
    const providerRoleArn = `arn:${this.partition}:iam::${props.dnsAccountId}:role/${props.providerName}-${this.region}`;
    // Its ServiceTokens: the topic <providerName> (queued) or the function <providerName> (direct).
    const serviceToken = (props.serviceToken ?? 'queued') === 'queued'
      ? `arn:${this.partition}:sns:${this.region}:${props.dnsAccountId}:${props.providerName}`
      : `arn:${this.partition}:lambda:${this.region}:${props.dnsAccountId}:function:${props.providerName}`;

    const reader = new iam.Role(this, 'ReaderRole', {
      // Regional name: IAM is global, and this stack may be deployed to several regions.
      roleName: `${props.readerRoleNamePrefix}-${this.region}`,
      assumedBy: new iam.ArnPrincipal(providerRoleArn),
      externalIds: [props.externalId],
      description: 'Lets the subdomain-delegation provider read this zone and verify this stack.',
      inlinePolicies: {
        'read-delegated-zone': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ReadChildZone',
              actions: ['route53:GetHostedZone', 'route53:GetDNSSEC'],
              resources: [zone.hostedZoneArn],
            }),
            new iam.PolicyStatement({
              sid: 'VerifyThisStack',
              // DescribeStackEvents: the cleanup Delete of a replaced ID must show in this stack's events.
              actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
              resources: [this.stackId],
            }),
          ],
        }),
      },
    });

    const delegation = new SubdomainDelegation(this, 'Delegation', {
      serviceToken,
      parentHostedZoneName: props.parentHostedZoneName,
      childHostedZoneId: zone.hostedZoneId,
      childRoleArn: reader.roleArn,
      childExternalId: props.externalId,
      delegatedName: props.zoneName,
      dnssec: 'auto',
    });
    new CfnOutput(this, 'DelegatedName', { value: delegation.delegatedName });
    new CfnOutput(this, 'NameServers', { value: delegation.nameServers });
  }
}

import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import {
  DelegationPolicy, DelegationReaderRole, DnssecMode, ProviderCode, ReservedConcurrency, ServiceTokenType,
  SubdomainDelegation, SubdomainDelegationProvider,
} from 'subdomain-delegation-cdk';

export interface ProviderStackProps extends StackProps {
  readonly code: ProviderCode;
  readonly architecture: lambda.Architecture;
  readonly providerName: string;
  readonly readerRoleNamePrefix: string;
  readonly organizationId?: string;
  readonly delegationPolicy?: DelegationPolicy;
  readonly allowedRecordNames: string[];
  readonly parentZoneApexNames?: string[];
  readonly parentRoleArn?: string;
  readonly route53RequestsPerSecond?: number;
  readonly reservedConcurrency?: ReservedConcurrency;
  /** The queued ServiceToken (SNS topic -> SQS -> function); default true. */
  readonly queued?: boolean;
  readonly batchSize?: number;
  readonly batchingWindow?: Duration;
  readonly maxConcurrency?: number;
  readonly maxChangesPerBatch?: number;
}

/** DNS (parent) account: the provider, one per region that uses it. */
export class ProviderStack extends Stack {
  readonly provider: SubdomainDelegationProvider;

  constructor(scope: Construct, id: string, props: ProviderStackProps) {
    super(scope, id, props);
    this.provider = new SubdomainDelegationProvider(this, 'Provider', {
      code: props.code,
      architecture: props.architecture,
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
      batchingWindow: props.batchingWindow,
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
  /** The provider (in the same account and region): this stack uses its direct ServiceToken. */
  readonly provider: SubdomainDelegationProvider;
  readonly parentHostedZoneId: string;
  /** The child zone, in the DNS account: `lab.<parent zone name>`. */
  readonly labZoneName: string;
}

/** DNS (parent) account: a child zone in the same account, delegated by the provider. */
export class ParentDelegationsStack extends Stack {
  constructor(scope: Construct, id: string, props: ParentDelegationsStackProps) {
    super(scope, id, props);
    const lab = new route53.PublicHostedZone(this, 'LabZone', { zoneName: props.labZoneName });
    const delegation = new SubdomainDelegation(this, 'LabDelegation', {
      // A few delegations in one stack need no batching: the direct token.
      provider: props.provider,
      serviceTokenType: ServiceTokenType.DIRECT,
      parentHostedZoneId: props.parentHostedZoneId,
      childHostedZone: lab,
      delegatedName: props.labZoneName,
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
   * QUEUED (default): the provider's SNS topic, batched per parent zone; DIRECT: its function.
   * Choose before the first deployment: CloudFormation refuses to change a resource's ServiceToken.
   */
  readonly serviceTokenType?: ServiceTokenType;
}

/**
 * Child (workload) account, as cfn/child-account.yaml: the zone, a reader role that trusts only the
 * provider's role (with an ExternalId), and the delegation through the provider of this region.
 */
export class ChildAccountStack extends Stack {
  constructor(scope: Construct, id: string, props: ChildAccountStackProps) {
    super(scope, id, props);
    const zone = new route53.PublicHostedZone(this, 'Zone', { zoneName: props.zoneName });
    // Trusts exactly <providerName>-<region> in the DNS account; named <prefix>-<region>.
    const reader = DelegationReaderRole.forZone(this, 'ReaderRole', zone, {
      providerAccount: props.dnsAccountId,
      providerName: props.providerName,
      roleNamePrefix: props.readerRoleNamePrefix,
      externalId: props.externalId,
    });
    const delegation = new SubdomainDelegation(this, 'Delegation', {
      // The provider of this region in the DNS account: its topic <providerName> or function <providerName>.
      serviceToken: SubdomainDelegationProvider.serviceTokenFor(this, {
        account: props.dnsAccountId,
        providerName: props.providerName,
        serviceTokenType: props.serviceTokenType ?? ServiceTokenType.QUEUED,
      }),
      parentHostedZoneName: props.parentHostedZoneName,
      childHostedZone: zone,
      childRole: reader,
      childExternalId: props.externalId,
      delegatedName: props.zoneName,
      dnssec: DnssecMode.AUTO,
    });
    new CfnOutput(this, 'DelegatedName', { value: delegation.delegatedName });
    new CfnOutput(this, 'NameServers', { value: delegation.nameServers });
  }
}

import { Aspects, CustomResource, Duration, IAspect, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { DnssecMode, OnConflict, ServiceTokenType } from './enums';
import { SubdomainDelegationProvider } from './provider';
import { RESOURCE_TYPE } from './version';

/**
 * The default `serviceTimeout`: 15 minutes.
 *
 * Long enough for the slowest path a request takes when nothing is wrong: the queued ServiceToken
 * (SNS to SQS in seconds, up to the batching window of at most 5 minutes, then a batch that may run
 * up to the function's 5-minute timeout, INSYNC wait included), plus one more function timeout for a
 * batch that waits behind another (the event source mapping runs at most a few at once) or a direct
 * invocation that crashed and is retried once. Short enough that a request nobody answers (a wrong
 * zip, a missing permission) fails the stack in 15 minutes rather than CloudFormation's default hour.
 * A request that arrives after CloudFormation gave up changes nothing: the provider verifies that the
 * resource is still in progress before it writes.
 */
const DEFAULT_SERVICE_TIMEOUT = Duration.minutes(15);

/**
 * Properties of a `SubdomainDelegation` (README.md, "Properties").
 */
export interface SubdomainDelegationProps {
  /**
   * The provider's ServiceToken in this stack's region: its function ARN (direct) or its SNS topic
   * ARN (queued), e.g. from `SubdomainDelegationProvider.serviceTokenFor`. Give this or `provider`.
   *
   * @default - the token of `provider`
   */
  readonly serviceToken?: string;

  /**
   * The provider, when it is in the same app. Give this or `serviceToken`.
   *
   * @default - `serviceToken`
   */
  readonly provider?: SubdomainDelegationProvider;

  /**
   * With `provider`: which of its ServiceTokens to use. CloudFormation refuses to change the
   * ServiceToken of an existing resource, so choose before the first deployment.
   *
   * @default ServiceTokenType.QUEUED
   */
  readonly serviceTokenType?: ServiceTokenType;

  /**
   * The child zone (`ChildHostedZoneId`); its name is the delegated name. Give this or
   * `childHostedZoneId`. Must be a public zone.
   *
   * @default - `childHostedZoneId`
   */
  readonly childHostedZone?: route53.IHostedZone;

  /**
   * The child zone's ID (`ChildHostedZoneId`). Give this or `childHostedZone`.
   *
   * @default - `childHostedZone`
   */
  readonly childHostedZoneId?: string;

  /**
   * The parent zone (`ParentHostedZoneId`). At most one of `parentHostedZone`,
   * `parentHostedZoneId` and `parentHostedZoneName`.
   *
   * @default - none: the provider finds the parent zone
   */
  readonly parentHostedZone?: route53.IHostedZone;

  /**
   * The parent zone's ID, with or without `/hostedzone/` (`ParentHostedZoneId`).
   *
   * @default - none: the provider finds the parent zone
   */
  readonly parentHostedZoneId?: string;

  /**
   * The parent zone's name (`ParentHostedZoneName`); it must resolve to exactly one public zone of
   * that exact name.
   *
   * @default - none: the provider finds the parent zone
   */
  readonly parentHostedZoneName?: string;

  /**
   * The role in the child account the provider assumes to read the child zone (`ChildRoleArn`),
   * e.g. a `DelegationReaderRole`.
   *
   * @default - the provider's own credentials (a child zone in the provider's account)
   */
  readonly childRole?: iam.IRole;

  /**
   * The ExternalId for assuming `childRole` (`ChildExternalId`).
   *
   * @default - none
   */
  readonly childExternalId?: string;

  /**
   * The role the provider assumes to read and change the parent zone (`ParentRoleArn`); it must be
   * the provider's `parentRoleArn`.
   *
   * @default - the provider's own credentials
   */
  readonly parentRole?: iam.IRole;

  /**
   * The ExternalId for assuming `parentRole` (`ParentExternalId`).
   *
   * @default - none
   */
  readonly parentExternalId?: string;

  /**
   * The delegated name (`DelegatedName`): if given, the child zone's name must equal it, which
   * guards against wiring the wrong zone.
   *
   * @default - not checked
   */
  readonly delegatedName?: string;

  /**
   * TTL of the NS (and DS) records (`TTL`), 1 second to 7 days, in whole seconds.
   *
   * @default - the provider's default, 2 days (172800 seconds)
   */
  readonly ttl?: Duration;

  /**
   * Wait until Route 53 reports the change `INSYNC` before answering (`WaitForSync`).
   *
   * @default true
   */
  readonly waitForSync?: boolean;

  /**
   * DS records (`Dnssec`).
   *
   * @default DnssecMode.AUTO
   */
  readonly dnssec?: DnssecMode;

  /**
   * What Create does when the parent already has an NS record at the name with other values
   * (`OnConflict`).
   *
   * @default OnConflict.FAIL
   */
  readonly onConflict?: OnConflict;

  /**
   * Allow the delegation even when the parent zone holds other records at or below the delegated
   * name, which it would hide (`AllowOccludedRecords`).
   *
   * @default false
   */
  readonly allowOccludedRecords?: boolean;

  /**
   * Region for STS calls (`StsRegion`).
   *
   * @default - the partition's home region (us-east-1, cn-northwest-1, us-gov-west-1, ...)
   */
  readonly stsRegion?: string;

  /**
   * How long CloudFormation waits for the provider's answer (its `ServiceTimeout` property,
   * 1 second to 1 hour), after which the operation fails.
   *
   * The default, 15 minutes, covers the queued ServiceToken's slowest ordinary path: the batching
   * window (at most 5 minutes), one batch (at most the function's 5-minute timeout, the INSYNC wait
   * included) and one more timeout for a batch waiting behind another, or for the one retry of a
   * crashed direct invocation. A request that nobody answers (a wrong zip, a missing invoke
   * permission) then fails the stack after 15 minutes instead of CloudFormation's default hour; an
   * answer that comes after CloudFormation gave up changes nothing, as the provider writes only for
   * a resource that is still in progress.
   *
   * @default Duration.minutes(15)
   */
  readonly serviceTimeout?: Duration;

  /**
   * What happens to the delegation (the NS and DS records) when the resource is removed from the
   * stack or replaced. `RemovalPolicy.RETAIN` keeps the records: use it while moving a delegation
   * from one resource to another (this package's README, "Migrating from CrossAccountZoneDelegationRecord", and docs/migration.md).
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One delegation: a `Custom::SubdomainDelegation` that makes the parent zone delegate the child
 * zone's name to it (NS, and DS when the child is DNSSEC-signed). Delete removes exactly what it wrote.
 */
export class SubdomainDelegation extends CustomResource {
  /** The properties CloudFormation sends the provider, with only the values that are set. */
  private static properties(props: SubdomainDelegationProps): Record<string, string> {
    const exactlyOne = (names: string, ...values: unknown[]) => {
      if (values.filter((v) => v !== undefined).length !== 1) throw new Error(`give exactly one of ${names}`);
    };
    exactlyOne('childHostedZone and childHostedZoneId', props.childHostedZone, props.childHostedZoneId);
    const parents = [props.parentHostedZone, props.parentHostedZoneId, props.parentHostedZoneName].filter((v) => v !== undefined);
    if (parents.length > 1) {
      throw new Error('give at most one of parentHostedZone, parentHostedZoneId and parentHostedZoneName');
    }
    if (props.childHostedZone instanceof route53.PrivateHostedZone || props.parentHostedZone instanceof route53.PrivateHostedZone) {
      throw new Error('the provider delegates between public zones only');
    }
    if (props.childExternalId !== undefined && props.childRole === undefined) {
      throw new Error('childExternalId needs childRole');
    }
    if (props.parentExternalId !== undefined && props.parentRole === undefined) {
      throw new Error('parentExternalId needs parentRole');
    }
    let ttl: string | undefined;
    if (props.ttl !== undefined) {
      if (props.ttl.isUnresolved()) {
        ttl = Token.asString(props.ttl.toSeconds());
      } else {
        const ms = props.ttl.toMilliseconds();
        if (ms % 1000 !== 0 || ms < 1000 || ms > 604800 * 1000) {
          throw new Error(`ttl must be whole seconds from 1 second to 7 days, not ${props.ttl.toHumanString()}`);
        }
        ttl = String(ms / 1000);
      }
    }
    const flag = (value: boolean | undefined) => (value === undefined ? undefined : String(value));
    const properties: Record<string, string | undefined> = {
      ParentHostedZoneId: props.parentHostedZone?.hostedZoneId ?? props.parentHostedZoneId,
      ParentHostedZoneName: props.parentHostedZoneName,
      ChildHostedZoneId: props.childHostedZone?.hostedZoneId ?? props.childHostedZoneId,
      ChildRoleArn: props.childRole?.roleArn,
      ChildExternalId: props.childExternalId,
      ParentRoleArn: props.parentRole?.roleArn,
      ParentExternalId: props.parentExternalId,
      DelegatedName: props.delegatedName,
      TTL: ttl,
      WaitForSync: flag(props.waitForSync),
      Dnssec: props.dnssec,
      OnConflict: props.onConflict,
      AllowOccludedRecords: flag(props.allowOccludedRecords),
      StsRegion: props.stsRegion,
    };
    // An unknown or empty property is an error for the provider: send only what is set.
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  private static serviceToken(props: SubdomainDelegationProps): string {
    if ((props.serviceToken === undefined) === (props.provider === undefined)) {
      throw new Error('give exactly one of serviceToken and provider');
    }
    if (props.serviceToken !== undefined) {
      if (props.serviceTokenType !== undefined) {
        throw new Error('serviceTokenType chooses a token of provider; with serviceToken, pass the token you want');
      }
      return props.serviceToken;
    }
    const provider = props.provider!;
    const type = props.serviceTokenType ?? ServiceTokenType.QUEUED;
    if (type === ServiceTokenType.DIRECT) return provider.serviceToken;
    if (provider.queuedServiceToken === undefined) {
      throw new Error('the provider has no queued ServiceToken (queued: false): pass serviceTokenType: ServiceTokenType.DIRECT');
    }
    return provider.queuedServiceToken;
  }

  constructor(scope: Construct, id: string, props: SubdomainDelegationProps) {
    super(scope, id, {
      serviceToken: SubdomainDelegation.serviceToken(props),
      resourceType: RESOURCE_TYPE,
      properties: SubdomainDelegation.properties(props),
      serviceTimeout: props.serviceTimeout ?? DEFAULT_SERVICE_TIMEOUT,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    // The reader role's permissions must be in place before the provider reads through it. Fn::GetAtt
    // already orders the role (and its inline policies, as DelegationReaderRole has them); a policy
    // attached to the role separately (a DefaultPolicy, from role.addToPolicy) needs a DependsOn.
    const role = props.childRole;
    if (role && Construct.isConstruct(role) && Stack.of(role) === Stack.of(this)) {
      const delegation = this;
      const afterRolePolicies: IAspect = {
        visit(node) {
          if (node !== delegation) return;
          const policy = role.node.tryFindChild('DefaultPolicy');
          if (policy) delegation.node.addDependency(policy);
        },
      };
      Aspects.of(this).add(afterRolePolicies);
    }
  }

  /** The delegated name, the child zone's name (attribute `DelegatedName`). */
  public get delegatedName(): string {
    return this.getAttString('DelegatedName');
  }

  /** The name servers written in the parent zone, comma-separated (attribute `NameServers`). */
  public get nameServers(): string {
    return this.getAttString('NameServers');
  }

  /** The parent zone's ID (attribute `ParentHostedZoneId`). */
  public get parentHostedZoneId(): string {
    return this.getAttString('ParentHostedZoneId');
  }

  /** The child zone's ID (attribute `ChildHostedZoneId`). */
  public get childHostedZoneId(): string {
    return this.getAttString('ChildHostedZoneId');
  }

  /** The records' TTL in seconds (attribute `TTL`). */
  public get ttl(): string {
    return this.getAttString('TTL');
  }

  /**
   * The Route 53 change ID of the last write (attribute `ChangeId`); empty when the records were
   * already as desired and nothing was written.
   */
  public get changeId(): string {
    return this.getAttString('ChangeId');
  }

  /** The DS values written, comma-separated; empty when none (attribute `DsRecord`). */
  public get dsRecord(): string {
    return this.getAttString('DsRecord');
  }

  /** The PhysicalResourceId, `<parent zone id>/<delegated name>`, e.g. `Z0ABC123/dev.example.com`. */
  public get delegationId(): string {
    return this.ref;
  }
}

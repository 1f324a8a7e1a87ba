import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { DEFAULT_PROVIDER_NAME, DEFAULT_READER_ROLE_NAME_PREFIX } from './version';

/**
 * Properties of a `DelegationReaderRole`.
 */
export interface DelegationReaderRoleProps {
  /**
   * The ExternalId the provider must present (`sts:ExternalId`); pass the same value to the
   * delegation as `childExternalId`. One value per organization, or per account. It is not a secret
   * from the child account itself: it protects the role when someone names it in a request.
   */
  readonly externalId: string;

  /**
   * The DNS account that runs the provider. The role then trusts exactly
   * `arn:<partition>:iam::<providerAccount>:role/<providerName>-<region>`, the provider's execution
   * role in this stack's region. Give this or `providerRole`.
   *
   * @default - `providerRole`
   */
  readonly providerAccount?: string;

  /**
   * The provider's name in the DNS account (with `providerAccount`).
   *
   * @default 'subdomain-delegation'
   */
  readonly providerName?: string;

  /**
   * The provider's execution role itself (`SubdomainDelegationProvider.role`), when the provider is
   * in the same account; the role trusts exactly that role. Give this or `providerAccount`.
   *
   * @default - `providerAccount`
   */
  readonly providerRole?: iam.IRole;

  /**
   * The role's name is `<roleNamePrefix>-<region>`: IAM names are global and a StackSet may deploy
   * the role to several regions of one account. The provider may assume roles named
   * `<readerRoleNamePrefix>-*` only, so this must be the provider's `readerRoleNamePrefix`.
   *
   * @default 'subdomain-delegation-reader'
   */
  readonly roleNamePrefix?: string;

  /**
   * The child zones the provider may read through this role (`route53:GetHostedZone`,
   * `route53:GetDNSSEC`). More can be added with `grantReadDelegation`.
   *
   * @default - none yet: call grantReadDelegation
   */
  readonly zones?: route53.IHostedZone[];
}

/**
 * The child account's reader role (cfn/child-account.yaml, `ReaderRole`): it trusts only the
 * provider's execution role, with an ExternalId, and lets it read the delegated zones
 * (`route53:GetHostedZone`, `route53:GetDNSSEC`) and verify the stack that asks
 * (`cloudformation:DescribeStackResource`, `DescribeStacks`, `DescribeStackEvents` on its own stack).
 *
 * Its permissions are inline policies of the role, so they exist as soon as the role does: a
 * delegation that names the role never runs before it may read the zone.
 */
export class DelegationReaderRole extends iam.Role {
  /**
   * A reader role for one zone.
   */
  public static forZone(scope: Construct, id: string, zone: route53.IHostedZone, props: DelegationReaderRoleProps): DelegationReaderRole {
    return new DelegationReaderRole(scope, id, { ...props, zones: [...(props.zones ?? []), zone] });
  }

  private readonly readZones: iam.PolicyStatement;
  private readonly verifyStacks: iam.PolicyStatement;
  private zoneCount = 0;

  constructor(scope: Construct, id: string, props: DelegationReaderRoleProps) {
    const stack = Stack.of(scope);
    const prefix = props.roleNamePrefix ?? DEFAULT_READER_ROLE_NAME_PREFIX;
    if (!Token.isUnresolved(prefix) && !/^[A-Za-z0-9+=,.@_-]{1,48}$/.test(prefix)) {
      throw new Error(`roleNamePrefix must be 1-48 characters of A-Za-z0-9+=,.@_-, not ${prefix}`);
    }
    if (!Token.isUnresolved(props.externalId) && !/^[A-Za-z0-9+=,.@:/_-]{2,1224}$/.test(props.externalId)) {
      throw new Error('externalId must be 2-1224 characters of A-Za-z0-9+=,.@:/_-');
    }
    if ((props.providerAccount === undefined) === (props.providerRole === undefined)) {
      throw new Error('give exactly one of providerAccount and providerRole');
    }
    if (props.providerAccount !== undefined && !Token.isUnresolved(props.providerAccount) && !/^[0-9]{12}$/.test(props.providerAccount)) {
      throw new Error(`providerAccount must be a 12-digit account ID, not ${props.providerAccount}`);
    }
    const providerRoleArn = props.providerRole?.roleArn ??
      `arn:${stack.partition}:iam::${props.providerAccount}:role/${props.providerName ?? DEFAULT_PROVIDER_NAME}-${stack.region}`;
    const readZones = new iam.PolicyStatement({
      sid: 'ReadChildZone',
      actions: ['route53:GetHostedZone', 'route53:GetDNSSEC'],
    });
    const verifyStacks = new iam.PolicyStatement({
      sid: 'VerifyThisStack',
      // The provider checks that this stack really asks, and for the cleanup Delete of a replaced ID,
      // that the stack's events show that ID (docs/design.md, "Who may ask").
      actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
      resources: [stack.stackId],
    });
    const document = new iam.PolicyDocument({ statements: [readZones, verifyStacks] });
    super(scope, id, {
      roleName: `${prefix}-${stack.region}`,
      description: 'Lets the subdomain-delegation provider read this account\'s delegated zone and verify this stack.',
      assumedBy: new iam.ArnPrincipal(providerRoleArn),
      externalIds: [props.externalId],
      inlinePolicies: { 'read-delegated-zone': document },
    });
    this.readZones = readZones;
    this.verifyStacks = verifyStacks;
    for (const zone of props.zones ?? []) this.grantReadDelegation(zone);
    this.node.addValidation({
      validate: () => this.zoneCount > 0 ? [] : ['DelegationReaderRole reads no zone: pass zones, or call grantReadDelegation(zone)'],
    });
  }

  /**
   * Lets the provider read this child zone through the role (`route53:GetHostedZone`,
   * `route53:GetDNSSEC` on the zone only).
   */
  public grantReadDelegation(zone: route53.IHostedZone): void {
    this.readZones.addResources(zone.hostedZoneArn);
    this.zoneCount += 1;
  }

  /**
   * Lets the provider verify requests of another stack of this account and region (the role's own
   * stack is always allowed): a delegation in `stack` that names this role.
   */
  public grantStackVerification(stack: Stack): void {
    this.verifyStacks.addResources(stack.stackId);
  }
}

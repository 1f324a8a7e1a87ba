import { CustomResource, Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Properties of Custom::SubdomainDelegation (docs/design.md, "Properties"). */
export interface SubdomainDelegationProps {
  /** The provider's function ARN (or SNS topic ARN) in this stack's region. */
  readonly serviceToken: string;
  readonly parentHostedZoneId?: string;
  readonly parentHostedZoneName?: string;
  readonly childHostedZoneId: string;
  readonly childRoleArn?: string;
  readonly childExternalId?: string;
  readonly parentRoleArn?: string;
  readonly parentExternalId?: string;
  readonly delegatedName?: string;
  readonly ttl?: Duration;
  readonly waitForSync?: boolean;
  readonly dnssec?: 'auto' | 'off' | 'required';
  readonly onConflict?: 'fail' | 'replace';
  readonly allowOccludedRecords?: boolean;
  readonly stsRegion?: string;
}

/** One delegation: NS (and DS) records for the child zone, written in the parent zone. */
export class SubdomainDelegation extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SubdomainDelegationProps) {
    super(scope, id);
    if ((props.parentHostedZoneId === undefined) === (props.parentHostedZoneName === undefined)) {
      throw new Error('give exactly one of parentHostedZoneId and parentHostedZoneName');
    }
    const properties: Record<string, unknown> = {
      ParentHostedZoneId: props.parentHostedZoneId,
      ParentHostedZoneName: props.parentHostedZoneName,
      ChildHostedZoneId: props.childHostedZoneId,
      ChildRoleArn: props.childRoleArn,
      ChildExternalId: props.childExternalId,
      ParentRoleArn: props.parentRoleArn,
      ParentExternalId: props.parentExternalId,
      DelegatedName: props.delegatedName,
      TTL: props.ttl === undefined ? undefined : String(props.ttl.toSeconds()),
      WaitForSync: props.waitForSync === undefined ? undefined : String(props.waitForSync),
      Dnssec: props.dnssec,
      OnConflict: props.onConflict,
      AllowOccludedRecords: props.allowOccludedRecords === undefined ? undefined : String(props.allowOccludedRecords),
      StsRegion: props.stsRegion,
    };
    // Unknown or empty properties are an error for the provider: send only what is set.
    for (const key of Object.keys(properties)) {
      if (properties[key] === undefined) delete properties[key];
    }
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.serviceToken,
      resourceType: 'Custom::SubdomainDelegation',
      properties,
    });
  }

  get delegatedName(): string { return this.resource.getAttString('DelegatedName'); }
  /** Comma-separated name servers written in the parent zone. */
  get nameServers(): string { return this.resource.getAttString('NameServers'); }
  get dsRecord(): string { return this.resource.getAttString('DsRecord'); }
  get changeId(): string { return this.resource.getAttString('ChangeId'); }
  /** `<parent zone id>/<delegated name>`. */
  get physicalId(): string { return Token.asString(this.resource.ref); }
}

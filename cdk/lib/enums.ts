/**
 * What the provider does about DS records (the resource property `Dnssec`).
 */
export enum DnssecMode {
  /** Add and maintain the DS record when the child zone is signing (the provider's default). */
  AUTO = 'auto',
  /** Never touch DS records. */
  OFF = 'off',
  /** FAILED unless the child zone is signing with an active key-signing key. */
  REQUIRED = 'required',
}

/**
 * What Create does when the parent already holds an NS record at the name with other values
 * (the resource property `OnConflict`).
 */
export enum OnConflict {
  /** FAILED: an existing delegation with other values is never silently overwritten (the default). */
  FAIL = 'fail',
  /** Replace the existing NS record with the child zone's name servers. */
  REPLACE = 'replace',
}

/**
 * Which of the provider's two ServiceTokens a delegation uses.
 *
 * CloudFormation refuses to change the ServiceToken of an existing custom resource
 * ("Modifying service token is not allowed"), so choose before the first deployment.
 */
export enum ServiceTokenType {
  /**
   * The provider's SNS topic: CloudFormation publishes the request, an SQS queue buffers it and the
   * function takes requests in batches, planned per parent zone. For StackSets, bursts and
   * organization-wide rollouts; a request waits up to the batching window (2 s by default).
   */
  QUEUED = 'queued',
  /**
   * The provider's function: CloudFormation invokes it with the one request. The lowest latency,
   * for a few stacks.
   */
  DIRECT = 'direct',
}

import * as fs from 'fs';
import { Annotations, Fn, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PROVIDER_VERSION } from './version';

/**
 * Options of `ProviderCode.fromBucketPrefix`.
 */
export interface BucketPrefixCodeOptions {
  /**
   * The provider release to deploy.
   *
   * @default - the release this library is made for (SubdomainDelegationProvider.PROVIDER_VERSION)
   */
  readonly version?: string;

  /**
   * A key overriding the versioned key (a build of your own, in the same buckets), as
   * cfn/provider.yaml's CodeS3Key.
   *
   * @default - `subdomain-delegation/<version>/subdomain-delegation-<version>-<arch>.zip`
   */
  readonly key?: string;

  /**
   * An object version of the zip, for a versioned bucket.
   *
   * @default - the latest version
   */
  readonly objectVersion?: string;
}

/**
 * Where the provider's code (the `bootstrap.zip` built by scripts/package) comes from.
 */
export abstract class ProviderCode {
  /**
   * A local zip, uploaded as a CDK asset (`lambda.Code.fromAsset`). It must exist at synth time and
   * be built for the provider's architecture (scripts/package writes
   * `target/lambda-<arch>/subdomain-delegation/bootstrap.zip`).
   *
   * @param path the zip's path
   */
  public static fromZip(path: string): ProviderCode {
    return new ZipCode(path);
  }

  /**
   * The release layout, in one bucket per region: bucket `<bucketPrefix>-<region>` (Lambda reads code
   * only from a bucket in the function's own region), key
   * `subdomain-delegation/<version>/subdomain-delegation-<version>-<arch>.zip`, where `<arch>` is
   * `x86_64` or `arm64` (the provider's architecture).
   *
   * @param bucketPrefix the buckets' name without the `-<region>` suffix
   */
  public static fromBucketPrefix(bucketPrefix: string, options: BucketPrefixCodeOptions = {}): ProviderCode {
    // The bucket is <prefix>-<region>: at most 63 characters with the longest region names (14).
    if (!Token.isUnresolved(bucketPrefix) && !/^[a-z0-9]([a-z0-9.-]{0,46}[a-z0-9])?$/.test(bucketPrefix)) {
      throw new Error(`bucketPrefix must be the start of an S3 bucket name (1-48 lower-case letters, digits, dots, hyphens), not ${bucketPrefix}`);
    }
    const version = options.version ?? PROVIDER_VERSION;
    if (!Token.isUnresolved(version) && !/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/.test(version)) {
      throw new Error(`version must be a release version such as ${PROVIDER_VERSION}, not ${version}`);
    }
    if (options.key !== undefined && !Token.isUnresolved(options.key) && options.key.length === 0) {
      throw new Error('key must not be empty');
    }
    return new BucketPrefixCode(bucketPrefix, version, options.key, options.objectVersion);
  }

  /**
   * A zip in an S3 bucket of the stack's region, as cfn/provider.yaml's CodeS3Bucket, CodeS3Key and
   * CodeS3ObjectVersion. Put the zip's hash or version in the key, so that a new build gets a new key
   * and an update really redeploys the function.
   */
  public static fromBucket(bucket: s3.IBucket, key: string, objectVersion?: string): ProviderCode {
    return new BucketCode(bucket, key, objectVersion);
  }

  /**
   * The `lambda.Code` to deploy.
   *
   * @param scope the provider construct
   * @param architecture the function's architecture
   */
  public abstract bind(scope: Construct, architecture: lambda.Architecture): lambda.Code;
}

/** The `<arch>` of the release layout. */
function archName(architecture: lambda.Architecture): string {
  if (architecture.name === lambda.Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === lambda.Architecture.X86_64.name) return 'x86_64';
  throw new Error(`the provider is built for arm64 and x86_64 only, not ${architecture.name}`);
}

class ZipCode extends ProviderCode {
  constructor(private readonly path: string) {
    super();
  }

  public bind(_scope: Construct, _architecture: lambda.Architecture): lambda.Code {
    if (!fs.existsSync(this.path)) {
      throw new Error(`${this.path} does not exist: build it with scripts/package, or use ProviderCode.fromBucketPrefix`);
    }
    return lambda.Code.fromAsset(this.path);
  }
}

class BucketPrefixCode extends ProviderCode {
  constructor(
    private readonly prefix: string,
    private readonly version: string,
    private readonly key: string | undefined,
    private readonly objectVersion: string | undefined,
  ) {
    super();
  }

  public bind(scope: Construct, architecture: lambda.Architecture): lambda.Code {
    const region = Stack.of(scope).region;
    const bucketName = Token.isUnresolved(region) || Token.isUnresolved(this.prefix)
      ? Fn.join('-', [this.prefix, region])
      : `${this.prefix}-${region}`;
    const arch = archName(architecture);
    const key = this.key ?? `subdomain-delegation/${this.version}/subdomain-delegation-${this.version}-${arch}.zip`;
    const bucket = s3.Bucket.fromBucketName(scope, 'CodeBucket', bucketName);
    if (this.objectVersion === undefined && this.key === undefined) {
      // Each release has its own key (the version is in it), so a new release updates the function.
      Annotations.of(scope).acknowledgeWarning('@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified',
        'the release layout puts the version in the key: a new release is a new key');
    }
    return lambda.Code.fromBucketV2(bucket, key, { objectVersion: this.objectVersion });
  }
}

class BucketCode extends ProviderCode {
  constructor(private readonly bucket: s3.IBucket, private readonly key: string, private readonly objectVersion?: string) {
    super();
  }

  public bind(_scope: Construct, architecture: lambda.Architecture): lambda.Code {
    archName(architecture);
    return lambda.Code.fromBucketV2(this.bucket, this.key, { objectVersion: this.objectVersion });
  }
}

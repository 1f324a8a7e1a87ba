// Module constants, not exported from the package (jsii exposes classes, interfaces and enums; the
// version is public as SubdomainDelegationProvider.PROVIDER_VERSION).

/**
 * The provider release this library is made for: the version of the Rust crate (Cargo.toml) and of
 * this package (package.json). scripts/check-cdk fails when the three disagree.
 */
export const PROVIDER_VERSION = '0.2.0';

/** The provider's default name (function, topic, log group; role `<name>-<region>`). */
export const DEFAULT_PROVIDER_NAME = 'subdomain-delegation';

/** The reader roles' default name prefix (role `<prefix>-<region>`). */
export const DEFAULT_READER_ROLE_NAME_PREFIX = 'subdomain-delegation-reader';

/** The custom resource type the provider serves by default. */
export const RESOURCE_TYPE = 'Custom::SubdomainDelegation';

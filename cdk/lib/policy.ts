import { Token } from 'aws-cdk-lib';

/**
 * One rule of the provider's `DELEGATION_POLICY`: these accounts' zones may be delegated these names.
 */
export interface DelegationRule {
  /**
   * Account IDs, or `*` for every account.
   */
  readonly accounts: string[];

  /**
   * Names (lower case, no trailing dot). `{account}` stands for the zone's account; a leading `*.`
   * matches any name strictly below, e.g. `*.{account}.accounts.example.com`.
   */
  readonly names: string[];
}

/**
 * Which names each account's zones may be delegated: the provider's `DELEGATION_POLICY`
 * (docs/design.md, "Who may ask").
 *
 * Without a policy, only zones in the provider's own account may be delegated to. A name allotted to
 * an account goes to that account's zones only, whichever stack asks.
 */
export class DelegationPolicy {
  /**
   * A policy from rules.
   */
  public static fromRules(rules: DelegationRule[]): DelegationPolicy {
    for (const rule of rules) {
      if (Token.isUnresolved(rule.accounts) || Token.isUnresolved(rule.names)) continue;
      if (rule.accounts.length === 0 || rule.names.length === 0) {
        throw new Error('every DelegationRule needs at least one account and one name');
      }
      for (const account of rule.accounts) {
        if (!Token.isUnresolved(account) && account !== '*' && !/^[0-9]{12}$/.test(account)) {
          throw new Error(`DelegationRule accounts must be 12-digit account IDs or '*', not ${account}`);
        }
      }
      for (const name of rule.names) {
        if (!Token.isUnresolved(name) && !/^(\*\.)?([a-z0-9_{}-]+\.)*[a-z0-9_{}-]+$/.test(name)) {
          throw new Error(`DelegationRule names must be lower case without a trailing dot, not ${name}`);
        }
      }
    }
    const json = JSON.stringify({ allow: rules.map((r) => ({ accounts: r.accounts, names: r.names })) });
    return new DelegationPolicy(json, rules);
  }

  /**
   * A policy written as JSON, e.g.
   * `{"allow":[{"accounts":["*"],"names":["{account}.accounts.example.com"]}]}`.
   */
  public static fromJson(json: string): DelegationPolicy {
    if (Token.isUnresolved(json)) return new DelegationPolicy(json, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new Error(`the delegation policy is not JSON: ${(e as Error).message}`);
    }
    const allow = (parsed as { allow?: unknown }).allow;
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray(allow)) {
      throw new Error('the delegation policy must be an object with an "allow" list of rules');
    }
    const rules: DelegationRule[] = allow.map((r: { accounts?: unknown; names?: unknown }) => {
      if (!Array.isArray(r.accounts) || !Array.isArray(r.names)) {
        throw new Error('every rule of the delegation policy needs "accounts" and "names" lists');
      }
      return { accounts: r.accounts.map(String), names: r.names.map(String) };
    });
    DelegationPolicy.fromRules(rules);
    return new DelegationPolicy(json, rules);
  }

  /** The policy as the provider reads it (`DELEGATION_POLICY`). */
  public readonly json: string;

  private readonly rules?: DelegationRule[];

  private constructor(json: string, rules: DelegationRule[] | undefined) {
    this.json = json;
    this.rules = rules;
  }

  /**
   * Whether a rule allots `name` to the zones of `account`: the check the provider makes for a zone
   * in another account than its own. Useful to keep an app's allotment and zone names consistent.
   *
   * @param account the 12-digit ID of the account that owns the child zone
   * @param name the child zone's name (lower case, no trailing dot)
   */
  public allots(account: string, name: string): boolean {
    if (this.rules === undefined) {
      throw new Error('a delegation policy given as an unresolved token cannot be checked at synth time');
    }
    const wanted = name.toLowerCase().replace(/\.$/, '');
    return this.rules.some((rule) =>
      (rule.accounts.includes('*') || rule.accounts.includes(account)) &&
      rule.names.some((pattern) => {
        const p = pattern.split('{account}').join(account);
        return p.startsWith('*.') ? wanted.endsWith(p.slice(1)) && wanted.length > p.length - 1 : wanted === p;
      }),
    );
  }
}

/**
 * The provider function's reserved concurrency.
 *
 * A reserved concurrency caps how many invocations run at once, so a flood of forged invocations
 * from the organization cannot take the DNS account's whole Lambda concurrency; throttled
 * invocations wait in Lambda's asynchronous queue (at most an hour). There is no zero: it would
 * throttle every request.
 */
export class ReservedConcurrency {
  /**
   * Reserve none, only for an account whose concurrency quota is too small to reserve any (Lambda
   * keeps 100 unreserved; new accounts may have a quota of 10).
   */
  public static readonly NONE = new ReservedConcurrency(undefined);

  /**
   * Reserve this many concurrent executions (1-9999; the provider's default is 20).
   */
  public static of(executions: number): ReservedConcurrency {
    if (!Token.isUnresolved(executions) && (!Number.isInteger(executions) || executions < 1 || executions > 9999)) {
      throw new Error(`a reserved concurrency must be an integer 1..9999 (0 would throttle every request), not ${executions}`);
    }
    return new ReservedConcurrency(executions);
  }

  /** The executions reserved; undefined for none. */
  public readonly executions?: number;

  private constructor(executions: number | undefined) {
    this.executions = executions;
  }
}

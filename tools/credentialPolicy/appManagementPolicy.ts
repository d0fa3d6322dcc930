/**
 * Would the tenant's app management policy refuse the stack's credentials? A pure function of the stack's choice
 * and the policies read from Graph (tools/credentialPolicy/command.ts reads them), one line per problem, each naming the
 * stack file, the key as written, its value, the policy and its limit. The rules are Entra's as Microsoft Graph
 * documents them (learn.microsoft.com/graph/api/resources/appmanagementpolicy, tenantappmanagementpolicy,
 * passwordcredentialconfiguration, keycredentialconfiguration) and as the local Graph enforces them
 * (localazure/graph/policies.ts, passwords.ts):
 * - an app's own enabled policy governs it "over the tenant-wide tenantAppManagementPolicy"; otherwise the default,
 *   when enabled (appmanagementpolicy-post-appliesto);
 * - a restriction counts when its state is enabled and the app was created on or after
 *   restrictForAppsCreatedAfterDateTime (an app not yet created is created now);
 * - passwordAddition refuses every client secret; passwordLifetime and asymmetricKeyLifetime cap the time from a
 *   credential's start to its end at maxLifetime.
 */
import { displayNameOf, type StackConfig } from "../../infra/config";
import { addMonths } from "../../infra/months";
import { describeDuration, parseIsoDuration } from "../../common/isoDuration";

export type CredentialKind = "secret" | "certificate";

/** A policy that is not in the documented shape (Graph's answer, or a maxLifetime that is not a duration). */
export class PolicyShapeError extends Error {}

/** What the stack asks for, from the parsed config (`credentialChoiceOf`). */
export interface CredentialChoice {
    readonly stackFile: string;
    readonly project: string;
    /** `"<project>:<key>"` → the key as the stack file writes it; a key the file does not set is absent. */
    readonly keysAsWritten: Readonly<Record<string, string>>;
    readonly credential: CredentialKind;
    /** A developer's own choice (`developerCredentials`), by the identity's display name, where it overrides `credential`. */
    readonly developerCredentials?: Readonly<Record<string, { readonly developer: string; readonly credential: CredentialKind }>>;
    readonly secretLifetimeMonths: number;
    readonly certificateLifetimeMonths: number;
}

export interface Restriction {
    readonly restrictionType: string;
    readonly maxLifetime: string | null;
    readonly restrictForAppsCreatedAfterDateTime: string | null;
    readonly state: string;
}

export interface Policy {
    readonly id: string;
    readonly displayName: string;
    readonly isEnabled: boolean;
    /** The tenant's default (`defaultAppManagementPolicy`) rather than a policy assigned to the app. */
    readonly isDefault: boolean;
    readonly passwordCredentials: readonly Restriction[];
    readonly keyCredentials: readonly Restriction[];
}

export interface IdentityPolicies {
    readonly identity: string;
    /** The app's createdDateTime; undefined when the app does not exist yet (the first deploy creates it). */
    readonly createdDateTime: string | undefined;
    /** Policies assigned to the app (Graph allows one). */
    readonly assigned: readonly Policy[];
}

export interface TenantPolicies {
    readonly defaultPolicy: Policy;
    readonly identities: readonly IdentityPolicies[];
}

/** Two staggered slots need at least 2 months (README "Client secrets and rotation"; infra/config.ts SECRET_LIFETIME_MONTHS). */
export const MIN_STAGGERED_MONTHS = 2;
const MS_PER_DAY = 86_400_000;

/**
 * The choice from the parsed config: the stack's credential, and each developer's own where `developerCredentials`
 * overrides it (each identity is judged by what it will be given).
 */
export function credentialChoiceOf(config: StackConfig, project: string): CredentialChoice {
    const overrides = Object.entries(config.developerCredentials)
        .filter(([, credential]) => credential !== config.credential)
        .map(([developer, credential]): [string, { developer: string; credential: CredentialKind }] =>
            [displayNameOf(config.appName, config.environment, developer), { developer, credential }]);
    return {
        stackFile: config.stackFile,
        project,
        keysAsWritten: config.keysAsWritten,
        credential: config.credential,
        ...(overrides.length === 0 ? {} : { developerCredentials: Object.fromEntries(overrides) }),
        secretLifetimeMonths: config.secretLifetimeMonths,
        certificateLifetimeMonths: config.certificateLifetimeMonths,
    };
}

/**
 * The longest a credential of `months` calendar months can live, in milliseconds: the schedule starts one on a
 * rotation day (days 1-28) and Graph counts from the moment it is added, so its span is that many consecutive
 * months, the longest of them over a four-year leap cycle (12 months: 366 days).
 */
export function longestSpan(months: number): number {
    let longest = 0;
    for (let month = 0; month < 48; month += 1) {
        const start = new Date(Date.UTC(2024, month, 1));
        longest = Math.max(longest, addMonths(start, months).getTime() - start.getTime());
    }
    return longest;
}

/** The most months (up to `months`) whose longest span fits within `limit`; 0 when not even one month does. */
export function mostMonthsWithin(limit: number, months: number): number {
    let most = 0;
    for (let candidate = 1; candidate <= months && longestSpan(candidate) <= limit; candidate += 1) most = candidate;
    return most;
}

/** The policy in force for one identity: its own enabled policy, else the enabled default, else none. */
export function governingPolicy(tenant: TenantPolicies, identity: IdentityPolicies): Policy | undefined {
    const own = identity.assigned.find((policy) => policy.isEnabled);
    if (own !== undefined) return own;
    return tenant.defaultPolicy.isEnabled ? tenant.defaultPolicy : undefined;
}

function inForce(restrictions: readonly Restriction[], type: string, createdAt: Date): Restriction | undefined {
    const restriction = restrictions.find((candidate) => candidate.restrictionType === type);
    if (restriction === undefined || restriction.state !== "enabled") return undefined;
    const after = restriction.restrictForAppsCreatedAfterDateTime;
    return after !== null && createdAt.getTime() < Date.parse(after) ? undefined : restriction;
}

export function describePolicy(policy: Policy, identity: string): string {
    return policy.isDefault
        ? "the tenant's default app management policy"
        : `app management policy ${policy.id} ("${policy.displayName}"), assigned to ${identity},`;
}

/** Every problem, one line each, in the order: per identity, passwords first; duplicates (one default for every developer) once. */
export function credentialPolicyProblems(choice: CredentialChoice, tenant: TenantPolicies, now: Date): string[] {
    const key = (name: string) => choice.keysAsWritten[`${choice.project}:${name}`] ?? `${choice.project}:${name}`;
    const seen = (name: string, value: unknown) => `${choice.stackFile}: ${key(name)} ` +
        (`${choice.project}:${name}` in choice.keysAsWritten ? `is ${JSON.stringify(value)}` : `is missing, so ${JSON.stringify(value)}`);
    const problems: string[] = [];
    for (const identity of tenant.identities) {
        const policy = governingPolicy(tenant, identity);
        if (policy === undefined) continue;
        const createdAt = identity.createdDateTime === undefined ? now : new Date(identity.createdDateTime);
        const named = describePolicy(policy, identity.identity);
        const own = choice.developerCredentials?.[identity.identity];
        // The key to change for this identity: its developer's entry when it overrides the stack's credential.
        const forIdentity: CredentialChoice = own === undefined ? choice : { ...choice, credential: own.credential };
        const seenCredential = own === undefined ? seen("credential", choice.credential)
            : `${choice.stackFile}: ${key("developerCredentials")}.${own.developer} is ${JSON.stringify(own.credential)}`;
        if (forIdentity.credential === "secret") {
            if (inForce(policy.passwordCredentials, "passwordAddition", createdAt) !== undefined) {
                problems.push(`${seenCredential}; expected "certificate": ${named} allows no client secrets ` +
                    "(passwordAddition), so Entra refuses each new one (CredentialTypeNotAllowedAsPerAppPolicy)");
                continue;
            }
            const lifetime = inForce(policy.passwordCredentials, "passwordLifetime", createdAt);
            if (lifetime !== undefined) {
                problems.push(...lifetimeProblem(forIdentity, seen, seenCredential, named, lifetime, "secretLifetimeMonths",
                    choice.secretLifetimeMonths, "client secrets"));
            }
        } else {
            const lifetime = inForce(policy.keyCredentials, "asymmetricKeyLifetime", createdAt);
            if (lifetime !== undefined) {
                problems.push(...lifetimeProblem(forIdentity, seen, seenCredential, named, lifetime, "certificateLifetimeMonths",
                    choice.certificateLifetimeMonths, "certificates"));
            }
        }
    }
    return [...new Set(problems)];
}

function lifetimeProblem(choice: CredentialChoice, seen: (name: string, value: unknown) => string, seenCredential: string, named: string,
    restriction: Restriction, name: string, months: number, what: string): string[] {
    const limit = restriction.maxLifetime === null ? undefined : parseIsoDuration(restriction.maxLifetime);
    if (limit === undefined) {
        throw new PolicyShapeError(`${named} has a ${restriction.restrictionType} restriction whose maxLifetime ` +
            `${JSON.stringify(restriction.maxLifetime)} is not an ISO 8601 duration`);
    }
    const span = longestSpan(months);
    if (span <= limit) return [];
    const cap = `${named} limits ${what} to ${restriction.maxLifetime} (${describeDuration(limit)})`;
    const most = mostMonthsWithin(limit, months);
    if (most < MIN_STAGGERED_MONTHS) {
        const fix = choice.credential === "secret"
            ? `${seenCredential}; expected "certificate": `
            : `${seen(name, months)}; expected at least ${MIN_STAGGERED_MONTHS}, which this tenant refuses: `;
        return [`${fix}${cap}, less than the ${MIN_STAGGERED_MONTHS} months two staggered ${what} need ` +
            "(CredentialInvalidLifetimeAsPerAppPolicy)" +
            (choice.credential === "secret" ? "" : "; ask the tenant's administrators for a policy of the app's own")];
    }
    return [`${seen(name, months)}; expected at most ${most}: ${cap}, and a ${months}-month one lives up to ` +
        `${Math.round(span / MS_PER_DAY)} days (CredentialInvalidLifetimeAsPerAppPolicy)`];
}

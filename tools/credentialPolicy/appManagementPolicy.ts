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
 *   credential's start to its end at maxLifetime;
 * - trustedCertificateAuthority (keyCredentialConfiguration, beta: certificateBasedApplicationConfigurationIds) admits
 *   only certificates issued by the tenant's trusted authorities, "rejecting any noncompliant certificates"
 *   (learn.microsoft.com/graph/tutorial-applications-basics, "Assign the certificate chain of trust"): the
 *   self-signed ones tools/certificate makes are refused;
 * - a restriction type the check does not know (Graph's evolvable enums add members past unknownFutureValue:
 *   github.com/microsoft/api-guidelines graph/patterns/evolvable-enums.md) is judged as refusing, never passed;
 * - excludeActors exempts the *caller* (the deploying identity) holding a custom security attribute
 *   (appmanagementpolicyactorexemptions, customsecurityattributestringvalueexemption): the check cannot read the
 *   deployer's attributes, so it judges the deployer as not exempt and says so;
 * - the client secrets keepSecretsUntilSwitched keeps rotating beside the certificates are judged as secrets.
 */
import { displayNameOf, type StackConfig } from "../../infra/config";
import { addMonths } from "../../infra/months";
import type { Credential } from "../../infra/certificates";
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
    /** With certificates, the two client secrets keep rotating too (infra/appIdentity.ts `keepSecrets`). */
    readonly keepSecretsUntilSwitched: boolean;
}

/** customSecurityAttributeStringValueExemption: `id` is "AttributeSetName_AttributeName". */
export interface ActorExemption {
    readonly id: string;
    readonly operator: string;
    readonly value: string | null;
}

export interface Restriction {
    readonly restrictionType: string;
    readonly maxLifetime: string | null;
    readonly restrictForAppsCreatedAfterDateTime: string | null;
    readonly state: string;
    /** trustedCertificateAuthority: the certificateBasedApplicationConfiguration objects whose authorities it trusts. */
    readonly certificateBasedApplicationConfigurationIds?: readonly string[];
    /** excludeActors.customSecurityAttributes: callers holding one of these are exempt. */
    readonly excludeActors?: readonly ActorExemption[];
}

/**
 * The restriction types the check knows, per kind (passwordCredentialConfiguration's appCredentialRestrictionType;
 * keyCredentialConfiguration's appKeyCredentialRestrictionType, beta adding trustedCertificateAuthority). Of the
 * password types only passwordAddition and passwordLifetime bear on a secret Graph generates with addPassword:
 * symmetricKey* restrict symmetric keys, customPasswordAddition passwords the caller supplies.
 */
export const KNOWN_PASSWORD_TYPES = ["passwordAddition", "passwordLifetime", "symmetricKeyAddition", "symmetricKeyLifetime", "customPasswordAddition"];
export const KNOWN_KEY_TYPES = ["asymmetricKeyLifetime", "trustedCertificateAuthority"];

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
            [displayNameOf(config.appName, config.environment, developer), { developer, credential: judgedKind(credential) }]);
    return {
        stackFile: config.stackFile,
        project,
        keysAsWritten: config.keysAsWritten,
        credential: judgedKind(config.credential),
        ...(overrides.length === 0 ? {} : { developerCredentials: Object.fromEntries(overrides) }),
        secretLifetimeMonths: config.secretLifetimeMonths,
        certificateLifetimeMonths: config.certificateLifetimeMonths,
        keepSecretsUntilSwitched: config.keepSecretsUntilSwitched,
    };
}

/**
 * What a policy judges of an identity: its secrets or its certificates. A federated identity has neither (a policy
 * restricts password and key credentials only: Graph, "appManagementPolicy resource type"); checkCredentialPolicy
 * passes it unless it keeps its secrets while servers move (keepSecretsUntilSwitched), and those are judged as
 * secrets. The config refuses federation for developers.
 */
function judgedKind(credential: Credential): CredentialKind {
    return credential === "federated" ? "secret" : credential;
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

function counts(restriction: Restriction, createdAt: Date): boolean {
    if (restriction.state !== "enabled") return false;
    const after = restriction.restrictForAppsCreatedAfterDateTime;
    return after === null || createdAt.getTime() >= Date.parse(after);
}

function inForce(restrictions: readonly Restriction[], type: string, createdAt: Date): Restriction | undefined {
    const restriction = restrictions.find((candidate) => candidate.restrictionType === type);
    return restriction !== undefined && counts(restriction, createdAt) ? restriction : undefined;
}

/** The restrictions in force whose type the check does not know ("unknownFutureValue" too: a member Graph hid). */
function unknownInForce(restrictions: readonly Restriction[], known: readonly string[], createdAt: Date): Restriction[] {
    return restrictions.filter((restriction) => !known.includes(restriction.restrictionType) && counts(restriction, createdAt));
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
        const credential = own === undefined ? choice.credential : own.credential;
        const seenCredential = own === undefined ? seen("credential", choice.credential)
            : `${choice.stackFile}: ${key("developerCredentials")}.${own.developer} is ${JSON.stringify(own.credential)}`;
        const judge: Judge = { seen, named, createdAt };
        if (credential === "secret") {
            problems.push(...secretProblems(choice, judge, policy, { line: `${seenCredential}; expected "certificate": `, also: "" }));
        } else {
            problems.push(...certificateProblems(choice, judge, policy, seenCredential));
            // keepSecretsUntilSwitched: the certificate identity keeps adding client secrets on their schedule.
            if (choice.keepSecretsUntilSwitched) {
                problems.push(...secretProblems(choice, judge, policy, { line: `${seen("keepSecretsUntilSwitched", true)}; expected false: `,
                    also: "; keepSecretsUntilSwitched keeps adding them beside the certificates" }));
            }
        }
    }
    return [...new Set(problems)];
}

interface Judge {
    readonly seen: (name: string, value: unknown) => string;
    readonly named: string;
    readonly createdAt: Date;
}

/** How to stop adding client secrets: the key and value to write (`line`), and what adds them (`also`). */
interface SecretFix {
    readonly line: string;
    readonly also: string;
}

function secretProblems(choice: CredentialChoice, judge: Judge, policy: Policy, fix: SecretFix): string[] {
    const { named, createdAt } = judge;
    const problems: string[] = [];
    const addition = inForce(policy.passwordCredentials, "passwordAddition", createdAt);
    if (addition !== undefined) {
        problems.push(`${fix.line}${named} allows no client secrets (passwordAddition), so Entra refuses each new one ` +
            `(CredentialTypeNotAllowedAsPerAppPolicy)${exemptionNote(addition)}`);
    } else {
        const lifetime = inForce(policy.passwordCredentials, "passwordLifetime", createdAt);
        if (lifetime !== undefined) {
            problems.push(...lifetimeProblem(judge, lifetime, "secretLifetimeMonths", choice.secretLifetimeMonths, "client secrets",
                { line: fix.line, tail: "" }));
        }
        for (const unknown of unknownInForce(policy.passwordCredentials, KNOWN_PASSWORD_TYPES, createdAt)) {
            problems.push(unknownProblem(fix.line, named, unknown, "client secrets"));
        }
    }
    return problems.map((line) => `${line}${fix.also}`);
}

function certificateProblems(choice: CredentialChoice, judge: Judge, policy: Policy, seenCredential: string): string[] {
    const { seen, named, createdAt } = judge;
    const problems: string[] = [];
    const authority = inForce(policy.keyCredentials, "trustedCertificateAuthority", createdAt);
    if (authority !== undefined) {
        const ids = authority.certificateBasedApplicationConfigurationIds ?? [];
        problems.push(`${seenCredential}; ${named} accepts only certificates issued by its trusted certificate authorities ` +
            `(trustedCertificateAuthority${ids.length === 0 ? "" : `: certificateBasedApplicationConfiguration ${ids.join(", ")}`}), ` +
            "and npm run certificate makes self-signed ones, which Entra refuses: commit a certificate issued by one of " +
            "those authorities under the same name (docs/certificates.md), or ask the tenant's administrators for a " +
            `policy of the app's own${exemptionNote(authority)}`);
    }
    const lifetime = inForce(policy.keyCredentials, "asymmetricKeyLifetime", createdAt);
    if (lifetime !== undefined) {
        problems.push(...lifetimeProblem(judge, lifetime, "certificateLifetimeMonths", choice.certificateLifetimeMonths, "certificates",
            { line: `${seen("certificateLifetimeMonths", choice.certificateLifetimeMonths)}; expected at least ${MIN_STAGGERED_MONTHS}, ` +
                "which this tenant refuses: ", tail: "; ask the tenant's administrators for a policy of the app's own" }));
    }
    for (const unknown of unknownInForce(policy.keyCredentials, KNOWN_KEY_TYPES, createdAt)) {
        problems.push(unknownProblem(`${seenCredential}; `, named, unknown, "certificates"));
    }
    return problems;
}

/** A restriction type the check does not know: judged as refusing (Graph's evolvable enums grow past unknownFutureValue). */
function unknownProblem(line: string, named: string, restriction: Restriction, what: string): string {
    const type = restriction.restrictionType === "unknownFutureValue"
        ? "a newer restriction type that Graph answered as \"unknownFutureValue\""
        : `restriction type "${restriction.restrictionType}", which this check does not know`;
    return `${line}${named} restricts ${what} with ${type}; judged as refusing: ask the tenant's administrators what ` +
        `it allows${exemptionNote(restriction)}`;
}

/**
 * excludeActors exempts the caller holding a custom security attribute; reading the deployer's needs
 * CustomSecAttributeAssignment.Read.All, which the check does not ask for, so the refusal stands with this note.
 */
function exemptionNote(restriction: Restriction): string {
    const exemptions = restriction.excludeActors ?? [];
    if (exemptions.length === 0) return "";
    const held = exemptions.map((exemption) => `${exemption.id} ${exemption.operator} ${JSON.stringify(exemption.value)}`).join(" or ");
    return `; unless the deploying identity holds the custom security attribute ${held} (excludeActors), which this check ` +
        "cannot read (it needs CustomSecAttributeAssignment.Read.All), so it judges the deployer as not exempt";
}

/** When not even two staggered credentials fit: the key to change (`line`) and what else to do (`tail`). */
interface TooShortFix {
    readonly line: string;
    readonly tail: string;
}

function lifetimeProblem(judge: Judge, restriction: Restriction, name: string, months: number, what: string, tooShort: TooShortFix): string[] {
    const { seen, named } = judge;
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
        return [`${tooShort.line}${cap}, less than the ${MIN_STAGGERED_MONTHS} months two staggered ${what} need ` +
            `(CredentialInvalidLifetimeAsPerAppPolicy)${tooShort.tail}${exemptionNote(restriction)}`];
    }
    return [`${seen(name, months)}; expected at most ${most}: ${cap}, and a ${months}-month one lives up to ` +
        `${Math.round(span / MS_PER_DAY)} days (CredentialInvalidLifetimeAsPerAppPolicy)${exemptionNote(restriction)}`];
}

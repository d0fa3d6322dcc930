/**
 * The stack's config, read once into a typed object. Every problem is reported before any resource is
 * registered, one line each, naming the stack file, the key, the value seen and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { adoptionKeysAllowed, adoptionProblems, adoptionSchema, type Adoption } from "./adoption";
import { managedIdentityProblems, managedIdentitySchema, toManagedIdentityConfig, type ManagedIdentityConfig } from "./managedIdentity";
import { CERTIFICATE_LIFETIME_MONTHS, CREDENTIALS, type Credential } from "./certificates";
import { federatedCredentialProblems, federatedCredentialSchema, type FederatedCredentialConfig } from "./federated";
import { alertsKeysAllowed, alertsOf, alertsSchema, type AlertsConfig } from "./alertsConfig";
import {
    allowedNetworksSchema, conditionalAccessProblems, MAX_ALLOWED_NETWORKS, MAX_NAMED_LOCATIONS, rolloutSchema,
    type ConditionalAccessConfig,
} from "./conditionalAccess";
import { ROLE_NAMES } from "../common/builtInRoles";
import type { RoleAssignmentConfig } from "./grants";
import { resourceGroupMatcher } from "../common/resourceGroupPatterns";
import { splitStackName } from "../common/stackNames";

export interface StackConfig {
    readonly stack: string;
    /** Where the stack's config lives, for messages: `stacks/Pulumi.<stack>.yaml`. */
    readonly stackFile: string;
    readonly appName: string;
    readonly environment: string;
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly owners: readonly string[];
    readonly production: boolean;
    readonly secretLifetimeMonths: number;
    /** First rotation of the secret schedule; derived from the identity's name when unset. */
    readonly secretRotationAnchor: Date | undefined;
    readonly roleAssignments: readonly RoleAssignmentConfig[];
    /** Developers who each get an identity of their own (a local-development stack); empty for an environment. */
    readonly developers: readonly string[];
    /** The project's production resource groups: only production identities may hold roles on them. */
    readonly productionResourceGroups: readonly string[];
    /**
     * The deploying identity's object ID, when the stack names it: the owner the program records in place of
     * whoever runs it, so that a preview by another identity (the read-only previewer) shows no owner change.
     */
    readonly deployerObjectId: string | undefined;
    /** A hand-made identity the first `pulumi up` imports (infra/adoption.ts), when the stack adopts one. */
    readonly adopt: Adoption | undefined;
    /** The managed identity the app runs under, if any (infra/managedIdentity.ts). */
    readonly managedIdentity: ManagedIdentityConfig | undefined;
    /** Whether the stack has an app registration: always without managedIdentity; with it, during a migration only. */
    readonly appRegistration: boolean;
    /**
     * How the stack's identities sign in: client secrets (the default), certificates (infra/certificates.ts) or
     * tokens of an OIDC issuer the server has (federated: infra/federated.ts).
     */
    readonly credential: Credential;
    /** With credential federated: the issuers and subjects the app trusts. */
    readonly federatedCredentials: readonly FederatedCredentialConfig[];
    /** Who hears of what needs a person (infra/alertsConfig.ts): the app's entry of `alerts`, if it has one. */
    readonly alerts: AlertsConfig | undefined;
    /** A developers' stack: each listed developer's own choice, over `credential`. */
    readonly developerCredentials: Readonly<Record<string, Credential>>;
    readonly certificateLifetimeMonths: number;
    /**
     * A move from client secrets to certificates without downtime: the identities with certificates keep their two
     * secrets beside the certificates until every server runs on its certificate (docs/certificates.md).
     */
    readonly keepSecretsUntilSwitched: boolean;
    /**
     * allowedNetworks and its rollout (infra/conditionalAccess.ts): the service principal blocked outside these
     * ranges; undefined without allowedNetworks.
     */
    readonly conditionalAccess: ConditionalAccessConfig | undefined;
    /** `"<project>:<key>"` → the key as the stack file writes it, where known: what messages name. */
    readonly keysAsWritten: Readonly<Record<string, string>>;
}

export const STACK_CONFIG_DIR = "stacks";
/** The namespaces whose keys someone reads besides the project's: the two providers' and the CLI's own. */
export const PROVIDER_NAMESPACES = ["azuread", "azure-native", "pulumi"] as const;
export const MAX_DISPLAY_NAME_LENGTH = 120;
export const SECRET_LIFETIME_MONTHS = { min: 2, max: 24, default: 24 } as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The nil GUID names no tenant, subscription or directory object: Azure and Entra never issue it. */
export const NIL_GUID = "00000000-0000-0000-0000-000000000000";
const GUID_ALLOWED = "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47";
const NIL_ALLOWED = `expected a real GUID: the nil GUID ${NIL_GUID} names nothing in Azure or Entra`;
const NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/**
 * Azure's rule for resource group names (Microsoft Learn, "Naming rules and restrictions for Azure resources",
 * https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules, Microsoft.Resources
 * resourcegroups): 1-90 characters; underscores, hyphens, periods, parentheses, and letters or digits as .NET's
 * Char.IsLetterOrDigit defines them, i.e. the Unicode categories Lu, Ll, Lt, Lm, Lo and Nd (not Nl or No, such as
 * "Ⅻ" or "²"); can't end with a period. .NET counts and tests UTF-16 code units, so a character outside the
 * Basic Multilingual Plane (two surrogates, neither a letter) is refused, and the length is the UTF-16 length.
 */
const RESOURCE_GROUP = /^[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nd}._\-()]{0,89}[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nd}_\-()]$/u;
const OUTSIDE_BMP = /[\u{10000}-\u{10FFFF}]/u;
/**
 * Entra: at most 100 owners per application (Microsoft Learn, "Microsoft Entra service limits and restrictions",
 * https://learn.microsoft.com/en-us/entra/identity/users/directory-service-limits-restrictions); the deploying
 * identity is always one of them, so a stack may name 99 more.
 */
export const MAX_OWNERS = 99;
/**
 * Azure RBAC: at most 4,000 role assignments per subscription (Microsoft Learn, "Azure subscription and service
 * limits", https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-rbac-limits).
 * A stack's count is its role assignments times its identities.
 */
export const MAX_ROLE_ASSIGNMENTS = 4000;
const DEVELOPER = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const ANCHOR = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])$/;

const guidOf = (allowed: string) => z.string({ error: allowed }).regex(GUID, { error: allowed })
    .refine((value) => value !== NIL_GUID, { error: NIL_ALLOWED });
const guid = guidOf(GUID_ALLOWED);
// terraform-provider-azuread docs/resources/application.md: owners are users or service principals, not groups.
const OWNER_ALLOWED = "expected the object ID (GUID) of a user or service principal (Entra application owners " +
    "cannot be groups), such as 72f988bf-86f1-41af-91ab-2d7cd011db47";
const ownerGuid = guidOf(OWNER_ALLOWED);
const CREDENTIAL_ALLOWED = "expected secret (client secrets, the default), certificate (a key pair made on the " +
    "server, its public certificate committed under stacks/certificates/) or federated (tokens of an OIDC issuer the " +
    "server has, trusted through federatedCredentials)";
const DEPLOYER_ALLOWED = "expected the object ID (GUID) of the identity that deploys this stack (a user or service " +
    "principal), such as 72f988bf-86f1-41af-91ab-2d7cd011db47";
const MANAGED_IDENTITY_ALLOWED = "expected the managed identity's object (principal) ID, a GUID such as " +
    "72f988bf-86f1-41af-91ab-2d7cd011db47";
const nameSchema = (what: string) => {
    const allowed = `expected ${what}: lowercase letters, digits and '-', starting and ending with a letter or digit`;
    return z.string({ error: allowed }).regex(NAME, { error: allowed });
};
const roleAllowed = `expected one of: ${ROLE_NAMES.join(", ")}`;
const resourceGroupAllowed = "expected a resource group name of 1-90 letters, digits, '.', '_', '-', '(' or ')', " +
    "not ending in '.' (letters and digits as Azure counts them: no characters outside the Basic Multilingual Plane)";
const resourceGroupName = z.string({ error: resourceGroupAllowed })
    .regex(RESOURCE_GROUP, { error: resourceGroupAllowed })
    .refine((value) => !OUTSIDE_BMP.test(value), { error: resourceGroupAllowed });

// A name in which `*` stands for any run of characters (common/resourceGroupPatterns.ts).
const patternAllowed = `${resourceGroupAllowed}; '*' stands for any run of characters, as in rg-*-prod`;
const resourceGroupPattern = z.string({ error: patternAllowed })
    .refine((value) => RESOURCE_GROUP.test(value.replaceAll("*", "x")) && !OUTSIDE_BMP.test(value), { error: patternAllowed });

const roleAssignmentSchema = z.strictObject(
    {
        resourceGroup: resourceGroupName,
        role: z.enum(ROLE_NAMES as [string, ...string[]], { error: roleAllowed }),
    },
    { error: "expected an entry with exactly the keys resourceGroup and role" },
);

const environmentSchema = z.strictObject(
    {
        subscriptionId: guid.optional(),
        production: z.boolean({ error: "expected true or false" }).default(false),
    },
    { error: "expected an entry with the keys subscriptionId and production, such as {subscriptionId: <GUID>, production: true}" },
);

const stackConfigSchema = z.strictObject({
    appName: nameSchema("the app's short name, such as inventory-api").optional(),
    environment: nameSchema("an environment name such as dev, test or prod").optional(),
    environments: z.record(nameSchema("an environment name such as dev, test or prod"), environmentSchema,
        { error: "expected a map of environment names to {subscriptionId, production}, such as {prod: {production: true}}" })
        .optional(),
    tenantId: guid,
    subscriptionId: guid.optional(),
    owners: z.array(ownerGuid, { error: "expected a list of object IDs (GUIDs) of users or service principals" })
        .default([]),
    production: z.boolean({ error: "expected true or false" }).optional(),
    secretLifetimeMonths: z
        .int({ error: lifetimeAllowed() })
        .min(SECRET_LIFETIME_MONTHS.min, { error: lifetimeAllowed() })
        .max(SECRET_LIFETIME_MONTHS.max, { error: lifetimeAllowed() })
        .default(SECRET_LIFETIME_MONTHS.default),
    secretRotationAnchor: z
        .string({ error: anchorAllowed() })
        .regex(ANCHOR, { error: anchorAllowed() })
        .optional(),
    roleAssignments: z
        .array(roleAssignmentSchema, { error: "expected a list of {resourceGroup, role} entries" })
        .min(1, { error: "expected at least one {resourceGroup, role} entry" }),
    developers: z
        .array(z.string({ error: developerAllowed() }).regex(DEVELOPER, { error: developerAllowed() }),
            { error: "expected a list of developers' short names" })
        .default([]),
    productionResourceGroups: z
        .array(resourceGroupPattern, { error: "expected a list of resource group names or patterns such as rg-*-prod" })
        .default([]),
    deployerObjectId: guidOf(DEPLOYER_ALLOWED).optional(),
    adopt: adoptionSchema({
        guid,
        resourceGroup: resourceGroupName,
        role: z.enum(ROLE_NAMES as [string, ...string[]], { error: roleAllowed }),
    }).optional(),
    managedIdentity: managedIdentitySchema(guidOf(MANAGED_IDENTITY_ALLOWED), resourceGroupName).optional(),
    appRegistration: z.boolean({ error: "expected true or false" }).optional(),
    credential: z.enum(CREDENTIALS as [Credential, ...Credential[]], { error: CREDENTIAL_ALLOWED }).default("secret"),
    developerCredentials: z.record(z.string(), z.enum(CREDENTIALS as [Credential, ...Credential[]], { error: CREDENTIAL_ALLOWED }),
        { error: "expected a map of developers' short names to secret or certificate, such as {alice: certificate}" })
        .default({}),
    certificateLifetimeMonths: z
        .int({ error: certificateLifetimeAllowed() })
        .min(CERTIFICATE_LIFETIME_MONTHS.min, { error: certificateLifetimeAllowed() })
        .max(CERTIFICATE_LIFETIME_MONTHS.max, { error: certificateLifetimeAllowed() })
        .default(CERTIFICATE_LIFETIME_MONTHS.default),
    keepSecretsUntilSwitched: z.boolean({ error: "expected true or false" }).default(false),
    federatedCredentials: z.array(federatedCredentialSchema,
        { error: "expected a list of {name, issuer, subject} entries" }).default([]),
    alerts: alertsSchema.default({}),
    allowedNetworks: allowedNetworksSchema.default([]),
    conditionalAccess: rolloutSchema.optional(),
});

function certificateLifetimeAllowed(): string {
    const { min, max } = CERTIFICATE_LIFETIME_MONTHS;
    return `expected a whole number of months from ${min} to ${max} (two staggered certificates need at least 2)`;
}

function developerAllowed(): string {
    return "expected a developer's short name: 2-32 lowercase letters, digits and '-', starting with a letter";
}

function lifetimeAllowed(): string {
    const { min, max } = SECRET_LIFETIME_MONTHS;
    return `expected a whole number of months from ${min} to ${max} (two staggered secrets need at least 2)`;
}

function anchorAllowed(): string {
    return "expected a date YYYY-MM-DD on day 1-28 of a month, so that every rotation falls on the same day";
}

/** A config problem the user can fix; thrown as a RunError so Pulumi prints the message and no stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(problems.join("\n"));
        this.name = "ConfigError";
    }
}

/**
 * The keys Pulumi.yaml types as integer, boolean or array, and the objects (`adopt`, `managedIdentity`,
 * `developerCredentials`), arrive as JSON text; the rest are plain strings.
 */
const JSON_KEYS = new Set([
    "environments", "owners", "production", "secretLifetimeMonths", "roleAssignments", "developers", "productionResourceGroups", "adopt",
    "managedIdentity", "appRegistration", "certificateLifetimeMonths", "developerCredentials", "keepSecretsUntilSwitched",
    "federatedCredentials", "alerts", "allowedNetworks",
]);

export interface ParseOptions {
    /** `"<project>:<key>"` → the key as the stack file writes it (`appName`, ...), for messages. */
    readonly keysAsWritten?: Readonly<Record<string, string>>;
    /** Keys whose value the stack file holds encrypted (`secure:`). */
    readonly secretKeys?: readonly string[];
}

/**
 * Parse the project's keys from Pulumi's flat config map (`"<project>:<key>": "<value as text>"`).
 * Keys of other namespaces (providers' config) are left alone.
 */
export function parseStackConfig(project: string, stack: string, flatConfig: Record<string, string>,
    options: ParseOptions = {}): StackConfig {
    const stackFile = `${STACK_CONFIG_DIR}/Pulumi.${stack}.yaml`;
    const prefix = `${project}:`;
    const raw: Record<string, unknown> = {};
    const secret = new Set(options.secretKeys ?? []);
    const secretProblems: string[] = [];
    const strayProblems: string[] = [];
    for (const [fullKey, text] of Object.entries(flatConfig)) {
        const namespace = fullKey.slice(0, fullKey.indexOf(":"));
        if (namespace !== project && !(PROVIDER_NAMESPACES as readonly string[]).includes(namespace)) {
            // The CLI hands the program every key, whatever its namespace (pulumi/pulumi sdk/go/common/workspace
            // loaders.go): a misspelt namespace would silently leave the key's default in force.
            strayProblems.push(`${stackFile}: ${options.keysAsWritten?.[fullKey] ?? fullKey} is in the namespace ` +
                `"${namespace}"; expected this project's (${project}:<key>) or a provider's ` +
                `(${PROVIDER_NAMESPACES.join(", ")}): the CLI would hand it to no one`);
            continue;
        }
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        if (secret.has(fullKey)) {
            // Nothing this program reads is a secret, and the offline plan cannot decrypt it: say so, rather than
            // judge the placeholder the plan sees.
            secretProblems.push(`${stackFile}: ${options.keysAsWritten?.[fullKey] ?? fullKey} is a secure value; ` +
                "expected a plain value: this key is not a secret, and an encrypted value hides it from review and the plan");
            continue;
        }
        raw[key] = JSON_KEYS.has(key) ? parseJsonOrKeep(text) : text;
    }
    if (strayProblems.length > 0 || secretProblems.length > 0) throw new ConfigError([...strayProblems, ...secretProblems]);

    const keyAsWritten = (key: PropertyKey) => options.keysAsWritten?.[`${prefix}${String(key)}`] ?? `${prefix}${String(key)}`;
    const about = (key: string, text: string) => `${stackFile}: ${keyAsWritten(key)} ${text}`;
    const describe = (path: readonly PropertyKey[], allowed: string): string => {
        const [top, ...rest] = path;
        const shown = `${keyAsWritten(top!)}${formatPath(rest, true)}`;
        const value = valueAt(raw, path);
        const seen = value === undefined ? "is missing" : `is ${JSON.stringify(value)}`;
        return `${stackFile}: ${shown} ${seen}; ${allowed}`;
    };

    // Caps first, on the raw lists: a huge stack file is refused before any per-entry work.
    const capProblems = sizeCaps(raw, about);
    if (capProblems.length > 0) throw new ConfigError(capProblems);

    const parsed = stackConfigSchema.safeParse(raw);
    if (!parsed.success) {
        throw new ConfigError(unique(
            parsed.error.issues.flatMap((issue) =>
                issue.code === "unrecognized_keys"
                    ? issue.keys.map((key) => describe([...issue.path, key], unknownKeyAllowed(issue.path)))
                    : [describe(issue.path, issue.path[0] === "secretRotationAnchor"
                        ? anchorMessage(raw["secretRotationAnchor"]) : issue.message)],
            ),
        ));
    }

    const problems: string[] = [];
    const { values, environment, appName } = resolveFromName(stack, parsed.data, keyAsWritten("environment"), describe, problems);
    const identities = Math.max(1, values.developers.length);
    if (values.roleAssignments.length * identities > MAX_ROLE_ASSIGNMENTS) {
        problems.push(about("roleAssignments", `holds ${values.roleAssignments.length} entries for each of ` +
            `${identities} developers, ${values.roleAssignments.length * identities} role assignments; expected at ` +
            `most ${MAX_ROLE_ASSIGNMENTS} in all, Azure's limit per subscription`));
    }
    const longest = displayNamesOf(appName, environment, values.developers)
        .reduce((a, b) => (b.length > a.length ? b : a));
    if (longest.length > MAX_DISPLAY_NAME_LENGTH) {
        problems.push(
            describe(["appName"], `expected a name that keeps the display name "${longest}" ` +
                `(${longest.length} characters) within ${MAX_DISPLAY_NAME_LENGTH} characters`),
        );
    }
    if (values.secretRotationAnchor !== undefined && Number.isNaN(Date.parse(values.secretRotationAnchor))) {
        problems.push(describe(["secretRotationAnchor"], anchorAllowed()));
    }
    problems.push(...duplicateAssignments(values.roleAssignments, describe));
    problems.push(...duplicateDevelopers(values.developers, describe));
    if (values.developers.length > 0 && values.production) {
        problems.push(describe(["production"], "expected false in a stack with developers: developers' identities " +
            "reach non-production resources only"));
    }
    problems.push(...crossEnvironmentAssignments(values, describe));
    problems.push(...adoptionProblems(values.adopt, values.roleAssignments, values.developers, describe));
    problems.push(...identityChoiceProblems(values, describe));
    for (const developer of Object.keys(values.developerCredentials)) {
        if (!values.developers.includes(developer)) {
            problems.push(describe(["developerCredentials", developer], "expected a developer listed in developers " +
                `(${values.developers.join(", ") || "none"})`));
        }
    }
    const signingIn = values.developers.length === 0 ? [undefined] : values.developers;
    if (values.keepSecretsUntilSwitched && !signingIn.some((developer) => credentialOf(values, developer) !== "secret")) {
        problems.push(describe(["keepSecretsUntilSwitched"], "expected it only with credential: certificate or federated " +
            "(or a developer's certificate in developerCredentials): it keeps the client secrets while servers move off them"));
    }
    problems.push(...federationProblems(values, describe, about));
    problems.push(...conditionalAccessProblems({ ...values, managedIdentityOnly: values.managedIdentity !== undefined &&
        values.appRegistration !== true }, describe, about));
    if (problems.length > 0) throw new ConfigError(unique(problems));

    return {
        stack,
        stackFile,
        appName,
        environment,
        tenantId: values.tenantId.toLowerCase(),
        subscriptionId: values.subscriptionId.toLowerCase(),
        owners: values.owners.map((owner) => owner.toLowerCase()),
        production: values.production,
        secretLifetimeMonths: values.secretLifetimeMonths,
        secretRotationAnchor:
            values.secretRotationAnchor === undefined ? undefined : new Date(`${values.secretRotationAnchor}T00:00:00Z`),
        roleAssignments: values.roleAssignments,
        developers: values.developers,
        productionResourceGroups: values.productionResourceGroups,
        deployerObjectId: values.deployerObjectId?.toLowerCase(),
        adopt: values.adopt,
        managedIdentity: values.managedIdentity === undefined ? undefined : toManagedIdentityConfig(values.managedIdentity),
        appRegistration: values.appRegistration ?? values.managedIdentity === undefined,
        credential: values.credential,
        developerCredentials: values.developerCredentials,
        certificateLifetimeMonths: values.certificateLifetimeMonths,
        keepSecretsUntilSwitched: values.keepSecretsUntilSwitched,
        federatedCredentials: values.federatedCredentials,
        alerts: alertsOf(values.alerts, appName),
        conditionalAccess: values.allowedNetworks.length === 0 ? undefined
            : { allowedNetworks: values.allowedNetworks, rollout: values.conditionalAccess ?? "reportOnly" },
        keysAsWritten: options.keysAsWritten ?? {},
    };
}

/** How one identity of the stack signs in: a developer's own choice, else the stack's. */
export function credentialOf(config: Pick<StackConfig, "credential" | "developerCredentials">, developer?: string): Credential {
    return (developer === undefined ? undefined : config.developerCredentials[developer]) ?? config.credential;
}

/** The key as the stack file writes it (`appName`, `app-identity:config:appName`), or `<project>:<key>`. */
export function writtenKeyOf(config: Pick<StackConfig, "keysAsWritten">, project: string, key: string): string {
    return config.keysAsWritten[`${project}:${key}`] ?? `${project}:${key}`;
}

/**
 * The keys as the stack file writes them, for `loadStackConfig`: the language host hands the program keys already
 * normalised (`app-identity:appName`), so only a caller that read the file itself (the offline plan) knows them.
 * Set around one evaluation, as the clock is (infra/clock.ts); returns what was set before.
 */
let keysAsWrittenForLoad: Readonly<Record<string, string>> | undefined;
export function setKeysAsWritten(keys: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
    const previous = keysAsWrittenForLoad;
    keysAsWrittenForLoad = keys;
    return previous;
}

/** Read this stack's config from the Pulumi runtime (the engine, or the mocks in tests and the offline plan). */
export function loadStackConfig(): StackConfig {
    const config = pulumi.runtime.allConfig();
    // isConfigSecret is the SDK's own (@pulumi/pulumi runtime/config.js, marked @internal, so not in its typings):
    // it reads the secret keys the language host (or setAllConfig) passed along.
    const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    const secretKeys = isConfigSecret === undefined ? [] : Object.keys(config).filter((key) => isConfigSecret(key));
    return parseStackConfig(pulumi.getProject(), pulumi.getStack(), config,
        { secretKeys, ...(keysAsWrittenForLoad === undefined ? {} : { keysAsWritten: keysAsWrittenForLoad }) });
}

/**
 * Across the project's stacks: two identities of the same name in one tenant stop the second stack's deploy
 * (terraform-provider-azuread internal/services/applications/applications.go applicationFindByName, an exact
 * displayName match, with preventDuplicateNames), and the stacks of one subscription share its 4,000 role
 * assignments. One line per clash, naming the later stack file.
 */
export function projectProblems(stacks: readonly StackConfig[]): string[] {
    const problems: string[] = [];
    const named = new Map<string, StackConfig>();
    const assignments = new Map<string, number>();
    const namedLocations = new Map<string, number>();
    for (const config of stacks) {
        if (config.conditionalAccess !== undefined) {
            const count = (namedLocations.get(config.tenantId) ?? 0) + 1;
            namedLocations.set(config.tenantId, count);
            if (count === MAX_NAMED_LOCATIONS + 1) {
                problems.push(`${config.stackFile}: allowedNetworks makes the ${count}th named location of tenant ` +
                    `${config.tenantId} across the project's stacks; expected at most ${MAX_NAMED_LOCATIONS}, Entra's limit ` +
                    "per tenant (the tenant's other named locations count too)");
            }
        }
        for (const name of displayNamesOf(config.appName, config.environment, config.developers)) {
            const key = `${config.tenantId}\n${name}`;
            const first = named.get(key);
            if (first === undefined) {
                named.set(key, config);
            } else {
                problems.push(`${config.stackFile}: the identity ${JSON.stringify(name)} is also ${first.stackFile}'s, ` +
                    `in the same tenant ${config.tenantId}; expected display names unique across the project's stacks: ` +
                    "the provider's duplicate-name check stops the second stack's deploy (set environment or appName apart)");
            }
        }
        const count = (assignments.get(config.subscriptionId) ?? 0) +
            config.roleAssignments.length * Math.max(1, config.developers.length);
        assignments.set(config.subscriptionId, count);
        if (count > MAX_ROLE_ASSIGNMENTS && count - config.roleAssignments.length * Math.max(1, config.developers.length) <= MAX_ROLE_ASSIGNMENTS) {
            problems.push(`${config.stackFile}: roleAssignments brings the stacks of subscription ` +
                `${config.subscriptionId} to ${count} role assignments; expected at most ${MAX_ROLE_ASSIGNMENTS} in all, ` +
                "Azure's limit per subscription (the subscription's other role assignments count too)");
        }
    }
    return problems;
}

export function displayNameOf(appName: string, environment: string, developer?: string): string {
    return developer === undefined ? `${appName}-${environment}` : `${appName}-${environment}-${developer}`;
}

/** The display names of the stack's identities: one per developer, or the environment's one. */
export function displayNamesOf(appName: string, environment: string, developers: readonly string[]): string[] {
    return developers.length === 0
        ? [displayNameOf(appName, environment)]
        : developers.map((developer) => displayNameOf(appName, environment, developer));
}

type Describe = (path: readonly PropertyKey[], allowed: string) => string;
type ParsedValues = z.infer<typeof stackConfigSchema>;
type ResolvedValues = Omit<ParsedValues, "production" | "subscriptionId"> & { production: boolean; subscriptionId: string };

/**
 * The app, the environment, its subscription and whether it is production: from the stack's own keys where it
 * sets them, else from its name (`<app>-<environment>`, common/stackNames.ts) and the tenant's `environments`
 * (Pulumi.yaml). A key the stack sets must agree with what its name and environment say.
 */
function resolveFromName(stack: string, values: ParsedValues, environmentKey: string, describe: Describe, problems: string[]):
    { values: ResolvedValues; environment: string; appName: string } {
    const environments = values.environments;
    const stackFile = `${STACK_CONFIG_DIR}/Pulumi.${stack}.yaml`;
    const known = environments === undefined ? undefined : Object.keys(environments).sort();
    const fromName = known === undefined ? undefined : splitStackName(stack, known);
    const environment = values.environment ?? fromName?.environment ?? stack;
    const listed = known?.join(", ");
    if (known === undefined) {
        if (values.environment === undefined && !NAME.test(stack)) {
            problems.push(`${stackFile}: ${environmentKey} is missing, ` +
                `so the stack name ${JSON.stringify(stack)} is the environment; expected an environment name such as dev, ` +
                "test or prod: lowercase letters, digits and '-', starting and ending with a letter or digit (set " +
                "environment, or rename the stack)");
        }
    } else if (values.environment !== undefined && !known.includes(values.environment)) {
        problems.push(describe(["environment"], `expected one of the tenant's environments: ${listed} (Pulumi.yaml's ` +
            "environments), or a new one added there"));
    } else if (values.environment !== undefined && fromName !== undefined && fromName.environment !== values.environment) {
        problems.push(describe(["environment"], `expected ${fromName.environment}, the environment the stack's name ` +
            "carries, or no value"));
    } else if (values.environment === undefined && fromName === undefined) {
        problems.push(`${stackFile}: the stack name ${JSON.stringify(stack)} carries none of the tenant's environments ` +
            `(${listed}: Pulumi.yaml's environments); expected a stack named <app>-<environment>, such as ` +
            `inventory-api-${known.includes("dev") ? "dev" : known[0] ?? "dev"}, or an environment added there`);
    }
    if (values.appName !== undefined && fromName?.app !== undefined && values.appName !== fromName.app) {
        problems.push(describe(["appName"], `expected ${fromName.app}, the app the stack's name carries, or no value`));
    }
    const appName = values.appName ?? fromName?.app;
    if (appName === undefined) {
        problems.push(describe(["appName"], "expected the app's short name, such as inventory-api, or a stack named " +
            "<app>-<environment>, such as inventory-api-dev"));
    } else if (!NAME.test(appName)) {
        problems.push(`${stackFile}: the app ${JSON.stringify(appName)} the stack's name carries is not an app's short ` +
            "name; expected lowercase letters, digits and '-', starting and ending with a letter or digit");
    }
    const shared = environments?.[environment];
    const subscriptionId = values.subscriptionId ?? shared?.subscriptionId;
    if (subscriptionId === undefined) {
        problems.push(describe(["subscriptionId"], `expected a GUID: the subscription of the environment ${environment}, ` +
            `set once in Pulumi.yaml's environments.${environment}.subscriptionId, or in this stack file for it alone`));
    }
    if (values.production !== undefined && shared !== undefined && values.production !== shared.production) {
        problems.push(describe(["production"], `expected ${String(shared.production)} or no value: Pulumi.yaml's ` +
            `environments.${environment}.production says whether the environment ${environment} is production`));
    }
    return {
        values: { ...values, subscriptionId: subscriptionId ?? "", production: shared?.production ?? values.production ?? false },
        environment,
        appName: appName ?? stack,
    };
}

/**
 * An identity's roles stay inside its own environment: a production stack's only on production resource groups,
 * any other stack's (developers' included) on none of them.
 */
function crossEnvironmentAssignments(
    values: { production: boolean; roleAssignments: readonly RoleAssignmentConfig[]; productionResourceGroups: readonly string[] },
    describe: Describe,
): string[] {
    const isProductionGroup = resourceGroupMatcher(values.productionResourceGroups);
    return values.roleAssignments.flatMap(({ resourceGroup }, index) => {
        const isProduction = isProductionGroup(resourceGroup);
        if (values.production && !isProduction) {
            return [describe(["roleAssignments", index, "resourceGroup"], "expected a production resource group " +
                "(named by productionResourceGroups, Pulumi.yaml): a production identity holds roles in production only")];
        }
        if (!values.production && isProduction) {
            return [describe(["roleAssignments", index, "resourceGroup"], "expected a non-production resource group: " +
                "productionResourceGroups (Pulumi.yaml) names it, and this stack is not production")];
        }
        return [];
    });
}

/**
 * A managed identity replaces the app registration, or stands beside it while servers move to it
 * (appRegistration: true); a stack without either has no identity, and developers' laptops have no managed identity.
 */
/** credential federated and federatedCredentials go together, for an environment's identity. */
function federationProblems(values: z.infer<typeof stackConfigSchema>, describe: Describe,
    about: (key: string, text: string) => string): string[] {
    const federated = values.credential === "federated";
    if (values.developers.length > 0 && (federated || Object.values(values.developerCredentials).includes("federated"))) {
        const key = federated ? ["credential"] : ["developerCredentials"];
        return [describe(key, "expected secret or certificate in a stack with developers: federation trusts a server's " +
            "workload, and developers sign in from their own machines")];
    }
    if (federated && values.federatedCredentials.length === 0) {
        return [describe(["federatedCredentials"], "expected at least one {name, issuer, subject} entry with credential: " +
            "federated: the issuers and subjects the app trusts")];
    }
    if (!federated && values.federatedCredentials.length > 0) {
        return [about("federatedCredentials", `is set, but credential is ${JSON.stringify(values.credential)}; expected ` +
            "credential: federated with it, so that the stack says how its servers sign in")];
    }
    return federatedCredentialProblems(values.federatedCredentials, describe, about);
}

function identityChoiceProblems(
    values: z.infer<typeof stackConfigSchema>,
    describe: Describe,
): string[] {
    const problems: string[] = [];
    if (values.managedIdentity === undefined) {
        if (values.appRegistration === false) {
            problems.push(describe(["appRegistration"], "expected true or no value without managedIdentity: " +
                "the stack would have no identity at all"));
        }
        return problems;
    }
    problems.push(...managedIdentityProblems(values.managedIdentity, describe));
    if (values.developers.length > 0) {
        problems.push(describe(["managedIdentity"], "expected no managedIdentity in a stack with developers: " +
            "each developer's workstation gets an app identity of its own"));
    }
    if (values.adopt !== undefined && values.appRegistration !== true) {
        problems.push(describe(["adopt"], "expected no adopt in a stack whose app runs under managedIdentity alone: " +
            "there is no app registration to import (set appRegistration: true while servers still use the adopted app)"));
    }
    return problems;
}

function duplicateDevelopers(developers: readonly string[], describe: Describe): string[] {
    return developers.flatMap((developer, index) => {
        const first = developers.indexOf(developer);
        return first === index ? [] : [describe(["developers", index],
            `expected each developer once; developers[${first}] already names ${developer}`)];
    });
}

function duplicateAssignments(assignments: readonly RoleAssignmentConfig[], describe: Describe): string[] {
    const firstIndex = new Map<string, number>();
    const problems: string[] = [];
    assignments.forEach((assignment, index) => {
        // Azure compares resource group names without regard to case.
        const key = `${assignment.resourceGroup.toLowerCase()}\n${assignment.role}`;
        const first = firstIndex.get(key);
        if (first === undefined) {
            firstIndex.set(key, index);
        } else {
            problems.push(describe(["roleAssignments", index],
                `expected each (resourceGroup, role) pair once; roleAssignments[${first}] already grants it`));
        }
    });
    return problems;
}

function unknownKeyAllowed(path: readonly PropertyKey[]): string {
    if (path[0] === "adopt") return adoptionKeysAllowed(path);
    if (path[0] === "managedIdentity") return `expected one of the keys: ${Object.keys(stackConfigSchema.shape.managedIdentity.unwrap().shape).join(", ")}`;
    if (path[0] === "alerts") return alertsKeysAllowed(path);
    if (path[0] === "federatedCredentials") return `expected one of the keys: ${Object.keys(federatedCredentialSchema.shape).join(", ")}`;
    const shape = path.length === 0 ? stackConfigSchema.shape : roleAssignmentSchema.shape;
    return `expected one of the keys: ${Object.keys(shape).join(", ")}`;
}

/** Azure's and Entra's limits that a list's length alone can break, checked before any entry is. */
function sizeCaps(raw: Record<string, unknown>, about: (key: string, text: string) => string): string[] {
    const problems: string[] = [];
    const length = (key: string) => (Array.isArray(raw[key]) ? (raw[key] as unknown[]).length : 0);
    const cap = (key: string, max: number, why: string) => {
        if (length(key) > max) {
            problems.push(about(key, `holds ${length(key)} entries; expected at most ${max}: ${why}`));
        }
    };
    cap("owners", MAX_OWNERS, "Entra allows 100 owners per application, and the deploying identity is one");
    cap("roleAssignments", MAX_ROLE_ASSIGNMENTS, "Azure allows 4000 role assignments per subscription");
    cap("allowedNetworks", MAX_ALLOWED_NETWORKS, "Entra allows 2000 IP ranges in a named location");
    cap("developers", MAX_ROLE_ASSIGNMENTS, "each developer's identity holds at least one of the subscription's " +
        "4000 role assignments");
    return problems;
}

/** An unquoted date reaches the program as Go's time text (see tools/stacks/stackFiles.ts): say to quote it. */
function anchorMessage(value: unknown): string {
    const goTime = typeof value === "string" ? /^(\d{4}-\d{2}-\d{2}) 00:00:00 \+0000 UTC$/.exec(value) : null;
    return goTime === null ? anchorAllowed()
        : `${anchorAllowed()}; write it in quotes ("${goTime[1]}"): unquoted, YAML reads a date and the CLI hands the program Go's time text`;
}

function unique(lines: readonly string[]): string[] {
    return [...new Set(lines)];
}

function parseJsonOrKeep(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function formatPath(path: readonly PropertyKey[], nested = false): string {
    return path.map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 && !nested ? "" : "."}${String(part)}`)).join("");
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let value = root;
    for (const part of path) {
        if (value === null || typeof value !== "object") return undefined;
        value = (value as Record<PropertyKey, unknown>)[part];
    }
    return value;
}

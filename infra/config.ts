/**
 * The stack's config, read once into a typed object. Every problem is reported before any resource is
 * registered, one line each, naming the stack file, the key, the value seen and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ROLE_NAMES } from "./roles";

export interface RoleAssignmentConfig {
    readonly resourceGroup: string;
    readonly role: string;
}

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
}

export const STACK_CONFIG_DIR = "stacks";
export const MAX_DISPLAY_NAME_LENGTH = 120;
export const SECRET_LIFETIME_MONTHS = { min: 2, max: 24, default: 24 } as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GUID_ALLOWED = "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47";
const NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// Azure's rule for resource group names: 1-90 letters, digits, '.', '_', '-', '(' or ')', not ending in '.'.
const RESOURCE_GROUP = /^[\p{L}\p{N}._\-()]{0,89}[\p{L}\p{N}_\-()]$/u;
const DEVELOPER = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const ANCHOR = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])$/;

const guid = z.string({ error: GUID_ALLOWED }).regex(GUID, { error: GUID_ALLOWED });
const nameSchema = (what: string) => {
    const allowed = `expected ${what}: lowercase letters, digits and '-', starting and ending with a letter or digit`;
    return z.string({ error: allowed }).regex(NAME, { error: allowed });
};
const roleAllowed = `expected one of: ${ROLE_NAMES.join(", ")}`;
const resourceGroupAllowed =
    "expected a resource group name of 1-90 letters, digits, '.', '_', '-', '(' or ')', not ending in '.'";

const roleAssignmentSchema = z.strictObject(
    {
        resourceGroup: z.string({ error: resourceGroupAllowed }).regex(RESOURCE_GROUP, { error: resourceGroupAllowed }),
        role: z.enum(ROLE_NAMES as [string, ...string[]], { error: roleAllowed }),
    },
    { error: "expected an entry with exactly the keys resourceGroup and role" },
);

const stackConfigSchema = z.strictObject({
    appName: nameSchema("the app's short name, such as inventory-api"),
    environment: nameSchema("an environment name such as dev, test or prod").optional(),
    tenantId: guid,
    subscriptionId: guid,
    owners: z.array(guid, { error: "expected a list of object IDs (GUIDs)" }).default([]),
    production: z.boolean({ error: "expected true or false" }).default(false),
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
        .array(z.string({ error: resourceGroupAllowed }).regex(RESOURCE_GROUP, { error: resourceGroupAllowed }),
            { error: "expected a list of resource group names" })
        .default([]),
});

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

/** The keys Pulumi.yaml types as integer, boolean or array arrive as JSON text; the rest are plain strings. */
const JSON_KEYS = new Set([
    "owners", "production", "secretLifetimeMonths", "roleAssignments", "developers", "productionResourceGroups",
]);

/**
 * Parse the project's keys from Pulumi's flat config map (`"<project>:<key>": "<value as text>"`).
 * Keys of other namespaces (providers' config) are left alone.
 */
export function parseStackConfig(project: string, stack: string, flatConfig: Record<string, string>): StackConfig {
    const stackFile = `${STACK_CONFIG_DIR}/Pulumi.${stack}.yaml`;
    const prefix = `${project}:`;
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(flatConfig)) {
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        raw[key] = JSON_KEYS.has(key) ? parseJsonOrKeep(text) : text;
    }

    const describe = (path: readonly PropertyKey[], allowed: string): string => {
        const shown = `${prefix}${formatPath(path)}`;
        const value = valueAt(raw, path);
        const seen = value === undefined ? "is missing" : `is ${JSON.stringify(value)}`;
        return `${stackFile}: ${shown} ${seen}; ${allowed}`;
    };

    const parsed = stackConfigSchema.safeParse(raw);
    if (!parsed.success) {
        throw new ConfigError(
            parsed.error.issues.flatMap((issue) =>
                issue.code === "unrecognized_keys"
                    ? issue.keys.map((key) => describe([...issue.path, key], unknownKeyAllowed(issue.path)))
                    : [describe(issue.path, issue.message)],
            ),
        );
    }

    const values = parsed.data;
    const environment = values.environment ?? stack;
    const problems: string[] = [];
    const longest = displayNamesOf(values.appName, environment, values.developers)
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
    if (problems.length > 0) throw new ConfigError(problems);

    return {
        stack,
        stackFile,
        appName: values.appName,
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
    };
}

/** Read this stack's config from the Pulumi runtime (the engine, or the mocks in tests and the offline plan). */
export function loadStackConfig(): StackConfig {
    return parseStackConfig(pulumi.getProject(), pulumi.getStack(), pulumi.runtime.allConfig());
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

/**
 * An identity's roles stay inside its own environment: a production stack's only on production resource groups,
 * any other stack's (developers' included) on none of them.
 */
function crossEnvironmentAssignments(
    values: { production: boolean; roleAssignments: readonly RoleAssignmentConfig[]; productionResourceGroups: readonly string[] },
    describe: Describe,
): string[] {
    const production = new Set(values.productionResourceGroups.map((group) => group.toLowerCase()));
    return values.roleAssignments.flatMap(({ resourceGroup }, index) => {
        const isProduction = production.has(resourceGroup.toLowerCase());
        if (values.production && !isProduction) {
            return [describe(["roleAssignments", index, "resourceGroup"], "expected a production resource group " +
                "(listed in productionResourceGroups, Pulumi.yaml): a production identity holds roles in production only")];
        }
        if (!values.production && isProduction) {
            return [describe(["roleAssignments", index, "resourceGroup"], "expected a non-production resource group: " +
                "it is listed in productionResourceGroups (Pulumi.yaml), and this stack is not production")];
        }
        return [];
    });
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
    const shape = path.length === 0 ? stackConfigSchema.shape : roleAssignmentSchema.shape;
    return `expected one of the keys: ${Object.keys(shape).join(", ")}`;
}

function parseJsonOrKeep(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function formatPath(path: readonly PropertyKey[]): string {
    return path.map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`)).join("");
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let value = root;
    for (const part of path) {
        if (value === null || typeof value !== "object") return undefined;
        value = (value as Record<PropertyKey, unknown>)[part];
    }
    return value;
}

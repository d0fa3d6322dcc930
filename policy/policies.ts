/**
 * The guardrails: what a reviewer would refuse in a change to an app identity, refused before it reaches Azure.
 *
 * Policies in a module of their own (constructing the PolicyPack starts a server), so that the pack
 * (policy/index.ts), the offline plan and the tests all call these same functions.
 *
 * Environments: a stack is production when the environment its name carries (`<app>-<environment>`, or the
 * environment alone: common/stackNames.ts, as the program reads it) is in `productionEnvironments`; production
 * resource groups are those `productionResourceGroups` names or matches (common/resourceGroupPatterns.ts). All three
 * come from the pack's config (policy/config.json, which a test keeps equal to Pulumi.yaml's environments and
 * productionResourceGroups), not from the stack's config: the pack judges a stack by its name, which the stack's own
 * settings cannot change. Onboarding an app that follows the tenant's naming edits none of them.
 */
import type { PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { currentTime } from "../infra/clock";
import { toRfc3339 } from "../infra/months";
import { BUILT_IN_ROLES, STORAGE_BLOB_ROLES } from "../common/builtInRoles";
import { resourceGroupMatcher } from "../common/resourceGroupPatterns";
import { splitStackName } from "../common/stackNames";
import { CERTIFICATE_POLICIES } from "./certificatePolicies";
import { FEDERATED_POLICIES } from "./federatedPolicies";
import { CONDITIONAL_ACCESS_POLICIES } from "./conditionalAccessPolicies";

export const TYPES = {
    application: "azuread:index/application:Application",
    servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
    password: "azuread:index/applicationPassword:ApplicationPassword",
    roleAssignment: "azure-native:authorization:RoleAssignment",
} as const;

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const RESOURCE_GROUP_SCOPE = new RegExp(`^/subscriptions/${GUID}/resourceGroups/([^/]+)$`, "i");
const ROLE_DEFINITION = new RegExp(`^/subscriptions/${GUID}/providers/Microsoft\\.Authorization/roleDefinitions/(${GUID})$`, "i");

const environmentSchema: PolicyConfigSchema["properties"] = {
    environments: { type: "array", items: { type: "string" }, default: ["dev", "local", "prod", "test"] },
    productionEnvironments: { type: "array", items: { type: "string" }, default: ["prod"] },
    productionResourceGroups: { type: "array", items: { type: "string" }, default: ["rg-*-prod", "rg-*-prod-*"] },
};

interface EnvironmentConfig {
    readonly environments: string[];
    readonly productionEnvironments: string[];
    readonly productionResourceGroups: string[];
}

/** Whether the stack a resource belongs to is production, by the environment its name carries. */
function isProductionStack(stack: string, config: Omit<EnvironmentConfig, "productionResourceGroups">): boolean {
    return config.productionEnvironments.includes(splitStackName(stack, config.environments)?.environment ?? stack);
}

/** A built-in role's name with its ID, or the ID alone for a role this project does not know. */
function roleName(id: string): string {
    const role = BUILT_IN_ROLES.find((candidate) => candidate.id === id);
    return role === undefined ? id : `${role.name} (${id})`;
}

/** The stack a resource belongs to, from its URN (`urn:pulumi:<stack>::<project>::...`). */
export function stackOf(urn: string): string {
    return urn.split("::")[0]!.replace(/^urn:pulumi:/, "");
}

function forType(type: string, check: (args: ResourceValidationArgs, report: ReportViolation) => void) {
    return (args: ResourceValidationArgs, report: ReportViolation): void => {
        if (args.type === type) check(args, report);
    };
}

export const resourceGroupScope: ResourceValidationPolicy = {
    name: "role-assignment-resource-group-scope",
    description: "Role assignments are made at resource-group scope only: not on a subscription, a management group, " +
        "the root or a single resource.",
    remediationSteps: "Set the assignment's scope to /subscriptions/<subscription>/resourceGroups/<resource group>; " +
        "in this project, list the resource group under roleAssignments in the stack's config.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.roleAssignment, (args, report) => {
        const scope: unknown = args.props["scope"];
        if (typeof scope !== "string" || !RESOURCE_GROUP_SCOPE.test(scope)) {
            report(`scope ${JSON.stringify(scope ?? null)} is not a resource group; assign roles at ` +
                "/subscriptions/<subscription>/resourceGroups/<resource group> only");
        }
    }),
};

export const allowedRoles: ResourceValidationPolicy = {
    name: "role-assignment-allowed-roles",
    description: "Role assignments grant only allowlisted roles: by default the Storage Blob data roles, never " +
        "Owner, Contributor or another role that reaches account keys.",
    remediationSteps: "Grant the narrowest Storage Blob role that serves the app (Storage Blob Data Reader to read, " +
        "Storage Blob Data Contributor to write), or add the role's ID to allowedRoleDefinitionIds after review.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedRoleDefinitionIds: {
                type: "array", items: { type: "string" }, default: STORAGE_BLOB_ROLES.map((role) => role.id),
            },
        },
    },
    validateResource: forType(TYPES.roleAssignment, (args, report) => {
        const { allowedRoleDefinitionIds } = args.getConfig<{ allowedRoleDefinitionIds: string[] }>();
        const definition: unknown = args.props["roleDefinitionId"];
        const roleId = typeof definition === "string" ? ROLE_DEFINITION.exec(definition)?.[1]?.toLowerCase() : undefined;
        const allowed = allowedRoleDefinitionIds.map((id) => id.toLowerCase());
        if (roleId === undefined || !allowed.includes(roleId)) {
            const shown = roleId === undefined ? JSON.stringify(definition ?? null) : roleName(roleId);
            report(`role ${shown} is not allowed; allowed: ${allowed.map(roleName).join(", ")}`);
        }
    }),
};

export const servicePrincipalOnly: ResourceValidationPolicy = {
    name: "role-assignment-service-principal",
    description: "Role assignments name their principal type ServicePrincipal: app identities are service " +
        "principals, and without it Azure answers UnmatchedPrincipalType or PrincipalNotFound.",
    remediationSteps: "Set principalType: \"ServicePrincipal\" on the role assignment.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.roleAssignment, (args, report) => {
        const principalType: unknown = args.props["principalType"];
        if (principalType !== "ServicePrincipal") {
            report(`principalType is ${JSON.stringify(principalType ?? null)}; expected "ServicePrincipal"`);
        }
    }),
};

export const secretEndDate: ResourceValidationPolicy = {
    name: "client-secret-explicit-end-date",
    description: "Client secrets have an explicit RFC 3339 endDate, no endDateRelative (deprecated, and dropped " +
        "upstream so that Graph applies its own default), and a lifetime within the configured maximum.",
    remediationSteps: "Set endDate from the project's secret schedule (secretLifetimeMonths, at most the " +
        "maximum) and remove endDateRelative.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { maxLifetimeMonths: { type: "integer", minimum: 1, maximum: 24, default: 24 } } },
    validateResource: forType(TYPES.password, (args, report) => {
        const { maxLifetimeMonths } = args.getConfig<{ maxLifetimeMonths: number }>();
        const endDate: unknown = args.props["endDate"];
        if (args.props["endDateRelative"] !== undefined) {
            report("endDateRelative is set; use an explicit endDate instead");
        }
        if (typeof endDate !== "string" || Number.isNaN(Date.parse(endDate))) {
            report(`endDate is ${JSON.stringify(endDate ?? null)}; expected an RFC 3339 date`);
            return;
        }
        // Without a startDate a secret starts when it is created (terraform-provider-azuread
        // docs/resources/application_password.md: "If this isn't specified, the current date is used"), so its
        // lifetime runs from now. Now is the project's one clock (infra/clock.ts): the wall clock in the pack, which
        // the CLI runs as the secret is created; the plan's date in the offline checker, so that a plan of a future
        // day judges a secret made that day as of that day.
        const startText: unknown = args.props["startDate"];
        const now = currentTime();
        const start = typeof startText === "string" ? new Date(startText) : now;
        const latest = new Date(start.getTime());
        latest.setUTCMonth(latest.getUTCMonth() + maxLifetimeMonths);
        if (new Date(endDate).getTime() > latest.getTime()) {
            report(`endDate ${endDate} is more than ${maxLifetimeMonths} months after ` +
                `${typeof startText === "string" ? `startDate ${startText}` : `now (${toRfc3339(now)})`}`);
        }
    }),
};

export const singleTenant: ResourceValidationPolicy = {
    name: "application-single-tenant",
    description: "App registrations are single tenant (AzureADMyOrg): accounts in this organizational directory only.",
    remediationSteps: "Set signInAudience: \"AzureADMyOrg\" on the application.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.application, (args, report) => {
        const audience: unknown = args.props["signInAudience"];
        if (audience !== "AzureADMyOrg") {
            report(`signInAudience is ${JSON.stringify(audience ?? null)}; expected "AzureADMyOrg"`);
        }
    }),
};

export const sameEnvironment: ResourceValidationPolicy = {
    name: "role-assignment-same-environment",
    description: "An identity's role assignments stay in its own environment: a production stack's identities hold " +
        "roles on production resource groups only, any other stack's on none of them.",
    remediationSteps: "Move the resource group to the stack of its environment, or correct environments, " +
        "productionEnvironments and productionResourceGroups in the pack's config (policy/config.json).",
    enforcementLevel: "mandatory",
    configSchema: { properties: environmentSchema },
    validateResource: forType(TYPES.roleAssignment, (args, report) => {
        const config = args.getConfig<EnvironmentConfig>();
        const scope: unknown = args.props["scope"];
        const group = typeof scope === "string" ? RESOURCE_GROUP_SCOPE.exec(scope)?.[1] : undefined;
        if (group === undefined) return; // not a resource group: role-assignment-resource-group-scope says so
        const stack = stackOf(args.urn);
        const productionStack = isProductionStack(stack, config);
        const productionGroup = resourceGroupMatcher(config.productionResourceGroups)(group);
        if (productionStack && !productionGroup) {
            report(`stack ${stack} is production, but resource group ${group} is not a production resource group`);
        } else if (!productionStack && productionGroup) {
            report(`stack ${stack} is not production, but resource group ${group} is a production resource group`);
        }
    }),
};

/**
 * What a production stack protects: the resources whose deletion is the accident to prevent. Not the client secrets,
 * whose replacement is the design: the engine refuses to replace a resource protected in both the old and the new
 * state (pulumi/pulumi pkg/resource/deploy/step_generator.go), so a protected secret would stop its rotation.
 */
export const PROTECTED_IN_PRODUCTION: readonly string[] = [TYPES.application, TYPES.servicePrincipal, TYPES.roleAssignment];

export const productionProtected: ResourceValidationPolicy = {
    name: "production-resources-protected",
    description: "A production stack's app registrations, service principals and role assignments are protected, so " +
        "that no update or destroy deletes them by accident. Client secrets are never protected, in any stack: a " +
        "rotation replaces them, and the engine refuses to replace a protected resource.",
    remediationSteps: "Mark the stack's environment production in Pulumi.yaml (environments.<name>.production), which " +
        "protects the app, the service principal and the role assignments; leave client secrets unprotected " +
        "(`pulumi state unprotect` one that is).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: { environments: environmentSchema["environments"]!, productionEnvironments: environmentSchema["productionEnvironments"]! },
    },
    validateResource: (args, report) => {
        if (args.type === TYPES.password) {
            if (args.opts.protect) {
                report("this client secret is protected; a rotation replaces it, and the engine refuses to replace " +
                    "a protected resource: leave client secrets unprotected");
            }
            return;
        }
        // Components, providers and the stack itself hold nothing in Azure: whether they are protected is not judged.
        if (!PROTECTED_IN_PRODUCTION.includes(args.type)) return;
        if (isProductionStack(stackOf(args.urn), args.getConfig<EnvironmentConfig>()) && !args.opts.protect) {
            report(`stack ${stackOf(args.urn)} is production, but this resource is not protected`);
        }
    },
};

export const POLICIES: readonly ResourceValidationPolicy[] = [
    resourceGroupScope, allowedRoles, servicePrincipalOnly, secretEndDate, singleTenant, sameEnvironment,
    productionProtected, ...CERTIFICATE_POLICIES, ...FEDERATED_POLICIES, ...CONDITIONAL_ACCESS_POLICIES,
];

/**
 * A managed identity in place of an app registration: the platform (the Azure Arc agent, App Service, Azure itself
 * for a user-assigned identity) holds the credential, so the stack creates no app, service principal or secret and
 * only grants the Storage Blob roles to the identity's principal.
 *
 * The principal is found from the resource it belongs to through azure-native's own invokes (pulumi-azure-native
 * 3.28.0, @pulumi/azure-native hybridcompute/getMachine, web/getWebApp, managedidentity/getUserAssignedIdentity),
 * which read the resource in the subscription the azure-native provider is configured with; or it is given as an
 * object ID (the service principal's, Entra's "Object (principal) ID" of the managed identity).
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as hybridcompute from "@pulumi/azure-native/hybridcompute";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as web from "@pulumi/azure-native/web";
import { z } from "zod";
import { resourceGroupScope, roleAssignmentName, roleDefinitionId } from "./azureIds";
import type { GrantedRole, RoleAssignmentConfig } from "./grants";
import { roleAssignmentLogicalName } from "./names";
import { RegistrationPace } from "./pace";
import { findRole } from "../common/builtInRoles";

/** The kinds a stack file names, and the Azure resource type each one reads its principal from. */
export const MANAGED_IDENTITY_KINDS = {
    arcMachine: "Microsoft.HybridCompute/machines",
    webApp: "Microsoft.Web/sites",
    userAssigned: "Microsoft.ManagedIdentity/userAssignedIdentities",
    objectId: "",
} as const;
export type ManagedIdentityKind = keyof typeof MANAGED_IDENTITY_KINDS;

export type ManagedIdentityConfig =
    | { readonly kind: Exclude<ManagedIdentityKind, "objectId">; readonly resourceGroup: string; readonly name: string }
    | { readonly kind: "objectId"; readonly objectId: string };

/** What a stack exports about the identity, in place of a client ID and secrets. */
export interface ManagedIdentityOutputs {
    readonly kind: ManagedIdentityKind;
    /** The Azure resource the identity belongs to; absent for an identity given by object ID. */
    readonly resourceId?: string;
    readonly principalId: string;
    /**
     * A user-assigned identity's client ID, which the app must name (AZURE_CLIENT_ID): without it azure-identity
     * asks the host for its system-assigned identity (azure/identity/_credentials/default.py, managed_identity_client_id
     * "If not specified, a system-assigned identity will be used"), and IMDS answers with that one or refuses. The
     * other kinds are their resource's only identity.
     */
    readonly clientId?: string;
    readonly roleAssignments: readonly GrantedRole[];
    /** Said plainly, for people and for `npm run expiry`: nothing here expires or rotates. */
    readonly credential: string;
}

export const NO_CREDENTIAL = "none: the platform holds the managed identity's credential; nothing to expire or rotate";

const KIND_ALLOWED = `expected one of: ${Object.keys(MANAGED_IDENTITY_KINDS).join(", ")}`;
const ENTRY_ALLOWED = "expected {kind: arcMachine|webApp|userAssigned, resourceGroup, name} or {kind: objectId, objectId}";

/**
 * The config key's shape. Built by config.ts (which owns the GUID and resource-group rules) so that the messages
 * keep its style; the combinations of keys per kind are checked in `managedIdentityProblems`.
 */
export function managedIdentitySchema(guid: z.ZodType<string>, resourceGroup: z.ZodType<string>) {
    const name = "expected the resource's name: 1-260 characters, no '/'";
    return z.strictObject({
        kind: z.enum(Object.keys(MANAGED_IDENTITY_KINDS) as [ManagedIdentityKind, ...ManagedIdentityKind[]], { error: KIND_ALLOWED }),
        resourceGroup: resourceGroup.optional(),
        name: z.string({ error: name }).regex(/^[^/]{1,260}$/, { error: name }).optional(),
        objectId: guid.optional(),
    }, { error: ENTRY_ALLOWED });
}

type Parsed = z.infer<ReturnType<typeof managedIdentitySchema>>;
type Describe = (path: readonly PropertyKey[], allowed: string) => string;

/** The keys each kind needs and forbids: one line per key out of place. */
export function managedIdentityProblems(value: Parsed, describe: Describe): string[] {
    const needs = value.kind === "objectId" ? ["objectId"] : ["resourceGroup", "name"];
    const problems: string[] = [];
    for (const key of ["resourceGroup", "name", "objectId"] as const) {
        const given = value[key] !== undefined;
        if (needs.includes(key) && !given) {
            problems.push(describe(["managedIdentity", key], `expected it with kind ${value.kind}: ${needsText(value.kind)}`));
        } else if (!needs.includes(key) && given) {
            problems.push(describe(["managedIdentity", key], `expected no ${key} with kind ${value.kind}: ${needsText(value.kind)}`));
        }
    }
    return problems;
}

function needsText(kind: ManagedIdentityKind): string {
    return kind === "objectId" ? "the identity's object (principal) ID alone"
        : `the resource group and name of the ${MANAGED_IDENTITY_KINDS[kind]} resource`;
}

/** The parsed value as the program uses it (config.ts has refused every other combination). */
export function toManagedIdentityConfig(value: Parsed): ManagedIdentityConfig {
    return value.kind === "objectId"
        ? { kind: "objectId", objectId: value.objectId!.toLowerCase() }
        : { kind: value.kind, resourceGroup: value.resourceGroup!, name: value.name! };
}

export interface ResolvedPrincipal {
    readonly principalId: string;
    readonly resourceId: string | undefined;
    /** A user-assigned identity's client ID (its `clientId`, azure-native getUserAssignedIdentity). */
    readonly clientId?: string;
}

/** A resource without a system-assigned identity has no principal to grant roles to: the user must enable it. */
export class NoIdentityError extends pulumi.RunError {}

/**
 * The identity's principal (object) ID. Azure returns `identity.principalId` only when a system-assigned identity is
 * enabled (ARM's ManagedServiceIdentity: "principalId: The service principal ID of the system assigned identity");
 * a user-assigned identity's own `principalId` is always set.
 */
export async function resolvePrincipal(identity: ManagedIdentityConfig, describe: () => string): Promise<ResolvedPrincipal> {
    switch (identity.kind) {
        case "objectId":
            return { principalId: identity.objectId, resourceId: undefined };
        case "arcMachine": {
            const machine = await hybridcompute.getMachine({ resourceGroupName: identity.resourceGroup, machineName: identity.name });
            return systemAssigned(machine.id, machine.identity?.principalId, describe);
        }
        case "webApp": {
            const site = await web.getWebApp({ resourceGroupName: identity.resourceGroup, name: identity.name });
            return systemAssigned(site.id, site.identity?.principalId, describe);
        }
        case "userAssigned": {
            const found = await managedidentity.getUserAssignedIdentity({
                resourceGroupName: identity.resourceGroup, resourceName: identity.name,
            });
            return { principalId: found.principalId.toLowerCase(), resourceId: found.id, clientId: found.clientId.toLowerCase() };
        }
    }
}

function systemAssigned(resourceId: string, principalId: string | undefined, describe: () => string): ResolvedPrincipal {
    if (principalId === undefined || principalId === "") {
        throw new NoIdentityError(`${describe()}: the resource ${resourceId} has no system-assigned identity; ` +
            "expected one enabled (identity type SystemAssigned), or kind objectId / userAssigned");
    }
    return { principalId: principalId.toLowerCase(), resourceId };
}

export interface ManagedIdentityGrantArgs {
    /** `<appName>-<environment>`: the role assignments' names derive from it, as an app identity's do. */
    readonly displayName: string;
    readonly principalId: string;
    readonly subscriptionId: string;
    readonly roleAssignments: readonly RoleAssignmentConfig[];
    /** Production: the role assignments are protected, as an app identity's are (policy production-resources-protected). */
    readonly protect: boolean;
}

/**
 * The Storage Blob roles of a managed identity: the same role assignments an app identity gets, to another principal.
 * Made by `ManagedIdentityGrant.create`, which registers them at the program's pace (infra/pace.ts).
 */
export class ManagedIdentityGrant extends pulumi.ComponentResource {
    readonly grantedRoles: readonly GrantedRole[];
    private readonly assigned: authorization.RoleAssignment[] = [];

    static async create(name: string, args: ManagedIdentityGrantArgs, pace = new RegistrationPace(),
        opts?: pulumi.ComponentResourceOptions): Promise<ManagedIdentityGrant> {
        const grant = new ManagedIdentityGrant(name, args, opts);
        await pace.registered();
        grant.assigned.push(...await pace.registerEach(args.roleAssignments, (config) => grant.assignRole(name, args, config)));
        grant.registerOutputs({ roleAssignments: grant.grantedRoles });
        return grant;
    }

    get roleAssignments(): readonly authorization.RoleAssignment[] {
        return this.assigned;
    }

    private constructor(name: string, args: ManagedIdentityGrantArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appidentity:azure:ManagedIdentityGrant", name, {}, opts);
        this.grantedRoles = args.roleAssignments.map(({ resourceGroup, role }) => ({
            scope: resourceGroupScope(args.subscriptionId, resourceGroup), role,
        }));
    }

    private assignRole(name: string, args: ManagedIdentityGrantArgs, { resourceGroup, role }: RoleAssignmentConfig): authorization.RoleAssignment {
        const scope = resourceGroupScope(args.subscriptionId, resourceGroup);
        const known = findRole(role);
        // Config validation lets only known roles through; reaching this is a bug, not a user mistake.
        if (known === undefined) throw new Error(`unknown role ${JSON.stringify(role)}`);
        const definition = roleDefinitionId(args.subscriptionId, known.id);
        return new authorization.RoleAssignment(roleAssignmentLogicalName({ identity: name, resourceGroup, role }), {
            scope,
            roleDefinitionId: definition,
            principalId: args.principalId,
            // A managed identity is a service principal in Entra (servicePrincipalType "ManagedIdentity"); ARM's
            // principalType knows only User, Group, ServicePrincipal, ForeignGroup and Device, and Microsoft's
            // docs say to use ServicePrincipal for managed identities (learn.microsoft.com/azure/role-based-access-control/
            // role-assignments-template, "principalType ... For managed identities, use ServicePrincipal").
            principalType: "ServicePrincipal",
            roleAssignmentName: roleAssignmentName(scope, definition, args.principalId),
        }, { parent: this, protect: args.protect });
    }
}

/** The logical name of a stack's managed identity grant: apart from the app identity's, whose roles may coexist. */
export function managedIdentityName(displayName: string): string {
    return `${displayName}-managed-identity`;
}

export interface ManagedIdentityStackArgs {
    readonly displayName: string;
    readonly identity: ManagedIdentityConfig;
    readonly subscriptionId: string;
    readonly roleAssignments: readonly RoleAssignmentConfig[];
    readonly protect: boolean;
    /** `stacks/Pulumi.<stack>.yaml: <key as written>`, for the one line a refusal prints. */
    readonly where: string;
    /** The stack's pace of registrations (infra/pace.ts). */
    readonly pace?: RegistrationPace;
}

/** Look the principal up, then grant it the stack's roles: what a managed-identity stack registers and exports. */
export async function defineManagedIdentity(args: ManagedIdentityStackArgs): Promise<ManagedIdentityOutputs> {
    const { principalId, resourceId, clientId } = await resolvePrincipal(args.identity, () => args.where);
    const grant = await ManagedIdentityGrant.create(managedIdentityName(args.displayName), {
        displayName: args.displayName,
        principalId,
        subscriptionId: args.subscriptionId,
        roleAssignments: args.roleAssignments,
        protect: args.protect,
    }, args.pace);
    return {
        kind: args.identity.kind,
        ...(resourceId === undefined ? {} : { resourceId }),
        principalId,
        ...(clientId === undefined ? {} : { clientId }),
        roleAssignments: grant.grantedRoles,
        credential: NO_CREDENTIAL,
    };
}

/**
 * Role Definitions - List (with `$filter=roleName eq '...'`) and Get, at any scope, api-version 2022-04-01
 * (azure-rest-api-specs .../Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json):
 * the built-in roles the local Azure knows, with their permissions as the built-in roles reference lists them.
 * `az role assignment create --role NAME` resolves the name with the list (azure/cli/command_modules/role/
 * custom.py, _resolve_role_id: "roleName eq '{}'"); `az role definition list --name` too.
 */
import { BUILT_IN_ROLES, STORAGE_BLOB_ROLES } from "../../common/builtInRoles";
import type { State } from "../state";
import type { AccessTokenClaims } from "../tokens";
import { isAtOrBelow } from "./authorization";
import { ArmError } from "./errors";
import type { ArmResult } from "./roleAssignments";
import { ROLE_IDS, roleAllows, roleIdOf } from "./roleDefinitions";

/** Microsoft.Authorization roleDefinitions api-versions (azure-rest-api-specs stable and preview folders). */
export const ROLE_DEFINITION_API_VERSIONS = ["2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview"];

/** `{scope}/providers/Microsoft.Authorization/roleDefinitions[/{id}]`, the scope "" for the root. */
export const ROLE_DEFINITIONS_PATH = /^(.*?)\/providers\/microsoft\.authorization\/roledefinitions(?:\/([^/]+))?\/?$/i;

interface CatalogRole {
    readonly id: string;
    readonly roleName: string;
    readonly description: string;
    readonly actions: readonly string[];
    readonly notActions: readonly string[];
    readonly dataActions: readonly string[];
}

const CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers";
const DELEGATION_KEY = "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action";

/** Built-in roles reference (learn.microsoft.com/azure/role-based-access-control/built-in-roles): Storage and Privileged/General. */
const BLOB_ACTIONS: Record<string, { description: string; actions: string[] }> = {
    "Storage Blob Data Reader": { description: "Allows for read access to Azure Storage blob containers and data",
        actions: [`${CONTAINERS}/read`, DELEGATION_KEY] },
    "Storage Blob Data Contributor": { description: "Allows for read, write and delete access to Azure Storage blob containers and data",
        actions: [`${CONTAINERS}/delete`, `${CONTAINERS}/read`, `${CONTAINERS}/write`, DELEGATION_KEY] },
    "Storage Blob Data Owner": { description: "Allows for full access to Azure Storage blob containers and data, including assigning POSIX access control.",
        actions: [`${CONTAINERS}/*`, DELEGATION_KEY] },
    "Storage Blob Delegator": { description: "Allows for generation of a user delegation key which can be used to sign SAS tokens",
        actions: [DELEGATION_KEY] },
};

export const CATALOG: readonly CatalogRole[] = [
    ...STORAGE_BLOB_ROLES.map((role) => ({ id: role.id, roleName: role.name, ...BLOB_ACTIONS[role.name]!, notActions: [], dataActions: [...role.dataActions] })),
    { id: ROLE_IDS.owner, roleName: "Owner", description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        actions: ["*"], notActions: [], dataActions: [] },
    { id: ROLE_IDS.contributor, roleName: "Contributor", description: "Grants full access to manage all resources, but does not allow you to " +
        "assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
        actions: ["*"], notActions: ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"],
        dataActions: [] },
    { id: ROLE_IDS.reader, roleName: "Reader", description: "View all resources, but does not allow you to make any changes.",
        actions: ["*/read"], notActions: [], dataActions: [] },
    { id: ROLE_IDS.userAccessAdministrator, roleName: "User Access Administrator", description: "Lets you manage user access to Azure resources.",
        actions: ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], notActions: [], dataActions: [] },
    { id: ROLE_IDS.rbacAdministrator, roleName: "Role Based Access Control Administrator", description: "Manage access to Azure resources by " +
        "assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
        actions: ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete", "*/read", "Microsoft.Support/*"],
        notActions: [], dataActions: [] },
];
// Every role the config may name is in the catalog (common/builtInRoles.ts).
if (!BUILT_IN_ROLES.every((role) => CATALOG.some((entry) => entry.id === role.id))) throw new Error("role catalog misses a built-in role");

/** A built-in role's ID as ARM writes it: under the subscription of the scope, or at the root. */
function definitionView(role: CatalogRole, scope: string): Record<string, unknown> {
    const subscription = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? "";
    return {
        properties: {
            roleName: role.roleName, type: "BuiltInRole", description: role.description, assignableScopes: ["/"],
            permissions: [{ actions: [...role.actions], notActions: [...role.notActions], dataActions: [...role.dataActions], notDataActions: [] }],
            createdOn: "2015-02-02T21:55:09.8806423Z", updatedOn: "2024-01-01T00:00:00.0000000Z", createdBy: null, updatedBy: null,
        },
        id: `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
        type: "Microsoft.Authorization/roleDefinitions",
        name: role.id,
    };
}

/** Reading role definitions needs `Microsoft.Authorization/roleDefinitions/read`: `*\/read` of any role at or above the scope. */
function requireRead(state: Readonly<State>, caller: AccessTokenClaims, scope: string): void {
    const reads = state.roleAssignments.some((assignment) => assignment.principalId === caller.oid &&
        isAtOrBelow(scope, assignment.scope) && roleAllows(roleIdOf(assignment.roleDefinitionId), "read"));
    if (!reads) {
        throw new ArmError(403, "AuthorizationFailed", `The client '${caller.appid}' with object id '${caller.oid}' does not have ` +
            `authorization to perform action 'Microsoft.Authorization/roleDefinitions/read' over scope ` +
            `'${scope}/providers/Microsoft.Authorization' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
    }
}

/** `roleName eq '...'` (ARM compares the name case-insensitively) or `type eq 'BuiltInRole'`; nothing else. */
export function listRoleDefinitions(state: Readonly<State>, caller: AccessTokenClaims, scope: string, filter: string | null): ArmResult {
    requireRead(state, caller, scope);
    let matches: (role: CatalogRole) => boolean = () => true;
    if (filter !== null && filter.trim() !== "") {
        const byName = /^\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
        const byType = /^\s*type\s+eq\s+'(BuiltInRole|CustomRole)'\s*$/i.exec(filter);
        if (byName !== null) matches = (role) => role.roleName.toLowerCase() === byName[1]!.replace(/''/g, "'").toLowerCase();
        else if (byType !== null) matches = () => byType[1]!.toLowerCase() === "builtinrole";
        else throw new ArmError(400, "InvalidFilterInQueryString", `Invalid $filter '${filter}' specified in the query string.`);
    }
    return { status: 200, body: { value: CATALOG.filter(matches).map((role) => definitionView(role, scope)) } };
}

export function getRoleDefinition(state: Readonly<State>, caller: AccessTokenClaims, scope: string, id: string): ArmResult {
    requireRead(state, caller, scope);
    const role = CATALOG.find((candidate) => candidate.id === id.toLowerCase());
    if (role === undefined) {
        throw new ArmError(404, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${id}' does not exist.`);
    }
    return { status: 200, body: definitionView(role, scope) };
}

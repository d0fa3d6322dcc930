/**
 * The built-in roles the local ARM knows, by their GUIDs (the same in every tenant: Azure built-in roles reference,
 * learn.microsoft.com/azure/role-based-access-control/built-in-roles), and what each lets a principal do with role
 * assignments.
 */
import { BUILT_IN_ROLES, STORAGE_BLOB_ROLES } from "../../common/builtInRoles";

export const ROLE_IDS = {
    owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    userAccessAdministrator: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    rbacAdministrator: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
} as const;

export const STORAGE_BLOB_ROLE_IDS: readonly string[] = STORAGE_BLOB_ROLES.map((role) => role.id);

export type RoleAssignmentAction = "read" | "write" | "delete";

/**
 * Owner: `*`; User Access Administrator: `Microsoft.Authorization/*`; Role Based Access Control Administrator:
 * roleAssignments write and delete, `*\/read`; Contributor excludes `Microsoft.Authorization/*\/Write` and
 * `*\/Delete`; Reader: `*\/read` (built-in roles reference, "Privileged" and "General" sections).
 */
const ALLOWED: Record<string, readonly RoleAssignmentAction[]> = {
    [ROLE_IDS.owner]: ["read", "write", "delete"],
    [ROLE_IDS.userAccessAdministrator]: ["read", "write", "delete"],
    [ROLE_IDS.rbacAdministrator]: ["read", "write", "delete"],
    [ROLE_IDS.contributor]: ["read"],
    [ROLE_IDS.reader]: ["read"],
};

export function roleAllows(roleId: string, action: RoleAssignmentAction): boolean {
    return ALLOWED[roleId.toLowerCase()]?.includes(action) ?? false;
}

const KNOWN = new Set([...BUILT_IN_ROLES.map((role) => role.id), ...Object.values(ROLE_IDS)]);

export function isKnownRole(roleId: string): boolean {
    return KNOWN.has(roleId.toLowerCase());
}

/** The GUID at the end of `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`. */
export function roleIdOf(roleDefinitionId: string): string {
    return (roleDefinitionId.split("/").at(-1) ?? "").toLowerCase();
}

/**
 * The condition Azure's "Delegate Azure role assignment management to others with conditions" article builds for
 * "Constrain roles and principal types": writes and deletes only of these roles, to these principal types.
 */
export function deployerCondition(roleIds: readonly string[], principalTypes: readonly string[]): string {
    const roles = roleIds.join(", ");
    const types = principalTypes.map((type) => `'${type}'`).join(", ");
    const clause = (action: "write" | "delete", source: "Request" | "Resource") =>
        `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'})) OR ` +
        `(@${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${roles}} ` +
        `AND @${source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {${types}}))`;
    return `${clause("write", "Request")} AND ${clause("delete", "Resource")}`;
}

/**
 * Evaluates a condition of the form above: the role definition GUIDs and principal types it names. This is not
 * the ABAC language, only the one shape of condition the local Azure seeds; any other text allows nothing.
 */
export function conditionAllows(condition: string, roleId: string, principalType: string | undefined): boolean {
    const roles = /GuidEquals \{([^}]*)\}/.exec(condition)?.[1];
    const types = /StringEqualsIgnoreCase \{([^}]*)\}/.exec(condition)?.[1];
    if (roles === undefined || types === undefined || principalType === undefined) return false;
    const roleSet = roles.split(",").map((role) => role.trim().toLowerCase());
    const typeSet = types.split(",").map((type) => type.trim().replace(/^'|'$/g, "").toLowerCase());
    return roleSet.includes(roleId.toLowerCase()) && typeSet.includes(principalType.toLowerCase());
}

/**
 * Azure RBAC for role assignment operations: the caller's role assignments at or above the scope, each role's
 * permissions (roleDefinitions.ts) and, for a conditional assignment, its condition on the role and principal type
 * written or deleted. Refusals are 403 AuthorizationFailed with ARM's message
 * (learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Unable to assign a role").
 */
import type { RoleAssignmentRecord, State } from "../state";
import type { AccessTokenClaims } from "../tokens";
import { ArmError } from "./errors";
import { conditionAllows, roleAllows, roleIdOf, type RoleAssignmentAction } from "./roleDefinitions";

/** `scope` is `candidate` or lies under it (case-insensitive, as ARM compares resource IDs). */
export function isAtOrBelow(scope: string, candidate: string): boolean {
    const target = scope.toLowerCase().replace(/\/+$/, "");
    const outer = candidate.toLowerCase().replace(/\/+$/, "");
    return outer === "" || target === outer || target.startsWith(`${outer}/`);
}

export interface Target {
    /** The role assignment's resource ID, named in the refusal. */
    readonly resourceId: string;
    /** What a condition is evaluated on: the request's values for write, the existing assignment's for delete. */
    readonly roleId?: string;
    readonly principalType?: string;
    /** Deleting what does not exist: a condition on the resource has nothing to refuse (ARM answers 204). */
    readonly missing?: boolean;
}

export function authorize(state: Readonly<State>, caller: AccessTokenClaims, action: RoleAssignmentAction, scope: string,
    target: Target): void {
    const granting = state.roleAssignments.filter((assignment: RoleAssignmentRecord) =>
        assignment.principalId === caller.oid && isAtOrBelow(scope, assignment.scope) &&
        roleAllows(roleIdOf(assignment.roleDefinitionId), action));
    const allowed = granting.some((assignment) => assignment.condition === null || action === "read" || target.missing === true ||
        (target.roleId !== undefined && conditionAllows(assignment.condition, target.roleId, target.principalType)));
    if (allowed) return;
    const conditional = granting.some((assignment) => assignment.condition !== null);
    throw new ArmError(403, "AuthorizationFailed", `The client '${caller.appid}' with object id '${caller.oid}' does not have ` +
        `authorization${conditional ? " or an ABAC condition not fulfilled" : ""} to perform action ` +
        `'Microsoft.Authorization/roleAssignments/${action}' over scope '${target.resourceId}' or the scope is invalid. ` +
        "If access was recently granted, please refresh your credentials.");
}

/**
 * A GET of any other resource (an Arc machine; a site or a user-assigned identity, once modelled): a role with
 * `*\/read` at or above the resource (Reader, or the RBAC Administrator's `*\/read`, on its resource group or above),
 * or 403 AuthorizationFailed naming the action `<resource type>/read` and the resource, as ARM answers.
 */
export function authorizeRead(state: Readonly<State>, caller: AccessTokenClaims, resourceType: string, resourceId: string): void {
    const readable = state.roleAssignments.some((assignment) => assignment.principalId === caller.oid &&
        isAtOrBelow(resourceId, assignment.scope) && roleAllows(roleIdOf(assignment.roleDefinitionId), "read"));
    if (readable) return;
    throw new ArmError(403, "AuthorizationFailed", `The client '${caller.appid}' with object id '${caller.oid}' does not ` +
        `have authorization to perform action '${resourceType}/read' over scope '${resourceId}' or the scope is invalid. ` +
        "If access was recently granted, please refresh your credentials.");
}

/**
 * Role assignments at resource-group or subscription scope, api-version 2022-04-01 (azure-rest-api-specs
 * specification/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json,
 * RoleAssignments_Create / _Get / _Delete / _ListForScope), with the errors of
 * learn.microsoft.com/azure/role-based-access-control/troubleshooting.
 */
import type { RoleAssignmentRecord, State } from "../state";
import type { Store } from "../store";
import { isGuid } from "../secrets";
import type { AccessTokenClaims } from "../tokens";
import { authorize, isAtOrBelow } from "./authorization";
import { ArmError, compactId } from "./errors";
import { isKnownRole, roleIdOf } from "./roleDefinitions";

export interface ArmResult {
    readonly status: number;
    readonly body?: unknown;
}

/** A resource group's scope, or the subscription's when resourceGroup is absent. */
export interface GroupScope {
    readonly subscriptionId: string;
    readonly resourceGroup?: string;
}

const PROVIDER = "providers/Microsoft.Authorization/roleAssignments";

export function scopeId(scope: GroupScope): string {
    const subscription = `/subscriptions/${scope.subscriptionId}`;
    return scope.resourceGroup === undefined ? subscription : `${subscription}/resourceGroups/${scope.resourceGroup}`;
}

function assignmentId(scope: string, name: string): string {
    return `${scope}/${PROVIDER}/${name}`;
}

export function view(assignment: RoleAssignmentRecord): Record<string, unknown> {
    return {
        properties: {
            roleDefinitionId: assignment.roleDefinitionId, principalId: assignment.principalId,
            principalType: assignment.principalType, scope: assignment.scope, condition: assignment.condition,
            conditionVersion: assignment.conditionVersion, createdOn: assignment.createdOn, updatedOn: assignment.updatedOn,
            createdBy: assignment.createdBy, updatedBy: assignment.updatedBy, delegatedManagedIdentityResourceId: null,
            description: assignment.description,
        },
        id: assignmentId(assignment.scope, assignment.name),
        type: "Microsoft.Authorization/roleAssignments",
        name: assignment.name,
    };
}

/** The resource group as the subscription spells it (404 ResourceGroupNotFound otherwise), or the subscription. */
function requireGroup(state: Readonly<State>, scope: GroupScope): string {
    if (scope.resourceGroup === undefined) return scopeId(scope);
    const resourceGroup = scope.resourceGroup;
    const groups = state.subscriptions[scope.subscriptionId] ?? [];
    const found = groups.find((group) => group.toLowerCase() === resourceGroup.toLowerCase());
    if (found === undefined) throw new ArmError(404, "ResourceGroupNotFound", `Resource group '${scope.resourceGroup}' could not be found.`);
    return scopeId({ subscriptionId: scope.subscriptionId, resourceGroup: found });
}

function requireName(name: string): void {
    if (!isGuid(name)) {
        throw new ArmError(400, "InvalidRoleAssignmentId", `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
    }
}

function find(state: Readonly<State>, name: string): RoleAssignmentRecord | undefined {
    return state.roleAssignments.find((assignment) => assignment.name.toLowerCase() === name.toLowerCase());
}

interface RequestedAssignment {
    readonly roleDefinitionId?: string;
    readonly principalId?: string;
    readonly principalType?: string;
    readonly condition?: string | null;
    readonly conditionVersion?: string | null;
    readonly description?: string | null;
}

function parseBody(body: string): RequestedAssignment {
    try {
        const parsed = JSON.parse(body) as { properties?: RequestedAssignment | null };
        if (typeof parsed.properties === "object" && parsed.properties !== null) return parsed.properties;
    } catch {
        // answered below
    }
    throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: " +
        "'Required property 'properties' not found in JSON.'");
}

/** ARM's answer for a principal its directory replica does not hold (yet): the ID without dashes. */
export function principalNotFound(principalId: string, tenantId: string): ArmError {
    return new ArmError(400, "PrincipalNotFound", `Principal ${compactId(principalId)} does not exist in the directory ` +
        `${tenantId}. Check that you have the correct principal ID. If you are creating this principal and ` +
        "then immediately assigning a role, this error might be related to a replication delay. In this case, set the " +
        "role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See " +
        "https://aka.ms/docs-principaltype");
}

export function putRoleAssignment(store: Store, caller: AccessTokenClaims, scope: GroupScope, name: string, body: string, now: Date): ArmResult {
    requireName(name);
    const requested = parseBody(body);
    const requestedScope = scopeId(scope);
    const roleId = roleIdOf(requested.roleDefinitionId ?? "");
    authorize(store.state, caller, "write", requestedScope,
        { resourceId: assignmentId(requestedScope, name), roleId, principalType: requested.principalType });
    const groupScope = requireGroup(store.state, scope);
    for (const property of ["roleDefinitionId", "principalId"] as const) {
        if (typeof requested[property] !== "string") {
            throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: " +
                `'Required property '${property}' not found in JSON.'`);
        }
    }
    if (!isKnownRole(roleId)) {
        throw new ArmError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${roleId}' does not exist.`);
    }
    const principalId = requested.principalId!;
    const principal = store.state.servicePrincipals.find((sp) => sp.id === principalId);
    if (principal === undefined) {
        throw principalNotFound(principalId, store.state.tenantId);
    }
    // Without principalType ARM looks the principal up itself; with one, it must be the principal's type.
    const principalType = requested.principalType ?? "ServicePrincipal";
    if (principalType !== "ServicePrincipal") {
        throw new ArmError(400, "UnmatchedPrincipalType", `The PrincipalId '${compactId(principalId)}' has type 'ServicePrincipal' , ` +
            `which is different from specified PrincipalType '${principalType}'.`);
    }
    const existing = find(store.state, name);
    if (existing !== undefined) {
        const same = existing.scope.toLowerCase() === groupScope.toLowerCase() && existing.principalId === principalId &&
            roleIdOf(existing.roleDefinitionId) === roleId;
        if (!same) {
            throw new ArmError(400, "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
        }
        // Description and condition may change; the rest is identical: 200.
        store.change(() => {
            existing.description = requested.description ?? null;
            existing.condition = requested.condition ?? null;
            existing.conditionVersion = requested.conditionVersion ?? null;
            existing.updatedOn = now.toISOString();
            existing.updatedBy = caller.oid;
        });
        return { status: 200, body: view(existing) };
    }
    const duplicate = store.state.roleAssignments.find((assignment) => assignment.scope.toLowerCase() === groupScope.toLowerCase() &&
        assignment.principalId === principalId && roleIdOf(assignment.roleDefinitionId) === roleId);
    if (duplicate !== undefined) throw new ArmError(409, "RoleAssignmentExists", "The role assignment already exists.");
    const created: RoleAssignmentRecord = {
        name, scope: groupScope, roleDefinitionId: requested.roleDefinitionId!, principalId, principalType,
        condition: requested.condition ?? null, conditionVersion: requested.conditionVersion ?? null,
        description: requested.description ?? null, createdOn: now.toISOString(), updatedOn: now.toISOString(),
        createdBy: caller.oid, updatedBy: caller.oid,
    };
    store.change((state) => {
        state.roleAssignments.push(created);
    });
    return { status: 201, body: view(created) };
}

/** The assignment of that name at that scope (one of that name elsewhere is not this resource). */
function atScope(state: Readonly<State>, groupScope: string, name: string): RoleAssignmentRecord | undefined {
    const found = find(state, name);
    return found !== undefined && found.scope.toLowerCase() === groupScope.toLowerCase() ? found : undefined;
}

export function getRoleAssignment(store: Store, caller: AccessTokenClaims, scope: GroupScope, name: string): ArmResult {
    requireName(name);
    authorize(store.state, caller, "read", scopeId(scope), { resourceId: assignmentId(scopeId(scope), name) });
    const found = atScope(store.state, requireGroup(store.state, scope), name);
    if (found === undefined) throw new ArmError(404, "RoleAssignmentNotFound", `The role assignment '${name}' is not found.`);
    return { status: 200, body: view(found) };
}

/** 200 with the deleted assignment, or 204 when there was none. */
export function deleteRoleAssignment(store: Store, caller: AccessTokenClaims, scope: GroupScope, name: string): ArmResult {
    requireName(name);
    const resourceId = assignmentId(scopeId(scope), name);
    const existing = atScope(store.state, scopeId(scope), name);
    authorize(store.state, caller, "delete", scopeId(scope), existing === undefined
        ? { resourceId, missing: true }
        : { resourceId, roleId: roleIdOf(existing.roleDefinitionId), principalType: existing.principalType });
    requireGroup(store.state, scope);
    if (existing === undefined) return { status: 204 };
    store.change((state) => {
        state.roleAssignments = state.roleAssignments.filter((assignment) => assignment !== existing);
    });
    return { status: 200, body: view(existing) };
}

/**
 * `$filter=atScope()`: the assignments at the scope or above it; `principalId eq '{id}'`: that principal's at,
 * above or below; no filter: all at, above or below (RoleAssignments_ListForScope).
 */
export function listRoleAssignments(store: Store, caller: AccessTokenClaims, scope: GroupScope, filter: string | null): ArmResult {
    authorize(store.state, caller, "read", scopeId(scope), { resourceId: `${scopeId(scope)}/${PROVIDER}` });
    const groupScope = requireGroup(store.state, scope);
    const clauses = (filter ?? "").split(/\s+and\s+/i).map((clause) => clause.trim()).filter((clause) => clause !== "");
    let onlyAbove = false;
    let principalId: string | undefined;
    for (const clause of clauses) {
        const principal = /^principalId\s+eq\s+'([^']*)'$/i.exec(clause);
        if (clause === "atScope()") onlyAbove = true;
        else if (principal !== null) principalId = principal[1];
        else throw new ArmError(400, "InvalidFilterInQueryString", `Invalid $filter '${filter ?? ""}' specified in the query string.`);
    }
    const value = store.state.roleAssignments.filter((assignment) =>
        (isAtOrBelow(groupScope, assignment.scope) || (!onlyAbove && isAtOrBelow(assignment.scope, groupScope))) &&
        (principalId === undefined || assignment.principalId === principalId));
    return { status: 200, body: { value: value.map(view) } };
}

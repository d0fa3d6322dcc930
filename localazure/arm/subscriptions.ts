/**
 * Subscriptions - List and Get, api-version 2022-12-01 (azure-rest-api-specs specification/resources/
 * resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json): the subscriptions in which the
 * caller holds a role assignment, at the subscription or inside it. `az login --service-principal` discovers its
 * subscriptions with the list (azure/cli/core/_profile.py, SubscriptionFinder.find_using_specific_tenant:
 * client.subscriptions.list()); `az account show` reads what it found.
 */
import type { State } from "../state";
import type { AccessTokenClaims } from "../tokens";
import { isAtOrBelow } from "./authorization";
import { ArmError } from "./errors";
import type { ArmResult } from "./roleAssignments";

/** Microsoft.Resources subscriptions api-versions in azure-rest-api-specs' stable folders (az 2.91 sends 2022-12-01). */
export const SUBSCRIPTION_API_VERSIONS = ["2016-06-01", "2018-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01"];

export const SUBSCRIPTIONS_PATH = /^\/subscriptions(?:\/([^/]+))?\/?$/i;

function holdsRoleIn(state: Readonly<State>, caller: AccessTokenClaims, subscriptionId: string): boolean {
    return state.roleAssignments.some((assignment) => assignment.principalId === caller.oid &&
        isAtOrBelow(assignment.scope, `/subscriptions/${subscriptionId}`));
}

/** Display names as the stack files' comments describe the two subscriptions (dev and test; production). */
function displayName(state: Readonly<State>, subscriptionId: string): string {
    return subscriptionId === state.subscriptionId ? "Local Azure (dev and test)" : "Local Azure (production)";
}

export function subscriptionView(state: Readonly<State>, subscriptionId: string): Record<string, unknown> {
    return {
        id: `/subscriptions/${subscriptionId}`, authorizationSource: "RoleBased", managedByTenants: [],
        subscriptionId, tenantId: state.tenantId, displayName: displayName(state, subscriptionId), state: "Enabled",
        subscriptionPolicies: { locationPlacementId: "Public_2014-09-01", quotaId: "PayAsYouGo_2014-09-01", spendingLimit: "Off" },
    };
}

export function listSubscriptions(state: Readonly<State>, caller: AccessTokenClaims): ArmResult {
    const value = Object.keys(state.subscriptions).filter((id) => holdsRoleIn(state, caller, id)).map((id) => subscriptionView(state, id));
    return { status: 200, body: { value, count: { type: "Total", value: value.length } } };
}

/** One the caller cannot see is answered as one that does not exist, as ARM does. */
export function getSubscription(state: Readonly<State>, caller: AccessTokenClaims, subscriptionId: string): ArmResult {
    const id = Object.keys(state.subscriptions).find((candidate) => candidate === subscriptionId.toLowerCase());
    if (id === undefined || !holdsRoleIn(state, caller, id)) {
        throw new ArmError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
    }
    return { status: 200, body: subscriptionView(state, id) };
}

/**
 * Conditional Access on the local Entra's token endpoint, for workload identities (Learn, "Conditional Access for
 * workload identities"): when a service principal asks for a token, every policy that names it (includeServicePrincipals,
 * or ServicePrincipalsInMyTenant, less excludeServicePrincipals), applies to All applications and to the caller's
 * location (includeLocations All, or a named location holding the address; none of excludeLocations holding it) and
 * grants block, decides:
 * - enabled: the request is refused with AADSTS53003, "Access has been blocked by Conditional Access policies. The
 *   access policy does not allow token issuance." (the text real tenants answer, AzureAD/microsoft-identity-web#2419,
 *   microsoft/botbuilder-dotnet#6759 for client credentials; Learn reference-error-codes, BlockedByConditionalAccess),
 *   400 invalid_grant (MSAL raises it as an interaction-required error, AzureAD/microsoft-authentication-library-for-java
 *   #597, which MSAL does for invalid_grant; the OAuth error field is not quoted in any thread found);
 * - enabledForReportingButNotEnforced: the token is issued and the sign-in log records reportOnlyFailure;
 * - disabled: nothing.
 * Every token request of a principal some policy names is recorded in the sign-in log, in the shape of Graph's signIn
 * (servicePrincipalId, ipAddress, status.errorCode, appliedConditionalAccessPolicies[].result: success, failure,
 * notApplied, reportOnlySuccess, reportOnlyFailure, reportOnlyNotApplied; Graph "signIn resource type" and
 * "appliedConditionalAccessPolicy resource type").
 */
import { randomUUID } from "node:crypto";
import { parseCidr, rangeContains } from "../common/networkRanges";
import { publicAddressOf } from "./callerAddress";
import { conditionalAccessOf } from "./graph/conditionalAccess";
import type { StandInRequest, StandInResponse } from "./standin/server";
import type { ConditionalAccessPolicyRecord, State } from "./state";
import type { Store } from "./store";

export interface SignInLogEntry {
    readonly createdDateTime: string;
    readonly servicePrincipalId: string;
    readonly ipAddress: string | null;
    readonly status: { readonly errorCode: number };
    readonly appliedConditionalAccessPolicies: readonly { readonly id: string; readonly displayName: string; readonly result: string }[];
}

const logs = new WeakMap<Store, SignInLogEntry[]>();

/** The service principals' sign-ins the policies judged, in order (what the portal's service principal sign-ins show). */
export function signInLogOf(store: Store): SignInLogEntry[] {
    let log = logs.get(store);
    if (log === undefined) {
        log = [];
        logs.set(store, log);
    }
    return log;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const block = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null ? value as Record<string, unknown> : {});

function namesPrincipal(policy: ConditionalAccessPolicyRecord, principalId: string): boolean {
    const client = block(policy.conditions["clientApplications"]);
    const included = list(client["includeServicePrincipals"]);
    return (included.includes(principalId) || included.includes("ServicePrincipalsInMyTenant")) &&
        !list(client["excludeServicePrincipals"]).includes(principalId);
}

function inLocations(state: State, ids: readonly string[], address: string | undefined): boolean {
    const locations = conditionalAccessOf(state).namedLocations;
    return ids.some((id) => {
        if (id === "All") return true;
        const chosen = id === "AllTrusted" ? locations.filter((location) => location.isTrusted) : locations.filter((location) => location.id === id);
        return address !== undefined && chosen.some((location) => location.ipRanges.some((range) => {
            const parsed = parseCidr(range.cidrAddress);
            return parsed !== undefined && rangeContains(parsed, address);
        }));
    });
}

/** Whether the policy's conditions hold for this request (applications All; the caller's location). */
function applies(state: State, policy: ConditionalAccessPolicyRecord, address: string | undefined): boolean {
    if (!list(block(policy.conditions["applications"])["includeApplications"]).includes("All")) return false;
    const locations = block(policy.conditions["locations"]);
    const included = list(locations["includeLocations"]);
    if (included.length > 0 && !inLocations(state, included, address)) return false;
    return !inLocations(state, list(locations["excludeLocations"]).filter((id) => id !== "All"), address);
}

/**
 * The local Entra's one call (localazure/login.ts), once it would grant a token: Entra's refusal when an enabled policy
 * blocks the caller, else undefined (the sign-in is logged either way when a policy names the principal). `granted` is
 * the Entra stand-in's answer, `issued` its record of the claims behind each token it answered.
 */
export function conditionalAccessGate(store: Store, request: StandInRequest, granted: StandInResponse,
    issued: Map<string, { readonly oid: string }>, now = new Date()): StandInResponse | undefined {
    const token = (JSON.parse(granted.body) as { access_token?: string }).access_token;
    const principalId = token === undefined ? undefined : issued.get(token)?.oid;
    const refused = principalId === undefined ? undefined : refuseByConditionalAccess(store, request, principalId, now);
    // A refused token is never reissued: forget the stand-in's record of it.
    if (refused !== undefined && token !== undefined) issued.delete(token);
    return refused;
}

export function refuseByConditionalAccess(store: Store, request: StandInRequest, principalId: string, now: Date): StandInResponse | undefined {
    const state = store.state;
    const policies = conditionalAccessOf(state).policies
        .filter((policy) => policy.state !== "disabled" && namesPrincipal(policy, principalId));
    if (policies.length === 0) return undefined;
    const address = publicAddressOf(request.remoteAddress);
    const results = policies.map((policy) => {
        const blocks = applies(state, policy, address) && list(block(policy.grantControls)["builtInControls"]).includes("block");
        const reportOnly = policy.state === "enabledForReportingButNotEnforced";
        const result = reportOnly ? (blocks ? "reportOnlyFailure" : "reportOnlyNotApplied") : (blocks ? "failure" : "notApplied");
        return { id: policy.id, displayName: policy.displayName, result };
    });
    const blocked = results.some((result) => result.result === "failure");
    signInLogOf(store).push({
        createdDateTime: now.toISOString(), servicePrincipalId: principalId, ipAddress: address ?? null,
        status: { errorCode: blocked ? 53003 : 0 }, appliedConditionalAccessPolicies: results,
    });
    return blocked ? blocking(now) : undefined;
}

function blocking(now: Date): StandInResponse {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = now.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
    return {
        status: 400,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({
            error: "invalid_grant",
            error_description: "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not " +
                `allow token issuance. Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
            error_codes: [53003], timestamp, trace_id: traceId, correlation_id: correlationId,
            error_uri: "https://login.microsoftonline.com/error?code=53003",
        }),
    };
}

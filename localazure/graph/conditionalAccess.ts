/**
 * The tenant's IP named locations and Conditional Access policies, as Graph v1.0 documents them
 * (learn.microsoft.com/graph/api/resources/ipnamedlocation, .../conditionalaccesspolicy; conditionalaccessroot-post-
 * namedlocations and -post-policies: 201 with the object; namedlocation-get/-update/-delete and conditionalaccesspolicy-
 * get/-update/-delete: 200, 204, 204):
 * - /identity/conditionalAccess/namedLocations[/{id}] and /identity/conditionalAccess/policies[/{id}];
 * - permissions (permissions.ts): Policy.Read.All to read, Policy.Read.All and Policy.ReadWrite.ConditionalAccess to write.
 *
 * The rules each cite their source. Graph's error texts for these rules are not documented, and no public thread found
 * quotes them, unless the comment says so: the texts marked INVENTED are this project's, in Graph's 400 BadRequest family.
 * The tenant is taken to hold Workload Identities Premium licences: the licence check is not modelled.
 */
import { parseCidr } from "../../common/networkRanges";
import { newId } from "../secrets";
import type { ConditionalAccessPolicyRecord, ConditionalAccessState, NamedLocationRecord, State } from "../state";
import type { Store } from "../store";
import { GraphError, notFound } from "./errors";
import { jsonObject, type GraphResult } from "./model";
import { context } from "./odata";
import type { Caller } from "./permissions";

/** Learn, "Conditional Access: Network assignment": "No more than 195 named locations", "No more than 2000 IP ranges per named location". */
export const MAX_NAMED_LOCATIONS = 195;
export const MAX_IP_RANGES = 2000;
/** Same page: "Only CIDR masks greater than /8 are allowed when defining an IP range." */
const SHORTEST_PREFIX = 9;
/** conditionalAccessPolicyState (Graph v1.0). */
const STATES = ["enabled", "disabled", "enabledForReportingButNotEnforced"];
const IPV4 = "#microsoft.graph.iPv4CidrRange";
const IPV6 = "#microsoft.graph.iPv6CidrRange";

const invalid = (message: string) => new GraphError(400, "BadRequest", message);

export function conditionalAccessOf(state: State): ConditionalAccessState {
    return state.conditionalAccess ?? { namedLocations: [], policies: [] };
}

function change(store: Store, apply: (state: ConditionalAccessState) => void): void {
    store.change((state) => {
        const current = conditionalAccessOf(state);
        apply(current);
        (state as { conditionalAccess?: ConditionalAccessState }).conditionalAccess = current;
    });
}

function locationView(location: NamedLocationRecord): Record<string, unknown> {
    return { "@odata.type": "#microsoft.graph.ipNamedLocation", ...location };
}

/**
 * The ranges of a body: each `{cidrAddress}`, IPv4 or IPv6 CIDR. The family is Graph's to tell: the provider sends every
 * range as iPv4CidrRange, IPv6 ones too (terraform-provider-azuread v3.9.0 conditionalaccess.go
 * expandIPNamedLocationIPRange), and its acceptance test registers 64:ff9b::/96 that way (named_location_resource_test.go),
 * so Graph accepts that and answers with the address's own family.
 */
function rangesOf(value: unknown): NamedLocationRecord["ipRanges"] {
    // "ipRanges ... Required" (ipNamedLocation resource type). INVENTED text.
    if (!Array.isArray(value) || value.length === 0) throw invalid("ipRanges is required and must hold at least one range.");
    // INVENTED text, for Learn's 2000 per named location.
    if (value.length > MAX_IP_RANGES) throw invalid(`A named location can hold at most ${MAX_IP_RANGES} IP ranges.`);
    return value.map((entry: unknown) => {
        const cidr = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>)["cidrAddress"] : undefined;
        const range = typeof cidr === "string" ? parseCidr(cidr) : undefined;
        // INVENTED text: "IPv4 CIDR format (for example, 1.2.3.4/32) or any allowable IPv6 format from IETF RFC5969".
        if (range === undefined) throw invalid(`Invalid IP range: ${String(cidr)}.`);
        // INVENTED text, for Learn's "greater than /8" rule.
        if (range.prefix < SHORTEST_PREFIX) throw invalid(`Invalid IP range: ${range.text}. Only CIDR masks greater than /8 are allowed.`);
        return { "@odata.type": range.family === "ipv4" ? IPV4 : IPV6, cidrAddress: range.text };
    });
}

function body(text: string): Record<string, unknown> {
    const input = jsonObject(text);
    return Object.fromEntries(Object.entries(input).filter(([key]) => !key.startsWith("@odata.")));
}

function findLocation(state: ConditionalAccessState, id: string): NamedLocationRecord {
    const found = state.namedLocations.find((location) => location.id.toLowerCase() === id.toLowerCase());
    if (found === undefined) throw notFound(id);
    return found;
}

export function listNamedLocations(store: Store, caller: Caller): GraphResult {
    caller.requireConditionalAccessRead();
    return { status: 200, body: { ...context("identity/conditionalAccess/namedLocations"),
        value: conditionalAccessOf(store.state).namedLocations.map(locationView) } };
}

export function getNamedLocation(store: Store, caller: Caller, id: string): GraphResult {
    caller.requireConditionalAccessRead();
    return { status: 200, body: { ...context("identity/conditionalAccess/namedLocations/$entity"),
        ...locationView(findLocation(conditionalAccessOf(store.state), id)) } };
}

export function createNamedLocation(store: Store, caller: Caller, text: string, now: Date): GraphResult {
    caller.requireConditionalAccessWrite();
    const input = body(text);
    const type = jsonObject(text)["@odata.type"];
    // Only IP named locations are modelled; a country location is refused as no type (INVENTED text).
    if (type !== "#microsoft.graph.ipNamedLocation") throw invalid(`Unsupported named location type: ${String(type)}.`);
    // "displayName ... Required" (namedLocation resource type). INVENTED text.
    if (typeof input["displayName"] !== "string" || input["displayName"] === "") throw invalid("displayName is required.");
    const state = conditionalAccessOf(store.state);
    // INVENTED text, for Learn's 195 per tenant.
    if (state.namedLocations.length >= MAX_NAMED_LOCATIONS) throw invalid(`The tenant already has the maximum of ${MAX_NAMED_LOCATIONS} named locations.`);
    const at = now.toISOString();
    const location: NamedLocationRecord = {
        id: newId(), displayName: input["displayName"], isTrusted: input["isTrusted"] === true, ipRanges: rangesOf(input["ipRanges"]),
        createdDateTime: at, modifiedDateTime: at,
    };
    change(store, (current) => current.namedLocations.push(location));
    return { status: 201, body: { ...context("identity/conditionalAccess/namedLocations/$entity"), ...locationView(location) } };
}

export function updateNamedLocation(store: Store, caller: Caller, id: string, text: string, now: Date): GraphResult {
    caller.requireConditionalAccessWrite();
    const input = body(text);
    findLocation(conditionalAccessOf(store.state), id);
    const ranges = input["ipRanges"] === undefined ? undefined : rangesOf(input["ipRanges"]);
    if (input["displayName"] !== undefined && (typeof input["displayName"] !== "string" || input["displayName"] === "")) {
        throw invalid("displayName is required.");
    }
    change(store, (current) => {
        const location = findLocation(current, id);
        if (typeof input["displayName"] === "string") location.displayName = input["displayName"];
        if (typeof input["isTrusted"] === "boolean") location.isTrusted = input["isTrusted"];
        if (ranges !== undefined) location.ipRanges = ranges;
        location.modifiedDateTime = now.toISOString();
    });
    return { status: 204 };
}

export function deleteNamedLocation(store: Store, caller: Caller, id: string): GraphResult {
    caller.requireConditionalAccessWrite();
    const state = conditionalAccessOf(store.state);
    const location = findLocation(state, id);
    // "Locations marked as trusted can't be deleted without first removing the trusted designation" (Learn, "Network
    // assignment"; the provider PATCHes isTrusted false before its DELETE). INVENTED text.
    if (location.isTrusted) throw invalid("A trusted named location cannot be deleted; remove its trusted designation first.");
    // A location a policy names: INVENTED rule and text (Entra's answer is not documented); the provider deletes the
    // policy first, as it depends on the location.
    const user = state.policies.find((policy) => locationsOf(policy, "excludeLocations").includes(location.id) ||
        locationsOf(policy, "includeLocations").includes(location.id));
    if (user !== undefined) throw invalid(`The named location ${location.id} is used by the Conditional Access policy ${user.id}.`);
    change(store, (current) => {
        current.namedLocations = current.namedLocations.filter((other) => other.id !== location.id);
    });
    return { status: 204 };
}

export function locationsOf(policy: ConditionalAccessPolicyRecord, key: "includeLocations" | "excludeLocations"): string[] {
    const locations = policy.conditions["locations"] as Record<string, unknown> | null | undefined;
    const value = locations?.[key];
    return Array.isArray(value) ? value.map(String) : [];
}

/** Graph's answer for a policy: every documented property, the unset ones null or empty as Graph gives them. */
function policyView(policy: ConditionalAccessPolicyRecord): Record<string, unknown> {
    return { templateId: null, ...policy };
}

function findPolicy(state: ConditionalAccessState, id: string): ConditionalAccessPolicyRecord {
    const found = state.policies.find((policy) => policy.id.toLowerCase() === id.toLowerCase());
    if (found === undefined) throw notFound(id);
    return found;
}

/**
 * A policy's rules, as far as Graph's documentation states them: a displayName; a state of conditionalAccessPolicyState;
 * conditions with applications ("Required", conditionalAccessConditionSet); for one that names service principals
 * (clientApplications, "workload identities"), Block the only grant control and single-tenant principals of this tenant
 * (Learn, "Conditional Access for workload identities"); locations naming named locations that exist. Texts INVENTED.
 */
function validatedPolicy(input: Record<string, unknown>, tenantState: State, locations: readonly NamedLocationRecord[]): Omit<
    ConditionalAccessPolicyRecord, "id" | "createdDateTime" | "modifiedDateTime"> {
    const { displayName, state } = input;
    if (typeof displayName !== "string" || displayName === "") throw invalid("displayName is required.");
    if (typeof state !== "string" || !STATES.includes(state)) throw invalid(`Invalid value for state: ${String(state)}.`);
    const conditions = input["conditions"];
    if (typeof conditions !== "object" || conditions === null || typeof (conditions as Record<string, unknown>)["applications"] !== "object") {
        throw invalid("conditions.applications is required.");
    }
    const set = conditions as Record<string, unknown>;
    const grantControls = (input["grantControls"] ?? null) as Record<string, unknown> | null;
    const clientApplications = set["clientApplications"] as Record<string, unknown> | null | undefined;
    const principals = Array.isArray(clientApplications?.["includeServicePrincipals"]) ? (clientApplications["includeServicePrincipals"] as unknown[]).map(String) : [];
    if (principals.length > 0) {
        const controls = grantControls?.["builtInControls"];
        if (!Array.isArray(controls) || controls.length !== 1 || controls[0] !== "block") {
            throw invalid("Block access is the only grant control available for policies that apply to workload identities.");
        }
        for (const principal of principals.filter((id) => id !== "ServicePrincipalsInMyTenant")) {
            const found = tenantState.servicePrincipals.find((candidate) => candidate.id === principal);
            if (found === undefined) throw invalid(`The service principal ${principal} does not exist in the tenant.`);
            const app = tenantState.applications.find((candidate) => candidate.appId === found.appId);
            if (app === undefined || app.properties["signInAudience"] !== "AzureADMyOrg") {
                throw invalid(`The service principal ${principal} is not a single-tenant application's: Conditional Access applies to ` +
                    "single-tenant service principals registered in the tenant.");
            }
        }
    }
    const locationSet = set["locations"] as Record<string, unknown> | null | undefined;
    for (const key of ["includeLocations", "excludeLocations"]) {
        const named = Array.isArray(locationSet?.[key]) ? (locationSet[key] as unknown[]).map(String) : [];
        for (const id of named.filter((name) => name !== "All" && name !== "AllTrusted")) {
            if (!locations.some((location) => location.id === id)) throw invalid(`The named location ${id} does not exist.`);
        }
    }
    return { displayName, state, conditions: set, grantControls, sessionControls: (input["sessionControls"] ?? null) as Record<string, unknown> | null };
}

export function listConditionalAccessPolicies(store: Store, caller: Caller): GraphResult {
    caller.requireConditionalAccessRead();
    return { status: 200, body: { ...context("identity/conditionalAccess/policies"), value: conditionalAccessOf(store.state).policies.map(policyView) } };
}

export function getConditionalAccessPolicy(store: Store, caller: Caller, id: string): GraphResult {
    caller.requireConditionalAccessRead();
    return { status: 200, body: { ...context("identity/conditionalAccess/policies/$entity"), ...policyView(findPolicy(conditionalAccessOf(store.state), id)) } };
}

export function createConditionalAccessPolicy(store: Store, caller: Caller, text: string, now: Date): GraphResult {
    caller.requireConditionalAccessWrite();
    const state = conditionalAccessOf(store.state);
    const at = now.toISOString();
    const policy: ConditionalAccessPolicyRecord = {
        id: newId(), ...validatedPolicy(body(text), store.state, state.namedLocations), createdDateTime: at, modifiedDateTime: at,
    };
    change(store, (current) => current.policies.push(policy));
    return { status: 201, body: { ...context("identity/conditionalAccess/policies/$entity"), ...policyView(policy) } };
}

/** PATCH: the properties given replace the stored ones; the result must still be a valid policy. */
export function updateConditionalAccessPolicy(store: Store, caller: Caller, id: string, text: string, now: Date): GraphResult {
    caller.requireConditionalAccessWrite();
    const state = conditionalAccessOf(store.state);
    const current = findPolicy(state, id);
    const merged = validatedPolicy({ displayName: current.displayName, state: current.state, conditions: current.conditions,
        grantControls: current.grantControls, sessionControls: current.sessionControls, ...body(text) }, store.state, state.namedLocations);
    change(store, (next) => {
        Object.assign(findPolicy(next, id), merged, { modifiedDateTime: now.toISOString() });
    });
    return { status: 204 };
}

export function deleteConditionalAccessPolicy(store: Store, caller: Caller, id: string): GraphResult {
    caller.requireConditionalAccessWrite();
    const policy = findPolicy(conditionalAccessOf(store.state), id);
    change(store, (current) => {
        current.policies = current.policies.filter((other) => other.id !== policy.id);
    });
    return { status: 204 };
}

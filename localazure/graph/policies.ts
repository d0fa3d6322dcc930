/**
 * The tenant's app management policies (learn.microsoft.com/graph/api/resources/applicationauthenticationmethodpolicy):
 * - the default, GET and PATCH /policies/defaultAppManagementPolicy (tenantappmanagementpolicy-get, -update: 204),
 *   id 00000000-0000-0000-0000-000000000000, disabled in a new tenant, its restrictions under `applicationRestrictions`;
 * - the policies for chosen apps, GET and POST /policies/appManagementPolicies[/{id}] (appmanagementpolicy-list, -get,
 *   -post-appmanagementpolicies: 201), assigned with POST .../{id}/appliesTo/$ref (appmanagementpolicy-post-appliesto:
 *   204; "Only one policy object can be assigned to an application"), listed from the app with
 *   GET /applications/{id}/appManagementPolicies (the application resource's appManagementPolicies relationship).
 * An assigned policy is adopted "over the tenant-wide tenantAppManagementPolicy setting" (appmanagementpolicy-post-appliesto).
 */
import { parseIsoDuration } from "../../common/isoDuration";
import { isGuid, newId } from "../secrets";
import type {
    ActorExemptionRecord, AppManagementPolicyRecord, AppManagementRestrictions, AppManagementState, ApplicationRecord, CredentialRestriction, State,
} from "../state";
import type { Store } from "../store";
import { badRequest, notFound, type GraphError } from "./errors";
import { findApplication } from "./directory";
import { jsonObject, requireObjectId, type GraphResult } from "./model";
import { context } from "./odata";
import type { Caller } from "./permissions";

export const DEFAULT_POLICY_ID = "00000000-0000-0000-0000-000000000000";

/** appCredentialRestrictionType for passwords, and keyCredentialConfiguration's for keys (Graph v1.0 and beta). */
const PASSWORD_TYPES = ["passwordAddition", "passwordLifetime", "symmetricKeyAddition", "symmetricKeyLifetime", "customPasswordAddition"];
const KEY_TYPES = ["asymmetricKeyLifetime", "trustedCertificateAuthority"];
/**
 * Members of an evolvable enum past its unknownFutureValue sentinel: answered as "unknownFutureValue" unless the
 * request says `Prefer: include-unknown-enum-members`, and then with `Preference-Applied`
 * (github.com/microsoft/api-guidelines graph/patterns/evolvable-enums.md). v1.0's appKeyCredentialRestrictionType
 * is asymmetricKeyLifetime, unknownFutureValue (keycredentialconfiguration; the v1.0 SDKs' enum), beta's adds
 * trustedCertificateAuthority (msgraph-beta-sdk-dotnet AppKeyCredentialRestrictionType), which the tutorial
 * (learn.microsoft.com/graph/tutorial-applications-basics) writes through v1.0.
 */
const PAST_SENTINEL = ["trustedCertificateAuthority"];
export const INCLUDE_UNKNOWN = "include-unknown-enum-members";
/** "The collection in this exemption is limited to 5 attributes" (appmanagementpolicyactorexemptions). */
const MAX_EXEMPTIONS = 5;

/** Whether a request's Prefer header (comma-separated preferences, RFC 7240) asks for every enum member. */
export function includesUnknownMembers(prefer: string | string[] | undefined): boolean {
    const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer];
    return values.flatMap((value) => value.split(",")).some((preference) => preference.trim().toLowerCase() === INCLUDE_UNKNOWN);
}

/** The answer's headers: Preference-Applied when the preference was honoured. */
function preferenceApplied(includeUnknown: boolean): Record<string, string> {
    return includeUnknown ? { "preference-applied": INCLUDE_UNKNOWN } : {};
}
/** "This property is required when restrictionType is set to passwordLifetime" (and the other lifetimes). */
const LIFETIME_TYPES = ["passwordLifetime", "symmetricKeyLifetime", "asymmetricKeyLifetime"];

/** The default in a new tenant, as tenantappmanagementpolicy-get's example answers it. */
function newDefaultPolicy(): AppManagementPolicyRecord {
    return {
        id: DEFAULT_POLICY_ID,
        displayName: "Default app management tenant policy",
        description: "Default tenant policy that enforces app management restrictions on applications and service principals. " +
            "To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
        isEnabled: false,
        restrictions: { passwordCredentials: [], keyCredentials: [] },
        appliesTo: [],
    };
}

export function appManagementOf(state: Readonly<State>): Readonly<AppManagementState> {
    return state.appManagement ?? { defaultPolicy: newDefaultPolicy(), policies: [] };
}

function writableAppManagement(state: State): AppManagementState {
    state.appManagement ??= { defaultPolicy: newDefaultPolicy(), policies: [] };
    return state.appManagement;
}

function restrictionView(restriction: CredentialRestriction, includeUnknown: boolean): Record<string, unknown> {
    const hidden = !includeUnknown && PAST_SENTINEL.includes(restriction.restrictionType);
    return { ...restriction, restrictionType: hidden ? "unknownFutureValue" : restriction.restrictionType };
}

function restrictionsView(restrictions: AppManagementRestrictions, includeUnknown: boolean): Record<string, unknown> {
    return {
        passwordCredentials: restrictions.passwordCredentials.map((entry) => restrictionView(entry, includeUnknown)),
        keyCredentials: restrictions.keyCredentials.map((entry) => restrictionView(entry, includeUnknown)),
    };
}

function defaultPolicyView(policy: AppManagementPolicyRecord, includeUnknown: boolean): Record<string, unknown> {
    return {
        ...context("policies/defaultAppManagementPolicy/$entity"),
        id: policy.id, displayName: policy.displayName, description: policy.description, isEnabled: policy.isEnabled,
        applicationRestrictions: restrictionsView(policy.restrictions, includeUnknown),
        servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
    };
}

function policyView(policy: AppManagementPolicyRecord, includeUnknown: boolean): Record<string, unknown> {
    return {
        id: policy.id, displayName: policy.displayName, description: policy.description, isEnabled: policy.isEnabled,
        restrictions: restrictionsView(policy.restrictions, includeUnknown),
    };
}

/** One restriction of a request body, checked as Graph's types define it; 400 for anything else. */
function parseRestriction(value: unknown, allowedTypes: readonly string[], resource: string): CredentialRestriction {
    const invalid = (property: string) => badRequest(`Invalid value specified for property '${property}' of resource '${resource}'.`);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid("restrictionType");
    const input = value as Record<string, unknown>;
    const restrictionType = input["restrictionType"];
    if (typeof restrictionType !== "string" || !allowedTypes.includes(restrictionType)) throw invalid("restrictionType");
    const maxLifetime = input["maxLifetime"] ?? null;
    if (maxLifetime !== null && (typeof maxLifetime !== "string" || parseIsoDuration(maxLifetime) === undefined)) throw invalid("maxLifetime");
    if (LIFETIME_TYPES.includes(restrictionType) && maxLifetime === null) throw invalid("maxLifetime");
    const after = input["restrictForAppsCreatedAfterDateTime"] ?? null;
    if (after !== null && (typeof after !== "string" || Number.isNaN(Date.parse(after)))) throw invalid("restrictForAppsCreatedAfterDateTime");
    // Not in Graph's documentation: the state of a restriction written without one. Enabled, as the portal writes it.
    const state = input["state"] ?? "enabled";
    if (state !== "enabled" && state !== "disabled") throw invalid("state");
    const ids = input["certificateBasedApplicationConfigurationIds"] ?? null;
    if (ids !== null && (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && isGuid(id)))) {
        throw invalid("certificateBasedApplicationConfigurationIds");
    }
    const excludeActors = parseExemptions(input["excludeActors"] ?? null, invalid);
    return { restrictionType, maxLifetime: maxLifetime, restrictForAppsCreatedAfterDateTime: after, state,
        ...(ids === null ? {} : { certificateBasedApplicationConfigurationIds: ids as string[] }),
        ...(excludeActors === undefined ? {} : { excludeActors }) };
}

/** appManagementPolicyActorExemptions: up to 5 customSecurityAttributeStringValueExemption, operator `equals`. */
function parseExemptions(value: unknown, invalid: (property: string) => GraphError): CredentialRestriction["excludeActors"] {
    if (value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) throw invalid("excludeActors");
    const attributes = (value as Record<string, unknown>)["customSecurityAttributes"] ?? [];
    if (!Array.isArray(attributes) || attributes.length > MAX_EXEMPTIONS) throw invalid("customSecurityAttributes");
    return { customSecurityAttributes: attributes.map((entry: unknown): ActorExemptionRecord => {
        const item = (entry ?? {}) as Record<string, unknown>;
        if (typeof item["id"] !== "string" || !/^[^_]+_[^_]+$/.test(item["id"]) || item["operator"] !== "equals" ||
            typeof item["value"] !== "string") {
            throw invalid("customSecurityAttributes");
        }
        return { "@odata.type": "#microsoft.graph.customSecurityAttributeStringValueExemption", id: item["id"], operator: "equals",
            value: item["value"] };
    }) };
}

function parseRestrictions(value: unknown): AppManagementRestrictions {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw badRequest("Invalid value specified for property 'restrictions' of resource 'AppManagementPolicy'.");
    }
    const input = value as Record<string, unknown>;
    const list = (key: string, types: readonly string[], resource: string) => {
        const entries = input[key] ?? [];
        if (!Array.isArray(entries)) throw badRequest(`Invalid value specified for property '${key}' of resource 'AppManagementConfiguration'.`);
        const parsed = entries.map((entry) => parseRestriction(entry, types, resource));
        // "Each value of restrictionType can be used only once per policy."
        if (new Set(parsed.map((entry) => entry.restrictionType)).size !== parsed.length) {
            throw badRequest(`Invalid value specified for property 'restrictionType' of resource '${resource}'.`);
        }
        return parsed;
    };
    return {
        passwordCredentials: list("passwordCredentials", PASSWORD_TYPES, "PasswordCredentialConfiguration"),
        keyCredentials: list("keyCredentials", KEY_TYPES, "KeyCredentialConfiguration"),
    };
}

function optionalString(input: Record<string, unknown>, key: string, resource: string): string | undefined {
    const value = input[key];
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw badRequest(`Invalid value specified for property '${key}' of resource '${resource}'.`);
    return value;
}

function optionalBoolean(input: Record<string, unknown>, key: string, resource: string): boolean | undefined {
    const value = input[key];
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") throw badRequest(`Invalid value specified for property '${key}' of resource '${resource}'.`);
    return value;
}

export function getDefaultPolicy(store: Store, caller: Caller, includeUnknown = false): GraphResult {
    caller.requirePolicyRead();
    return { status: 200, body: defaultPolicyView(appManagementOf(store.state).defaultPolicy, includeUnknown),
        headers: preferenceApplied(includeUnknown) };
}

export function updateDefaultPolicy(store: Store, caller: Caller, body: string): GraphResult {
    caller.requirePolicyWrite();
    const input = jsonObject(body);
    const resource = "TenantAppManagementPolicy";
    const isEnabled = optionalBoolean(input, "isEnabled", resource);
    const displayName = optionalString(input, "displayName", resource);
    const description = optionalString(input, "description", resource);
    const restrictions = input["applicationRestrictions"] === undefined ? undefined : parseRestrictions(input["applicationRestrictions"]);
    store.change((state) => {
        const policy = writableAppManagement(state).defaultPolicy;
        if (isEnabled !== undefined) policy.isEnabled = isEnabled;
        if (displayName !== undefined) policy.displayName = displayName;
        if (description !== undefined) policy.description = description;
        if (restrictions !== undefined) policy.restrictions = restrictions;
    });
    return { status: 204 };
}

function findPolicy(state: Readonly<State>, id: string): AppManagementPolicyRecord {
    requireObjectId(id);
    const policy = appManagementOf(state).policies.find((candidate) => candidate.id === id);
    if (policy === undefined) throw notFound(id);
    return policy;
}

export function listPolicies(store: Store, caller: Caller, includeUnknown = false): GraphResult {
    caller.requirePolicyRead();
    return { status: 200, headers: preferenceApplied(includeUnknown), body: { ...context("policies/appManagementPolicies"),
        value: appManagementOf(store.state).policies.map((policy) => policyView(policy, includeUnknown)) } };
}

export function getPolicy(store: Store, caller: Caller, id: string, includeUnknown = false): GraphResult {
    caller.requirePolicyRead();
    return { status: 200, headers: preferenceApplied(includeUnknown), body: { ...context("policies/appManagementPolicies/$entity"),
        ...policyView(findPolicy(store.state, id), includeUnknown) } };
}

export function createPolicy(store: Store, caller: Caller, body: string, includeUnknown = false): GraphResult {
    caller.requirePolicyWrite();
    const input = jsonObject(body);
    const resource = "AppManagementPolicy";
    const displayName = optionalString(input, "displayName", resource);
    if (displayName === undefined || displayName === "") {
        throw badRequest("Invalid value specified for property 'displayName' of resource 'AppManagementPolicy'.");
    }
    const policy: AppManagementPolicyRecord = {
        id: newId(), displayName, description: optionalString(input, "description", resource) ?? "",
        isEnabled: optionalBoolean(input, "isEnabled", resource) ?? true,
        restrictions: parseRestrictions(input["restrictions"] ?? {}), appliesTo: [],
    };
    store.change((state) => {
        writableAppManagement(state).policies.push(policy);
    });
    return { status: 201, headers: preferenceApplied(includeUnknown),
        body: { ...context("policies/appManagementPolicies/$entity"), ...policyView(policy, includeUnknown) } };
}

/** POST .../appManagementPolicies/{id}/appliesTo/$ref with {"@odata.id": ".../applications/{id}"}: Application.Read.All too. */
export function assignPolicy(store: Store, caller: Caller, id: string, body: string): GraphResult {
    caller.requirePolicyWrite();
    caller.requireRead();
    const policy = findPolicy(store.state, id);
    const reference = jsonObject(body)["@odata.id"];
    const match = typeof reference === "string"
        ? /^https:\/\/graph\.microsoft\.com\/(?:v1\.0|beta)\/(?:applications|directoryObjects)\/([^/?#]+)$/.exec(reference)
        : null;
    if (match === null) throw badRequest(`Invalid URL format specified in @odata.id: '${String(reference)}'.`);
    const app = findApplication(store.state, match[1]!);
    // Not in Graph's documentation: the answer when the app already has a policy ("Only one policy object can be assigned").
    if (assignedPolicies(store.state, app).length > 0) {
        throw badRequest("One or more added object references already exist for the following modified properties: 'appManagementPolicies'.");
    }
    store.change(() => {
        policy.appliesTo.push(app.id);
    });
    return { status: 204 };
}

/** An app as the policies see it: which it is (assignment) and when it was created (restrictForAppsCreatedAfterDateTime). */
export type PolicySubject = Pick<ApplicationRecord, "id" | "createdDateTime">;

export function assignedPolicies(state: Readonly<State>, app: PolicySubject): AppManagementPolicyRecord[] {
    return appManagementOf(state).policies.filter((policy) => policy.appliesTo.includes(app.id));
}

/** GET /applications/{id}/appManagementPolicies: the app's own policies (at most one). */
export function listApplicationPolicies(store: Store, caller: Caller, app: ApplicationRecord, includeUnknown = false): GraphResult {
    caller.requireRead();
    caller.requirePolicyRead();
    return { status: 200, headers: preferenceApplied(includeUnknown), body: { ...context("policies/appManagementPolicies"),
        value: assignedPolicies(store.state, app).map((policy) => policyView(policy, includeUnknown)) } };
}

/**
 * The policy that governs an app's credentials: its own enabled policy, otherwise the tenant's default when enabled;
 * undefined when neither restricts it.
 */
export function governingPolicy(state: Readonly<State>, app: PolicySubject): AppManagementPolicyRecord | undefined {
    const own = assignedPolicies(state, app).find((policy) => policy.isEnabled);
    if (own !== undefined) return own;
    const fallback = appManagementOf(state).defaultPolicy;
    return fallback.isEnabled ? fallback : undefined;
}

/**
 * A restriction in force for this app: enabled, and the app created on or after restrictForAppsCreatedAfterDateTime
 * ("Enforces the policy for an app created on or after the enforcement date"; none: every app).
 */
export function restrictionInForce(policy: AppManagementPolicyRecord | undefined, kind: keyof AppManagementRestrictions,
    restrictionType: string, app: PolicySubject, exempt: (restriction: CredentialRestriction) => boolean = () => false,
): CredentialRestriction | undefined {
    const restriction = policy?.restrictions[kind].find((candidate) => candidate.restrictionType === restrictionType);
    if (restriction === undefined || restriction.state !== "enabled") return undefined;
    const after = restriction.restrictForAppsCreatedAfterDateTime;
    if (after !== null && Date.parse(app.createdDateTime) < Date.parse(after)) return undefined;
    return exempt(restriction) ? undefined : restriction;
}

/**
 * excludeActors: "If an actor user or service principal has the custom security attribute defined in this section,
 * they're exempted from the restriction ... calls the user or service principal makes to create or update apps are
 * exempt" (keycredentialconfiguration, passwordcredentialconfiguration); `equals` compares case-sensitively
 * (customsecurityattributeexemption). The actor is the caller's service principal; its attributes are kept as Graph
 * shows them, `customSecurityAttributes: {AttributeSet: {Attribute: value}}` (customsecurityattributevalue).
 */
export function callerExemption(state: Readonly<State>, caller: Caller): (restriction: CredentialRestriction) => boolean {
    const actor = state.servicePrincipals.find((principal) => principal.id === caller.objectId);
    const held = (actor?.properties["customSecurityAttributes"] ?? {}) as Record<string, Record<string, unknown> | undefined>;
    return (restriction) => (restriction.excludeActors?.customSecurityAttributes ?? []).some((exemption) => {
        const [set, attribute] = exemption.id.split("_") as [string, string];
        return held[set]?.[attribute] === exemption.value;
    });
}

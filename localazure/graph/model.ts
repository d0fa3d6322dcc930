/**
 * The shapes Graph v1.0 gives applications and service principals (Microsoft Graph `application` and
 * `servicePrincipal` resource types, learn.microsoft.com/graph/api/resources/application and .../serviceprincipal):
 * the properties a client may write, the read-only ones, and the defaults of a new object.
 */
import type { ApplicationRecord, PasswordRecord, ServicePrincipalRecord, State } from "../state";
import { badRequest, GraphError } from "./errors";
import { keyCredentialsView, storedKeyCredentials } from "./keyCredentials";

export interface GraphResult {
    readonly status: number;
    readonly body?: unknown;
    /** A plain-text answer (/$count) instead of JSON. */
    readonly text?: string;
    /** Headers of this answer beyond Graph's own (Preference-Applied). */
    readonly headers?: Readonly<Record<string, string>>;
}

export const APPLICATION_DEFAULTS: Record<string, unknown> = {
    addIns: [], api: { acceptMappedClaims: null, knownClientApplications: [], requestedAccessTokenVersion: null,
        oauth2PermissionScopes: [], preAuthorizedApplications: [] },
    appRoles: [], applicationTemplateId: null, certification: null, defaultRedirectUri: null, deletedDateTime: null,
    description: null, disabledByMicrosoftStatus: null, displayName: null, groupMembershipClaims: null,
    identifierUris: [], info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null,
        termsOfServiceUrl: null },
    isDeviceOnlyAuthSupported: null, isFallbackPublicClient: null, keyCredentials: [], nativeAuthenticationApisEnabled: null,
    notes: null, oauth2RequirePostResponse: false, optionalClaims: null,
    parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: "Allow" },
    publicClient: { redirectUris: [] }, publisherDomain: "localazure.onmicrosoft.com", requestSignatureVerification: null,
    requiredResourceAccess: [], samlMetadataUrl: null, serviceManagementReference: null,
    servicePrincipalLockConfiguration: null,
    // What Graph gives an app created without one: multi-tenant with personal accounts, as the Azure CLI's
    // maintainers found when `az ad sp create-for-rbac` apps stopped being single-tenant on the move from AD Graph
    // (Azure/azure-cli#25881; microsoftgraph/microsoft-graph-docs#11524). The application resource page says
    // "AzureADMyOrg (default)"; the local Graph follows what Graph answered in those threads.
    signInAudience: "AzureADandPersonalMicrosoftAccount",
    spa: { redirectUris: [] }, tags: [], tokenEncryptionKeyId: null, uniqueName: null,
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
    web: { homePageUrl: null, logoutUrl: null, redirectUris: [], implicitGrantSettings: {
        enableAccessTokenIssuance: false, enableIdTokenIssuance: false }, redirectUriSettings: [] },
};

export const SERVICE_PRINCIPAL_DEFAULTS: Record<string, unknown> = {
    accountEnabled: true, addIns: [], alternativeNames: [], appDescription: null, applicationTemplateId: null,
    appRoleAssignmentRequired: false, appRoles: [], deletedDateTime: null, description: null,
    disabledByMicrosoftStatus: null, displayName: null, homepage: null,
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: [], loginUrl: null, logoutUrl: null, notes: null, notificationEmailAddresses: [],
    oauth2PermissionScopes: [], preferredSingleSignOnMode: null, preferredTokenSigningKeyThumbprint: null,
    replyUrls: [], resourceSpecificApplicationPermissions: [], samlSingleSignOnSettings: null,
    servicePrincipalType: "Application", tags: [], tokenEncryptionKeyId: null,
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
};

const APPLICATION_READ_ONLY = ["id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain", "passwordCredentials"];
const SERVICE_PRINCIPAL_READ_ONLY = ["id", "appId", "appDisplayName", "appOwnerOrganizationId", "deletedDateTime",
    "passwordCredentials", "servicePrincipalNames", "servicePrincipalType", "signInAudience"];

/**
 * The properties of a POST or PATCH body that may be stored: OData refuses a property the type does not define,
 * and Graph one that is read-only (both 400 Request_BadRequest).
 */
export function writableProperties(body: Record<string, unknown>, kind: "application" | "servicePrincipal",
    extra: readonly string[] = []): Record<string, unknown> {
    const defaults = kind === "application" ? APPLICATION_DEFAULTS : SERVICE_PRINCIPAL_DEFAULTS;
    const readOnly = kind === "application" ? APPLICATION_READ_ONLY : SERVICE_PRINCIPAL_READ_ONLY;
    const properties: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
        if (extra.includes(key)) continue;
        if (readOnly.includes(key)) throw badRequest(`Property '${key}' is read-only and cannot be set.`);
        if (!(key in defaults)) {
            throw badRequest(`Property '${key}' does not exist on type 'microsoft.graph.${kind}'. Make sure to only ` +
                "use property names that are defined by the type or mark the type as open type.");
        }
        properties[key] = value;
    }
    return properties;
}

/** The request body as a JSON object; Graph answers 400 for anything else. */
export function jsonObject(body: string): Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body === "" ? "{}" : body);
    } catch {
        throw badRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw badRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
    }
    return parsed as Record<string, unknown>;
}

/** A password as Graph lists it on its object: never the secret (secretText null). */
export function passwordView(password: PasswordRecord): Record<string, unknown> {
    return {
        customKeyIdentifier: null, displayName: password.displayName, endDateTime: password.endDateTime,
        hint: password.hint, keyId: password.keyId, secretText: null, startDateTime: password.startDateTime,
    };
}

/** Where an application's federatedIdentityCredentials are kept among its properties (federatedIdentityCredentials.ts). */
export const FEDERATED_IDENTITY_CREDENTIALS = "federatedIdentityCredentials";

export function applicationView(app: ApplicationRecord, withKeys = false): Record<string, unknown> {
    // federatedIdentityCredentials are a relationship, kept with the properties but not shown (federatedIdentityCredentials.ts).
    const properties = Object.fromEntries(Object.entries(app.properties).filter(([key]) => key !== FEDERATED_IDENTITY_CREDENTIALS));
    return {
        id: app.id, ...APPLICATION_DEFAULTS, ...properties, appId: app.appId, createdDateTime: app.createdDateTime,
        keyCredentials: keyCredentialsView(storedKeyCredentials(app.properties), withKeys),
        passwordCredentials: app.passwords.map(passwordView),
    };
}

export function servicePrincipalView(sp: ServicePrincipalRecord, state: Readonly<State>): Record<string, unknown> {
    const app = state.applications.find((candidate) => candidate.appId === sp.appId);
    return {
        id: sp.id, ...SERVICE_PRINCIPAL_DEFAULTS, ...sp.properties, appId: sp.appId,
        appDisplayName: app?.properties["displayName"] ?? null, appOwnerOrganizationId: state.tenantId,
        passwordCredentials: [], servicePrincipalNames: [sp.appId],
        signInAudience: app?.properties["signInAudience"] ?? APPLICATION_DEFAULTS["signInAudience"],
    };
}

/** Graph addresses objects by a GUID; anything else is 400 before any lookup. */
export function requireObjectId(id: string): void {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
        throw new GraphError(400, "Request_BadRequest", `Invalid object identifier '${id}'.`);
    }
}

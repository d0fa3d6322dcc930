/**
 * What terraform-provider-azuread v3's applicationResourceUpdate writes over an application's Graph properties that
 * a program leaving them unset does not want (internal/services/applications/application_resource.go, the same
 * from v3.1.0 to v3.9.0; the expand* helpers in applications.go). This program sets only displayName,
 * signInAudience, owners and preventDuplicateNames, so the first `pulumi up` after an import, which updates the app
 * (owners, preventDuplicateNames), sends these. One source for the two that must agree: `npm run adopt`'s report
 * and the azuread stand-in's update (localazure/providers/azuread/application.ts).
 *
 * - Sent on every update, from config (Optional, not Computed: unset is empty): description, notes,
 *   serviceManagementReference, info's four URLs (nullable.NoZero("") is null), groupMembershipClaims,
 *   isDeviceOnlyAuthSupported and isFallbackPublicClient (false).
 * - Sent from the planned value, which keeps the state's when applicationDiffSuppress hides a block that holds
 *   nothing: web (emptied when it has redirect URIs or an implicit grant), spa and publicClient (when they have
 *   redirect URIs), api (when it has scopes, known client apps, mapped claims or token version 2).
 * - Sent only `if d.HasChange(...)` (state from the import's Read against an empty config): identifierUris,
 *   requiredResourceAccess, appRoles (disabled first, applicationDisableAppRoles), optionalClaims, and
 *   oauth2RequirePostResponse (through the beta API).
 * - NOT cleared: tags. The schema makes `tags` Optional and Computed, so `d.Get("tags")` answers the state's value
 *   and the update sends the tags back as they are (issue 24 said otherwise; the source above decides).
 */

export interface ClearedProperty {
    /** The Graph property, as the application resource type names it. */
    readonly property: string;
    readonly before: unknown;
    /** What the update leaves in Graph. */
    readonly after: unknown;
}

type Json = Record<string, unknown>;

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const object = (value: unknown): Json => (value !== null && typeof value === "object" && !Array.isArray(value) ? value as Json : {});
const present = (value: unknown) => value !== null && value !== undefined && value !== "" && value !== false;

const EMPTY_WEB = { homePageUrl: null, logoutUrl: null, redirectUris: [],
    implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false } };
const EMPTY_API = { acceptMappedClaims: false, knownClientApplications: [], oauth2PermissionScopes: [], requestedAccessTokenVersion: 1 };
const EMPTY_CLAIMS = { accessToken: [], idToken: [], saml2Token: [] };

/** Each property of `app` (a Graph application) that the update changes, with its value before and after. */
export function applicationUpdateClears(app: Json): ClearedProperty[] {
    const cleared: ClearedProperty[] = [];
    const clear = (property: string, before: unknown, after: unknown) => cleared.push({ property, before, after });

    for (const property of ["description", "notes", "serviceManagementReference", "groupMembershipClaims"]) {
        if (present(app[property])) clear(property, app[property], null);
    }
    const info = object(app["info"]);
    for (const url of ["marketingUrl", "privacyStatementUrl", "supportUrl", "termsOfServiceUrl"]) {
        if (present(info[url])) clear(`info.${url}`, info[url], null);
    }
    for (const property of ["isDeviceOnlyAuthSupported", "isFallbackPublicClient", "oauth2RequirePostResponse"]) {
        if (app[property] === true) clear(property, true, false);
    }

    const web = object(app["web"]);
    const grants = object(web["implicitGrantSettings"]);
    if (list(web["redirectUris"]).length > 0 || grants["enableAccessTokenIssuance"] === true || grants["enableIdTokenIssuance"] === true) {
        clear("web", { homePageUrl: web["homePageUrl"] ?? null, logoutUrl: web["logoutUrl"] ?? null,
            redirectUris: list(web["redirectUris"]), implicitGrantSettings: grants }, EMPTY_WEB);
    }
    for (const property of ["spa", "publicClient"]) {
        const uris = list(object(app[property])["redirectUris"]);
        if (uris.length > 0) clear(`${property}.redirectUris`, uris, []);
    }
    const api = object(app["api"]);
    if (list(api["oauth2PermissionScopes"]).length > 0 || list(api["knownClientApplications"]).length > 0 ||
        api["acceptMappedClaims"] === true || api["requestedAccessTokenVersion"] === 2) {
        clear("api", { acceptMappedClaims: api["acceptMappedClaims"] ?? null, knownClientApplications: list(api["knownClientApplications"]),
            oauth2PermissionScopes: list(api["oauth2PermissionScopes"]), requestedAccessTokenVersion: api["requestedAccessTokenVersion"] ?? null },
        EMPTY_API);
    }

    for (const property of ["identifierUris", "requiredResourceAccess", "appRoles"]) {
        if (list(app[property]).length > 0) clear(property, app[property], []);
    }
    const claims = object(app["optionalClaims"]);
    if (["accessToken", "idToken", "saml2Token"].some((token) => list(claims[token]).length > 0)) {
        clear("optionalClaims", claims, EMPTY_CLAIMS);
    }
    return cleared;
}

/** The Graph PATCH body that leaves the app as the update does: each cleared property's `after`. */
export function clearingPatch(cleared: readonly ClearedProperty[], app: Json): Json {
    const patch: Json = {};
    for (const { property, after } of cleared) {
        if (property.startsWith("info.")) {
            patch["info"] = { ...object(app["info"]), ...object(patch["info"]), [property.slice(5)]: after };
        } else if (property.endsWith(".redirectUris")) {
            const block = property.split(".")[0]!;
            patch[block] = { ...object(app[block]), redirectUris: after };
        } else {
            patch[property] = after;
        }
    }
    return patch;
}

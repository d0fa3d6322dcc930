/**
 * Microsoft Graph v1.0 (https://graph.microsoft.com/v1.0): authenticates the bearer token, routes the request,
 * and turns a GraphError into Graph's error response.
 */
import { randomUUID } from "node:crypto";
import type { StandInRequest, StandInResponse, StandInService } from "../standin/server";
import type { ApplicationRecord } from "../state";
import type { Store } from "../store";
import { audienceMatches, RESOURCES, type TokenIssuer } from "../tokens";
import { createApplication, deleteApplication, getApplication, listApplications, updateApplication } from "./applications";
import { DELETABLE_TYPES, getDeletedItem, listDeletedItems, purgeDeletedItem, restoreDeletedItem } from "./deletedItems";
import { findApplication, findDirectoryObject, findServicePrincipal } from "./directory";
import { getByIds } from "./directoryObjects";
import { rawCount, shapeList } from "./query";
import { GraphError, graphErrorResponse, graphHeaders } from "./errors";
import { applicationView, servicePrincipalView, type GraphResult } from "./model";
import { context } from "./odata";
import {
    createFederatedIdentityCredential, deleteFederatedIdentityCredential, getFederatedIdentityCredential,
    listFederatedIdentityCredentials, updateFederatedIdentityCredential,
} from "./federatedIdentityCredentials";
import { conditionalAccessRoute } from "./conditionalAccessRoutes";
import { addOwner, listOwners, removeOwner } from "./owners";
import { addPassword, removePassword } from "./passwords";
import { Caller } from "./permissions";
import {
    assignPolicy, createPolicy, getDefaultPolicy, includesUnknownMembers, getPolicy, listApplicationPolicies, listPolicies, updateDefaultPolicy,
} from "./policies";
import {
    createServicePrincipal, deleteServicePrincipal, getServicePrincipal, listServicePrincipals, updateServicePrincipal,
} from "./servicePrincipals";

export const GRAPH_HOST = "graph.microsoft.com";

export class GraphService implements StandInService {
    constructor(private readonly store: Store, private readonly issuer: TokenIssuer, private readonly now: () => Date) {}

    matches(host: string): boolean {
        return host === GRAPH_HOST;
    }

    handle(request: StandInRequest): StandInResponse {
        try {
            const caller = this.authenticate(request);
            const result = this.route(request, caller);
            const headers = { ...graphHeaders(request, randomUUID()), ...result.headers };
            if (result.text !== undefined) return { status: result.status, headers: { ...headers, "content-type": "text/plain" }, body: result.text };
            return result.body === undefined
                ? { status: result.status, headers: { "request-id": headers["request-id"]!, "client-request-id": headers["client-request-id"]! }, body: "" }
                : { status: result.status, headers, body: JSON.stringify(result.body) };
        } catch (error) {
            if (!(error instanceof GraphError)) throw error;
            const challenge: Record<string, string> = error.status === 401
                ? { "www-authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"` }
                : {};
            return graphErrorResponse(request, error, challenge);
        }
    }

    /** 401 InvalidAuthenticationToken with the messages Graph gives (learn.microsoft.com/graph/errors). */
    private authenticate(request: StandInRequest): Caller {
        const verification = this.issuer.fromHeader(request.headers.authorization);
        const unauthorized = (message: string) => new GraphError(401, "InvalidAuthenticationToken", message);
        if (verification === undefined) throw unauthorized("Access token is empty.");
        if (!verification.ok) {
            if (verification.reason === "malformed") throw unauthorized("CompactToken parsing failed with error code: 80049217");
            if (verification.reason === "expired") throw unauthorized("Lifetime validation failed, the token is expired.");
            throw unauthorized("Access token validation failure.");
        }
        if (!audienceMatches(verification.claims.aud, RESOURCES.graph)) {
            throw unauthorized("Access token validation failure. Invalid audience.");
        }
        return new Caller(verification.claims);
    }

    private route(request: StandInRequest, caller: Caller): GraphResult {
        const segments = request.url.pathname.split("/").filter((part) => part !== "").map(decodeURIComponent);
        const [version, collection, id, relation, ...rest] = segments;
        if (version !== "v1.0") throw new GraphError(400, "BadRequest", `Invalid version: ${String(version)}`);
        const method = request.method;
        const filter = request.url.searchParams.get("$filter");
        const now = this.now();
        const store = this.store;
        const notAllowed = () => new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
        const unknownSegment = (segment: string | undefined) =>
            new GraphError(400, "BadRequest", `Resource not found for the segment '${String(segment)}'.`);

        if (collection === "directoryObjects" && id === "getByIds" && relation === undefined) {
            if (method !== "POST") throw notAllowed();
            return getByIds(store, caller, request.body);
        }
        if (collection === "directoryObjects" && id !== undefined && relation === undefined) {
            if (method !== "GET") throw notAllowed();
            caller.requireRead();
            const found = findDirectoryObject(store.state, id);
            const view = found.kind === "application" ? applicationView(found.record) : servicePrincipalView(found.record, store.state);
            return { status: 200, body: { ...context("directoryObjects/$entity"), "@odata.type": `#microsoft.graph.${found.kind}`, ...view } };
        }
        if (collection === "directory" && id === "deletedItems") return this.deletedItems(request, caller, segments.slice(3), notAllowed, unknownSegment);
        if (collection === "identity" && id === "conditionalAccess") {
            return conditionalAccessRoute(store, caller, request, segments.slice(3), now, notAllowed, unknownSegment);
        }
        if (collection === "policies") return this.policies(request, caller, segments.slice(2), notAllowed, unknownSegment);
        if (collection !== "applications" && collection !== "servicePrincipals") throw unknownSegment(collection);
        const isApp = collection === "applications";

        if (id === undefined) {
            if (method === "GET") return shapeList(request, collection, isApp ? listApplications(store, caller, filter) : listServicePrincipals(store, caller, filter));
            if (method === "POST") return isApp ? createApplication(store, caller, request.body, now) : createServicePrincipal(store, caller, request.body);
            throw notAllowed();
        }
        if (id === "$count" && relation === undefined && method === "GET") {
            const listed = (isApp ? listApplications(store, caller, filter) : listServicePrincipals(store, caller, filter)).body as { value: unknown[] };
            return { status: 200, text: rawCount(request, listed.value.length).text };
        }
        if (relation === undefined) {
            if (method === "GET") return isApp ? getApplication(store, caller, id, request.url.searchParams.get("$select")) : getServicePrincipal(store, caller, id);
            if (method === "PATCH") return isApp ? updateApplication(store, caller, id, request.body) : updateServicePrincipal(store, caller, id, request.body);
            if (method === "DELETE") return isApp ? deleteApplication(store, caller, id, now) : deleteServicePrincipal(store, caller, id, now);
            throw notAllowed();
        }
        const owned = isApp ? findApplication(store.state, id) : findServicePrincipal(store.state, id);
        if (relation === "owners") {
            if (rest.length === 0 && method === "GET") return listOwners(store, caller, owned);
            if (rest.length === 1 && rest[0] === "$ref" && method === "POST") return addOwner(store, caller, owned, request.body);
            if (rest.length === 2 && rest[1] === "$ref" && method === "DELETE") return removeOwner(store, caller, owned, rest[0]!);
            throw rest.length === 0 || rest.at(-1) === "$ref" ? notAllowed() : unknownSegment(rest.at(-1));
        }
        if (isApp && rest.length === 0 && (relation === "addPassword" || relation === "removePassword")) {
            if (method !== "POST") throw notAllowed();
            const app = findApplication(store.state, id);
            return relation === "addPassword" ? addPassword(store, caller, app, request.body, now) : removePassword(store, caller, app, request.body);
        }
        const byName = isApp ? /^federatedIdentityCredentials\(name='((?:[^']|'')*)'\)$/.exec(relation) : null;
        if (isApp && (relation === "federatedIdentityCredentials" || byName !== null)) {
            return this.federatedIdentityCredentials(request, caller, findApplication(store.state, id),
                byName === null ? rest : [byName[1]!.replace(/''/g, "'"), ...rest], byName === null, notAllowed, unknownSegment);
        }
        if (isApp && relation === "appManagementPolicies" && rest.length === 0) {
            if (method !== "GET") throw notAllowed();
            return listApplicationPolicies(store, caller, findApplication(store.state, id), includesUnknownMembers(request.headers.prefer));
        }
        throw unknownSegment(relation);
    }

    /**
     * /v1.0/applications/{id}/federatedIdentityCredentials[/{id or name}], and .../federatedIdentityCredentials(name='{name}')
     * (federatedIdentityCredentials.ts). `collection` is false when the path already named one credential by `(name=...)`.
     */
    private federatedIdentityCredentials(request: StandInRequest, caller: Caller, app: ApplicationRecord, rest: readonly string[],
        collection: boolean, notAllowed: () => GraphError, unknownSegment: (segment: string | undefined) => GraphError): GraphResult {
        const method = request.method;
        if (collection && rest.length === 0) {
            if (method === "GET") return listFederatedIdentityCredentials(caller, app, request.url.searchParams.get("$filter"));
            if (method === "POST") return createFederatedIdentityCredential(this.store, caller, app, request.body);
            throw notAllowed();
        }
        if (rest.length !== 1) throw unknownSegment(rest.at(-1));
        const key = rest[0]!;
        if (method === "GET") return getFederatedIdentityCredential(caller, app, key);
        if (method === "PATCH") return updateFederatedIdentityCredential(this.store, caller, app, key, request.body);
        if (method === "DELETE") return deleteFederatedIdentityCredential(this.store, caller, app, key);
        throw notAllowed();
    }

    /** /v1.0/directory/deletedItems/microsoft.graph.{application,servicePrincipal} and /{id}[/restore] (deletedItems.ts). */
    private deletedItems(request: StandInRequest, caller: Caller, segments: readonly string[], notAllowed: () => GraphError,
        unknownSegment: (segment: string | undefined) => GraphError): GraphResult {
        const [item, action, ...rest] = segments;
        const method = request.method;
        if (item === undefined || rest.length > 0) throw unknownSegment(rest.at(-1) ?? "deletedItems");
        const kind = DELETABLE_TYPES[item as keyof typeof DELETABLE_TYPES] as "application" | "servicePrincipal" | undefined;
        if (kind !== undefined) {
            if (action !== undefined) throw unknownSegment(action);
            if (method === "GET") return listDeletedItems(this.store, caller, kind);
            throw notAllowed();
        }
        if (action === "restore") {
            if (method === "POST") return restoreDeletedItem(this.store, caller, item);
            throw notAllowed();
        }
        if (action !== undefined) throw unknownSegment(action);
        if (method === "GET") return getDeletedItem(this.store, caller, item);
        if (method === "DELETE") return purgeDeletedItem(this.store, caller, item);
        throw notAllowed();
    }

    /** /v1.0/policies/defaultAppManagementPolicy and /v1.0/policies/appManagementPolicies[/{id}[/appliesTo/$ref]]. */
    private policies(request: StandInRequest, caller: Caller, segments: readonly string[], notAllowed: () => GraphError,
        unknownSegment: (segment: string | undefined) => GraphError): GraphResult {
        const [kind, id, relation, ref, ...rest] = segments;
        const method = request.method;
        const includeUnknown = includesUnknownMembers(request.headers.prefer);
        if (kind === "defaultAppManagementPolicy" && id === undefined) {
            if (method === "GET") return getDefaultPolicy(this.store, caller, includeUnknown);
            if (method === "PATCH") return updateDefaultPolicy(this.store, caller, request.body);
            throw notAllowed();
        }
        if (kind !== "appManagementPolicies") throw unknownSegment(kind ?? id);
        if (id === undefined) {
            if (method === "GET") return listPolicies(this.store, caller, includeUnknown);
            if (method === "POST") return createPolicy(this.store, caller, request.body, includeUnknown);
            throw notAllowed();
        }
        if (relation === undefined) {
            if (method === "GET") return getPolicy(this.store, caller, id, includeUnknown);
            throw notAllowed();
        }
        if (relation === "appliesTo" && ref === "$ref" && rest.length === 0) {
            if (method === "POST") return assignPolicy(this.store, caller, id, request.body);
            throw notAllowed();
        }
        throw unknownSegment(rest.at(-1) ?? ref ?? relation);
    }
}

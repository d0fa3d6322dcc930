/**
 * The Microsoft Graph v1.0 calls terraform-provider-azuread makes for applications, service principals, owners and
 * passwords, sent to the local Azure.
 */
import { GRAPH, type TokenSource } from "../shared/auth";
import type { HttpAnswer, HttpRequest, LocalAzureClient } from "../shared/localAzure";
import { CREATE_TIMEOUT_MS, realClock, sendWithRetries, type RetryClock, type RetryFunc } from "./retries";
import { isObject, stringOf } from "../shared/properties";

export type GraphObject = Record<string, unknown>;
export type DirectoryCollection = "applications" | "servicePrincipals";
export type ConditionalAccessKind = "namedLocations" | "policies";

const STATUS_TEXT: Readonly<Record<number, string>> = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable",
};

/** applications.go applicationUpdateRetryFunc: the update that proves a new application exists retries 404 and 409. */
export const APPLICATION_UPDATE_RETRY: RetryFunc = (answer) => answer.status === 404 || answer.status === 409;

/** A Graph error answer. The message follows go-azure-sdk's client error (sdk/client/client.go). */
export class GraphError extends Error {
    constructor(readonly status: number, readonly code: string, readonly graphMessage: string) {
        super(`unexpected status ${status} (${status} ${STATUS_TEXT[status] ?? ""}) with error: ${code}: ${graphMessage}`);
        this.name = "GraphError";
    }
}

export class GraphClient {
    constructor(private readonly http: LocalAzureClient, private readonly tokens: TokenSource, private readonly clock: RetryClock = realClock) {}

    /** The caller's object ID: the `oid` claim of its Graph token (internal/clients/client.go). */
    async callerObjectId(): Promise<string> {
        return (await this.tokens.claims(GRAPH)).oid;
    }

    /**
     * `$filter=displayName eq '<name>'`, the name unescaped, then an exact comparison, as
     * internal/services/applications/applications.go `applicationFindByName` does.
     */
    async applicationsNamed(displayName: string): Promise<GraphObject[]> {
        const found = await this.list(`/v1.0/applications?$filter=${encodeURIComponent(`displayName eq '${displayName}'`)}`);
        return found.filter((app) => app["displayName"] === displayName);
    }

    /** `$filter=appId eq '<id>'` with single quotes doubled (service_principal_resource.go, odata.EscapeSingleQuote). */
    servicePrincipalsFor(appId: string): Promise<GraphObject[]> {
        const filter = `appId eq '${appId.replace(/'/g, "''")}'`;
        return this.list(`/v1.0/servicePrincipals?$filter=${encodeURIComponent(filter)}`);
    }

    async create(collection: DirectoryCollection, body: GraphObject): Promise<GraphObject> {
        return this.object(await this.call({ method: "POST", path: `/v1.0/${collection}`, json: body }, [201]));
    }

    /** The object, or undefined when Graph answers 404. */
    async get(collection: DirectoryCollection, id: string): Promise<GraphObject | undefined> {
        const answer = await this.send({ method: "GET", path: `/v1.0/${collection}/${id}` });
        if (answer.status === 404) return undefined;
        return this.object(this.check(answer, [200]));
    }

    /** The object; a 404 is an error too, as the consistency polls' `client.Get` sees it (they test no status). */
    async read(collection: DirectoryCollection, id: string): Promise<GraphObject> {
        return this.object(await this.call({ method: "GET", path: `/v1.0/${collection}/${id}` }, [200]));
    }

    /** `retryFunc`: the call's own retries on top of the client's (./retries.ts). */
    async patch(collection: DirectoryCollection, id: string, body: GraphObject, retryFunc?: RetryFunc): Promise<void> {
        await this.call({ method: "PATCH", path: `/v1.0/${collection}/${id}`, json: body }, [204, 200], retryFunc);
    }

    async delete(collection: DirectoryCollection, id: string): Promise<void> {
        await this.call({ method: "DELETE", path: `/v1.0/${collection}/${id}` }, [204, 200]);
    }

    async owners(collection: DirectoryCollection, id: string): Promise<string[]> {
        const owners = await this.list(`/v1.0/${collection}/${id}/owners`);
        return owners.map((owner) => String(owner["id"]));
    }

    async addOwner(collection: DirectoryCollection, id: string, ownerId: string): Promise<void> {
        await this.call({
            method: "POST",
            path: `/v1.0/${collection}/${id}/owners/$ref`,
            json: { "@odata.id": directoryObjectUrl(ownerId) },
        }, [204, 200]);
    }

    async removeOwner(collection: DirectoryCollection, id: string, ownerId: string): Promise<void> {
        await this.call({ method: "DELETE", path: `/v1.0/${collection}/${id}/owners/${ownerId}/$ref` }, [204, 200]);
    }

    async addPassword(applicationId: string, credential: GraphObject): Promise<GraphObject> {
        const answer = await this.call({
            method: "POST",
            path: `/v1.0/applications/${applicationId}/addPassword`,
            json: { passwordCredential: credential },
        }, [200, 201]);
        return this.object(answer);
    }

    async removePassword(applicationId: string, keyId: string): Promise<void> {
        await this.call({ method: "POST", path: `/v1.0/applications/${applicationId}/removePassword`, json: { keyId } }, [204, 200]);
    }

    /** go-azure-sdk federatedidentitycredential: Create POST (201), Get (200, 404 → undefined), Update PATCH (204), Delete (204). */
    async createFederatedIdentityCredential(applicationId: string, credential: GraphObject): Promise<GraphObject> {
        return this.object(await this.call({ method: "POST", path: `/v1.0/applications/${applicationId}/federatedIdentityCredentials`, json: credential }, [201]));
    }

    async getFederatedIdentityCredential(applicationId: string, credentialId: string): Promise<GraphObject | undefined> {
        const answer = await this.send({ method: "GET", path: `/v1.0/applications/${applicationId}/federatedIdentityCredentials/${credentialId}` });
        if (answer.status === 404) return undefined;
        return this.object(this.check(answer, [200]));
    }

    async updateFederatedIdentityCredential(applicationId: string, credentialId: string, credential: GraphObject): Promise<void> {
        await this.call({ method: "PATCH", path: `/v1.0/applications/${applicationId}/federatedIdentityCredentials/${credentialId}`, json: credential }, [204, 200]);
    }

    async deleteFederatedIdentityCredential(applicationId: string, credentialId: string): Promise<void> {
        await this.call({ method: "DELETE", path: `/v1.0/applications/${applicationId}/federatedIdentityCredentials/${credentialId}` }, [204, 200]);
    }

    /**
     * go-azure-sdk microsoft-graph identity/stable conditionalaccessnamedlocation and conditionalaccesspolicy: Create POST
     * (201), Get (200, 404 → undefined), Update PATCH (204), Delete (204), on /identity/conditionalAccess/{kind}.
     */
    async createConditionalAccess(kind: ConditionalAccessKind, body: GraphObject): Promise<GraphObject> {
        return this.object(await this.call({ method: "POST", path: `/v1.0/identity/conditionalAccess/${kind}`, json: body }, [201]));
    }

    async getConditionalAccess(kind: ConditionalAccessKind, id: string): Promise<GraphObject | undefined> {
        const answer = await this.send({ method: "GET", path: `/v1.0/identity/conditionalAccess/${kind}/${id}` });
        if (answer.status === 404) return undefined;
        return this.object(this.check(answer, [200]));
    }

    async updateConditionalAccess(kind: ConditionalAccessKind, id: string, body: GraphObject): Promise<void> {
        await this.call({ method: "PATCH", path: `/v1.0/identity/conditionalAccess/${kind}/${id}`, json: body }, [204, 200]);
    }

    /** The Graph answer's status too: the provider treats a 404 on delete as already deleted. */
    async deleteConditionalAccess(kind: ConditionalAccessKind, id: string): Promise<"deleted" | "absent"> {
        const answer = await this.send({ method: "DELETE", path: `/v1.0/identity/conditionalAccess/${kind}/${id}` });
        if (answer.status === 404) return "absent";
        this.check(answer, [204, 200]);
        return "deleted";
    }

    private async list(path: string): Promise<GraphObject[]> {
        const body = this.object(await this.call({ method: "GET", path }, [200]));
        const value = body["value"];
        return Array.isArray(value) ? value.filter(isObject) : [];
    }

    private async call(request: Omit<HttpRequest, "host" | "token">, expected: readonly number[], retryFunc?: RetryFunc): Promise<HttpAnswer> {
        return this.check(await this.send(request, retryFunc), expected);
    }

    /**
     * Through go-azure-sdk's retries. Each call's deadline is its resource operation's default timeout (10 minutes
     * for a create): the stand-in does not thread the engine's custom timeouts through to here.
     */
    private async send(request: Omit<HttpRequest, "host" | "token">, retryFunc?: RetryFunc): Promise<HttpAnswer> {
        const token = await this.tokens.token(GRAPH);
        return sendWithRetries(() => this.http.send({ ...request, host: GRAPH, token }),
            { method: request.method, url: `https://${GRAPH}${request.path}` },
            { ...(retryFunc === undefined ? {} : { retryFunc }), deadline: this.clock.now() + CREATE_TIMEOUT_MS, clock: this.clock });
    }

    private check(answer: HttpAnswer, expected: readonly number[]): HttpAnswer {
        if (expected.includes(answer.status)) return answer;
        const error = isObject(answer.body) && isObject(answer.body["error"]) ? answer.body["error"] : {};
        throw new GraphError(answer.status, stringOf(error["code"]) ?? "UnknownError", stringOf(error["message"]) ?? "");
    }

    private object(answer: HttpAnswer): GraphObject {
        return isObject(answer.body) ? answer.body : {};
    }
}

/** How the provider names a directory object in an owners reference (`client.BaseUri + /directoryObjects/{id}`). */
export function directoryObjectUrl(id: string): string {
    return `https://${GRAPH}/v1.0/directoryObjects/${id}`;
}

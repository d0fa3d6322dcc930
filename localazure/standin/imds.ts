/**
 * A stand-in of the Azure Instance Metadata Service's managed identity endpoint on an Azure VM, which holds a
 * system-assigned identity and user-assigned ones (Microsoft Learn, "How to use managed identities for Azure
 * resources on an Azure VM to acquire an access token", https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token):
 * - `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...` with the header
 *   `Metadata: true` ("required ... as a mitigation against server side request forgery");
 * - `client_id`, `object_id` or `msi_res_id` (optional) pick a user-assigned identity, "required if your VM has
 *   multiple user-assigned managed identities"; without one, the VM's system-assigned identity answers;
 * - a 200 with `access_token`, `client_id`, and the times as strings (as the Arc agent answers, localazure/arc/agent.ts).
 * Which error IMDS gives for an identity not on the VM is not on that page: 400 `invalid_request`, "Identity not
 * found", is what azure-identity's ImdsCredential treats as "No identity has been assigned to this resource" (a 400,
 * azure/identity/_credentials/imds.py), the stand-in's assumption for the text.
 */
import { randomUUID } from "node:crypto";
import type { StandInRequest, StandInResponse, StandInService } from "./server";
import type { TokenClaims } from "./entra";

export const IMDS_HOST = "169.254.169.254";
const TOKEN_PATH = "/metadata/identity/oauth2/token";

export interface VmIdentity {
    /** The managed identity's application (client) ID. */
    readonly clientId: string;
    /** Its service principal's object ID: the principal its role assignments name. */
    readonly principalId: string;
    /** Its Azure resource ID (a user-assigned identity's; the VM's for the system-assigned one). */
    readonly resourceId: string;
}

export interface ImdsOptions {
    readonly tenantId: string;
    readonly systemAssigned?: VmIdentity;
    readonly userAssigned: readonly VmIdentity[];
    /** Where tokens are recorded for the Blob stand-in to judge (EntraStandIn.issuedTokens). */
    readonly issuedTokens: Map<string, TokenClaims>;
    readonly now: () => Date;
}

export class ImdsStandIn implements StandInService {
    readonly plainHttp = true;
    /** Each token request as `client_id=<value or none>` and the status answered: which identity was asked for. */
    readonly asked: string[] = [];

    constructor(private readonly options: ImdsOptions) {}

    matches(host: string): boolean {
        return host === IMDS_HOST;
    }

    handle(request: StandInRequest): StandInResponse {
        const answer = this.answer(request);
        if (request.url.pathname === TOKEN_PATH) {
            const picked = ["client_id", "object_id", "msi_res_id"].find((key) => request.url.searchParams.has(key));
            this.asked.push(`${picked ?? "none"}=${picked === undefined ? "" : request.url.searchParams.get(picked)!} ${answer.status}`);
        }
        return answer;
    }

    private answer(request: StandInRequest): StandInResponse {
        if (request.method !== "GET" || request.url.pathname !== TOKEN_PATH) return json(404, { error: "not_found" });
        if (request.headers["metadata"] !== "true") {
            return json(400, { error: "invalid_request", error_description: "Required metadata header not specified" });
        }
        const resource = request.url.searchParams.get("resource");
        if (request.url.searchParams.get("api-version") === null || resource === null || resource === "") {
            return json(400, { error: "invalid_request", error_description: "Required query variable 'api-version' or 'resource' is missing" });
        }
        const identity = this.identityAsked(request.url.searchParams);
        if (identity === undefined) return json(400, { error: "invalid_request", error_description: "Identity not found" });
        const now = this.options.now();
        const expiresOn = Math.floor(now.getTime() / 1000) + 24 * 3600;
        const claims: TokenClaims = {
            aud: resource.replace(/\/$/, ""), tid: this.options.tenantId, appid: identity.clientId, oid: identity.principalId, exp: expiresOn,
        };
        const accessToken = [{ typ: "JWT", alg: "none" }, claims, { imds_stand_in: randomUUID() }]
            .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url")).join(".");
        this.options.issuedTokens.set(accessToken, claims);
        return json(200, {
            access_token: accessToken, client_id: identity.clientId, expires_in: String(24 * 3600), expires_on: String(expiresOn),
            ext_expires_in: String(24 * 3600), not_before: String(Math.floor(now.getTime() / 1000)), resource, token_type: "Bearer",
        });
    }

    private identityAsked(query: URLSearchParams): VmIdentity | undefined {
        const clientId = query.get("client_id");
        const objectId = query.get("object_id");
        const resourceId = query.get("msi_res_id");
        if (clientId === null && objectId === null && resourceId === null) return this.options.systemAssigned;
        return this.options.userAssigned.find((identity) =>
            (clientId !== null && identity.clientId.toLowerCase() === clientId.toLowerCase()) ||
            (objectId !== null && identity.principalId.toLowerCase() === objectId.toLowerCase()) ||
            (resourceId !== null && identity.resourceId.toLowerCase() === resourceId.toLowerCase()));
    }
}

function json(status: number, body: unknown): StandInResponse {
    return { status, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

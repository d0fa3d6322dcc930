/**
 * A stand-in for the Microsoft Entra token endpoint, serving the identities of an offline plan. It answers what
 * MSAL asks first (instance discovery, OpenID configuration) and the client-credentials token request, issuing a
 * token naming the service principal for the right tenant, client ID and an unexpired secret or a client assertion
 * signed with one of its certificates (localazure/clientAssertion.ts), and otherwise
 * answering as Entra does: the same error codes, AADSTS numbers and HTTP statuses.
 */
import { randomUUID } from "node:crypto";
import { JWT_BEARER, verifyClientAssertion, type Refusal } from "../clientAssertion";
import { isFederatedAssertion, verifyFederatedAssertion, type FederatedCredentialRecord, type IssuerFetch } from "../federatedAssertion";
import type { KeyCredentialRecord } from "../graph/keyCredentials";
import type { StandInRequest, StandInResponse, StandInService } from "./server";

export const LOGIN_HOST = "login.microsoftonline.com";

export interface AppCredential {
    readonly displayName: string;
    readonly clientId: string;
    readonly tenantId: string;
    readonly servicePrincipalObjectId: string;
    readonly secrets: readonly { readonly value: string; readonly endDate: Date }[];
    /** The app's registered certificates (Graph keyCredentials), for a client assertion. */
    readonly keyCredentials?: readonly KeyCredentialRecord[];
    /** The external issuers' subjects the app trusts (Graph federatedIdentityCredentials), for a federated assertion. */
    readonly federatedCredentials?: readonly FederatedCredentialRecord[];
}

/** Without a way out, an issuer's documents cannot be read: Entra's answer for an unreachable issuer. */
const NO_NETWORK: IssuerFetch = () => Promise.reject(new Error("the stand-in was given no way to reach an OIDC issuer"));

export interface TokenClaims {
    readonly aud: string;
    readonly tid: string;
    readonly appid: string;
    readonly oid: string;
    readonly exp: number;
}

export class EntraStandIn implements StandInService {
    /** Access tokens issued, by value: what the storage stand-in checks a bearer token against. */
    readonly issuedTokens = new Map<string, TokenClaims>();

    /** `fetchIssuer` reads an OIDC issuer's discovery document and JWKS (localazure/issuerFetch.ts). */
    constructor(private readonly apps: readonly AppCredential[], private readonly now: () => Date = () => new Date(),
        private readonly fetchIssuer: IssuerFetch = NO_NETWORK) {}

    matches(host: string): boolean {
        return host === LOGIN_HOST;
    }

    async handle(request: StandInRequest): Promise<StandInResponse> {
        const path = request.url.pathname;
        if (request.method === "GET" && path === "/common/discovery/instance") return this.instanceDiscovery();
        const openId = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
        if (request.method === "GET" && openId !== null) return this.openIdConfiguration(openId[1]!);
        const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
        if (request.method === "POST" && token !== null) return await this.token(token[1]!, new URLSearchParams(request.body));
        return json(404, { error: "not_found", error_description: `the stand-in has no ${request.method} ${path}` });
    }

    private instanceDiscovery(): StandInResponse {
        return json(200, {
            tenant_discovery_endpoint: `https://${LOGIN_HOST}/{tenant}/v2.0/.well-known/openid-configuration`,
            "api-version": "1.1",
            metadata: [{
                preferred_network: LOGIN_HOST,
                preferred_cache: "login.windows.net",
                aliases: [LOGIN_HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
            }],
        });
    }

    private openIdConfiguration(tenant: string): StandInResponse {
        if (!this.knowsTenant(tenant)) return this.tenantNotFound(tenant);
        const base = `https://${LOGIN_HOST}/${tenant}`;
        return json(200, {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            jwks_uri: `${base}/discovery/v2.0/keys`,
            response_modes_supported: ["query", "fragment", "form_post"],
            subject_types_supported: ["pairwise"],
            id_token_signing_alg_values_supported: ["RS256"],
            response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
            scopes_supported: ["openid", "profile", "email", "offline_access"],
            issuer: `https://${LOGIN_HOST}/${tenant}/v2.0`,
            request_uri_parameter_supported: false,
            userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            claims_supported: ["sub", "iss", "aud", "exp", "iat", "tid", "oid"],
            tenant_region_scope: "EU",
            cloud_instance_name: "microsoftonline.com",
            cloud_graph_host_name: "graph.windows.net",
            msgraph_host: "graph.microsoft.com",
            rbac_url: "https://pas.windows.net",
        });
    }

    private async token(tenant: string, form: URLSearchParams): Promise<StandInResponse> {
        if (!this.knowsTenant(tenant)) return this.tenantNotFound(tenant);
        if (form.get("grant_type") !== "client_credentials") {
            return entraError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        }
        const clientId = form.get("client_id") ?? "";
        const app = this.apps.find((candidate) => candidate.clientId === clientId && candidate.tenantId === tenant);
        if (app === undefined) {
            return entraError(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was ` +
                `not found in the directory '${tenant}'. This can happen if the application has not been installed ` +
                "by the administrator of the tenant or consented to by any user in the tenant.");
        }
        const now = this.now();
        const refused = form.has("client_assertion") || form.has("client_assertion_type")
            ? await this.checkAssertion(form, app, tenant, now) : this.checkSecret(form, app, now);
        if (refused !== undefined) return refused;
        const scope = form.get("scope") ?? "";
        const claims: TokenClaims = {
            aud: scope.replace(/\/\.default$/, ""),
            tid: tenant,
            appid: clientId,
            oid: app.servicePrincipalObjectId,
            exp: Math.floor(now.getTime() / 1000) + 3599,
        };
        const accessToken = [{ typ: "JWT", alg: "none" }, claims, { stand_in: randomUUID() }]
            .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url")).join(".");
        this.issuedTokens.set(accessToken, claims);
        return json(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
    }

    private checkSecret(form: URLSearchParams, app: AppCredential, now: Date): StandInResponse | undefined {
        const clientId = app.clientId;
        const presented = form.get("client_secret") ?? "";
        const matching = app.secrets.filter((secret) => secret.value === presented);
        if (matching.length === 0) {
            return entraError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret " +
                "being sent in the request is the client secret value, not the client secret ID, for a secret added " +
                `to app '${clientId}'.`);
        }
        if (matching.every((secret) => secret.endDate.getTime() <= now.getTime())) {
            return entraError(401, "invalid_client", 7000222, `The provided client secret keys for app '${clientId}' ` +
                "are expired. Visit the Azure portal to create new keys for your app: " +
                "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: " +
                "https://aka.ms/certCreds.");
        }
        return undefined;
    }

    /**
     * A client assertion, only of the JWT bearer type: a certificate's (localazure/clientAssertion.ts) or an external
     * issuer's token for a federated credential (localazure/federatedAssertion.ts).
     */
    private async checkAssertion(form: URLSearchParams, app: AppCredential, tenant: string, now: Date): Promise<StandInResponse | undefined> {
        const assertion = form.get("client_assertion") ?? "";
        if (form.get("client_assertion_type") !== JWT_BEARER || assertion === "") {
            return entraError(401, "invalid_client", 7000218, "The request body must contain the following parameter: " +
                "'client_assertion' or 'client_secret'.");
        }
        const refusal: Refusal | undefined = isFederatedAssertion(assertion, app.clientId)
            ? await verifyFederatedAssertion(assertion, { federatedCredentials: app.federatedCredentials ?? [], now, fetch: this.fetchIssuer })
            : verifyClientAssertion(assertion, { clientId: app.clientId, tenant, keyCredentials: app.keyCredentials ?? [], now });
        return refusal === undefined ? undefined : entraError(refusal.status, refusal.error, refusal.code, refusal.description);
    }

    private knowsTenant(tenant: string): boolean {
        return this.apps.some((app) => app.tenantId === tenant);
    }

    private tenantNotFound(tenant: string): StandInResponse {
        return entraError(400, "invalid_request", 90002, `Tenant '${tenant}' not found. Check to make sure you have ` +
            "the correct tenant ID and are signing into the correct cloud.");
    }
}

function entraError(status: number, error: string, code: number, description: string): StandInResponse {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
    return json(status, {
        error,
        error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} ` +
            `Timestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `https://${LOGIN_HOST}/error?code=${code}`,
    });
}

function json(status: number, body: unknown): StandInResponse {
    return { status, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(body) };
}

/**
 * Entra's token endpoint for the local tenant: localazure/standin/entra.ts answers (instance discovery, OpenID
 * configuration, the client-credentials checks with Entra's AADSTS errors), fed at each request with the
 * directory's current apps, service principals and password hashes; a token it grants is then issued again as a
 * signed JWT by the token issuer, with the service principal's Graph permissions as `roles`.
 */
import { randomUUID } from "node:crypto";
import { EntraStandIn, LOGIN_HOST, type AppCredential } from "./standin/entra";
import type { StandInRequest, StandInResponse, StandInService } from "./standin/server";
import { conditionalAccessGate } from "./conditionalAccess";
import { storedFederatedIdentityCredentials } from "./graph/federatedIdentityCredentials";
import { storedKeyCredentials } from "./graph/keyCredentials";
import type { IssuerFetch } from "./federatedAssertion";
import { hashSecret } from "./secrets";
import type { Store } from "./store";
import { RESOURCES, TOKEN_LIFETIME_SECONDS, type TokenIssuer } from "./tokens";

export class LoginService implements StandInService {
    /** Refilled before each request: EntraStandIn reads the apps it was given. */
    private readonly apps: AppCredential[] = [];
    private readonly entra: EntraStandIn;

    /**
     * `hidesCredential`: a new password or certificate not yet replicated to the token endpoint (localazure/misbehaviour);
     * `fetchIssuer`: how Entra reaches an OIDC issuer (localazure/issuerFetch.ts, through the local Azure's own proxy).
     */
    constructor(private readonly store: Store, private readonly issuer: TokenIssuer, now: () => Date,
        private readonly hidesCredential: (keyId: string) => boolean = () => false, fetchIssuer?: IssuerFetch) {
        this.entra = new EntraStandIn(this.apps, now, fetchIssuer);
    }

    matches(host: string): boolean {
        return host === LOGIN_HOST;
    }

    async handle(request: StandInRequest): Promise<StandInResponse> {
        const form = new URLSearchParams(request.body);
        // Entra compares what it stored with what is presented; the local Azure stores hashes, so it presents one.
        const secret = form.get("client_secret");
        if (secret !== null) form.set("client_secret", hashSecret(secret));
        this.refreshApps();
        const response = await this.entra.handle({ ...request, body: form.toString() });
        if (response.status !== 200 || !/\/oauth2\/v2\.0\/token$/.test(request.url.pathname)) return response;
        return conditionalAccessGate(this.store, request, response, this.entra.issuedTokens) ?? this.reissue(response, form);
    }

    /** Apps a client can sign in as: those with a service principal in the tenant, as in Entra. */
    private refreshApps(): void {
        const { tenantId, applications, servicePrincipals } = this.store.state;
        this.apps.splice(0, this.apps.length, ...applications.flatMap((app) => {
            const principal = servicePrincipals.find((sp) => sp.appId === app.appId);
            if (principal === undefined) return [];
            return [{
                displayName: typeof app.properties["displayName"] === "string" ? app.properties["displayName"] : "", clientId: app.appId, tenantId,
                servicePrincipalObjectId: principal.id,
                secrets: app.passwords.filter((password) => !this.hidesCredential(password.keyId)).map((password) => ({ value: password.secretHash, endDate: new Date(password.endDateTime) })),
                // Where Graph's PATCH keeps them (localazure/graph/keyCredentials.ts): what `pulumi up` registered.
                keyCredentials: storedKeyCredentials(app.properties).filter((key) => !this.hidesCredential(key.keyId)),
                // What `pulumi up` registered through Graph's federatedIdentityCredentials (graph/federatedIdentityCredentials.ts).
                federatedCredentials: storedFederatedIdentityCredentials(app),
            }];
        }));
    }

    private reissue(granted: StandInResponse, form: URLSearchParams): StandInResponse {
        const { access_token: stale } = JSON.parse(granted.body) as { access_token: string };
        const claims = this.entra.issuedTokens.get(stale)!;
        this.entra.issuedTokens.delete(stale);
        const scope = form.get("scope") ?? "";
        const resource = scope.replace(/\/\.default$/, "");
        // Client credentials need one `{resource}/.default` scope (AADSTS1002012), of a resource the tenant knows
        // (AADSTS500011): Microsoft identity platform error codes, learn.microsoft.com/entra/identity-platform/reference-error-codes.
        if (resource === scope || resource.includes(" ")) {
            return aadstsError(400, "invalid_scope", 1002012, `The provided value for scope ${scope} is not valid. ` +
                "Client credential flows must have a scope value with /.default suffixed to the resource identifier " +
                "(application ID URI).");
        }
        const known = Object.values(RESOURCES).some((uri) => resource.replace(/\/+$/, "") === uri) ||
            resource.replace(/\/+$/, "") === "https://management.core.windows.net";
        if (!known) {
            return aadstsError(400, "invalid_resource", 500011, `The resource principal named ${resource} was not found ` +
                `in the tenant named ${claims.tid}. This can happen if the application has not been installed by the ` +
                "administrator of the tenant or consented to by any user in the tenant. You might have sent your " +
                "authentication request to the wrong tenant.");
        }
        const principal = this.store.state.servicePrincipals.find((sp) => sp.id === claims.oid)!;
        const roles = resource.replace(/\/+$/, "") === RESOURCES.graph ? principal.graphPermissions : [];
        // A client assertion, a certificate's or a federated issuer's token: appidacr "2" (access-token-claims-reference:
        // "2" is a client certificate or client assertion; "1" a shared secret).
        const certificate = form.has("client_assertion");
        const { token } = this.issuer.issue({ aud: resource, tenantId: claims.tid, clientId: claims.appid, objectId: claims.oid, roles, certificate });
        return {
            ...granted,
            body: JSON.stringify({
                token_type: "Bearer", expires_in: TOKEN_LIFETIME_SECONDS, ext_expires_in: TOKEN_LIFETIME_SECONDS,
                access_token: token,
            }),
        };
    }
}

/** Entra's error body, as localazure/standin/entra.ts writes it for the other AADSTS codes. */
function aadstsError(status: number, error: string, code: number, description: string): StandInResponse {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
    return {
        status,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({
            error,
            error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} ` +
                `Timestamp: ${timestamp}`,
            error_codes: [code], timestamp, trace_id: traceId, correlation_id: correlationId,
            error_uri: `https://${LOGIN_HOST}/error?code=${code}`,
        }),
    };
}

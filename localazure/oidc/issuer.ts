/**
 * A local OIDC issuer in the shape of a Kubernetes service-account issuer: the discovery document kube-apiserver
 * serves at `{issuer}/.well-known/openid-configuration` (kubernetes pkg/serviceaccount/openidmetadata.go: issuer,
 * jwks_uri `{issuer}/openid/v1/jwks`, response_types_supported ["id_token"], subject_types_supported ["public"],
 * id_token_signing_alg_values_supported ["RS256"]) and its JWKS (RSA keys with use "sig", alg RS256 and a kid),
 * over HTTPS on a host name of its own that the local Azure's proxy routes, as Entra reaches a real one over the
 * internet. It mints the tokens a projected service-account volume holds: RS256 with the key's kid; iss, sub, aud
 * (api://AzureADTokenExchange for Entra), iat, nbf, exp. SPIRE's OIDC discovery provider has the same two documents
 * (its JWKS at /keys); any issuer Entra accepts needs only these.
 *
 * What a test needs beyond a real issuer: `signWithUnpublishedKey` (a key missing from the JWKS), `reachable` (the
 * documents answered with 503, as an issuer that is down), `misconfiguration` (a discovery document or JWKS that is
 * not what OIDC Discovery asks for) and `omit` (a token without one of its claims).
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import type { StandInRequest, StandInResponse, StandInService } from "../standin/server";
import { LOCAL_ISSUER_HOST } from "./host";

export { LOCAL_ISSUER_HOST };

/** Entra's audience for a federated credential (Graph federatedIdentityCredential `audiences`). */
export const ENTRA_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

export interface MintRequest {
    readonly subject: string;
    readonly lifetimeSeconds: number;
    /** Entra's by default. */
    readonly audience?: string;
    /** Claims left out, for a malformed token. */
    readonly omit?: readonly ("exp" | "sub")[];
}

/** A discovery document naming another issuer, a JWKS URI that is not https, or a JWKS that is not JSON. */
export type Misconfiguration = "other-issuer" | "plain-http-jwks-uri" | "jwks-not-json";

interface SigningKey {
    readonly privateKey: CryptoKey;
    readonly jwk: JWK;
}

export class OidcIssuer implements StandInService {
    /** false: the documents answer 503, as an issuer that is down. */
    reachable = true;
    misconfiguration: Misconfiguration | undefined;
    private readonly url: URL;

    private constructor(readonly issuer: string, private readonly key: SigningKey, private readonly unpublished: SigningKey,
        private readonly now: () => Date) {
        this.url = new URL(issuer);
    }

    /** An issuer at `https://oidc.local-azure.test/{name}`, with a fresh RSA key pair. */
    static async start(name: string, now: () => Date = () => new Date()): Promise<OidcIssuer> {
        return new OidcIssuer(`https://${LOCAL_ISSUER_HOST}/${name}`, await newKey(), await newKey(), now);
    }

    matches(host: string): boolean {
        return host === this.url.hostname;
    }

    get jwksUri(): string {
        return `${this.issuer}/openid/v1/jwks`;
    }

    handle(request: StandInRequest): StandInResponse {
        const path = request.url.pathname;
        const known = [`${this.url.pathname}/.well-known/openid-configuration`, `${this.url.pathname}/openid/v1/jwks`];
        if (request.method !== "GET" || !known.includes(path)) return json(404, { kind: "Status", status: "Failure", code: 404 });
        if (!this.reachable) return { status: 503, headers: { "content-type": "text/plain" }, body: "service unavailable\n" };
        if (path === known[0]) {
            return json(200, {
                issuer: this.misconfiguration === "other-issuer" ? `${this.issuer}-other` : this.issuer,
                jwks_uri: this.misconfiguration === "plain-http-jwks-uri" ? this.jwksUri.replace(/^https:/, "http:") : this.jwksUri,
                response_types_supported: ["id_token"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"],
            });
        }
        if (this.misconfiguration === "jwks-not-json") return { status: 200, headers: { "content-type": "text/html" }, body: "<html></html>" };
        return json(200, { keys: [this.key.jwk] });
    }

    mint(request: MintRequest): Promise<string> {
        return this.sign(this.key, request);
    }

    /** A token signed with a key the JWKS does not publish (a forged or stale issuer key). */
    signWithUnpublishedKey(request: MintRequest): Promise<string> {
        return this.sign(this.unpublished, request);
    }

    private sign(key: SigningKey, request: MintRequest): Promise<string> {
        const iat = Math.floor(this.now().getTime() / 1000);
        const claims: Record<string, unknown> = {
            iss: this.issuer, sub: request.subject, aud: request.audience ?? ENTRA_TOKEN_EXCHANGE_AUDIENCE,
            iat, nbf: iat, exp: iat + request.lifetimeSeconds,
        };
        for (const claim of request.omit ?? []) delete claims[claim];
        return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.jwk.kid!, typ: "JWT" }).sign(key.privateKey);
    }
}

async function newKey(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    // kube-apiserver's kid is a hash of the public key, as here: RFC 7638's thumbprint.
    return { privateKey, jwk: { ...jwk, use: "sig", alg: "RS256", kid: await calculateJwkThumbprint(jwk) } };
}

function json(status: number, body: unknown): StandInResponse {
    return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

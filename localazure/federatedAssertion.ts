/**
 * The federated half of Entra's client authentication (Microsoft Learn, "Workload identity federation",
 * learn.microsoft.com/entra/workload-id/workload-identity-federation): a client_credentials request whose
 * `client_assertion` is a JWT from an external issuer that one of the app's federated identity credentials trusts.
 * Entra reads the issuer's OpenID discovery document (`{issuer}/.well-known/openid-configuration`, OpenID Connect
 * Discovery 1.0 §4) and its `jwks_uri` itself, over HTTPS, then checks the RS256 signature, `exp`/`nbf` with its five
 * minutes of skew, and that issuer, subject and audience match one credential exactly (case-sensitive since 2024:
 * "Federated identity credentials now use case-sensitive matching", Microsoft Learn, identity platform breaking changes).
 * The signature and claim checks are jose's (`jwtVerify` over `createLocalJWKSet`), not hand-written crypto.
 *
 * Refusals, each with the public report that quotes Entra's text (status and `error` as quoted there):
 * - AADSTS70021, 400 invalid_request, the app has no federated credential at all: "No matching federated identity
 *   record found for presented assertion. Assertion Issuer: ... Subject: ... Audience: ..." (Azure/azure-workload-identity#616).
 *   Entra now answers an issuer or subject that matches no record with the finer codes below; which code an app
 *   without any record gets is not quoted anywhere found: 70021, the general one, is our choice.
 * - AADSTS700211, 401 invalid_client, no record for the issuer (Azure/azure-workload-identity#1200, 2024);
 * - AADSTS700213, 401 invalid_client, the issuer's records name other subjects (Azure/login#482, dotnet/maui#31978, 2025);
 * - AADSTS700212, 401 invalid_client, issuer and subject match but not the audience: the code is in Entra's error
 *   reference, its text is INVENTED in the family of the two above (no public report quotes it);
 * - AADSTS50166, 400 invalid_request, "Request to External OIDC endpoint failed.": the discovery document or the JWKS
 *   could not be read or is not one (Azure/azure-workload-identity#642, #1130; Azure/azure-cli#28863);
 * - AADSTS7000272, 401 invalid_client, the signing key is not in the issuer's JWKS (Azure/azure-workload-identity#1232);
 * - AADSTS50013, 401 invalid_client, the key is there but the signature does not verify: the text Entra writes for an
 *   assertion's bad signature ("Assertion failed signature validation. [Reason - Key was found, but use of the key to
 *   verify the signature failed.", microsoftgraph/msgraph-sdk-php#1585), without the thumbprint details, which a JWKS
 *   key does not have: ADAPTED;
 * - AADSTS700024, 401 invalid_client, expired or not yet valid, as for a certificate's assertion (clientAssertion.ts);
 * - AADSTS50027, 401 invalid_client, not a JWT or a required claim missing (clientAssertion.ts's invalidJwt).
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { CLOCK_SKEW_SECONDS, invalidJwt, outsideTimeRange, type Refusal } from "./clientAssertion";

/** One federated identity credential as Graph stores it (localazure/graph/federatedIdentityCredentials.ts). */
export interface FederatedCredentialRecord {
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: readonly string[];
}

/** GET over HTTPS, as Entra reads an issuer's documents from the internet; a network failure rejects. */
export type IssuerFetch = (url: string) => Promise<{ readonly status: number; readonly body: string }>;

export interface FederatedContext {
    readonly federatedCredentials: readonly FederatedCredentialRecord[];
    readonly now: Date;
    readonly fetch: IssuerFetch;
}

const DOCS = "https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation";
const LEARN = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";
const CHECK = "Check your federated identity credential Subject, Audience and Issuer against the presented assertion.";

/**
 * A certificate's assertion names the client as its issuer and its certificate in `x5t` or `x5t#S256`
 * (clientAssertion.ts); anything else is an external issuer's token.
 */
export function isFederatedAssertion(assertion: string, clientId: string): boolean {
    try {
        const header = decodeProtectedHeader(assertion);
        if (header.x5t !== undefined || header["x5t#S256"] !== undefined) return false;
        return decodeJwt(assertion).iss !== clientId;
    } catch {
        return false;
    }
}

/** undefined when an external issuer's token proves the client; otherwise Entra's refusal. */
export async function verifyFederatedAssertion(assertion: string, context: FederatedContext): Promise<Refusal | undefined> {
    let claims: JWTPayload;
    try {
        claims = decodeJwt(assertion);
    } catch {
        return invalidJwt("The token is not a signed JWT (three base64url parts of JSON).");
    }
    const issuer = typeof claims.iss === "string" ? claims.iss : "";
    const subject = typeof claims.sub === "string" ? claims.sub : "";
    const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    const records = context.federatedCredentials;
    if (records.length === 0) {
        return refusal(400, "invalid_request", 70021, "No matching federated identity record found for presented assertion. " +
            `Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audiences.join(",")}'. ${DOCS}`);
    }
    // Only a registered issuer's documents are fetched: the app's records say which hosts Entra may be sent to.
    const ofIssuer = records.filter((record) => record.issuer === issuer);
    if (ofIssuer.length === 0) {
        return refusal(401, "invalid_client", 700211, `No matching federated identity record found for presented assertion issuer ` +
            `'${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${DOCS}`);
    }
    const keys = await issuerKeys(issuer, context.fetch);
    if (keys === undefined) return refusal(400, "invalid_request", 50166, "Request to External OIDC endpoint failed.");
    const signed = await verifySignatureAndTimes(assertion, keys, issuer, claims, context.now);
    if (signed !== undefined) return signed;
    const ofSubject = ofIssuer.filter((record) => record.subject === subject);
    if (ofSubject.length === 0) {
        return refusal(401, "invalid_client", 700213, `No matching federated identity record found for presented assertion subject ` +
            `'${subject}'. ${CHECK} ${LEARN}`);
    }
    if (!ofSubject.some((record) => record.audiences.some((audience) => audiences.includes(audience)))) {
        return refusal(401, "invalid_client", 700212, `No matching federated identity record found for presented assertion audience ` +
            `'${audiences.join(",")}'. ${CHECK} ${LEARN}`);
    }
    return undefined;
}

/** The issuer's JWKS by way of its discovery document; undefined when either cannot be read or is not one. */
async function issuerKeys(issuer: string, fetch: IssuerFetch): Promise<JSONWebKeySet | undefined> {
    // OpenID Connect Discovery 1.0 §4: any trailing "/" of the issuer is removed before the well-known path is added.
    const discovery = await fetchJson(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, fetch);
    // §4.3: the document's issuer must be the issuer it was fetched for; its jwks_uri must be https (§3, RFC 8414 §2).
    if (discovery === undefined || discovery["issuer"] !== issuer || typeof discovery["jwks_uri"] !== "string" ||
        !discovery["jwks_uri"].startsWith("https://")) return undefined;
    const jwks = await fetchJson(discovery["jwks_uri"], fetch);
    return jwks !== undefined && Array.isArray(jwks["keys"]) ? jwks as unknown as JSONWebKeySet : undefined;
}

async function fetchJson(url: string, fetch: IssuerFetch): Promise<Record<string, unknown> | undefined> {
    try {
        const response = await fetch(url);
        if (response.status !== 200) return undefined;
        const value = JSON.parse(response.body) as unknown;
        return value !== null && typeof value === "object" && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
    } catch {
        return undefined;
    }
}

async function verifySignatureAndTimes(assertion: string, keys: JSONWebKeySet, issuer: string, claims: JWTPayload,
    now: Date): Promise<Refusal | undefined> {
    try {
        await jwtVerify(assertion, createLocalJWKSet(keys), {
            algorithms: ["RS256"], issuer, currentDate: now, clockTolerance: CLOCK_SKEW_SECONDS,
            requiredClaims: ["iss", "sub", "aud", "exp"],
        });
        return undefined;
    } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
            let kid = "";
            try {
                kid = decodeProtectedHeader(assertion).kid ?? "";
            } catch { /* no header: no identifier to name */ }
            return refusal(401, "invalid_client", 7000272, `The certificate with identifier ${kid} used to sign the federated ` +
                `credential could not be found in the metadata of identity provider ${issuer}. Please validate that your Identity ` +
                "Provider's metadata exposes the key used to sign the incoming token.");
        }
        if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) {
            return refusal(401, "invalid_client", 50013, "Assertion failed signature validation. [Reason - Key was found, but use " +
                "of the key to verify the signature failed.]");
        }
        if (error instanceof errors.JWTExpired ||
            (error instanceof errors.JWTClaimValidationFailed && error.claim === "nbf" && error.reason === "check_failed")) {
            const from = typeof claims.nbf === "number" ? claims.nbf : typeof claims.iat === "number" ? claims.iat : 0;
            return outsideTimeRange(now.getTime() / 1000, from, typeof claims.exp === "number" ? claims.exp : 0);
        }
        const reason = error instanceof errors.JWTClaimValidationFailed ? ` The '${error.claim}' claim is ${error.reason === "missing" ?
            "missing" : "not valid"}.` : "";
        return invalidJwt(`The token could not be validated.${reason}`);
    }
}

function refusal(status: number, error: string, code: number, description: string): Refusal {
    return { status, error, code, description };
}

/**
 * The certificate half of Entra's client authentication: a client_credentials request carrying
 * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a `client_assertion` JWT signed
 * with a certificate registered on the app (Microsoft Learn, "Microsoft identity platform application authentication
 * certificate credentials", learn.microsoft.com/entra/identity-platform/certificate-credentials):
 * - header: `alg` RS256 with `x5t` (SHA-1 thumbprint), as MSAL Python sends it when given a SHA-1 thumbprint
 *   (msal/application.py `_build_client`, which azure-identity's CertificateCredential does), or PS256 with
 *   `x5t#S256` (SHA-256), as MSAL Python without a thumbprint and msal-node 5 (`ClientAssertion.useSha256`) send it;
 * - claims: aud = the tenant's token endpoint, iss = sub = the client ID, jti, exp, and nbf or iat.
 * Refusals carry the AADSTS codes Entra returns (learn.microsoft.com/entra/identity-platform/reference-error-codes)
 * with the texts Entra writes for them, as quoted in public reports (docs/certificate-signin.md lists them).
 */
import { constants, verify } from "node:crypto";
import { certificateOf, findKeyCredential, type KeyCredentialRecord, type Thumbprint } from "./graph/keyCredentials";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * The skew Entra allows on an assertion's times: Microsoft.IdentityModel's TokenValidationParameters.DefaultClockSkew,
 * five minutes.
 */
export const CLOCK_SKEW_SECONDS = 300;

export interface AssertionContext {
    readonly clientId: string;
    /** The tenant segment of the token endpoint the request was posted to. */
    readonly tenant: string;
    readonly keyCredentials: readonly KeyCredentialRecord[];
    readonly now: Date;
}

/** An OAuth error (RFC 6749 §5.2: a failed client authentication is 401 invalid_client) with Entra's AADSTS code. */
export interface Refusal {
    readonly status: number;
    readonly error: string;
    readonly code: number;
    readonly description: string;
}

interface Header {
    readonly alg?: unknown;
    readonly x5t?: unknown;
    readonly "x5t#S256"?: unknown;
}

interface Claims {
    readonly aud?: unknown;
    readonly iss?: unknown;
    readonly sub?: unknown;
    readonly exp?: unknown;
    readonly nbf?: unknown;
    readonly iat?: unknown;
}

/** undefined when the assertion proves the client; otherwise Entra's refusal. */
export function verifyClientAssertion(assertion: string, context: AssertionContext): Refusal | undefined {
    const parsed = parse(assertion);
    if (parsed === undefined) return invalidJwt("The token is not a signed JWT (three base64url parts of JSON).");
    const { header, claims, signedPart, signature } = parsed;
    const thumbprint = thumbprintOf(header);
    const key = thumbprint === undefined ? undefined : findKeyCredential(context.keyCredentials, thumbprint);
    const used = thumbprint === undefined ? "" : thumbprint.value.toString("hex").toUpperCase();
    if (key === undefined) {
        return invalidClient(700027, "The certificate with identifier used to sign the client assertion is not registered " +
            `on application. [Reason - The key was not found., Thumbprint of key used by client: '${used}', ` +
            `${seeKeys(context.clientId)}]`);
    }
    if (new Date(key.endDateTime).getTime() <= context.now.getTime()) {
        return invalidClient(700027, "Client assertion contains an invalid signature. [Reason - The key used is expired., " +
            `Thumbprint of key used by client: '${used}', Found key '${foundKey(key)}', ${seeKeys(context.clientId)}]`);
    }
    if (!signatureVerifies(header.alg, signedPart, signature, key)) {
        return invalidClient(700027, "Client assertion contains an invalid signature. [Reason - Key was found, but use of " +
            `the key to verify the signature failed., Thumbprint of key used by client: '${used}', Found key ` +
            `'${foundKey(key)}', ${seeKeys(context.clientId)}]`);
    }
    return checkClaims(claims, context);
}

function checkClaims(claims: Claims, context: AssertionContext): Refusal | undefined {
    const endpoints = [`https://login.microsoftonline.com/${context.tenant}/oauth2/v2.0/token`,
        `https://login.microsoftonline.com/${context.tenant}/oauth2/token`];
    if (typeof claims.aud !== "string" || !endpoints.includes(claims.aud)) {
        return invalidJwt(`Unexpected audience '${String(claims.aud)}': the assertion must name this tenant's token endpoint.`);
    }
    if (claims.sub !== claims.iss) return invalidClient(50048, "Subject mismatches Issuer claim in the client assertion.");
    if (claims.iss !== context.clientId) {
        return invalidJwt(`Unexpected issuer '${String(claims.iss)}': the assertion must be issued by client '${context.clientId}'.`);
    }
    const now = context.now.getTime() / 1000;
    const exp = typeof claims.exp === "number" ? claims.exp : 0;
    const from = typeof claims.nbf === "number" ? claims.nbf : typeof claims.iat === "number" ? claims.iat : 0;
    if (now > exp + CLOCK_SKEW_SECONDS || now + CLOCK_SKEW_SECONDS < from) return outsideTimeRange(now, from, exp);
    return undefined;
}

/**
 * AADSTS700024, for a certificate's assertion and a federated one alike (Azure/azure-workload-identity#693 and
 * risingwavelabs/risingwave#17123 quote it for Kubernetes service-account tokens, with the same documentation link).
 */
export function outsideTimeRange(now: number, from: number, exp: number): Refusal {
    return invalidClient(700024, `Client assertion is not within its valid time range. Current time: ` +
        `${entraTime(now)}, assertion valid from ${entraTime(from)}, expiry time of assertion ${entraTime(exp)}. ` +
        "Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .");
}

function parse(assertion: string): { header: Header; claims: Claims; signedPart: string; signature: Buffer } | undefined {
    const parts = assertion.split(".");
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    try {
        const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
        const head = decode(header);
        const claims = decode(payload);
        if (!isObject(head) || !isObject(claims)) return undefined;
        return { header: head, claims, signedPart: `${header}.${payload}`, signature: Buffer.from(signature, "base64url") };
    } catch {
        return undefined;
    }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value);

/** `x5t#S256` when present (the current guidance), else `x5t`. */
function thumbprintOf(header: Header): Thumbprint | undefined {
    const sha256 = header["x5t#S256"];
    if (typeof sha256 === "string" && sha256 !== "") return { algorithm: "sha256", value: Buffer.from(sha256, "base64url") };
    const sha1 = header.x5t;
    if (typeof sha1 === "string" && sha1 !== "") return { algorithm: "sha1", value: Buffer.from(sha1, "base64url") };
    return undefined;
}

/** RS256 is RSASSA-PKCS1-v1_5, PS256 RSASSA-PSS with a salt as long as the hash (RFC 7518 §3.3, §3.5), both SHA-256. */
function signatureVerifies(alg: unknown, signedPart: string, signature: Buffer, key: KeyCredentialRecord): boolean {
    if (alg !== "RS256" && alg !== "PS256") return false;
    const publicKey = certificateOf(key).publicKey;
    const padding = alg === "RS256"
        ? { padding: constants.RSA_PKCS1_PADDING }
        : { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    try {
        return verify("sha256", Buffer.from(signedPart), { key: publicKey, ...padding }, signature);
    } catch {
        return false;
    }
}

/** Entra's "Found key" dates: MM/dd/yyyy HH:mm:ss, UTC. */
function foundKey(key: KeyCredentialRecord): string {
    const format = (iso: string) => {
        const date = new Date(iso);
        const two = (value: number) => String(value).padStart(2, "0");
        return `${two(date.getUTCMonth() + 1)}/${two(date.getUTCDate())}/${date.getUTCFullYear()} ` +
            `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
    };
    return `Start=${format(key.startDateTime)}, End=${format(key.endDateTime)}`;
}

function seeKeys(clientId: string): string {
    return `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id ` +
        `'${clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the ` +
        "corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http " +
        `to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${clientId}'`;
}

/** Entra's times in AADSTS700024: seven fractional digits. */
function entraTime(seconds: number): string {
    return new Date(Math.floor(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, ".0000000Z");
}

function invalidClient(code: number, description: string): Refusal {
    return { status: 401, error: "invalid_client", code, description };
}

/** AADSTS50027 InvalidJwtToken: malformed, unexpected issuer or unexpected audience (reference-error-codes). */
export function invalidJwt(reason: string): Refusal {
    return invalidClient(50027, `Invalid JWT token. ${reason}`);
}


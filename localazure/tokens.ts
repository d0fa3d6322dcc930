/**
 * The token issuer: access tokens as JWTs signed with the server's HS256 key, carrying the claims of Entra's v1.0
 * access tokens for an app (learn.microsoft.com/entra/identity-platform/access-token-claims-reference): aud, iss
 * (https://sts.windows.net/{tid}/ for v1.0), iat, nbf, exp, appid, appidacr ("1": client secret, "2": client
 * certificate), idp, oid, sub, tid,
 * roles (application permissions), uti, ver.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface AccessTokenClaims {
    readonly aud: string;
    readonly iss: string;
    readonly iat: number;
    readonly nbf: number;
    readonly exp: number;
    readonly appid: string;
    readonly appidacr: "1" | "2";
    readonly idp: string;
    readonly oid: string;
    readonly sub: string;
    readonly tid: string;
    readonly roles?: readonly string[];
    readonly uti: string;
    readonly ver: "1.0";
}

export type Verification =
    | { readonly ok: true; readonly claims: AccessTokenClaims }
    | { readonly ok: false; readonly reason: "malformed" | "signature" | "expired" | "not-yet-valid"; readonly claims?: AccessTokenClaims };

/** Entra's access tokens live 60 to 90 minutes; the token endpoint says 3599 seconds. */
export const TOKEN_LIFETIME_SECONDS = 3599;

export class TokenIssuer {
    private readonly key: Buffer;

    constructor(signingKey: string, private readonly now: () => Date) {
        this.key = Buffer.from(signingKey, "base64");
    }

    issue(request: { aud: string; tenantId: string; clientId: string; objectId: string; roles: readonly string[];
        certificate?: boolean }):
        { token: string; claims: AccessTokenClaims } {
        const iat = Math.floor(this.now().getTime() / 1000);
        const claims: AccessTokenClaims = {
            aud: request.aud,
            iss: `https://sts.windows.net/${request.tenantId}/`,
            iat, nbf: iat, exp: iat + TOKEN_LIFETIME_SECONDS,
            appid: request.clientId,
            appidacr: request.certificate === true ? "2" : "1",
            idp: `https://sts.windows.net/${request.tenantId}/`,
            oid: request.objectId,
            sub: request.objectId,
            tid: request.tenantId,
            ...(request.roles.length > 0 ? { roles: [...request.roles] } : {}),
            uti: randomBytes(16).toString("base64url"),
            ver: "1.0",
        };
        const signed = `${encode({ typ: "JWT", alg: "HS256" })}.${encode(claims)}`;
        return { token: `${signed}.${this.sign(signed)}`, claims };
    }

    verify(token: string): Verification {
        const parts = token.split(".");
        if (parts.length !== 3) return { ok: false, reason: "malformed" };
        const [header, payload, signature] = parts as [string, string, string];
        let claims: AccessTokenClaims;
        try {
            const head = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown };
            if (head.alg !== "HS256") return { ok: false, reason: "signature" };
            claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as AccessTokenClaims;
        } catch {
            return { ok: false, reason: "malformed" };
        }
        const expected = Buffer.from(this.sign(`${header}.${payload}`));
        const given = Buffer.from(signature);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "signature" };
        const now = this.now().getTime() / 1000;
        if (claims.exp <= now) return { ok: false, reason: "expired", claims };
        if (claims.nbf > now) return { ok: false, reason: "not-yet-valid", claims };
        return { ok: true, claims };
    }

    /** The bearer token of an `Authorization` header, verified; undefined when there is none. */
    fromHeader(authorization: string | undefined): Verification | undefined {
        if (authorization === undefined || authorization === "") return undefined;
        const match = /^Bearer\s+(\S+)$/i.exec(authorization);
        return match === null ? { ok: false, reason: "malformed" } : this.verify(match[1]!);
    }

    private sign(data: string): string {
        return createHmac("sha256", this.key).update(data).digest("base64url");
    }
}

function encode(value: unknown): string {
    return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Resources a client may ask a token for, by their application ID URI, and the audience the token names. */
export const RESOURCES = {
    graph: "https://graph.microsoft.com",
    management: "https://management.azure.com",
    storage: "https://storage.azure.com",
} as const;

/** Audience values each service accepts, as the services list them in their 401 answers. */
export function audienceMatches(aud: string, resource: string): boolean {
    const strip = (value: string) => value.replace(/\/+$/, "").toLowerCase();
    if (resource === RESOURCES.management) {
        return ["https://management.azure.com", "https://management.core.windows.net"].includes(strip(aud));
    }
    if (resource === RESOURCES.graph) return strip(aud) === RESOURCES.graph || aud === "00000003-0000-0000-c000-000000000000";
    return strip(aud) === strip(resource);
}

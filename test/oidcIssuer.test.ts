/**
 * The local OIDC issuer (localazure/oidc/issuer.ts) as Entra and the server see it: its discovery document and JWKS
 * over HTTPS through the stand-in's proxy, in the shape kube-apiserver serves; its tokens verify against that JWKS
 * with Entra's audience; and the token file (localazure/oidc/tokenFile.ts) replaced whole at 80% of a token's
 * lifetime, as kubelet refreshes a projected service-account token, 0600 and the service's user's.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchThroughProxy } from "../localazure/issuerFetch";
import { OidcIssuer } from "../localazure/oidc/issuer";
import { TokenFile } from "../localazure/oidc/tokenFile";
import { startStandIn, type RunningStandIn } from "../localazure/standin/server";
import { ensureServiceUser } from "./support/serviceUser";

let clock = new Date("2026-12-04T10:00:00Z");
let issuer: OidcIssuer;
let server: RunningStandIn;

beforeAll(async () => {
    issuer = await OidcIssuer.start("cluster-1", () => clock);
    server = await startStandIn([issuer]);
});
afterAll(async () => {
    await server?.stop();
});

const get = (url: string) => fetchThroughProxy(() => ({ proxyUrl: server.proxyUrl, caFile: server.caFile }))(url);

describe("the local OIDC issuer", () => {
    it("serves a Kubernetes-shaped discovery document and an RS256 JWKS over HTTPS on its host name", async () => {
        const discovery = await get("https://oidc.local-azure.test/cluster-1/.well-known/openid-configuration");
        expect({ status: discovery.status, body: JSON.parse(discovery.body) as unknown }).toEqual({ status: 200, body: {
            issuer: "https://oidc.local-azure.test/cluster-1", jwks_uri: "https://oidc.local-azure.test/cluster-1/openid/v1/jwks",
            response_types_supported: ["id_token"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"],
        } });
        const jwks = JSON.parse((await get("https://oidc.local-azure.test/cluster-1/openid/v1/jwks")).body) as JSONWebKeySet;
        expect(jwks.keys.map((key) => [key.kty, key.use, key.alg, typeof key.kid, key.e])).toEqual([["RSA", "sig", "RS256", "string", "AQAB"]]);
        expect(jwks.keys[0]).not.toHaveProperty("d");
        expect((await get("https://oidc.local-azure.test/cluster-2/.well-known/openid-configuration")).status).toBe(404);
    });

    it("mints tokens that verify against its JWKS, with Entra's audience and the claims a service-account token has", async () => {
        const jwks = JSON.parse((await get(issuer.jwksUri)).body) as JSONWebKeySet;
        const token = await issuer.mint({ subject: "system:serviceaccount:inventory:api", lifetimeSeconds: 3600 });
        const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { currentDate: clock });
        const iat = clock.getTime() / 1000;
        expect(payload).toEqual({ iss: issuer.issuer, sub: "system:serviceaccount:inventory:api", aud: "api://AzureADTokenExchange",
            iat, nbf: iat, exp: iat + 3600 });
        expect(protectedHeader).toEqual({ alg: "RS256", kid: jwks.keys[0]!.kid, typ: "JWT" });
    });
});

describe("the token file", () => {
    it("is written at once, replaced whole only once the token is 80% through its lifetime, 0600 and the service's user's", async () => {
        const user = ensureServiceUser();
        const directory = mkdtempSync(join(tmpdir(), "token-file-"));
        const path = join(directory, "azure-identity-token");
        clock = new Date("2026-12-04T10:00:00Z");
        const file = new TokenFile(issuer, { path, subject: "system:serviceaccount:inventory:api", lifetimeSeconds: 600, owner: user }, () => clock);
        const at = async (iso: string) => { clock = new Date(iso); return file.refresh(); };
        const steps = [await at("2026-12-04T10:00:00Z")];
        // A reader that opened the first token (as azure-identity's open() does) keeps reading it whole.
        const reader = openSync(path, "r");
        steps.push(await at("2026-12-04T10:07:59Z"), await at("2026-12-04T10:08:00Z"), await at("2026-12-04T10:15:59Z"),
            await at("2026-12-04T10:16:00Z"));
        expect(steps).toEqual([true, false, true, false, true]);
        expect(file.written).toHaveLength(3);
        expect(readFileSync(path, "utf8")).toBe(file.written[2]);
        expect(new Set(file.written).size).toBe(3);
        const last = statSync(path);
        // Renamed over, never written in place; no temporary file left beside it.
        expect(readFileSync(reader, "utf8")).toBe(file.written[0]);
        closeSync(reader);
        expect(readdirSync(directory)).toEqual(["azure-identity-token"]);
        expect({ mode: last.mode & 0o777, uid: last.uid, gid: last.gid }).toEqual({ mode: 0o600, uid: user.uid, gid: user.gid });
        expect(decodeProtectedHeader(file.written[2]!).alg).toBe("RS256");
    });
});

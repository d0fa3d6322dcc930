/**
 * The local Entra's token endpoint with a federated assertion (localazure/federatedAssertion.ts cites each answer):
 * a local OIDC issuer (localazure/oidc/issuer.ts) on its own host name behind the stand-in's HTTPS proxy, whose
 * discovery document and JWKS the Entra stand-in reads through that proxy; every refusal with its exact status,
 * error, AADSTS code and text; and the local Azure doing the same from the credentials its Graph holds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWT_BEARER } from "../localazure/clientAssertion";
import { isFederatedAssertion, type FederatedCredentialRecord } from "../localazure/federatedAssertion";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { fetchThroughProxy } from "../localazure/issuerFetch";
import { ENTRA_TOKEN_EXCHANGE_AUDIENCE, LOCAL_ISSUER_HOST, OidcIssuer } from "../localazure/oidc/issuer";
import { EntraStandIn, LOGIN_HOST, type AppCredential } from "../localazure/standin/entra";
import { startStandIn, type RunningStandIn } from "../localazure/standin/server";
import { deployerGraph, newApp } from "./support/deployerGraph";

const TENANT = "7d2f4a10-3b5c-4e6d-8f70-91a2b3c4d5e6";
const CLIENT_ID = "5b0f6a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b";
const SUBJECT = "system:serviceaccount:inventory:api";
const DOCS = "https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation";
const LEARN = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

let issuer: OidcIssuer;
let server: RunningStandIn;
let clock = new Date();
const app: { -readonly [K in keyof AppCredential]: AppCredential[K] } = {
    displayName: "inventory-api-dev", clientId: CLIENT_ID, tenantId: TENANT, servicePrincipalObjectId: "1e2f3041-5263-4748-99aa-bbccddeeff00",
    secrets: [], federatedCredentials: [],
};
const trust = (...records: Partial<FederatedCredentialRecord>[]) => {
    app.federatedCredentials = records.map((record) => ({ issuer: issuer.issuer, subject: SUBJECT, audiences: [ENTRA_TOKEN_EXCHANGE_AUDIENCE], ...record }));
};

let entra: EntraStandIn;

beforeAll(async () => {
    issuer = await OidcIssuer.start("cluster-1", () => clock);
    entra = new EntraStandIn([app], () => clock, fetchThroughProxy(() => ({ proxyUrl: server.proxyUrl, caFile: server.caFile })));
    server = await startStandIn([entra, issuer]);
});
afterAll(async () => {
    await server?.stop();
});

interface Answer { status: number; error?: string; code?: number; text?: string; token?: boolean }

/** One token request with this assertion, answered: Entra's fields, the description without its trace. */
async function exchange(assertion: string): Promise<Answer> {
    const body = new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT_ID, scope: "https://storage.azure.com/.default",
        client_assertion_type: JWT_BEARER, client_assertion: assertion });
    const reply = await entra.handle({ method: "POST", host: LOGIN_HOST, headers: {}, body: body.toString(),
        url: new URL(`https://${LOGIN_HOST}/${TENANT}/oauth2/v2.0/token`) });
    const parsed = JSON.parse(reply.body) as { error?: string; error_codes?: number[]; error_description?: string; access_token?: string };
    if (reply.status === 200) return { status: 200, token: typeof parsed.access_token === "string" };
    return { status: reply.status, error: parsed.error!, code: parsed.error_codes![0]!,
        text: parsed.error_description!.replace(/ Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: [0-9: -]{19}Z$/, "") };
}

const issuerRequests = () => server.requests.filter((request) => request.host === LOCAL_ISSUER_HOST).map((request) => request.url.pathname);
const mint = (overrides: { subject?: string; audience?: string; lifetimeSeconds?: number } = {}) =>
    issuer.mint({ subject: SUBJECT, lifetimeSeconds: 3600, ...overrides });

describe("a federated assertion at the Entra stand-in", () => {
    it("is exchanged for an access token when issuer, subject and audience match; Entra read discovery, then the JWKS", async () => {
        trust({});
        clock = new Date();
        const before = issuerRequests().length;
        expect(await exchange(await mint())).toEqual({ status: 200, token: true });
        expect(issuerRequests().slice(before)).toEqual(["/cluster-1/.well-known/openid-configuration", "/cluster-1/openid/v1/jwks"]);
    });

    it("AADSTS70021 when the app has no federated credential at all", async () => {
        trust();
        expect(await exchange(await mint())).toEqual({ status: 400, error: "invalid_request", code: 70021,
            text: "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: " +
                `'${issuer.issuer}'. Assertion Subject: '${SUBJECT}'. Assertion Audience: 'api://AzureADTokenExchange'. ${DOCS}` });
    });

    it("AADSTS700211 for an issuer no record names, without fetching anything from it", async () => {
        trust({ issuer: "https://oidc.example.com/cluster-2" });
        const before = issuerRequests().length;
        expect(await exchange(await mint())).toEqual({ status: 401, error: "invalid_client", code: 700211,
            text: `AADSTS700211: No matching federated identity record found for presented assertion issuer '${issuer.issuer}'. ` +
                `Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${DOCS}` });
        expect(issuerRequests().slice(before)).toEqual([]);
    });

    it("AADSTS700213 for another subject of a trusted issuer, matched case-sensitively", async () => {
        trust({});
        for (const subject of ["system:serviceaccount:inventory:worker", "system:serviceaccount:inventory:API"]) {
            expect(await exchange(await mint({ subject }))).toEqual({ status: 401, error: "invalid_client", code: 700213,
                text: `AADSTS700213: No matching federated identity record found for presented assertion subject '${subject}'. ` +
                    `Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${LEARN}` });
        }
    });

    it("AADSTS700212 for an audience other than the record's", async () => {
        trust({});
        expect(await exchange(await mint({ audience: "https://kubernetes.default.svc" }))).toEqual({ status: 401, error: "invalid_client",
            code: 700212, text: "AADSTS700212: No matching federated identity record found for presented assertion audience " +
                `'https://kubernetes.default.svc'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${LEARN}` });
    });

    it("AADSTS700024 once expired beyond the five minutes of skew, and before nbf less the skew; accepted within it", async () => {
        trust({});
        const minted = new Date("2026-12-04T10:00:00Z");
        clock = minted;
        const token = await mint({ lifetimeSeconds: 600 });
        const at = async (iso: string) => { clock = new Date(iso); return exchange(token); };
        const outside = (now: string) => ({ status: 401, error: "invalid_client", code: 700024,
            text: `AADSTS700024: Client assertion is not within its valid time range. Current time: ${now}, assertion valid from ` +
                "2026-12-04T10:00:00.0000000Z, expiry time of assertion 2026-12-04T10:10:00.0000000Z. Review the documentation at " +
                "https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ." });
        expect(await at("2026-12-04T10:14:59Z")).toEqual({ status: 200, token: true });
        expect(await at("2026-12-04T10:15:01Z")).toEqual(outside("2026-12-04T10:15:01.0000000Z"));
        expect(await at("2026-12-04T09:55:01Z")).toEqual({ status: 200, token: true });
        expect(await at("2026-12-04T09:54:59Z")).toEqual(outside("2026-12-04T09:54:59.0000000Z"));
        clock = new Date();
    });

    it("AADSTS7000272 for a key the issuer's JWKS does not publish; AADSTS50013 for a signature that does not verify", async () => {
        trust({});
        const forged = await issuer.signWithUnpublishedKey({ subject: SUBJECT, lifetimeSeconds: 3600 });
        const kid = (JSON.parse(Buffer.from(forged.split(".")[0]!, "base64url").toString("utf8")) as { kid: string }).kid;
        expect(await exchange(forged)).toEqual({ status: 401, error: "invalid_client", code: 7000272,
            text: `AADSTS7000272: The certificate with identifier ${kid} used to sign the federated credential could not be found in ` +
                `the metadata of identity provider ${issuer.issuer}. Please validate that your Identity Provider's metadata exposes ` +
                "the key used to sign the incoming token." });
        // The issuer's own header and key, over claims it never signed (a subject swapped in).
        const [header, , signature] = (await mint()).split(".");
        const other = (await mint({ subject: "system:serviceaccount:inventory:worker" })).split(".")[1];
        expect(await exchange(`${header}.${other}.${signature}`)).toEqual({ status: 401, error: "invalid_client", code: 50013,
            text: "AADSTS50013: Assertion failed signature validation. [Reason - Key was found, but use of the key to verify the " +
                "signature failed.]" });
    });

    it("AADSTS50166 when the issuer is down, or on a host that cannot be reached", async () => {
        const down = { status: 400, error: "invalid_request", code: 50166, text: "AADSTS50166: Request to External OIDC endpoint failed." };
        trust({});
        issuer.reachable = false;
        try {
            expect(await exchange(await mint())).toEqual(down);
        } finally {
            issuer.reachable = true;
        }
        // A record for an issuer elsewhere, and a token that names it: the proxy refuses the tunnel.
        const elsewhere = await OidcIssuer.start("cluster-9");
        Object.defineProperty(elsewhere, "issuer", { value: "https://oidc.unreachable.test/cluster-9" });
        trust({ issuer: elsewhere.issuer });
        expect(await exchange(await elsewhere.mint({ subject: SUBJECT, lifetimeSeconds: 3600 }))).toEqual(down);
        expect(server.refusedTunnels.at(-1)).toBe("oidc.unreachable.test:443");
    });

    it.each(["other-issuer", "plain-http-jwks-uri", "jwks-not-json"] as const)(
        "AADSTS50166 when the issuer's documents are not what OIDC Discovery asks for: %s", async (misconfiguration) => {
            trust({});
            issuer.misconfiguration = misconfiguration;
            try {
                expect(await exchange(await mint())).toEqual({ status: 400, error: "invalid_request", code: 50166,
                    text: "AADSTS50166: Request to External OIDC endpoint failed." });
            } finally {
                issuer.misconfiguration = undefined;
            }
        });

    it("AADSTS50027 for a token without exp or without sub", async () => {
        trust({});
        const invalid = (claim: string) => ({ status: 401, error: "invalid_client", code: 50027,
            text: `AADSTS50027: Invalid JWT token. The token could not be validated. The '${claim}' claim is missing.` });
        expect(await exchange(await issuer.mint({ subject: SUBJECT, lifetimeSeconds: 3600, omit: ["exp"] }))).toEqual(invalid("exp"));
        expect(await exchange(await issuer.mint({ subject: SUBJECT, lifetimeSeconds: 3600, omit: ["sub"] }))).toEqual(invalid("sub"));
    });

});

describe("which verification an assertion gets", () => {
    const jwt = (header: object, claims: object) => [header, claims, {}].map((part) => Buffer.from(JSON.stringify(part)).toString("base64url")).join(".");
    it("a certificate's (x5t or x5t#S256, or the client as issuer) or an external issuer's", () => {
        expect([
            isFederatedAssertion(jwt({ alg: "RS256", x5t: "AAAA" }, { iss: CLIENT_ID, sub: CLIENT_ID }), CLIENT_ID),
            isFederatedAssertion(jwt({ alg: "PS256", "x5t#S256": "AAAA" }, { iss: "https://elsewhere", sub: "x" }), CLIENT_ID),
            isFederatedAssertion(jwt({ alg: "RS256" }, { iss: CLIENT_ID, sub: CLIENT_ID }), CLIENT_ID),
            isFederatedAssertion(jwt({ alg: "RS256", kid: "k" }, { iss: "https://oidc.example.com/cluster-1", sub: SUBJECT }), CLIENT_ID),
        ]).toEqual([false, false, false, true]);
    });
});

describe("the local Azure's token endpoint with a federated credential from its Graph", () => {
    let azure: LocalAzure;
    let local: OidcIssuer;
    beforeAll(async () => {
        local = await OidcIssuer.start("cluster-1");
        azure = await startLocalAzure({ oidcIssuers: [local] });
    });
    afterAll(async () => {
        await azure?.stop();
    });

    it("reads the issuer through its own port, grants appidacr 2 to the service principal, and refuses once the record is gone", async () => {
        const graph = await deployerGraph(azure);
        const objectId = await newApp(graph, "federated-local");
        const appId = azure.state().applications.find((candidate) => candidate.id === objectId)!.appId;
        expect((await graph("POST", "/servicePrincipals", { appId })).status).toBe(201);
        const record = await graph("POST", `/applications/${objectId}/federatedIdentityCredentials`,
            { name: "k8s-dev", issuer: local.issuer, subject: SUBJECT, audiences: [ENTRA_TOKEN_EXCHANGE_AUDIENCE] });
        expect(record.status).toBe(201);
        const post = async () => {
            const reply = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
                method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams({ grant_type: "client_credentials", client_id: appId, scope: "https://storage.azure.com/.default",
                    client_assertion_type: JWT_BEARER, client_assertion: await local.mint({ subject: SUBJECT, lifetimeSeconds: 3600 }) }).toString(),
            });
            return { status: reply.status, body: await reply.json() as Record<string, unknown> };
        };
        const granted = await post();
        expect(granted.status).toBe(200);
        const claims = JSON.parse(Buffer.from(String(granted.body["access_token"]).split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
        const principal = azure.state().servicePrincipals.find((sp) => sp.appId === appId)!;
        expect([claims["appid"], claims["appidacr"], claims["oid"], claims["aud"]]).toEqual([appId, "2", principal.id, "https://storage.azure.com"]);
        // Entra's fetches went through the local Azure's port like any client's, and are in its log.
        expect(azure.log().filter((entry) => entry.host === LOCAL_ISSUER_HOST).map((entry) => `${entry.method} ${entry.path} ${entry.status}`))
            .toEqual(["GET /cluster-1/.well-known/openid-configuration 200", "GET /cluster-1/openid/v1/jwks 200"]);

        expect((await graph("DELETE", `/applications/${objectId}/federatedIdentityCredentials/k8s-dev`)).status).toBe(204);
        const refused = await post();
        expect([refused.status, refused.body["error"], refused.body["error_codes"]]).toEqual([400, "invalid_request", [70021]]);
    });
});

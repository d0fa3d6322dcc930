/**
 * The local Entra's check of a certificate's client assertion (localazure/clientAssertion.ts), case by case, with
 * assertions signed here by node:crypto. test/certificateSignIn.test.ts has the real libraries make them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CLOCK_SKEW_SECONDS, verifyClientAssertion, type AssertionContext } from "../localazure/clientAssertion";
import { findKeyCredential, type KeyCredentialRecord } from "../localazure/graph/keyCredentials";
import { keyCredentialOf, makeCertificate, signAssertion, type TestCertificate } from "./support/certificates";

const CLIENT = "0f4c6c7e-5a4e-4a5f-9a55-2b3c4d5e6f70";
const TENANT = "7d3b4a2c-1e0f-4d9c-8b7a-6f5e4d3c2b1a";
const NOW = new Date("2026-11-22T06:00:00Z");
const SEE_KEYS = `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id ` +
    `'${CLIENT}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the ` +
    "corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http " +
    `to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${CLIENT}'`;

let current: TestCertificate;
let other: TestCertificate;
let expired: TestCertificate;
let registered: KeyCredentialRecord[];

beforeAll(() => {
    current = makeCertificate("inventory-api-dev-a", new Date("2026-11-01T00:00:00Z"), new Date("2027-11-01T00:00:00Z"));
    other = makeCertificate("not-registered", new Date("2026-11-01T00:00:00Z"), new Date("2027-11-01T00:00:00Z"));
    expired = makeCertificate("inventory-api-dev-b", new Date("2025-06-29T21:13:15Z"), new Date("2026-06-29T21:13:15Z"));
    registered = [keyCredentialOf(current), keyCredentialOf(expired)];
});

const context = (overrides: Partial<AssertionContext> = {}): AssertionContext =>
    ({ clientId: CLIENT, tenant: TENANT, keyCredentials: registered, now: NOW, ...overrides });

const assertion = (certificate: TestCertificate, options: Omit<Parameters<typeof signAssertion>[1], "clientId" | "tenant"> = {}) =>
    signAssertion(certificate, { clientId: CLIENT, tenant: TENANT, now: NOW, ...options });

describe("a client assertion signed with a registered certificate", () => {
    it.each(["RS256", "PS256"] as const)("is accepted with %s (x5t for RS256, x5t#S256 for PS256)", (alg) => {
        expect(verifyClientAssertion(assertion(current, { alg }), context())).toBeUndefined();
    });

    it("is accepted for the v1.0 token endpoint as audience too", () => {
        const v1 = assertion(current, { claims: { aud: `https://login.microsoftonline.com/${TENANT}/oauth2/token` } });
        expect(verifyClientAssertion(v1, context())).toBeUndefined();
    });

    it("is accepted again while it is valid: MSAL reuses one assertion for 540 s (msal/oauth2cli/assertion.py AutoRefresher)", () => {
        const once = assertion(current);
        expect([verifyClientAssertion(once, context()), verifyClientAssertion(once, context({ now: new Date(NOW.getTime() + 540_000) }))])
            .toEqual([undefined, undefined]);
    });
});

describe("refusals, with Entra's codes", () => {
    it("AADSTS700027 for a certificate the app does not have, naming its thumbprint", () => {
        expect(verifyClientAssertion(assertion(other), context())).toEqual({
            status: 401, error: "invalid_client", code: 700027,
            description: "The certificate with identifier used to sign the client assertion is not registered on application. " +
                `[Reason - The key was not found., Thumbprint of key used by client: '${other.thumbprint}', ${SEE_KEYS}]`,
        });
    });

    it("AADSTS700027 once the certificate is removed from keyCredentials (revoked)", () => {
        const revoked = context({ keyCredentials: registered.filter((key) => key.customKeyIdentifier !== current.thumbprint) });
        expect(verifyClientAssertion(assertion(current), revoked)).toMatchObject({ code: 700027,
            description: expect.stringContaining(`[Reason - The key was not found., Thumbprint of key used by client: '${current.thumbprint}'`) });
    });

    it("AADSTS700027 'The key used is expired' for a registered certificate past its end date, with its dates", () => {
        expect(verifyClientAssertion(assertion(expired), context())).toEqual({
            status: 401, error: "invalid_client", code: 700027,
            description: "Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key " +
                `used by client: '${expired.thumbprint}', Found key 'Start=06/29/2025 21:13:15, End=06/29/2026 21:13:15', ${SEE_KEYS}]`,
        });
    });

    it("AADSTS700027 for a signature by another key under a registered thumbprint", () => {
        const forged = assertion(other, { header: { x5t: Buffer.from(current.thumbprint, "hex").toString("base64url") } });
        expect(verifyClientAssertion(forged, context())).toMatchObject({ status: 401, code: 700027,
            description: expect.stringContaining("[Reason - Key was found, but use of the key to verify the signature failed., " +
                `Thumbprint of key used by client: '${current.thumbprint}', Found key 'Start=11/01/2026 00:00:00, End=11/01/2027 00:00:00'`) });
    });

    it("AADSTS700027 for a changed claim under a valid signature, and for alg none or HS256", () => {
        const [header, , signature] = assertion(current).split(".");
        const changed = Buffer.from(JSON.stringify({ aud: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
            iss: "someone-else", sub: "someone-else", exp: 1_900_000_000 })).toString("base64url");
        const codes = [
            verifyClientAssertion(`${header}.${changed}.${signature}`, context()),
            verifyClientAssertion(assertion(current, { header: { alg: "none" } }), context()),
            verifyClientAssertion(assertion(current, { header: { alg: "HS256" } }), context()),
        ].map((refusal) => refusal?.code);
        expect(codes).toEqual([700027, 700027, 700027]);
    });

    it("AADSTS700024 for an assertion replayed after its exp, with Entra's times", () => {
        const later = new Date(NOW.getTime() + (600 + CLOCK_SKEW_SECONDS + 1) * 1000);
        expect(verifyClientAssertion(assertion(current), context({ now: later }))).toEqual({
            status: 401, error: "invalid_client", code: 700024,
            description: "Client assertion is not within its valid time range. Current time: 2026-11-22T06:15:01.0000000Z, " +
                "assertion valid from 2026-11-22T06:00:00.0000000Z, expiry time of assertion 2026-11-22T06:10:00.0000000Z. " +
                "Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .",
        });
    });

    it("AADSTS700024 for an nbf beyond the skew, and for a missing exp; within the skew it passes", () => {
        const ahead = (seconds: number) => assertion(current, { claims: { nbf: NOW.getTime() / 1000 + seconds, iat: undefined } });
        expect([ahead(CLOCK_SKEW_SECONDS + 1), ahead(CLOCK_SKEW_SECONDS), assertion(current, { claims: { exp: undefined } })]
            .map((each) => verifyClientAssertion(each, context())?.code)).toEqual([700024, undefined, 700024]);
    });

    it("AADSTS50027 for an assertion made for another tenant's endpoint", () => {
        const elsewhere = assertion(current, { claims: { aud: "https://login.microsoftonline.com/another-tenant/oauth2/v2.0/token" } });
        expect(verifyClientAssertion(elsewhere, context())).toEqual({ status: 401, error: "invalid_client", code: 50027,
            description: "Invalid JWT token. Unexpected audience 'https://login.microsoftonline.com/another-tenant/oauth2/v2.0/token': " +
                "the assertion must name this tenant's token endpoint." });
    });

    it("AADSTS50048 when sub is not iss, AADSTS50027 when iss is not the client", () => {
        expect([
            verifyClientAssertion(assertion(current, { claims: { sub: "someone-else" } }), context())?.code,
            verifyClientAssertion(assertion(current, { claims: { iss: "someone-else", sub: "someone-else" } }), context())?.code,
        ]).toEqual([50048, 50027]);
    });

    it("AADSTS50027 for what is not a JWT; AADSTS700027 for one naming no certificate", () => {
        expect([
            verifyClientAssertion("not-a-jwt", context())?.code,
            verifyClientAssertion("a.b.c", context())?.code,
            verifyClientAssertion(assertion(current, { header: { x5t: undefined } }), context())?.code,
        ]).toEqual([50027, 50027, 700027]);
    });
});

describe("keyCredentials lookup", () => {
    it("reads a key given as base64 of the PEM text, as terraform-provider-azuread sends it for encoding pem", () => {
        const fromPem = { ...keyCredentialOf(current), key: Buffer.from(current.certificatePem).toString("base64") };
        expect([assertion(current, { alg: "RS256" }), assertion(current, { alg: "PS256" })]
            .map((each) => verifyClientAssertion(each, context({ keyCredentials: [fromPem] })))).toEqual([undefined, undefined]);
    });

    it("finds a certificate by the hash of its key, SHA-1 or SHA-256, not by the stored customKeyIdentifier", async () => {
        const { createHash } = await import("node:crypto");
        const lying = { ...keyCredentialOf(other), customKeyIdentifier: current.thumbprint };
        expect(findKeyCredential([lying], { algorithm: "sha1", value: Buffer.from(current.thumbprint, "hex") })).toBeUndefined();
        expect(findKeyCredential(registered, { algorithm: "sha256", value: createHash("sha256").update(current.der).digest() }))
            .toBe(registered[0]);
    });
});

describe("thumbprint encodings the libraries send", () => {
    it("takes x5t with base64 padding, as MSAL Python writes it (msal/oauth2cli/assertion.py _encode_thumbprint)", async () => {
        const { createHash } = await import("node:crypto");
        const padded = createHash("sha1").update(current.der).digest("base64url") + "=";
        expect(verifyClientAssertion(assertion(current, { header: { x5t: padded } }), context())).toBeUndefined();
    });
});

/**
 * The local Graph's application keyCredentials through plain fetch, as the azuread stand-in writes them
 * (localazure/graph/keyCredentials.ts cites what each rule follows).
 */
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { deployerGraph, newApp as newAppOf, type DeployerGraph } from "./support/deployerGraph";
import { makeSelfSigned } from "../tools/certificate/selfSigned";

let azure: LocalAzure;
let graph: DeployerGraph;
const pem = makeSelfSigned({ commonName: "kc", notBefore: new Date("2026-07-10T00:00:00Z"), notAfter: new Date("2027-07-10T00:00:00Z") }).certificatePem;
const certificate = new X509Certificate(pem);
const THUMBPRINT = certificate.fingerprint.replaceAll(":", "");
const DER = certificate.raw.toString("base64");
const KEY_ID = "aaaaaaaa-1111-4111-8111-111111111111";
/** What the provider sends for encoding "pem": the base64 of the PEM text (credentials.go KeyCredentialForResource). */
const sent = (overrides: Record<string, unknown> = {}) => ({
    keyId: KEY_ID, type: "AsymmetricX509Cert", usage: "Verify", key: Buffer.from(pem).toString("base64"),
    startDateTime: "2026-07-10T00:00:00Z", endDateTime: "2027-07-10T00:00:00Z", ...overrides,
});


beforeAll(async () => {
    azure = await startLocalAzure();
    graph = await deployerGraph(azure);
});
afterAll(async () => {
    await azure.stop();
});

const newApp = () => newAppOf(graph, "key-credentials");

describe("application keyCredentials in the local Graph", () => {
    it("stores a certificate as DER with its thumbprint; GET shows the key null, $select=keyCredentials shows it", async () => {
        const id = await newApp();
        expect((await graph("PATCH", `/applications/${id}`, { keyCredentials: [sent()] })).status).toBe(204);
        const stored = { customKeyIdentifier: THUMBPRINT, displayName: null, endDateTime: "2027-07-10T00:00:00Z", key: DER,
            keyId: KEY_ID, startDateTime: "2026-07-10T00:00:00Z", type: "AsymmetricX509Cert", usage: "Verify" };
        expect((await graph("GET", `/applications/${id}`)).body!["keyCredentials"]).toEqual([{ ...stored, key: null }]);
        expect((await graph("GET", `/applications/${id}?$select=keyCredentials`)).body!["keyCredentials"]).toEqual([stored]);
        expect(azure.state().applications.find((app) => app.id === id)!.properties["keyCredentials"]).toEqual([stored]);
    });

    it("keeps an entry written back with its key null, as a client appending to the collection does", async () => {
        const id = await newApp();
        await graph("PATCH", `/applications/${id}`, { keyCredentials: [sent()] });
        const listed = (await graph("GET", `/applications/${id}`)).body!["keyCredentials"] as unknown[];
        const second = "bbbbbbbb-2222-4222-8222-222222222222";
        expect((await graph("PATCH", `/applications/${id}`, { keyCredentials: [...listed, sent({ keyId: second })] })).status).toBe(204);
        const withKeys = (await graph("GET", `/applications/${id}?$select=keyCredentials`)).body!["keyCredentials"] as Record<string, unknown>[];
        expect(withKeys.map((entry) => [entry["keyId"], entry["key"]])).toEqual([[KEY_ID, DER], [second, DER]]);
    });

    it.each([
        ["an end date after the certificate's", { endDateTime: "2027-07-10T00:00:01Z" }, "Key credential end date is invalid."],
        ["a key that is no certificate", { key: Buffer.from("not a certificate").toString("base64") },
            "Invalid value specified for property 'key' of resource 'KeyCredential'."],
        ["a null key for a keyId the app does not hold", { key: null }, "Invalid value specified for property 'key' of resource 'KeyCredential'."],
        ["usage Sign", { usage: "Sign" }, "Invalid value specified for property 'usage' of resource 'KeyCredential'."],
    ])("refuses %s with 400, storing nothing", async (_case, overrides, message) => {
        const id = await newApp();
        const reply = await graph("PATCH", `/applications/${id}`, { keyCredentials: [sent(overrides)] });
        expect([reply.status, (reply.body!["error"] as Record<string, unknown>)["code"], (reply.body!["error"] as Record<string, unknown>)["message"]])
            .toEqual([400, "Request_BadRequest", message]);
        expect(azure.state().applications.find((app) => app.id === id)!.properties["keyCredentials"]).toBeUndefined();
    });
});

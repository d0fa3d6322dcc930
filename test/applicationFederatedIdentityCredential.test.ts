/**
 * The azuread stand-in's ApplicationFederatedIdentityCredential against the local Graph: Check and Diff as the bridge
 * answers them, then Create, Read, Update, import and Delete (application_federated_identity_credential_resource.go).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { TokenSource } from "../localazure/providers/shared/auth";
import { LocalAzureClient } from "../localazure/providers/shared/localAzure";
import { UNKNOWN } from "../localazure/providers/shared/properties";
import {
    ApplicationFederatedIdentityCredentialHandler, parseFederatedIdentityCredentialId,
} from "../localazure/providers/azuread/applicationFederatedIdentityCredential";
import { GraphClient } from "../localazure/providers/azuread/graph";
import { realClock } from "../localazure/providers/azuread/retries";
import { pollClock } from "../localazure/providers/azuread/stateChange";

let azure: LocalAzure;
let graph: GraphClient;
let handler: ApplicationFederatedIdentityCredentialHandler;
const URN = "urn:pulumi:dev::p::azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential::ci";
const ISSUER = "https://token.actions.githubusercontent.com";

beforeAll(async () => {
    azure = await startLocalAzure();
    const http = new LocalAzureClient(azure.url);
    graph = new GraphClient(http, new TokenSource("deployer", http, { tenantId: azure.tenantId, ...azure.deployer }));
    handler = new ApplicationFederatedIdentityCredentialHandler(() => graph, { clock: pollClock({ LOCAL_AZURE_POLL_SCALE: "0" }, realClock) });
});
afterAll(async () => {
    await azure.stop();
});

async function newApp(): Promise<string> {
    return String((await graph.create("applications", { displayName: "fic-handler" }))["id"]);
}
const inputsFor = (objectId: string, overrides: Record<string, unknown> = {}) => ({
    applicationId: `/applications/${objectId}`, audiences: ["api://AzureADTokenExchange"], displayName: "main-branch",
    issuer: ISSUER, subject: "repo:contoso/app:ref:refs/heads/main", ...overrides,
});

describe("ApplicationFederatedIdentityCredential (azuread stand-in)", () => {
    it("Check: required attributes, audiences MaxItems 1, display_name 1-120, no unmodelled input", async () => {
        const missing = await handler.check(URN, {}, { applicationId: "/applications/x" });
        expect(missing.failures.map((failure) => failure.reason)).toEqual(expect.arrayContaining([
            "Missing required property 'audiences'", "Missing required property 'displayName'",
            "Missing required property 'issuer'", "Missing required property 'subject'",
        ]));
        const two = await handler.check(URN, {}, inputsFor("11111111-1111-4111-8111-111111111111", { audiences: ["a", "b"] }));
        expect(two.failures).toEqual([{ property: "audiences", reason: "audiences: attribute supports 1 item maximum, but config has 2 declared" }]);
        expect((await handler.check(URN, {}, inputsFor("11111111-1111-4111-8111-111111111111", { description: "ci" }))).failures).toEqual([]);
        // A preview of a new stack: the app's ID is not known yet, and Terraform validates known values only (found by
        // test/engine/differential.test.ts, where the real preview refused the unknown sentinel as an ID).
        expect((await handler.check(URN, {}, { ...inputsFor("11111111-1111-4111-8111-111111111111"), applicationId: UNKNOWN })).failures).toEqual([]);
        expect((await handler.check(URN, {}, { ...inputsFor("11111111-1111-4111-8111-111111111111"), applicationId: "11111111-1111-4111-8111-111111111111" })).failures)
            .toEqual([{ property: "applicationId", reason: 'parsing "11111111-1111-4111-8111-111111111111": expected an application resource ID of the form /applications/{applicationId}' }]);
    });

    it("Diff: a new application or display name replaces; issuer, subject, audiences and description update in place", async () => {
        const olds = { ...inputsFor("11111111-1111-4111-8111-111111111111"), credentialId: "c", description: "" };
        const diff = (news: Record<string, unknown>) => handler.diff({ id: "i", urn: URN, olds, news, oldInputs: olds });
        expect(await diff({ ...olds, displayName: "other" })).toMatchObject({ changes: true, replaces: ["displayName"], diffs: ["displayName"] });
        expect(await diff({ ...olds, applicationId: "/applications/22222222-2222-4222-8222-222222222222" })).toMatchObject({ replaces: ["applicationId"] });
        expect(await diff({ ...olds, subject: "repo:contoso/app:environment:prod", description: "now" }))
            .toEqual({ changes: true, replaces: [], stables: ["applicationId", "displayName"], deleteBeforeReplace: false, diffs: ["description", "subject"] });
        expect(await diff({ ...inputsFor("11111111-1111-4111-8111-111111111111") })).toMatchObject({ changes: false, replaces: [] });
    });

    it("creates (id {objectId}/federatedIdentityCredential/{id}), reads, updates in place, imports, deletes; gone, Read drops it", async () => {
        const objectId = await newApp();
        const preview = await handler.create({ urn: URN, inputs: inputsFor(objectId), preview: true });
        expect(preview).toEqual({ id: "", outs: { ...inputsFor(objectId), credentialId: UNKNOWN } });

        const created = await handler.create({ urn: URN, inputs: inputsFor(objectId), preview: false });
        const credentialId = String(created.outs["credentialId"]);
        expect(created.id).toBe(`${objectId}/federatedIdentityCredential/${credentialId}`);
        expect(created.outs).toEqual({ ...inputsFor(objectId), credentialId, description: "" });
        expect(await graph.getFederatedIdentityCredential(objectId, credentialId)).toMatchObject({ name: "main-branch", description: "" });

        const news = inputsFor(objectId, { subject: "repo:contoso/app:environment:prod", description: "ci" });
        const updated = await handler.update({ id: created.id, urn: URN, olds: created.outs, news, oldInputs: inputsFor(objectId), preview: false });
        expect(updated).toEqual({ ...news, credentialId });

        const read = await handler.read({ id: created.id, urn: URN, props: updated, inputs: news });
        expect(read).toEqual({ id: created.id, props: updated, inputs: news });
        const imported = await handler.read({ id: created.id, urn: URN, props: {}, inputs: {} });
        expect(imported).toEqual({ id: created.id, props: updated, inputs: { ...news, __defaults: [] } });

        // Graph's own refusal comes through as the provider's diagnostic.
        await expect(handler.create({ urn: URN, inputs: inputsFor(objectId, { displayName: "again", subject: "repo:contoso/app:environment:prod" }), preview: false }))
            .rejects.toThrow(/Adding federated identity credential for Application \(Application: ".*"\): .*InvalidFederatedIdentityCredentialValue: The combination of issuer and subject must be unique/);

        await handler.delete({ id: created.id, urn: URN, props: updated, oldInputs: news });
        expect(await graph.getFederatedIdentityCredential(objectId, credentialId)).toBeUndefined();
        expect(await handler.read({ id: created.id, urn: URN, props: updated, inputs: news })).toEqual({ id: "" });
    });

    it("parses the ID as parse.FederatedIdentityCredentialID does", () => {
        expect(() => parseFederatedIdentityCredentialId("/applications/a/federatedIdentityCredential/b")).toThrow(/should be in the format \{objectId\}\/\{type\}\/\{subId\}/);
        expect(() => parseFederatedIdentityCredentialId("11111111-1111-4111-8111-111111111111/certificate/22222222-2222-4222-8222-222222222222"))
            .toThrow(/was expected to be federatedIdentityCredential, got certificate/);
    });
});

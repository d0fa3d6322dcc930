/**
 * The provider stand-ins (localazure/providers/), called in-process against the local Azure: exact Check and Diff
 * answers, the preview-time duplicate-name failure, create-then-read round trips and drift after out-of-band
 * changes made as the admin ("portal user").
 */
import { spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { TokenSource } from "../localazure/providers/shared/auth";
import { serve } from "../localazure/providers/shared/grpcServer";
import { LocalAzureClient } from "../localazure/providers/shared/localAzure";
import { SECRET_SIG, SIG_KEY, UNKNOWN } from "../localazure/providers/shared/properties";
import type { CreateResult, PropertyMap, StandInProvider } from "../localazure/providers/shared/types";
import { GraphClient } from "../localazure/providers/azuread/graph";
import { AzureAdProvider } from "../localazure/providers/azuread/provider";
import { AzureNativeProvider } from "../localazure/providers/azure-native/provider";

const APP = "azuread:index/application:Application";
const SP = "azuread:index/servicePrincipal:ServicePrincipal";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const ROLE = "azure-native:authorization:RoleAssignment";
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

const urn = (type: string, name: string) =>
    `urn:pulumi:dev::app-identity::appidentity:azure:AppIdentity$${type}::${name}`;

let azure: LocalAzure;
let azuread: AzureAdProvider;
/** The same provider with its consistency polls' waits scaled to nothing (LOCAL_AZURE_POLL_SCALE=0). */
let quickPolls: AzureAdProvider;
let native: AzureNativeProvider;
let admin: GraphClient;
let deployerId: string;

beforeAll(async () => {
    azure = await startLocalAzure();
    const env = { LOCAL_AZURE_URL: azure.url };
    const credentials = { tenantId: azure.tenantId, clientId: azure.deployer.clientId, clientSecret: azure.deployer.clientSecret };
    azuread = new AzureAdProvider(env);
    await azuread.configure(credentials, true);
    quickPolls = new AzureAdProvider({ ...env, LOCAL_AZURE_POLL_SCALE: "0" });
    await quickPolls.configure(credentials, true);
    native = new AzureNativeProvider({ ...env, ARM_TENANT_ID: azure.tenantId, ARM_CLIENT_ID: azure.deployer.clientId, ARM_CLIENT_SECRET: azure.deployer.clientSecret });
    await native.configure({});
    const http = new LocalAzureClient(azure.url);
    admin = new GraphClient(http, new TokenSource("admin", http, { tenantId: azure.tenantId, ...azure.admin }));
    deployerId = azure.deployer.objectId;
});

afterAll(async () => {
    await azure.stop();
});

/** Check then Create, as the engine does. */
async function create(provider: StandInProvider, type: string, name: string, news: PropertyMap, preview = false): Promise<CreateResult> {
    const checked = await provider.check(urn(type, name), {}, news);
    expect(checked.failures).toEqual([]);
    return provider.create({ urn: urn(type, name), inputs: checked.inputs, preview });
}

function requestsSince(mark: number): string[] {
    return azure.log().slice(mark).map((entry) => `${entry.method} ${entry.host}${entry.path} ${entry.status}`);
}

describe("configuration", () => {
    it("refuses to start without LOCAL_AZURE_URL, naming the variable", () => {
        expect(() => new AzureAdProvider({})).toThrow(
            "LOCAL_AZURE_URL is not set: it must be the local Azure's address (http://127.0.0.1:PORT, printed by startLocalAzure); the stand-in providers talk to nothing else");
        expect(() => new AzureNativeProvider({ LOCAL_AZURE_URL: "https://management.azure.com" })).toThrow(
            'LOCAL_AZURE_URL is "https://management.azure.com"; expected http://127.0.0.1:PORT (a loopback address)');
    });

    it("fails Configure on a wrong secret with Entra's AADSTS code, never the secret", async () => {
        const provider = new AzureAdProvider({ LOCAL_AZURE_URL: azure.url });
        const attempt = provider.configure({ tenantId: azure.tenantId, clientId: azure.deployer.clientId, clientSecret: "wrong-secret-value" }, true);
        await expect(attempt).rejects.toThrow(/^azuread: obtaining a token for https:\/\/graph\.microsoft\.com\/ as client [0-9a-f-]{36}: AADSTS7000215: /);
        await expect(attempt).rejects.not.toThrow(/wrong-secret-value/);
    });

    it("names every missing credential", async () => {
        await expect(new AzureNativeProvider({ LOCAL_AZURE_URL: azure.url }).configure({ tenantId: azure.tenantId })).rejects.toThrow(
            "azure-native: no client secret credential: set ARM_CLIENT_ID (or azure-native:clientId), ARM_CLIENT_SECRET (or azure-native:clientSecret)");
    });

    it("answers getClientConfig with the configured tenant and client and the token's object ID", async () => {
        expect(await azuread.invoke("azuread:index/getClientConfig:getClientConfig", {}, false)).toEqual({
            clientId: azure.deployer.clientId,
            id: `${azure.tenantId}-${azure.deployer.clientId}-${deployerId}`,
            objectId: deployerId,
            tenantId: azure.tenantId,
        });
    });

    it("refuses what it does not model, naming the token", async () => {
        await expect(azuread.invoke("azuread:index/getUser:getUser", {}, false)).rejects.toThrow(
            "the function azuread:index/getUser:getUser is not modelled by the stand-in azuread provider (localazure/providers/azuread)");
        await expect(native.check(urn("azure-native:storage:StorageAccount", "sa"), {}, {})).rejects.toThrow(
            "the resource type azure-native:storage:StorageAccount is not modelled by the stand-in azure-native provider (localazure/providers/azure-native)");
        expect((await azuread.check(urn(APP, "web"), {}, { displayName: "web", web: { homepageUrl: "https://x" } })).failures).toEqual([
            { property: "", reason: `the input "web" of ${APP} is not modelled by the stand-in azuread provider (localazure/providers/azuread)` },
        ]);
    });
});

describe("azuread Application", () => {
    it("fills the schema's defaults in Check and fails a missing displayName", async () => {
        expect(await azuread.check(urn(APP, "a"), {}, { displayName: "a", owners: [deployerId] })).toEqual({
            inputs: { displayName: "a", signInAudience: "AzureADMyOrg", preventDuplicateNames: false, owners: [deployerId] },
            failures: [],
        });
        expect((await azuread.check(urn(APP, "a"), {}, {})).failures).toEqual([{ property: "", reason: "Missing required property 'displayName'" }]);
    });

    it("previews a create without writing anything, computed outputs unknown", async () => {
        const mark = azure.log().length;
        const preview = await create(azuread, APP, "preview-only-dev", { displayName: "preview-only-dev", preventDuplicateNames: true, owners: [deployerId] }, true);
        expect(preview.id).toBe("");
        expect(preview.outs["clientId"]).toBe(UNKNOWN);
        expect(preview.outs["objectId"]).toBe(UNKNOWN);
        expect(preview.outs["displayName"]).toBe("preview-only-dev");
        expect(requestsSince(mark)).toEqual(["GET graph.microsoft.com/v1.0/applications 200"]);
    });

    it("fails a preview create when an app of that name exists and preventDuplicateNames is set (CustomizeDiff at plan time)", async () => {
        const existing = await admin.create("applications", { displayName: "taken-dev", signInAudience: "AzureADMyOrg" });
        const attempt = create(azuread, APP, "taken-dev", { displayName: "taken-dev", preventDuplicateNames: true, owners: [deployerId] }, true);
        await expect(attempt).rejects.toThrow(
            `diffing ${urn(APP, "taken-dev")}: 1 error occurred:\n\t* An existing "azuread_application" with name "taken-dev" ` +
            `(ID: "${String(existing["id"])}") was found and \`prevent_duplicate_names\` was specified. To be managed via Terraform, ` +
            `this resource needs to be imported into the State. Please see the resource documentation for "azuread_application" for more information.\n\n`);
        // Entra itself allows the duplicate: without the flag the preview passes.
        await expect(create(azuread, APP, "taken-dev", { displayName: "taken-dev", owners: [deployerId] }, true)).resolves.toMatchObject({ id: "" });
    });

    it("creates with the deployer as owner, then reads back the same state", async () => {
        const mark = azure.log().length;
        const created = await create(azuread, APP, "round-trip-dev", { displayName: "round-trip-dev", preventDuplicateNames: true, owners: [deployerId] });
        const objectId = String(created.outs["objectId"]);
        expect(created.id).toBe(`/applications/${objectId}`);
        expect(created.outs).toMatchObject({ displayName: "round-trip-dev", signInAudience: "AzureADMyOrg", owners: [deployerId], preventDuplicateNames: true, tags: [] });
        expect(requestsSince(mark)).toEqual([
            "GET graph.microsoft.com/v1.0/applications 200",
            "GET graph.microsoft.com/v1.0/applications 200",
            "POST graph.microsoft.com/v1.0/applications 201",
            `PATCH graph.microsoft.com/v1.0/applications/${objectId} 204`,
            `PATCH graph.microsoft.com/v1.0/applications/${objectId} 204`,
            `GET graph.microsoft.com/v1.0/applications/${objectId} 200`,
            `GET graph.microsoft.com/v1.0/applications/${objectId}/owners 200`,
        ]);
        const inputs = { displayName: "round-trip-dev", signInAudience: "AzureADMyOrg", preventDuplicateNames: true, owners: [deployerId] };
        expect(await azuread.read({ id: created.id, urn: urn(APP, "round-trip-dev"), props: created.outs, inputs })).toEqual({
            id: created.id, props: created.outs, inputs,
        });
    });

    it("diffs displayName in place, owners as a set, templateId stable", async () => {
        const olds = { displayName: "a-dev", signInAudience: "AzureADMyOrg", preventDuplicateNames: true, owners: ["1", "2"], templateId: "" };
        const request = (news: PropertyMap) => ({ id: "/applications/x", urn: urn(APP, "a"), olds, news, oldInputs: {} });
        expect(await azuread.diff(request({ ...olds, owners: ["2", "1"] }))).toEqual({
            changes: false, replaces: [], stables: ["templateId"], deleteBeforeReplace: false, diffs: [],
        });
        expect(await azuread.diff(request({ ...olds, displayName: "b-dev" }))).toEqual({
            changes: true, replaces: [], stables: ["templateId"], deleteBeforeReplace: false, diffs: ["displayName"],
        });
    });

    it("fails an update to a name another app holds, at apply time only", async () => {
        const created = await create(azuread, APP, "rename-me-dev", { displayName: "rename-me-dev", preventDuplicateNames: true, owners: [deployerId] });
        const other = await admin.create("applications", { displayName: "held-dev" });
        const news = { displayName: "held-dev", signInAudience: "AzureADMyOrg", preventDuplicateNames: true, owners: [deployerId] };
        const request = { id: created.id, urn: urn(APP, "rename-me-dev"), olds: created.outs, news, oldInputs: {} };
        await expect(azuread.update({ ...request, preview: true })).resolves.toMatchObject({ displayName: "held-dev" });
        await expect(azuread.update({ ...request, preview: false })).rejects.toThrow(
            `1 error occurred:\n\t* [id] An existing "azuread_application" with name "held-dev" (ID: "${String(other["id"])}") was found and ` +
            "`prevent_duplicate_names` was specified: To be managed via Terraform, this resource needs to be imported into the State. " +
            'Please see the resource documentation for "azuread_application" for more information.\n\n');
    });

    it("reads drift: an owner added in the portal, then the app deleted", async () => {
        const created = await create(azuread, APP, "drift-dev", { displayName: "drift-dev", owners: [deployerId] });
        const objectId = String(created.outs["objectId"]);
        await admin.addOwner("applications", objectId, azure.admin.objectId);
        const inputs = { displayName: "drift-dev", signInAudience: "AzureADMyOrg", preventDuplicateNames: false, owners: [deployerId] };
        const read = await azuread.read({ id: created.id, urn: urn(APP, "drift-dev"), props: created.outs, inputs });
        expect("props" in read && [...(read.props["owners"] as string[])].sort()).toEqual([deployerId, azure.admin.objectId].sort());
        expect("inputs" in read && [...(read.inputs["owners"] as string[])].sort()).toEqual([deployerId, azure.admin.objectId].sort());
        await admin.delete("applications", objectId);
        expect(await azuread.read({ id: created.id, urn: urn(APP, "drift-dev"), props: created.outs, inputs })).toEqual({ id: "" });
    });
});

describe("azuread ServicePrincipal and ApplicationPassword", () => {
    let app: CreateResult;

    beforeAll(async () => {
        app = await create(azuread, APP, "sp-dev", { displayName: "sp-dev", preventDuplicateNames: true, owners: [deployerId] });
    });

    it("replaces a service principal whose clientId changes, creating before deleting", async () => {
        const olds = { clientId: "c1", accountEnabled: true, owners: [deployerId] };
        expect(await azuread.diff({ id: "/servicePrincipals/x", urn: urn(SP, "sp"), olds, news: { ...olds, clientId: "c2" }, oldInputs: {} })).toEqual({
            changes: true, replaces: ["clientId"], stables: [], deleteBeforeReplace: false, diffs: ["clientId"],
        });
        expect(await azuread.diff({ id: "/servicePrincipals/x", urn: urn(SP, "sp"), olds, news: { ...olds, clientId: UNKNOWN }, oldInputs: {} })).toMatchObject({
            replaces: ["clientId"],
        });
    });

    it("creates a service principal, reads it back, and finds it gone with its app", async () => {
        const created = await create(azuread, SP, "sp-dev", { clientId: app.outs["clientId"], owners: [deployerId] });
        const objectId = String(created.outs["objectId"]);
        expect(created.id).toBe(`/servicePrincipals/${objectId}`);
        expect(created.outs).toMatchObject({ clientId: app.outs["clientId"], owners: [deployerId], accountEnabled: true, displayName: "sp-dev" });
        const inputs = { clientId: app.outs["clientId"], accountEnabled: true, owners: [deployerId] };
        expect(await azuread.read({ id: created.id, urn: urn(SP, "sp-dev"), props: created.outs, inputs })).toEqual({ id: created.id, props: created.outs, inputs });
        await expect(create(azuread, SP, "sp-dev-2", { clientId: app.outs["clientId"], owners: [deployerId] })).rejects.toThrow(
            `1 error occurred:\n\t* [id] A resource with the ID "${objectId}" already exists: To be managed via Terraform, this resource ` +
            'needs to be imported into the State. Please see the resource documentation for "azuread_service_principal" for more information.\n\n');
    });

    it("replaces a password on any input change, every input being ForceNew", async () => {
        const olds = { applicationId: app.id, displayName: "slot a", endDate: "2027-01-01T00:00:00Z", startDate: "2026-01-01T00:00:00Z", keyId: "k" };
        const news = { applicationId: app.id, displayName: "slot a", endDate: "2028-01-01T00:00:00Z" };
        expect(await azuread.diff({ id: "x/password/k", urn: urn(PASSWORD, "a"), olds, news, oldInputs: {} })).toEqual({
            changes: true,
            replaces: ["endDate"],
            stables: ["applicationId", "displayName", "endDateRelative", "rotateWhenChanged", "startDate"],
            deleteBeforeReplace: false,
            diffs: ["endDate"],
        });
        expect((await azuread.diff({ id: "x/password/k", urn: urn(PASSWORD, "a"), olds, news: { applicationId: app.id, displayName: "slot a", endDate: olds.endDate }, oldInputs: {} })).changes).toBe(false);
    });

    it("adds a password (value secret, 40 characters), reads it back keeping the value, removes it on delete", async () => {
        const inputs = { applicationId: app.id, displayName: "slot a, rotated 2026-01-01", endDate: "2027-01-01T00:00:00Z" };
        const before = azure.log().length;
        const created = await create(azuread, PASSWORD, "sp-dev-secret-a", inputs);
        const objectId = String(app.outs["objectId"]);
        const keyId = String(created.outs["keyId"]);
        expect(created.id).toBe(`${objectId}/password/${keyId}`);
        // application_password_resource.go: GET, addPassword, the StateChangeConf poll's five reads (MinTimeout 1 s,
        // ContinuousTargetOccurence 5; this provider runs with Go's own waits), then Read's GET.
        const getApp = `GET graph.microsoft.com/v1.0/applications/${objectId} 200`;
        expect(requestsSince(before)).toEqual([getApp, `POST graph.microsoft.com/v1.0/applications/${objectId}/addPassword 200`,
            getApp, getApp, getApp, getApp, getApp, getApp]);
        const polls = azure.log().slice(before + 2, before + 7).map((entry) => Date.parse(entry.time));
        const gaps = polls.slice(1).map((time, index) => time - (polls[index] as number));
        expect(gaps.every((gap) => gap >= 990 && gap < 1500), `gaps between the poll's reads: ${gaps.join(", ")} ms`).toBe(true);
        const value = created.outs["value"] as Record<string, unknown>;
        expect(value[SIG_KEY]).toBe(SECRET_SIG);
        expect(String(value["value"])).toMatch(/^[A-Za-z0-9~._-]{40}$/);
        expect(created.outs).toMatchObject({ applicationId: app.id, displayName: inputs.displayName, keyId });
        expect(Date.parse(String(created.outs["endDate"]))).toBe(Date.parse(inputs.endDate));
        const read = await azuread.read({ id: created.id, urn: urn(PASSWORD, "sp-dev-secret-a"), props: created.outs, inputs });
        expect(read).toEqual({ id: created.id, props: created.outs, inputs: { ...inputs, endDate: created.outs["endDate"] } });
        // The refreshed inputs must diff as no change, or every preview would rotate the secret.
        const news = { applicationId: app.id, displayName: inputs.displayName, endDate: inputs.endDate };
        expect(await azuread.diff({ id: created.id, urn: urn(PASSWORD, "sp-dev-secret-a"), olds: created.outs, news, oldInputs: inputs }))
            .toMatchObject({ changes: false, replaces: [] });

        const mark = azure.log().length;
        await azuread.delete({ id: created.id, urn: urn(PASSWORD, "sp-dev-secret-a"), props: created.outs, oldInputs: inputs });
        expect(requestsSince(mark)).toEqual([
            `POST graph.microsoft.com/v1.0/applications/${objectId}/removePassword 204`,
            `GET graph.microsoft.com/v1.0/applications/${objectId} 200`,
        ]);
        expect(await azuread.read({ id: created.id, urn: urn(PASSWORD, "sp-dev-secret-a"), props: created.outs, inputs })).toEqual({ id: "" });
    });

    it("makes two passwords of one application take turns: the second addPassword waits for the first's poll (LockByName)", async () => {
        const objectId = String(app.outs["objectId"]);
        const before = azure.log().length;
        const [first, second] = await Promise.all([
            create(quickPolls, PASSWORD, "sp-dev-secret-c", { applicationId: app.id, endDate: "2027-06-01T00:00:00Z" }),
            create(quickPolls, PASSWORD, "sp-dev-secret-d", { applicationId: app.id, endDate: "2027-06-01T00:00:00Z" }),
        ]);
        const getApp = `GET graph.microsoft.com/v1.0/applications/${objectId} 200`;
        const addPassword = `POST graph.microsoft.com/v1.0/applications/${objectId}/addPassword 200`;
        // Each create under the lock: GET, addPassword, five polls; its Read's GET runs after the lock is let go,
        // so it may land among the other create's requests. Without the lock both addPasswords would come first.
        const requests = requestsSince(before);
        expect(requests).toHaveLength(16);
        expect(requests.slice(0, 7)).toEqual([getApp, addPassword, getApp, getApp, getApp, getApp, getApp]);
        expect(requests.filter((request) => request === addPassword)).toHaveLength(2);
        expect(requests.indexOf(addPassword, 2)).toBeGreaterThanOrEqual(8);
        expect(first.outs["keyId"]).not.toBe(second.outs["keyId"]);
    });

    it("reads a password removed in the portal as gone", async () => {
        const created = await create(quickPolls, PASSWORD, "sp-dev-secret-b", { applicationId: app.id, endDate: "2027-06-01T00:00:00Z" });
        await admin.removePassword(String(app.outs["objectId"]), String(created.outs["keyId"]));
        expect(await azuread.read({ id: created.id, urn: urn(PASSWORD, "sp-dev-secret-b"), props: created.outs, inputs: {} })).toEqual({ id: "" });
    });
});

describe("azure-native RoleAssignment", () => {
    let principalId: string;
    const scope = () => `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev`;
    const definition = (guid: string) => `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

    beforeAll(async () => {
        const app = await create(azuread, APP, "role-dev", { displayName: "role-dev", owners: [deployerId] });
        const sp = await create(azuread, SP, "role-dev", { clientId: app.outs["clientId"], owners: [deployerId] });
        principalId = String(sp.outs["objectId"]);
    });

    const inputs = (name: string) => ({
        scope: scope(), roleDefinitionId: definition(CONTRIBUTOR), principalId, principalType: "ServicePrincipal", roleAssignmentName: name,
    });

    it("adds the API version in Check and fails what is required and missing", async () => {
        expect(await native.check(urn(ROLE, "r"), {}, inputs("11111111-1111-4111-8111-111111111111"))).toEqual({
            inputs: { ...inputs("11111111-1111-4111-8111-111111111111"), azureApiVersion: "2022-04-01" }, failures: [],
        });
        expect((await native.check(urn(ROLE, "r"), {}, { scope: scope(), roleAssignmentName: "n" })).failures).toEqual([
            { property: "", reason: "missing required property 'principalId'" },
            { property: "", reason: "missing required property 'roleDefinitionId'" },
        ]);
    });

    it("replaces on principalId, scope or name, deleting first; updates a role definition in place", async () => {
        const oldInputs = { ...inputs("11111111-1111-4111-8111-111111111111"), azureApiVersion: "2022-04-01" };
        const diff = (news: PropertyMap) => native.diff({ id: "x", urn: urn(ROLE, "r"), olds: {}, news, oldInputs });
        expect(await diff({ ...oldInputs, principalId: "22222222-2222-4222-8222-222222222222" })).toEqual({
            changes: true, replaces: ["principalId"], stables: [], deleteBeforeReplace: true, diffs: ["principalId"],
        });
        expect(await diff({ ...oldInputs, roleAssignmentName: "33333333-3333-4333-8333-333333333333", roleDefinitionId: definition(READER) })).toEqual({
            changes: true, replaces: ["roleAssignmentName"], stables: [], deleteBeforeReplace: true, diffs: ["roleAssignmentName", "roleDefinitionId"],
        });
        expect(await diff({ ...oldInputs, roleDefinitionId: definition(READER) })).toEqual({
            changes: true, replaces: [], stables: [], deleteBeforeReplace: false, diffs: ["roleDefinitionId"],
        });
        expect(await diff({ ...oldInputs, principalId: UNKNOWN })).toEqual({
            changes: false, replaces: [], stables: [], deleteBeforeReplace: false, diffs: [],
        });
    });

    it("creates, refuses to create what exists, reads back, and reads a deleted one as gone", async () => {
        const name = "44444444-4444-4444-8444-444444444444";
        const id = `${scope()}/providers/Microsoft.Authorization/roleAssignments/${name}`;
        const preview = await create(native, ROLE, "r", inputs(name), true);
        expect(preview).toEqual({ id: "", outs: expect.objectContaining({ name: UNKNOWN, principalId, scope: scope() }) });

        const created = await create(native, ROLE, "r", inputs(name));
        expect(created.id).toBe(id);
        expect(created.outs).toMatchObject({
            name, principalId, principalType: "ServicePrincipal", roleDefinitionId: definition(CONTRIBUTOR), scope: scope(),
            type: "Microsoft.Authorization/roleAssignments", azureApiVersion: "2022-04-01",
        });
        await expect(create(native, ROLE, "r", inputs(name))).rejects.toThrow(`cannot create already existing resource '${id}'`);

        const checked = { ...inputs(name), azureApiVersion: "2022-04-01" };
        expect(await native.read({ id, urn: urn(ROLE, "r"), props: created.outs, inputs: checked })).toEqual({ id, props: created.outs, inputs: checked });
        await native.delete({ id, urn: urn(ROLE, "r"), props: created.outs, oldInputs: checked });
        expect(await native.read({ id, urn: urn(ROLE, "r"), props: created.outs, inputs: checked })).toEqual({ id: "" });
    });

    it("passes ARM's refusal of an in-place role change through", async () => {
        const name = "55555555-5555-4555-8555-555555555555";
        const created = await create(native, ROLE, "r5", inputs(name));
        const news = { ...inputs(name), roleDefinitionId: definition(READER), azureApiVersion: "2022-04-01" };
        await expect(native.update({ id: created.id, urn: urn(ROLE, "r5"), olds: created.outs, news, oldInputs: {}, preview: false }))
            .rejects.toThrow(/^PUT https:\/\/management\.azure\.com\/subscriptions\/.*\nRESPONSE 400: 400 Bad Request\nERROR CODE: RoleAssignmentUpdateNotPermitted\n/);
    });
});

describe("the plugin process", () => {
    it("answers GetPluginInfo with the version the SDK requests", async () => {
        const server = await serve(new AzureNativeProvider({ LOCAL_AZURE_URL: azure.url }));
        const client = new provrpc.ResourceProviderClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
        try {
            const info = await unary<{ getVersion(): string }>((done) => client.getPluginInfo(new Empty(), done));
            expect(info.getVersion()).toBe("3.28.0");
        } finally {
            client.close();
            await server.stop();
        }
    });

    const main = (name: string) => `localazure/providers/${name}/main.ts`;

    it("refuses to start without LOCAL_AZURE_URL: one line on stderr, exit 1", async () => {
        const { code, stdout, stderr } = await runToExit(main("azuread"), { PATH: process.env["PATH"] ?? "" });
        expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
        expect(stderr).toBe("LOCAL_AZURE_URL is not set: it must be the local Azure's address (http://127.0.0.1:PORT, printed by startLocalAzure); the stand-in providers talk to nothing else\n");
    });

    it("serves gRPC on the port it prints, answers Configure with supportsPreview, and creates in previews", async () => {
        const plugin = spawn(process.execPath, ["-r", "sucrase/register/ts", main("azuread")], {
            env: { PATH: process.env["PATH"] ?? "", LOCAL_AZURE_URL: azure.url, ARM_TENANT_ID: azure.tenantId, ARM_CLIENT_ID: azure.deployer.clientId, ARM_CLIENT_SECRET: azure.deployer.clientSecret },
            stdio: ["ignore", "pipe", "inherit"],
        });
        try {
            const port = await new Promise<string>((resolve) => plugin.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString())));
            expect(port).toMatch(/^\d+\n$/);
            const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port.trim()}`, grpc.credentials.createInsecure());
            const configured = await unary<provproto.ConfigureResponse>((done) =>
                client.configure(new provproto.ConfigureRequest().setArgs(Struct.fromJavaScript({})).setAcceptsecrets(true), done));
            expect({ preview: configured.getSupportspreview(), secrets: configured.getAcceptsecrets() }).toEqual({ preview: true, secrets: false });

            await admin.create("applications", { displayName: "grpc-taken-dev" });
            const request = new provproto.CreateRequest().setUrn(urn(APP, "grpc-taken-dev")).setPreview(true)
                .setProperties(Struct.fromJavaScript({ displayName: "grpc-taken-dev", signInAudience: "AzureADMyOrg", preventDuplicateNames: true }));
            await expect(unary((done) => client.create(request, done))).rejects.toThrow(/diffing .*: 1 error occurred:\n\t\* An existing "azuread_application" with name "grpc-taken-dev"/);
            client.close();
        } finally {
            plugin.kill();
        }
    }, 30_000);
});

function unary<T>(call: (done: (error: grpc.ServiceError | null, value?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => call((error, value) => (error === null ? resolve(value as T) : reject(error))));
}

function runToExit(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-r", "sucrase/register/ts", script], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

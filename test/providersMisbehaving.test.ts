/**
 * The provider stand-ins against the local Azure misbehaving (localazure/misbehaviour), called in-process as the
 * engine calls them: they wait out what the real providers wait out (a new application's replication, Graph's and
 * ARM's 429s) and give up where those give up, with their messages (localazure/providers/*\/retries.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { ResourceInitError } from "../localazure/providers/shared/errors";
import type { CreateResult, PropertyMap, StandInProvider } from "../localazure/providers/shared/types";
import { AzureAdProvider } from "../localazure/providers/azuread/provider";
import { AzureNativeProvider } from "../localazure/providers/azure-native/provider";

const APP = "azuread:index/application:Application";
const SP = "azuread:index/servicePrincipal:ServicePrincipal";
const ROLE = "azure-native:authorization:RoleAssignment";
const BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

const urn = (type: string, name: string) => `urn:pulumi:dev::app-identity::appidentity:azure:AppIdentity$${type}::${name}`;

let azure: LocalAzure;
let azuread: AzureAdProvider;
let native: AzureNativeProvider;

beforeAll(async () => {
    azure = await startLocalAzure();
    const env = { LOCAL_AZURE_URL: azure.url, ARM_TENANT_ID: azure.tenantId, ARM_CLIENT_ID: azure.deployer.clientId,
        ARM_CLIENT_SECRET: azure.deployer.clientSecret };
    azuread = new AzureAdProvider(env);
    await azuread.configure({}, true);
    native = new AzureNativeProvider(env);
    await native.configure({});
});
afterAll(async () => {
    await azure.stop();
});
afterEach(() => azure.misbehave({}));

async function create(provider: StandInProvider, type: string, name: string, news: PropertyMap): Promise<CreateResult> {
    const checked = await provider.check(urn(type, name), {}, news);
    expect(checked.failures).toEqual([]);
    return provider.create({ urn: urn(type, name), inputs: checked.inputs, preview: false });
}

/** The statuses of the requests since `mark` with this method to a path matching `path`. */
function statusesSince(mark: number, method: string, path: RegExp): number[] {
    return azure.log().slice(mark).filter((entry) => entry.method === method && path.test(entry.path)).map((entry) => entry.status);
}

const appInputs = (name: string) => ({ displayName: name, owners: [azure.deployer.objectId] });
const scope = () => `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev`;
const roleInputs = (principalId: string, name: string, role: string) => ({ scope: scope(), principalId, principalType: "ServicePrincipal",
    roleAssignmentName: name, roleDefinitionId: `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}` });

describe("azuread stand-in", () => {
    it("waits out a new application's replication: its proving update retries 404 after 1 s, then 2 s", async () => {
        azure.misbehave({ replication: { applicationSeconds: 2 } });
        const mark = azure.log().length;
        const created = await create(azuread, APP, "replicating-dev", appInputs("replicating-dev"));
        expect(statusesSince(mark, "PATCH", /^\/v1\.0\/applications\//)).toEqual([404, 404, 204, 204]);
        const times = azure.log().slice(mark).filter((entry) => entry.method === "PATCH").map((entry) => Date.parse(entry.time));
        expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(3000);
        expect(azure.state().applications.filter((app) => app.properties["displayName"] === "replicating-dev").map((app) => app.id))
            .toEqual([created.outs["objectId"]]);
    }, 30_000);

    it("waits out Graph's 429 by its Retry-After", async () => {
        azure.misbehave({ graphThrottling: { appTenant: { size: 2, seconds: 2 } } });
        const mark = azure.log().length;
        await create(azuread, APP, "throttled-dev", appInputs("throttled-dev"));
        expect(statusesSince(mark, "POST", /^\/v1\.0\/applications$/)).toEqual([201]);
        expect(statusesSince(mark, "PATCH", /^\/v1\.0\/applications\//)).toEqual([204, 429, 204]);
    }, 30_000);

    it("gives up on a new service principal a replica does not know, as terraform-provider-azuread does (no 404 retry)", async () => {
        const app = await create(azuread, APP, "sp-lag-dev", appInputs("sp-lag-dev"));
        azure.misbehave({ replication: { servicePrincipalSeconds: 60 } });
        const mark = azure.log().length;
        const attempt = create(azuread, SP, "sp-lag-dev", { clientId: app.outs["clientId"], owners: [azure.deployer.objectId] });
        const failure: unknown = await attempt.then(() => undefined, (error: unknown) => error);
        // A partial create: the principal Graph made, its ID and configured attributes, for the engine to keep.
        expect(failure).toBeInstanceOf(ResourceInitError);
        const [principal] = azure.state().servicePrincipals.filter((sp) => sp.appId === app.outs["clientId"]);
        expect(failure).toMatchObject({ id: `/servicePrincipals/${principal!.id}`,
            outs: { clientId: app.outs["clientId"], owners: [azure.deployer.objectId], accountEnabled: true } });
        expect((failure as ResourceInitError).outs).not.toHaveProperty("objectId");
        const prefix = `creating ${urn(SP, "sp-lag-dev")}: `;
        const { reasons } = failure as ResourceInitError;
        expect([reasons.length, reasons[0].slice(0, prefix.length)]).toEqual([1, prefix]);
        expect(reasons[0].slice(prefix.length)).toMatch(/^1 error occurred:\n\t\* Timed out whilst waiting for new service principal to be replicated in Azure AD: unexpected status 404 \(404 Not Found\) with error: Request_ResourceNotFound: Resource '[0-9a-f-]{36}' does not exist or one of its queried reference-property objects are not present\.\n\n$/);
        expect(statusesSince(mark, "PATCH", /^\/v1\.0\/servicePrincipals\//)).toEqual([404]);
    }, 30_000);

    it("updates a partial create whose inputs did not change as the bridge does with no diff: the old state, no request", async () => {
        const [app] = azure.state().applications.filter((candidate) => candidate.properties["displayName"] === "sp-lag-dev");
        const [principal] = azure.state().servicePrincipals.filter((sp) => sp.appId === app!.appId);
        const olds = { accountEnabled: true, clientId: principal!.appId, owners: [azure.deployer.objectId] };
        const mark = azure.log().length;
        const outs = await azuread.update({ id: `/servicePrincipals/${principal!.id}`, urn: urn(SP, "sp-lag-dev"), olds,
            news: { ...olds }, oldInputs: { ...olds }, preview: false });
        expect([outs, azure.log().length - mark]).toEqual([olds, 0]);
    });
});

describe("azure-native stand-in", () => {
    let principalId: string;
    beforeAll(async () => {
        const app = await create(azuread, APP, "role-lag-dev", appInputs("role-lag-dev"));
        principalId = String((await create(azuread, SP, "role-lag-dev", { clientId: app.outs["clientId"], owners: [azure.deployer.objectId] })).outs["objectId"]);
    });

    it("waits out ARM's 429 on the PUT by its Retry-After", async () => {
        azure.misbehave({ armThrottling: { size: 1, refillPerSecond: 1 } });
        const mark = azure.log().length;
        await create(native, ROLE, "first", roleInputs(principalId, "7c000000-0000-4000-8000-000000000001", BLOB_READER));
        await create(native, ROLE, "second", roleInputs(principalId, "7c000000-0000-4000-8000-000000000002", BLOB_CONTRIBUTOR));
        expect(statusesSince(mark, "PUT", /roleAssignments\//)).toEqual([201, 429, 201]);
    }, 30_000);

    it("gives up after azcore's 3 retries when ARM stays unavailable, before any write", async () => {
        azure.misbehave({ outage: { services: ["arm"], answer: 503, retryAfterSeconds: 1 } });
        const mark = azure.log().length;
        const name = "7c000000-0000-4000-8000-000000000003";
        const id = `${scope()}/providers/Microsoft.Authorization/roleAssignments/${name}`;
        await expect(create(native, ROLE, "down", roleInputs(principalId, name, "b7e6dc6d-f1e8-4753-8033-0f276bb0955b")))
            .rejects.toThrow(`cannot check existence of resource '${id}': status code 503, {"error":{"code":"ServiceUnavailable",` +
                `"message":"The server is currently unable to handle the request. Please retry."}}`);
        expect(statusesSince(mark, "GET", /roleAssignments\//)).toEqual([503, 503, 503, 503]);
        expect(statusesSince(mark, "PUT", /roleAssignments\//)).toEqual([]);
    }, 30_000);
});

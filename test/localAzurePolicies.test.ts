/**
 * The local Graph's app management policies (localazure/graph/policies.ts), through plain fetch: the default and
 * assigned policies in Graph v1.0's shapes, the permissions Graph's docs name for each call, and addPassword refused
 * as a hardened tenant refuses it (CredentialInvalidLifetimeAsPerAppPolicy, CredentialTypeNotAllowedAsPerAppPolicy).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { DEFAULT_POLICY_ID } from "../localazure/graph/policies";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
type Json = ReturnType<typeof JSON.parse>;
interface Reply { status: number; body: Json }

let azure: LocalAzure;
let adminToken: string;
let deployerToken: string;

beforeAll(async () => {
    azure = await startLocalAzure();
    adminToken = await token(azure.admin.clientId, azure.admin.clientSecret);
    deployerToken = await token(azure.deployer.clientId, azure.deployer.clientSecret);
});
afterAll(async () => {
    await azure.stop();
});

async function token(clientId: string, clientSecret: string): Promise<string> {
    const response = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope: GRAPH_SCOPE }).toString(),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
}

async function graph(bearer: string, method: string, path: string, body?: unknown): Promise<Reply> {
    const response = await fetch(`${azure.url}/graph.microsoft.com/v1.0${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

const errorOf = (reply: Reply) => ({ status: reply.status, code: reply.body?.error?.code, message: reply.body?.error?.message });
const DENIED = { status: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." };

async function newApp(displayName: string): Promise<string> {
    const created = await graph(deployerToken, "POST", "/applications", { displayName });
    expect(created.status).toBe(201);
    return created.body.id as string;
}

const addPassword = (appId: string, endDateTime: string) =>
    graph(deployerToken, "POST", `/applications/${appId}/addPassword`, { passwordCredential: { displayName: "s", endDateTime } });

describe("the tenant's default app management policy", () => {
    it("a new tenant's: disabled, with no restriction, in tenantAppManagementPolicy's shape", async () => {
        const reply = await graph(deployerToken, "GET", "/policies/defaultAppManagementPolicy");
        expect(reply).toEqual({ status: 200, body: {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity",
            id: DEFAULT_POLICY_ID, displayName: "Default app management tenant policy",
            description: "Default tenant policy that enforces app management restrictions on applications and service principals. " +
                "To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
            isEnabled: false,
            applicationRestrictions: { passwordCredentials: [], keyCredentials: [] },
            servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
        } });
    });

    it("the deployer may read it but not change it; the admin (Policy.ReadWrite.ApplicationConfiguration) may", async () => {
        expect(errorOf(await graph(deployerToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true }))).toEqual(DENIED);
        expect((await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false })).status).toBe(204);
    });

    it("refuses a lifetime restriction without maxLifetime, or with one that is not an ISO 8601 duration (400)", async () => {
        for (const maxLifetime of [undefined, "90 days", "P"]) {
            const reply = await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", {
                applicationRestrictions: { passwordCredentials: [{ restrictionType: "passwordLifetime", maxLifetime }] } });
            expect(errorOf(reply)).toEqual({ status: 400, code: "Request_BadRequest",
                message: "Invalid value specified for property 'maxLifetime' of resource 'PasswordCredentialConfiguration'." });
        }
    });

    it("enabled with passwordLifetime P90D: a 91-day secret is refused with Graph's code, text and detail, an 89-day one added", async () => {
        const app = await newApp("policy-lifetime");
        const patched = await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true,
            applicationRestrictions: { passwordCredentials: [{ restrictionType: "passwordLifetime", maxLifetime: "P90D",
                restrictForAppsCreatedAfterDateTime: null, state: "enabled" }], keyCredentials: [] } });
        expect(patched.status).toBe(204);
        const day = 86_400_000;
        const tooLong = await addPassword(app, new Date(Date.now() + 91 * day).toISOString());
        const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${DEFAULT_POLICY_ID}'.`;
        expect(tooLong.status).toBe(400);
        expect(tooLong.body.error).toMatchObject({ code: "CredentialInvalidLifetimeAsPerAppPolicy", message,
            details: [{ code: "InvalidKeyEndDate", message, target: "EndDate" }] });
        expect((await addPassword(app, new Date(Date.now() + 89 * day).toISOString())).status).toBe(200);
        expect(azure.state().applications.find((candidate) => candidate.id === app)!.passwords).toHaveLength(1);
    });

    it("a restriction for apps created after a later date leaves an older app alone; a disabled one is not enforced", async () => {
        const app = await newApp("policy-older-app");
        const far = new Date(Date.now() + 3 * 365 * 86_400_000).toISOString();
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { applicationRestrictions: {
            passwordCredentials: [{ restrictionType: "passwordAddition", restrictForAppsCreatedAfterDateTime: "2999-01-01T00:00:00Z" },
                { restrictionType: "passwordLifetime", maxLifetime: "P30D", state: "disabled" }] } });
        expect((await addPassword(app, far)).status).toBe(200);
    });
});

describe("app management policies assigned to apps", () => {
    it("created, assigned and listed from the app; it governs over the default: passwordAddition refuses any secret", async () => {
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false });
        const app = await newApp("policy-assigned");
        const created = await graph(adminToken, "POST", "/policies/appManagementPolicies", { displayName: "No secrets",
            description: "certificates only", isEnabled: true,
            restrictions: { passwordCredentials: [{ restrictionType: "passwordAddition", maxLifetime: null,
                restrictForAppsCreatedAfterDateTime: "2019-10-19T10:37:00Z" }],
            keyCredentials: [{ restrictionType: "asymmetricKeyLifetime", maxLifetime: "P180D" }] } });
        expect(created.status).toBe(201);
        const policyId = created.body.id as string;
        expect(policyId).toMatch(GUID);
        const expected = { id: policyId, displayName: "No secrets", description: "certificates only", isEnabled: true, restrictions: {
            passwordCredentials: [{ restrictionType: "passwordAddition", maxLifetime: null,
                restrictForAppsCreatedAfterDateTime: "2019-10-19T10:37:00Z", state: "enabled" }],
            keyCredentials: [{ restrictionType: "asymmetricKeyLifetime", maxLifetime: "P180D",
                restrictForAppsCreatedAfterDateTime: null, state: "enabled" }] } };
        expect((await graph(deployerToken, "GET", `/policies/appManagementPolicies/${policyId}`)).body).toEqual({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/appManagementPolicies/$entity", ...expected });
        expect((await graph(deployerToken, "GET", `/applications/${app}/appManagementPolicies`)).body.value).toEqual([]);

        const reference = { "@odata.id": `https://graph.microsoft.com/v1.0/applications/${app}` };
        expect(errorOf(await graph(deployerToken, "POST", `/policies/appManagementPolicies/${policyId}/appliesTo/$ref`, reference))).toEqual(DENIED);
        expect((await graph(adminToken, "POST", `/policies/appManagementPolicies/${policyId}/appliesTo/$ref`, reference)).status).toBe(204);
        expect((await graph(deployerToken, "GET", `/applications/${app}/appManagementPolicies`)).body.value).toEqual([expected]);
        expect((await graph(deployerToken, "GET", "/policies/appManagementPolicies")).body.value).toEqual([expected]);

        const refused = await addPassword(app, new Date(Date.now() + 86_400_000).toISOString());
        expect(errorOf(refused)).toEqual({ status: 400, code: "CredentialTypeNotAllowedAsPerAppPolicy",
            message: "Credential type not allowed as per assigned policy." });
        // Another app, under the disabled default, is not governed by it.
        expect((await addPassword(await newApp("policy-other"), new Date(Date.now() + 86_400_000).toISOString())).status).toBe(200);
    });

    it("an identity without a policy permission is refused every read (403 Authorization_RequestDenied)", async () => {
        const app = await graph(adminToken, "POST", "/applications", { displayName: "no-policy-permission" });
        expect((await graph(adminToken, "POST", "/servicePrincipals", { appId: app.body.appId })).status).toBe(201);
        const secret = await graph(adminToken, "POST", `/applications/${app.body.id}/addPassword`, { passwordCredential: {} });
        const bare = await token(app.body.appId as string, secret.body.secretText as string);
        for (const path of ["/policies/defaultAppManagementPolicy", "/policies/appManagementPolicies",
            `/applications/${app.body.id}/appManagementPolicies`]) {
            expect(errorOf(await graph(bare, "GET", path))).toEqual(DENIED);
        }
    });
});

/**
 * The local Azure through plain fetch, as the provider stand-ins and `pulumi up` will reach it: each route's status
 * and body for success and for the errors the real services give, the Application.ReadWrite.OwnedBy rule, the
 * request log, state kept across a restart, and Blob Storage's RBAC following ARM's role assignments in front of
 * Azurite, which serves what RBAC lets through and nothing else.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite } from "../localazure/azurite";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { BlobStandIn } from "../localazure/standin/blob";
import { STORAGE_BLOB_ROLES } from "../common/builtInRoles";
import { parseArguments, renderExports, renderPulumiExports } from "../localazure/main";
import { PULUMI_BIN_DIR } from "../localazure/plugins";

const GRAPH = "https://graph.microsoft.com/.default";
const ARM = "https://management.azure.com/.default";
const STORAGE = "https://storage.azure.com/.default";
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The Server header of the stand-in's own refusals (Azure's), and of Azurite's answers (src/blob/utils/constants.ts VERSION). */
const STAND_IN_SERVER = "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0";
const AZURITE_SERVER = "Azurite-Blob/3.35.0";
const INNER_ERROR = { date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/), "request-id": expect.stringMatching(GUID),
    "client-request-id": expect.stringMatching(GUID) };

interface Client { clientId: string; clientSecret: string }
/** A parsed JSON answer: asserted on at once. */
type Json = ReturnType<typeof JSON.parse>;
type Item = Record<string, Json>;
interface Reply { status: number; body: Json; text: string }

let azure: LocalAzure;

beforeAll(async () => {
    azure = await startLocalAzure();
});
afterAll(async () => {
    await azure.stop();
});

async function call(method: string, url: string, options: { token?: string; body?: unknown; form?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.form !== undefined) body = new URLSearchParams(options.form).toString();
    else if (options.body !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(options.body);
    }
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
        parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
        parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
}

function tokenRequest(client: Client, scope: string, tenant = azure.tenantId): Promise<Reply> {
    return call("POST", `${azure.url}/login.microsoftonline.com/${tenant}/oauth2/v2.0/token`, {
        form: { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret, scope },
    });
}

async function token(client: Client, scope: string): Promise<string> {
    const reply = await tokenRequest(client, scope);
    expect(reply.status, reply.text).toBe(200);
    return reply.body.access_token as string;
}

function claimsOf(jwt: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"));
}

const graph = (method: string, path: string, tokenValue: string | undefined, body?: unknown) =>
    call(method, `${azure.url}/graph.microsoft.com/v1.0${path}`, { token: tokenValue, body });

function armPath(resourceGroup: string, name?: string, query = "api-version=2022-04-01"): string {
    return `${azure.url}/management.azure.com/subscriptions/${azure.subscriptionId}/resourceGroups/${resourceGroup}` +
        `/providers/Microsoft.Authorization/roleAssignments${name === undefined ? "" : `/${name}`}?${query}`;
}

function assignmentBody(principalId: string, roleId = CONTRIBUTOR, principalType = "ServicePrincipal") {
    return { properties: {
        roleDefinitionId: `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
        principalId, principalType,
    } };
}

function graphError(code: string, message: string) {
    return { error: { code, message, innerError: INNER_ERROR } };
}

/** An app with a service principal and a secret, made by the deployer as the stacks make theirs. */
async function deployedApp(displayName: string): Promise<{ appObjectId: string; clientId: string; spObjectId: string; secret: string; keyId: string }> {
    const deployer = await token(azure.deployer, GRAPH);
    const app = await graph("POST", "/applications", deployer, { displayName, signInAudience: "AzureADMyOrg" });
    const sp = await graph("POST", "/servicePrincipals", deployer, { appId: app.body.appId });
    const password = await graph("POST", `/applications/${app.body.id}/addPassword`, deployer,
        { passwordCredential: { displayName: "secret-a", endDateTime: "2099-01-01T00:00:00Z" } });
    expect([app.status, sp.status, password.status]).toEqual([201, 201, 200]);
    return { appObjectId: app.body.id, clientId: app.body.appId, spObjectId: sp.body.id, secret: password.body.secretText, keyId: password.body.keyId };
}

describe("Entra token endpoint", () => {
    it("issues an HS256 JWT with Entra's v1.0 claims, the Graph permissions as roles", async () => {
        const reply = await tokenRequest(azure.deployer, GRAPH);
        expect(reply.status).toBe(200);
        expect(Object.keys(reply.body)).toEqual(["token_type", "expires_in", "ext_expires_in", "access_token"]);
        expect(reply.body.token_type).toBe("Bearer");
        expect(reply.body.expires_in).toBe(3599);
        const [header] = (reply.body.access_token as string).split(".");
        expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toEqual({ typ: "JWT", alg: "HS256" });
        const claims = claimsOf(reply.body.access_token);
        expect(Object.keys(claims).sort()).toEqual(["appid", "appidacr", "aud", "exp", "iat", "idp", "iss", "nbf", "oid", "roles", "sub", "tid", "uti", "ver"]);
        expect(claims).toMatchObject({
            aud: "https://graph.microsoft.com", iss: `https://sts.windows.net/${azure.tenantId}/`, tid: azure.tenantId,
            appid: azure.deployer.clientId, oid: azure.deployer.objectId,
            roles: ["Application.ReadWrite.OwnedBy", "Policy.Read.ApplicationConfiguration"], ver: "1.0",
        });
        expect((claims["exp"] as number) - (claims["iat"] as number)).toBe(3599);
        expect(claimsOf(await token(azure.deployer, ARM))).not.toHaveProperty("roles");
    });

    // Microsoft identity platform error codes: learn.microsoft.com/entra/identity-platform/reference-error-codes.
    it.each([
        ["AADSTS7000215 for a wrong secret", () => ({ ...azure.deployer, clientSecret: "wrong" }), GRAPH, undefined, 401, "invalid_client", 7000215],
        ["AADSTS700016 for an unknown client", () => ({ clientId: "11111111-1111-1111-1111-111111111111", clientSecret: "x" }), GRAPH, undefined, 400, "unauthorized_client", 700016],
        ["AADSTS90002 for an unknown tenant", () => azure.deployer, GRAPH, "22222222-2222-2222-2222-222222222222", 400, "invalid_request", 90002],
        ["AADSTS500011 for an unknown resource", () => azure.deployer, "https://vault.example/.default", undefined, 400, "invalid_resource", 500011],
        ["AADSTS1002012 for a scope without /.default", () => azure.deployer, "https://graph.microsoft.com/User.Read", undefined, 400, "invalid_scope", 1002012],
    ])("answers %s", async (_name, client, scope, tenant, status, error, code) => {
        const reply = await tokenRequest(client(), scope, tenant);
        expect(reply.status).toBe(status);
        expect(reply.body.error).toBe(error);
        expect(reply.body.error_codes).toEqual([code]);
        expect(reply.body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
        expect(reply.text).not.toContain(azure.deployer.clientSecret);
    });

    it("answers AADSTS7000222 for an expired secret", async () => {
        const { appObjectId, clientId } = await deployedApp("expired-secret-app");
        const admin = await token(azure.admin, GRAPH);
        const old = await graph("POST", `/applications/${appObjectId}/addPassword`, admin,
            { passwordCredential: { displayName: "old", startDateTime: "2020-01-01T00:00:00Z", endDateTime: "2020-06-01T00:00:00Z" } });
        expect(old.status).toBe(200);
        const reply = await tokenRequest({ clientId, clientSecret: old.body.secretText }, GRAPH);
        expect([reply.status, reply.body.error, reply.body.error_codes]).toEqual([401, "invalid_client", [7000222]]);
    });
});

describe("Microsoft Graph", () => {
    // learn.microsoft.com/graph/errors: 401 InvalidAuthenticationToken; 403 Authorization_RequestDenied.
    it("refuses a request without a token, with another audience's token, or without Graph permissions", async () => {
        expect(await graph("GET", "/applications", undefined)).toMatchObject({ status: 401, body: graphError("InvalidAuthenticationToken", "Access token is empty.") });
        expect(await graph("GET", "/applications", await token(azure.deployer, ARM)))
            .toMatchObject({ status: 401, body: graphError("InvalidAuthenticationToken", "Access token validation failure. Invalid audience.") });
        expect(await graph("GET", "/applications", "not-a-jwt"))
            .toMatchObject({ status: 401, body: graphError("InvalidAuthenticationToken", "CompactToken parsing failed with error code: 80049217") });
        const app = await deployedApp("no-graph-permissions");
        const appToken = await token({ clientId: app.clientId, clientSecret: app.secret }, GRAPH);
        expect(await graph("GET", "/applications", appToken))
            .toMatchObject({ status: 403, body: graphError("Authorization_RequestDenied", "Insufficient privileges to complete the operation.") });
    });

    it("creates an application (201), the OwnedBy caller its owner, and allows a duplicate display name", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        const first = await graph("POST", "/applications", deployer, { displayName: "dup-name", signInAudience: "AzureADMyOrg" });
        const second = await graph("POST", "/applications", deployer, { displayName: "dup-name" });
        expect([first.status, second.status]).toEqual([201, 201]);
        expect(first.body).toMatchObject({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
            displayName: "dup-name", signInAudience: "AzureADMyOrg", passwordCredentials: [],
        });
        expect(first.body.id).toMatch(GUID);
        expect(first.body.appId).toMatch(GUID);
        expect(second.body.signInAudience).toBe("AzureADandPersonalMicrosoftAccount");
        const listed = await graph("GET", `/applications?$filter=${encodeURIComponent("displayName eq 'dup-name'")}`, deployer);
        expect(listed.status).toBe(200);
        expect(listed.body["@odata.context"]).toBe("https://graph.microsoft.com/v1.0/$metadata#applications");
        expect(listed.body.value.map((app: Item) => app.id)).toEqual([first.body.id, second.body.id]);
        const byAppId = await graph("GET", `/applications?$filter=${encodeURIComponent(`appId eq '${second.body.appId}'`)}`, deployer);
        expect(byAppId.body.value.map((app: Item) => app.id)).toEqual([second.body.id]);
        const owners = await graph("GET", `/applications/${first.body.id}/owners`, deployer);
        expect(owners.status).toBe(200);
        expect(owners.body.value.map((owner: Item) => [owner["@odata.type"], owner.id]))
            .toEqual([["#microsoft.graph.servicePrincipal", azure.deployer.objectId]]);
    });

    it("gets, updates (204) and answers Graph's errors for missing, malformed and read-only", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        const { body: app } = await graph("POST", "/applications", deployer, { displayName: "patch-me" });
        expect(await graph("PATCH", `/applications/${app.id}`, deployer, { displayName: "patched", tags: ["x"] })).toMatchObject({ status: 204, text: "" });
        expect((await graph("GET", `/applications/${app.id}`, deployer)).body).toMatchObject({ id: app.id, displayName: "patched", tags: ["x"] });
        const missing = "33333333-3333-3333-3333-333333333333";
        expect(await graph("GET", `/applications/${missing}`, deployer)).toMatchObject({ status: 404,
            body: graphError("Request_ResourceNotFound", `Resource '${missing}' does not exist or one of its queried reference-property objects are not present.`) });
        expect(await graph("GET", "/applications/nope", deployer)).toMatchObject({ status: 400, body: graphError("Request_BadRequest", "Invalid object identifier 'nope'.") });
        expect(await graph("PATCH", `/applications/${app.id}`, deployer, { appId: "x" }))
            .toMatchObject({ status: 400, body: graphError("Request_BadRequest", "Property 'appId' is read-only and cannot be set.") });
        expect(await graph("POST", "/applications", deployer, { displayName: "x", colour: "red" })).toMatchObject({ status: 400,
            body: graphError("Request_BadRequest", "Property 'colour' does not exist on type 'microsoft.graph.application'. Make sure to only use property names that are defined by the type or mark the type as open type.") });
        expect(await graph("GET", `/applications?$filter=${encodeURIComponent("createdDateTime ge 2020-01-01T00:00:00Z")}`, deployer)).toMatchObject({ status: 400,
            body: graphError("Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'createdDateTime' of resource 'Application'.") });
    });

    it("lets the OwnedBy deployer read but not touch the admin's app (403), until the admin makes it an owner", async () => {
        const admin = await token(azure.admin, GRAPH);
        const deployer = await token(azure.deployer, GRAPH);
        const { body: app } = await graph("POST", "/applications", admin, { displayName: "admins-app" });
        expect((await graph("GET", `/applications/${app.id}/owners`, admin)).body.value).toEqual([]);
        expect((await graph("GET", `/applications/${app.id}`, deployer)).status).toBe(200);
        const denied = { status: 403, body: graphError("Authorization_RequestDenied", "Insufficient privileges to complete the operation.") };
        const ownerRef = { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${azure.deployer.objectId}` };
        expect(await graph("PATCH", `/applications/${app.id}`, deployer, { displayName: "taken" })).toMatchObject(denied);
        expect(await graph("POST", `/applications/${app.id}/addPassword`, deployer, { passwordCredential: {} })).toMatchObject(denied);
        expect(await graph("POST", `/applications/${app.id}/owners/$ref`, deployer, ownerRef)).toMatchObject(denied);
        expect(await graph("POST", "/servicePrincipals", deployer, { appId: app.appId })).toMatchObject(denied);
        expect(await graph("DELETE", `/applications/${app.id}`, deployer)).toMatchObject(denied);
        expect(await graph("POST", `/applications/${app.id}/owners/$ref`, admin, ownerRef)).toMatchObject({ status: 204, text: "" });
        expect(await graph("POST", `/applications/${app.id}/owners/$ref`, admin, ownerRef)).toMatchObject({ status: 400,
            body: graphError("Request_BadRequest", "One or more added object references already exist for the following modified properties: 'owners'.") });
        expect((await graph("PATCH", `/applications/${app.id}`, deployer, { displayName: "now-mine" })).status).toBe(204);
        expect(await graph("DELETE", `/applications/${app.id}/owners/${azure.deployer.objectId}/$ref`, admin)).toMatchObject({ status: 204, text: "" });
        expect(await graph("DELETE", `/applications/${app.id}/owners/${azure.deployer.objectId}/$ref`, admin)).toMatchObject({ status: 404,
            body: { error: { code: "Request_ResourceNotFound" } } });
        expect(await graph("PATCH", `/applications/${app.id}`, deployer, { displayName: "again" })).toMatchObject(denied);
        const stranger = "44444444-4444-4444-4444-444444444444";
        expect(await graph("POST", `/applications/${app.id}/owners/$ref`, admin, { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${stranger}` }))
            .toMatchObject({ status: 404, body: { error: { code: "Request_ResourceNotFound" } } });
    });

    it("adds a password (200, secretText once, 40 characters, hint its first 3) and removes it (204)", async () => {
        const { appObjectId, clientId, secret, keyId } = await deployedApp("password-app");
        expect(secret).toMatch(/^[A-Za-z0-9~._-]{40}$/);
        const deployer = await token(azure.deployer, GRAPH);
        const { body: app } = await graph("GET", `/applications/${appObjectId}`, deployer);
        expect(app.passwordCredentials).toEqual([{ customKeyIdentifier: null, displayName: "secret-a",
            endDateTime: "2099-01-01T00:00:00Z", hint: secret.slice(0, 3), keyId, secretText: null, startDateTime: expect.any(String) }]);
        expect(JSON.stringify(app)).not.toContain(secret);
        expect((await tokenRequest({ clientId, clientSecret: secret }, STORAGE)).status).toBe(200);
        expect(await graph("POST", `/applications/${appObjectId}/removePassword`, deployer, { keyId })).toMatchObject({ status: 204, text: "" });
        const refused = await tokenRequest({ clientId, clientSecret: secret }, STORAGE);
        expect([refused.status, refused.body.error_codes]).toEqual([401, [7000215]]);
        expect(await graph("POST", `/applications/${appObjectId}/removePassword`, deployer, { keyId })).toMatchObject({ status: 404,
            body: { error: { code: "Request_ResourceNotFound" } } });
    });

    it("creates a service principal once per app (201, then 409) and finds it by appId", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        const { body: app } = await graph("POST", "/applications", deployer, { displayName: "sp-app" });
        const sp = await graph("POST", "/servicePrincipals", deployer, { appId: app.appId });
        expect(sp.status).toBe(201);
        expect(sp.body).toMatchObject({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity",
            appId: app.appId, displayName: "sp-app", appDisplayName: "sp-app", servicePrincipalType: "Application",
            accountEnabled: true, appOwnerOrganizationId: azure.tenantId, servicePrincipalNames: [app.appId] });
        expect(await graph("POST", "/servicePrincipals", deployer, { appId: app.appId })).toMatchObject({ status: 409,
            body: graphError("Request_MultipleObjectsWithSameKeyValue", `The service principal cannot be created, updated, or restored because the service principal name ${app.appId} is already in use.`) });
        expect(await graph("POST", "/servicePrincipals", deployer, { appId: "55555555-5555-5555-5555-555555555555" })).toMatchObject({ status: 400,
            body: graphError("Request_BadRequest", "The appId '55555555-5555-5555-5555-555555555555' of the service principal does not reference a valid application object.") });
        const found = await graph("GET", `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${app.appId}'`)}`, deployer);
        expect(found.body.value.map((candidate: Item) => candidate.id)).toEqual([sp.body.id]);
        expect((await graph("GET", `/servicePrincipals/${sp.body.id}/owners`, deployer)).body.value.map((owner: Item) => owner.id)).toEqual([azure.deployer.objectId]);
        expect(await graph("PATCH", `/servicePrincipals/${sp.body.id}`, deployer, { tags: ["HideApp"] })).toMatchObject({ status: 204 });
        const object = await graph("GET", `/directoryObjects/${sp.body.id}`, deployer);
        expect(object.body).toMatchObject({ "@odata.type": "#microsoft.graph.servicePrincipal", id: sp.body.id, tags: ["HideApp"] });
    });

    it("deletes an app's service principal and passwords with it", async () => {
        const { appObjectId, clientId, spObjectId, secret } = await deployedApp("deleted-app");
        const deployer = await token(azure.deployer, GRAPH);
        expect(await graph("DELETE", `/applications/${appObjectId}`, deployer)).toMatchObject({ status: 204, text: "" });
        expect((await graph("GET", `/applications/${appObjectId}`, deployer)).status).toBe(404);
        expect((await graph("GET", `/servicePrincipals/${spObjectId}`, deployer)).status).toBe(404);
        expect((await graph("GET", `/directoryObjects/${spObjectId}`, deployer)).status).toBe(404);
        const signIn = await tokenRequest({ clientId, clientSecret: secret }, STORAGE);
        expect([signIn.status, signIn.body.error_codes]).toEqual([400, [700016]]);
    });

    it("logs every request in order: a create before its delete, with status and caller", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        const { body: app } = await graph("POST", "/applications", deployer, { displayName: "logged" });
        await graph("DELETE", `/applications/${app.id}`, deployer);
        const entries = azure.log().slice(-2);
        expect(entries.map(({ method, host, path, status, caller }) => ({ method, host, path, status, caller }))).toEqual([
            { method: "POST", host: "graph.microsoft.com", path: "/v1.0/applications", status: 201, caller: azure.deployer.objectId },
            { method: "DELETE", host: "graph.microsoft.com", path: `/v1.0/applications/${app.id}`, status: 204, caller: azure.deployer.objectId },
        ]);
        expect(Date.parse(entries[0]!.time)).toBeLessThanOrEqual(Date.parse(entries[1]!.time));
    });
});

describe("ARM role assignments", () => {
    it("creates (201), re-PUTs identically (200), gets (200), lists atScope() and deletes (200, then 204)", async () => {
        const { spObjectId } = await deployedApp("arm-app");
        const deployer = await token(azure.deployer, ARM);
        const name = "6f2a1c3e-0000-4000-8000-000000000001";
        const created = await call("PUT", armPath("rg-inventory-dev", name), { token: deployer, body: assignmentBody(spObjectId) });
        const scope = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev`;
        expect(created.status).toBe(201);
        expect(created.body).toEqual({
            properties: {
                roleDefinitionId: `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
                principalId: spObjectId, principalType: "ServicePrincipal", scope, condition: null, conditionVersion: null,
                createdOn: expect.any(String), updatedOn: expect.any(String), createdBy: azure.deployer.objectId,
                updatedBy: azure.deployer.objectId, delegatedManagedIdentityResourceId: null, description: null,
            },
            id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
            type: "Microsoft.Authorization/roleAssignments", name,
        });
        expect((await call("PUT", armPath("rg-inventory-dev", name), { token: deployer, body: assignmentBody(spObjectId) })).status).toBe(200);
        expect(await call("GET", armPath("rg-inventory-dev", name), { token: deployer })).toMatchObject({ status: 200, body: { name } });
        const listed = await call("GET", armPath("rg-inventory-dev", undefined, "api-version=2022-04-01&$filter=atScope()"), { token: deployer });
        expect(listed.status).toBe(200);
        expect(listed.body.value.filter((assignment: Item) => assignment.properties.principalId === spObjectId).map((assignment: Item) => assignment.name)).toEqual([name]);
        // The deployer's own assignment on the resource group (docs/deployer.md section 4) is at its scope: atScope() lists it.
        expect(listed.body.value.some((assignment: Item) => assignment.properties.principalId === azure.deployer.objectId &&
            assignment.properties.scope === scope)).toBe(true);
        expect(await call("DELETE", armPath("rg-inventory-dev", name), { token: deployer })).toMatchObject({ status: 200, body: { name } });
        expect(await call("DELETE", armPath("rg-inventory-dev", name), { token: deployer })).toMatchObject({ status: 204, text: "" });
        expect(await call("GET", armPath("rg-inventory-dev", name), { token: deployer })).toEqual({ status: 404, text: expect.any(String),
            body: { error: { code: "RoleAssignmentNotFound", message: `The role assignment '${name}' is not found.` } } });
    });

    // learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Symptom - Unable to assign a role" and after.
    it("answers ARM's errors: exists, update, principal, type, group, condition, name, authentication", async () => {
        const { spObjectId } = await deployedApp("arm-errors-app");
        const other = await deployedApp("arm-errors-other");
        const deployer = await token(azure.deployer, ARM);
        const put = (rg: string, name: string, body: unknown, tokenValue = deployer) => call("PUT", armPath(rg, name), { token: tokenValue, body });
        const name = "6f2a1c3e-0000-4000-8000-000000000002";
        expect((await put("rg-inventory-test", name, assignmentBody(spObjectId))).status).toBe(201);
        const error = (code: string, message: string) => ({ error: { code, message } });
        expect(await put("rg-inventory-test", "6f2a1c3e-0000-4000-8000-000000000003", assignmentBody(spObjectId)))
            .toMatchObject({ status: 409, body: error("RoleAssignmentExists", "The role assignment already exists.") });
        expect(await put("rg-inventory-test", name, assignmentBody(other.spObjectId))).toMatchObject({ status: 400,
            body: error("RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.") });
        const ghost = "66666666-6666-6666-6666-666666666666";
        expect(await put("rg-inventory-test", "6f2a1c3e-0000-4000-8000-000000000004", assignmentBody(ghost))).toMatchObject({ status: 400,
            body: { error: { code: "PrincipalNotFound", message: expect.stringMatching(new RegExp(`^Principal 66666666666666666666666666666666 does not exist in the directory ${azure.tenantId}\\.`)) } } });
        const admin = await token(azure.admin, ARM);
        expect(await put("rg-inventory-test", "6f2a1c3e-0000-4000-8000-000000000005", assignmentBody(spObjectId, CONTRIBUTOR, "User"), admin)).toMatchObject({ status: 400,
            body: error("UnmatchedPrincipalType", `The PrincipalId '${spObjectId.replace(/-/g, "")}' has type 'ServicePrincipal' , which is different from specified PrincipalType 'User'.`) });
        // ARM authorizes before it looks for the group: the deployer, whose role is on the stacks' groups only, is
        // refused ("... or the scope is invalid"); the admin, Owner of the subscription, learns that it is missing.
        const missingScope = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-missing`;
        expect(await put("rg-missing", "6f2a1c3e-0000-4000-8000-000000000006", assignmentBody(spObjectId))).toMatchObject({ status: 403,
            body: error("AuthorizationFailed", `The client '${azure.deployer.clientId}' with object id '${azure.deployer.objectId}' does not have ` +
                "authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope " +
                `'${missingScope}/providers/Microsoft.Authorization/roleAssignments/6f2a1c3e-0000-4000-8000-000000000006' ` +
                "or the scope is invalid. If access was recently granted, please refresh your credentials.") });
        expect(await put("rg-missing", "6f2a1c3e-0000-4000-8000-000000000006", assignmentBody(spObjectId), admin))
            .toMatchObject({ status: 404, body: error("ResourceGroupNotFound", "Resource group 'rg-missing' could not be found.") });
        const ownerName = "6f2a1c3e-0000-4000-8000-000000000007";
        expect(await put("rg-inventory-test", ownerName, assignmentBody(spObjectId, OWNER))).toMatchObject({ status: 403,
            body: error("AuthorizationFailed", `The client '${azure.deployer.clientId}' with object id '${azure.deployer.objectId}' does not have ` +
                "authorization or an ABAC condition not fulfilled to perform action 'Microsoft.Authorization/roleAssignments/write' over scope " +
                `'/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments/${ownerName}' ` +
                "or the scope is invalid. If access was recently granted, please refresh your credentials.") });
        expect((await put("rg-inventory-test", ownerName, assignmentBody(spObjectId, OWNER), admin)).status).toBe(201);
        expect(await call("DELETE", armPath("rg-inventory-test", ownerName), { token: deployer })).toMatchObject({ status: 403, body: { error: { code: "AuthorizationFailed" } } });
        expect(await put("rg-inventory-test", "not-a-guid", assignmentBody(spObjectId))).toMatchObject({ status: 400,
            body: error("InvalidRoleAssignmentId", "The role assignment ID 'not-a-guid' is not valid. The role assignment ID must be a GUID.") });
        expect(await call("GET", armPath("rg-inventory-test", name))).toMatchObject({ status: 401,
            body: error("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.") });
        const graphToken = await token(azure.deployer, GRAPH);
        expect(await call("GET", armPath("rg-inventory-test", name), { token: graphToken })).toMatchObject({ status: 401,
            body: { error: { code: "InvalidAuthenticationTokenAudience", message: expect.stringMatching(/^The access token has been obtained for wrong audience or resource 'https:\/\/graph\.microsoft\.com'\./) } } });
        expect(await call("GET", armPath("rg-inventory-test", name, ""), { token: deployer })).toMatchObject({ status: 400,
            body: error("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.") });
    });
});

describe("Blob Storage", () => {
    it("follows ARM's role assignments: 403 AuthorizationPermissionMismatch, granted 201/200, removed 403 again", async () => {
        const app = await deployedApp("blob-reader-app");
        const storage = await token({ clientId: app.clientId, clientSecret: app.secret }, STORAGE);
        const blobUrl = (path: string) => `${azure.url}/inventoryapidev.blob.core.windows.net${path}`;
        // Put Blob needs x-ms-blob-type, as on Azure: Azurite answers 400 MissingRequiredHeader without it.
        const blobCall = (method: string, path: string, body?: string) => fetch(blobUrl(path), { method, body, headers: {
            authorization: `Bearer ${storage}`, "x-ms-version": "2021-08-06", ...(body === undefined ? {} : { "x-ms-blob-type": "BlockBlob" }) } });
        const refusedBefore = await blobCall("PUT", "/inventory?restype=container");
        expect(refusedBefore.status).toBe(403);
        expect(refusedBefore.headers.get("x-ms-error-code")).toBe("AuthorizationPermissionMismatch");
        expect(refusedBefore.headers.get("server")).toBe(STAND_IN_SERVER);

        const deployer = await token(azure.deployer, ARM);
        const name = "6f2a1c3e-0000-4000-8000-000000000010";
        expect((await call("PUT", armPath("rg-inventory-dev", name), { token: deployer, body: assignmentBody(app.spObjectId) })).status).toBe(201);
        expect((await blobCall("PUT", "/inventory?restype=container")).status).toBe(201);
        expect((await blobCall("PUT", "/inventory/items.json", "[1,2]")).status).toBe(201);
        const read = await blobCall("GET", "/inventory/items.json");
        expect([read.status, await read.text(), read.headers.get("server")]).toEqual([200, "[1,2]", AZURITE_SERVER]);

        expect((await call("DELETE", armPath("rg-inventory-dev", name), { token: deployer })).status).toBe(200);
        const refusedAfter = await blobCall("GET", "/inventory/items.json");
        expect(refusedAfter.status).toBe(403);
        expect(refusedAfter.headers.get("x-ms-error-code")).toBe("AuthorizationPermissionMismatch");
        expect(await refusedAfter.text()).toContain("<Code>AuthorizationPermissionMismatch</Code>");
        expect(refusedAfter.headers.get("server")).toBe(STAND_IN_SERVER);
    });

    it("answers from Azurite past the RBAC check: a missing container is Azurite's own 404 ContainerNotFound", async () => {
        const app = await deployedApp("blob-azurite-app");
        const deployer = await token(azure.deployer, ARM);
        const name = "6f2a1c3e-0000-4000-8000-000000000011";
        expect((await call("PUT", armPath("rg-inventory-test", name), { token: deployer, body: assignmentBody(app.spObjectId) })).status).toBe(201);
        const storage = await token({ clientId: app.clientId, clientSecret: app.secret }, STORAGE);
        const missing = await fetch(`${azure.url}/inventoryapitest.blob.core.windows.net/no-such-container/a.txt`,
            { headers: { authorization: `Bearer ${storage}`, "x-ms-version": "2025-11-05" } });
        const requestId = missing.headers.get("x-ms-request-id")!;
        expect([missing.status, missing.headers.get("server"), missing.headers.get("x-ms-error-code"), missing.headers.get("content-type")])
            .toEqual([404, AZURITE_SERVER, "ContainerNotFound", "application/xml"]);
        expect(requestId).toMatch(GUID);
        // Azurite's error serializer (src/blob/errors/StorageError.ts): standalone="yes", two-space indentation, no BOM,
        // none of which the stand-in's own refusals have.
        const text = await missing.text();
        const time = /\nTime:(\S+)<\/Message>/.exec(text)?.[1];
        expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(text).toBe(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Error>\n  <Code>ContainerNotFound</Code>\n` +
            `  <Message>The specified container does not exist.\nRequestId:${requestId}\nTime:${time}</Message>\n</Error>`);
    });

    it("forwards to Azurite only what RBAC allows: a refused request never reaches it", async () => {
        const azurite = await startAzurite(["stunit"]);
        try {
            const scope = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-unit`;
            const reader = STORAGE_BLOB_ROLES.find((role) => role.name === "Storage Blob Data Reader")!.id;
            const claims = (oid: string) => ({ aud: "https://storage.azure.com", tid: azure.tenantId, appid: oid, oid, exp: 4_102_444_800 });
            const blob = new BlobStandIn({ stunit: { subscriptionId: azure.subscriptionId, resourceGroup: "rg-unit" } },
                [{ scope, roleDefinitionId: `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${reader}`, principalId: "reader-oid" }],
                STORAGE_BLOB_ROLES, new Map([["reader-token", claims("reader-oid")], ["nobody-token", claims("nobody-oid")]]), azurite);
            const send = async (method: string, path: string, token?: string, body = "") => {
                const response = await blob.handle({ method, host: "stunit.blob.core.windows.net", url: new URL(path, "https://stunit.blob.core.windows.net"),
                    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), "x-ms-blob-type": "BlockBlob" }, body });
                return [response.status, response.headers?.["x-ms-error-code"], response.headers?.["Server"]];
            };
            expect(await send("PUT", "/refused?restype=container")).toEqual([401, "NoAuthenticationInformation", STAND_IN_SERVER]);
            expect(await send("PUT", "/refused?restype=container", "nobody-token")).toEqual([403, "AuthorizationPermissionMismatch", STAND_IN_SERVER]);
            expect(await send("GET", "/refused/a.txt", "nobody-token")).toEqual([403, "AuthorizationPermissionMismatch", STAND_IN_SERVER]);
            expect(await send("PUT", "/refused/a.txt", "reader-token", "x")).toEqual([403, "AuthorizationPermissionMismatch", STAND_IN_SERVER]);
            expect(azurite.requests).toEqual([]);
            // What the reader may do reaches Azurite, which knows no such container.
            expect(await send("GET", "/refused/a.txt", "reader-token")).toEqual([404, "ContainerNotFound", AZURITE_SERVER]);
            expect(azurite.requests).toEqual([{ method: "GET", path: "/refused/a.txt", status: 404 }]);
        } finally {
            await azurite.stop();
        }
    });

    it("a request after the event loop was busy past Azurite's keep-alive close is answered: a plain kept-alive agent hangs up there", async () => {
        const azurite = await startAzurite(["stunit"]);
        const plain = new Agent({ keepAlive: true });
        try {
            const host = "stunit.blob.core.windows.net";
            const { port } = new URL(azurite.url);
            const plainGet = () => new Promise<number>((resolve, reject) => {
                const sent = httpRequest({ agent: plain, host: "127.0.0.1", port, path: "/?comp=list", headers: { host } }, (response) => {
                    response.resume();
                    response.on("end", () => resolve(response.statusCode ?? 0));
                });
                sent.on("error", reject);
                sent.end();
            });
            expect(await plainGet()).toBe(403);
            expect((await azurite.send(host, "GET", "/?comp=list")).status).toBe(200);
            // Azurite closes an idle connection 6 s after its answer (measured; it hints timeout=5): past that,
            // with the loop too busy to read the close, as spawnSync of openssl keeps a test worker's.
            const until = Date.now() + 7_000;
            while (Date.now() < until) { /* the loop is busy */ }
            await expect(plainGet()).rejects.toThrow("socket hang up");
            expect((await azurite.send(host, "GET", "/?comp=list")).status).toBe(200);
            // Each request reached Azurite once; the plain one's log line is read on its own time, not awaited by send.
            await expect.poll(() => azurite.requests.map((request) => request.status)).toEqual([403, 200, 200]);
        } finally {
            plain.destroy();
            await azurite.stop();
        }
    });

    it("reset leaves Azurite as a fresh start: no container in any account, nothing in the request log", async () => {
        const azurite = await startAzurite(["stone", "sttwo"]);
        try {
            const put = (account: string, path: string, headers: Record<string, string> = {}) =>
                azurite.send(`${account}.blob.core.windows.net`, "PUT", path, headers, Buffer.from("x"));
            expect((await put("stone", "/reports?restype=container")).status).toBe(201);
            expect((await put("stone", "/reports/a.txt", { "x-ms-blob-type": "BlockBlob" })).status).toBe(201);
            expect((await put("sttwo", "/archive?restype=container")).status).toBe(201);
            await azurite.reset();
            expect(azurite.requests).toEqual([]);
            // The same names can be made again at once, and the blob is gone with its container.
            expect((await put("stone", "/reports?restype=container")).status).toBe(201);
            const gone = await azurite.send("stone.blob.core.windows.net", "GET", "/reports/a.txt");
            expect([gone.status, gone.headers["x-ms-error-code"]]).toEqual([404, "BlobNotFound"]);
            expect(azurite.requests).toEqual([
                { method: "PUT", path: "/reports?restype=container", status: 201 },
                { method: "GET", path: "/reports/a.txt", status: 404 },
            ]);
        } finally {
            await azurite.stop();
        }
    });
});

describe("state and transport", () => {
    it("keeps its state across a restart with a stateFile: identities, apps, passwords, role assignments, blobs, tokens", async () => {
        const stateFile = join(mkdtempSync(join(tmpdir(), "local-azure-state-")), "state.json");
        const shared = azure;
        try {
            azure = await startLocalAzure({ stateFile });
            const first = azure;
            const app = await deployedApp("survivor");
            const graphToken = await token(azure.deployer, GRAPH);
            const name = "6f2a1c3e-0000-4000-8000-000000000020";
            expect((await call("PUT", armPath("rg-inventory-test", name), { token: await token(azure.deployer, ARM), body: assignmentBody(app.spObjectId) })).status).toBe(201);
            const storage = await token({ clientId: app.clientId, clientSecret: app.secret }, STORAGE);
            const blob = (path: string, method = "GET", body?: string) => fetch(`${azure.url}/inventoryapitest.blob.core.windows.net${path}`,
                { method, body, headers: { authorization: `Bearer ${storage}`, ...(body === undefined ? {} : { "x-ms-blob-type": "BlockBlob" }) } });
            expect((await blob("/kept?restype=container", "PUT")).status).toBe(201);
            expect((await blob("/kept/a.txt", "PUT", "still here")).status).toBe(201);
            await azure.stop();
            const written = JSON.parse(readFileSync(stateFile, "utf8"));
            expect(written.applications.map((candidate: Item) => candidate.properties.displayName))
                .toEqual(["app-identity-deployer", "app-identity-previewer", "local-azure-admin", "survivor"]);
            expect(readFileSync(stateFile, "utf8")).not.toContain(app.secret);

            azure = await startLocalAzure({ stateFile });
            expect([azure.deployer, azure.previewer, azure.admin, azure.tenantId, azure.caFile])
                .toEqual([first.deployer, first.previewer, first.admin, first.tenantId, first.caFile]);
            // A token from before the restart is still good: the signing key is part of the state.
            expect(await graph("GET", `/applications/${app.appObjectId}`, graphToken)).toMatchObject({ status: 200, body: { displayName: "survivor" } });
            expect(azure.log().map((entry) => [entry.method, entry.path, entry.status])).toEqual([["GET", `/v1.0/applications/${app.appObjectId}`, 200]]);
            expect((await tokenRequest({ clientId: app.clientId, clientSecret: app.secret }, STORAGE)).status).toBe(200);
            expect((await call("GET", armPath("rg-inventory-test", name), { token: await token(azure.deployer, ARM) })).status).toBe(200);
            // The new Azurite was filled from the state file before the first request reached it.
            const read = await blob("/kept/a.txt");
            expect([read.status, await read.text(), read.headers.get("server")]).toEqual([200, "still here", AZURITE_SERVER]);
            expect(Object.keys(azure.state().blobs["inventoryapitest"]!["kept"]!)).toEqual(["a.txt"]);
        } finally {
            await azure.stop();
            azure = shared;
        }
    });

    it("serves the real hostnames through its CONNECT proxy, over TLS signed by its CA", async () => {
        const proxy = new URL(azure.proxyUrl);
        const socket = await new Promise<import("node:net").Socket>((resolve, reject) => {
            const connect = httpRequest({ host: proxy.hostname, port: proxy.port, method: "CONNECT", path: "login.microsoftonline.com:443" });
            connect.on("connect", (response, tunnel) => response.statusCode === 200 ? resolve(tunnel) : reject(new Error(String(response.statusCode))));
            connect.on("error", reject);
            connect.end();
        });
        const tls = tlsConnect({ socket, servername: "login.microsoftonline.com", ca: readFileSync(azure.caFile) });
        await new Promise<void>((resolve, reject) => { tls.once("secureConnect", resolve); tls.once("error", reject); });
        const form = new URLSearchParams({ grant_type: "client_credentials", client_id: azure.deployer.clientId,
            client_secret: azure.deployer.clientSecret, scope: ARM }).toString();
        tls.write(`POST /${azure.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nHost: login.microsoftonline.com\r\n` +
            `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`);
        const chunks: Buffer[] = [];
        for await (const chunk of tls) chunks.push(chunk as Buffer);
        const response = Buffer.concat(chunks).toString("utf8");
        expect(response.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
        expect(claimsOf(JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)).access_token).aud).toBe("https://management.azure.com");
        expect(azure.log().at(-1)).toMatchObject({ method: "POST", host: "login.microsoftonline.com", status: 200, caller: azure.deployer.objectId });
    });
});

describe("npm run local-azure", () => {
    it("prints export lines for the providers and the example app, saying the secret is a local test credential", () => {
        const lines = renderExports(azure, "/tmp/la").split("\n");
        expect(lines).toEqual([
            `# Local Azure on ${azure.url}; state in /tmp/la/state.json.`,
            "# ARM_CLIENT_SECRET is the local deployer's test credential: it opens this local Azure and nothing else.",
            `export LOCAL_AZURE_URL='${azure.url}'`,
            `export ARM_TENANT_ID='${azure.tenantId}'`,
            `export ARM_SUBSCRIPTION_ID='${azure.subscriptionId}'`,
            `export ARM_CLIENT_ID='${azure.deployer.clientId}'`,
            `export ARM_CLIENT_SECRET='${azure.deployer.clientSecret}'`,
            `export HTTPS_PROXY='${azure.proxyUrl}'`,
            "export NO_PROXY='localhost,127.0.0.1'",
            `export REQUESTS_CA_BUNDLE='${azure.caFile}'`,
            `export SSL_CERT_FILE='${azure.caFile}'`,
            `export NODE_EXTRA_CA_CERTS='${azure.caFile}'`,
            "",
        ]);
    });

    it("prints what the Pulumi CLI needs: the checkout's CLI, a Pulumi home with the stand-ins, file state, no downloads", () => {
        expect(renderPulumiExports("/tmp/la").split("\n")).toEqual([
            "# The Pulumi CLI against this local Azure: its own Pulumi home (the provider stand-ins), state and passphrase.",
            `export PATH="${PULUMI_BIN_DIR}:$PATH"`,
            "export PULUMI_HOME='/tmp/la/pulumi-home'",
            "export PULUMI_BACKEND_URL='file:///tmp/la/pulumi-state'",
            "export PULUMI_CONFIG_PASSPHRASE='local-azure'",
            "export PULUMI_IGNORE_AMBIENT_PLUGINS=true",
            "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
            "export PULUMI_SKIP_UPDATE_CHECK=true",
            "",
        ]);
    });

    it.each([
        [[], { port: 47443, dir: join(tmpdir(), "app-identity-local-azure"), log: join(tmpdir(), "app-identity-local-azure", "requests.jsonl"), misbehaviour: {} }],
        [["--port", "0", "--dir", "/tmp/x"], { port: 0, dir: "/tmp/x", log: "/tmp/x/requests.jsonl", misbehaviour: {} }],
        [["--dir", "/tmp/x", "--log", "-"], { port: 47443, dir: "/tmp/x", log: "-", misbehaviour: {} }],
        [["--log", "/tmp/y.jsonl"], { port: 47443, dir: join(tmpdir(), "app-identity-local-azure"), log: "/tmp/y.jsonl", misbehaviour: {} }],
        [["--replication-delay", "20"], { port: 47443, dir: join(tmpdir(), "app-identity-local-azure"), log: join(tmpdir(), "app-identity-local-azure", "requests.jsonl"),
            misbehaviour: { replication: { applicationSeconds: 20, principalSeconds: 20, passwordSeconds: 20 } } }],
    ])("reads %j", (argv, expected) => {
        expect(parseArguments(argv)).toEqual(expected);
    });

    it.each([
        [["--port", "http"], `--port is "http"; expected a port number 1-65535, or 0 for any free one`],
        [["--port", "70000"], `--port is "70000"; expected a port number 1-65535, or 0 for any free one`],
        [["--bogus"], "Unknown option '--bogus'; usage: npm run local-azure [-- --port N] [--dir DIR] [--log FILE|-] [--graph-throttle-scale N]"],
        [["--outage", "graph"], `--outage is "graph"; expected SERVICES:ANSWER, services graph, arm or graph,arm and answer 500, 503 or drop; usage: `],
    ])("refuses %j in one line", (argv, message) => {
        expect(() => parseArguments(argv)).toThrow(message);
    });
});

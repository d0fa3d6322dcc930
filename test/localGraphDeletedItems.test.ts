/**
 * The local Graph's deleted items (issue 24, defect 3), as Microsoft Graph documents them: a deleted application is
 * kept, credentials included, and can be restored (directory-deleteditems-restore) until it is deleted for good
 * (directory-deleteditems-delete); listing and reading deleted items takes Application.Read.All
 * (directory-deleteditems-list, -get), which the deployer (Application.ReadWrite.OwnedBy) does not hold, while
 * restoring and purging what it owns it may.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";

const GRAPH = "https://graph.microsoft.com/.default";
const STORAGE = "https://storage.azure.com/.default";
const NOT_FOUND = (id: string) => ({ code: "Request_ResourceNotFound",
    message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.` });
const DENIED = { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." };

interface Client { clientId: string; clientSecret: string }
interface Reply { status: number; body: Record<string, unknown> & { value?: Record<string, unknown>[]; error?: unknown } }

let azure: LocalAzure;

beforeAll(async () => {
    azure = await startLocalAzure();
});
afterAll(async () => {
    await azure?.stop();
});

async function call(method: string, path: string, token: string, body?: unknown): Promise<Reply> {
    const response = await fetch(`${azure.url}/graph.microsoft.com/v1.0${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? {} : JSON.parse(text) as Reply["body"] };
}

async function signIn(client: Client, scope: string): Promise<{ status: number; codes: unknown; token?: string }> {
    const response = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret, scope }).toString(),
    });
    const body = await response.json() as { error_codes?: number[]; access_token?: string };
    return { status: response.status, codes: body.error_codes, token: body.access_token };
}

async function tokenOf(client: Client): Promise<string> {
    const result = await signIn(client, GRAPH);
    expect(result.status).toBe(200);
    return result.token!;
}

/** An app as the deployer makes one: app, service principal, a secret. */
async function deletedApp(displayName: string) {
    const deployer = await tokenOf(azure.deployer);
    const app = await call("POST", "/applications", deployer, { displayName, signInAudience: "AzureADMyOrg" });
    const sp = await call("POST", "/servicePrincipals", deployer, { appId: app.body["appId"] });
    const password = await call("POST", `/applications/${String(app.body["id"])}/addPassword`, deployer,
        { passwordCredential: { displayName: "secret-a", endDateTime: "2099-01-01T00:00:00Z" } });
    expect([app.status, sp.status, password.status]).toEqual([201, 201, 200]);
    expect((await call("DELETE", `/applications/${String(app.body["id"])}`, deployer)).status).toBe(204);
    return { id: app.body["id"] as string, spId: sp.body["id"] as string, credential: { clientId: app.body["appId"] as string,
        clientSecret: password.body["secretText"] as string }, deployer };
}

describe("directory/deletedItems", () => {
    it("a deleted app is listed and read with Application.Read.All (the previewer), with its deletedDateTime; the deployer may not list", async () => {
        const { id, spId, deployer } = await deletedApp("kept-deleted");
        const previewer = await tokenOf(azure.previewer!);
        const listed = await call("GET", "/directory/deletedItems/microsoft.graph.application", previewer);
        expect(listed.status).toBe(200);
        const mine = listed.body.value!.filter((item) => item["id"] === id);
        expect(mine).toEqual([expect.objectContaining({ "@odata.type": "#microsoft.graph.application", id, displayName: "kept-deleted",
            deletedDateTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) })]);
        const principals = await call("GET", "/directory/deletedItems/microsoft.graph.servicePrincipal", previewer);
        expect(principals.body.value!.map((item) => item["id"])).toContain(spId);
        expect(await call("GET", `/directory/deletedItems/${id}`, previewer)).toMatchObject({ status: 200, body: { id, displayName: "kept-deleted" } });
        expect(await call("GET", "/directory/deletedItems/microsoft.graph.application", deployer)).toEqual({ status: 403, body: { error: expect.objectContaining(DENIED) } });
        expect(await call("GET", `/directory/deletedItems/${id}`, deployer)).toEqual({ status: 403, body: { error: expect.objectContaining(DENIED) } });
    });

    it("restore brings the app back with its secret, which signs in again; its service principal stays deleted", async () => {
        const { id, spId, credential, deployer } = await deletedApp("restored");
        expect((await signIn(credential, STORAGE)).codes).toEqual([700016]);
        const restored = await call("POST", `/directory/deletedItems/${id}/restore`, deployer);
        expect(restored).toMatchObject({ status: 200, body: { "@odata.type": "#microsoft.graph.application", id, displayName: "restored" } });
        expect((await call("GET", `/applications/${id}`, deployer)).status).toBe(200);
        expect((await call("GET", `/servicePrincipals/${spId}`, deployer)).status).toBe(404);
        expect((await call("POST", `/directory/deletedItems/${spId}/restore`, deployer)).status).toBe(200);
        expect((await signIn(credential, STORAGE)).status).toBe(200);
    });

    it("a permanent delete (204) ends it: no restore (404), no sign-in; the admin's deleted app the deployer may not touch (403)", async () => {
        const { id, credential, deployer } = await deletedApp("purged");
        expect(await call("DELETE", `/directory/deletedItems/${id}`, deployer)).toEqual({ status: 204, body: {} });
        expect(await call("POST", `/directory/deletedItems/${id}/restore`, deployer)).toEqual({ status: 404, body: { error: expect.objectContaining(NOT_FOUND(id)) } });
        expect(await call("DELETE", `/directory/deletedItems/${id}`, deployer)).toEqual({ status: 404, body: { error: expect.objectContaining(NOT_FOUND(id)) } });
        expect((await signIn(credential, STORAGE)).codes).toEqual([700016]);

        const admin = await tokenOf(azure.admin);
        const other = await call("POST", "/applications", admin, { displayName: "admins-own" });
        expect((await call("DELETE", `/applications/${String(other.body["id"])}`, admin)).status).toBe(204);
        expect(await call("DELETE", `/directory/deletedItems/${String(other.body["id"])}`, deployer)).toEqual({ status: 403, body: { error: expect.objectContaining(DENIED) } });
        expect((await call("DELETE", `/directory/deletedItems/${String(other.body["id"])}`, admin)).status).toBe(204);
    });
});

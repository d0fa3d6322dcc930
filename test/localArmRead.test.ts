/**
 * Issue 24, defect 5, in the local ARM: reading an Arc machine takes `*\/read` on its resource group or above, which
 * the documented deployer and previewer hold on rg-servers only (docs/managed-identity.md section 1); anywhere else
 * ARM answers 403 AuthorizationFailed (learn.microsoft.com/azure/role-based-access-control/troubleshooting).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";

let azure: LocalAzure;

beforeAll(async () => {
    azure = await startLocalAzure();
});
afterAll(async () => {
    await azure?.stop();
});

async function armToken(client: { clientId: string; clientSecret: string }): Promise<string> {
    const response = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret,
            scope: "https://management.azure.com/.default" }).toString(),
    });
    return ((await response.json()) as { access_token: string }).access_token;
}

async function getMachine(token: string, id: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${azure.url}/management.azure.com${id}?api-version=2024-07-10`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.json() };
}

describe("GET of an Arc machine as the documented identities", () => {
    it.each(["deployer", "previewer"] as const)("the %s reads one in rg-servers (200) and is refused one in another group (403)", async (who) => {
        const client = who === "deployer" ? azure.deployer : azure.previewer!;
        const token = await armToken(client);
        const readable = azure.connectArcMachine("rg-servers", `srv-${who}`);
        const elsewhere = azure.connectArcMachine("rg-other", `srv-${who}`);
        expect(await getMachine(token, readable.id)).toMatchObject({ status: 200, body: { id: readable.id, identity: { principalId: readable.principalId } } });
        expect(await getMachine(token, elsewhere.id)).toEqual({ status: 403, body: { error: { code: "AuthorizationFailed",
            message: `The client '${client.clientId}' with object id '${client.objectId}' does not have authorization to perform ` +
                `action 'Microsoft.HybridCompute/machines/read' over scope '${elsewhere.id}' or the scope is invalid. ` +
                "If access was recently granted, please refresh your credentials." } } });
    });
});

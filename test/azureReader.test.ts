/**
 * tools/azure: the deploying identity reads Graph and ARM through the Azure SDK's pipeline, in a process of its own
 * started as a command is (HTTPS_PROXY and NODE_EXTRA_CA_CERTS from the local Azure's env.sh), against the local Azure.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { environmentFor } from "../localazure/main";
import { deployerCredential } from "../tools/azure/credential";

const run = promisify(execFile);
let azure: LocalAzure;

beforeAll(async () => {
    azure = await startLocalAzure();
});
afterAll(async () => {
    await azure.stop();
});

/** Runs `script` (TypeScript, top-level await allowed inside main) with the local Azure's variables only. */
async function runAsCommand(script: string): Promise<string> {
    const env = { PATH: process.env["PATH"], ...Object.fromEntries(environmentFor(azure)) };
    const source = `const { deployerCredential } = require("./tools/azure/credential");
const { AzureReader, GRAPH, ARM } = require("./tools/azure/rest");
async function main() { ${script} }
main().then((out) => process.stdout.write(JSON.stringify(out)), (e) => { process.stderr.write(String(e.message)); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ["-r", "sucrase/register/ts", "-e", source], { env, cwd: process.cwd() });
    return stdout;
}

describe("tools/azure", () => {
    it("signs in as ARM_CLIENT_ID with ARM_CLIENT_SECRET and reads Graph and ARM through the proxy", async () => {
        const out = await runAsCommand(`
            const reader = new AzureReader(deployerCredential().credential);
            const sp = await reader.list(GRAPH, "/v1.0/servicePrincipals?$filter=appId eq '" + process.env.ARM_CLIENT_ID + "'");
            const assignments = await reader.list(ARM, "/subscriptions/" + process.env.ARM_SUBSCRIPTION_ID +
                "/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01");
            return { sp: sp.map((s) => s.id), assignments: assignments.length };`);
        const parsed = JSON.parse(out) as { sp: string[]; assignments: number };
        expect(parsed.sp).toEqual([azure.deployer.objectId]);
        // ARM lists the assignments at the scope and those inherited from above it: here the seeded three, the admin's
        // Owner on the subscription and, on the group, the deployer's RBAC Administrator and the previewer's Reader.
        expect(parsed.assignments).toBe(3);
        expect(azure.log().filter((entry) => entry.host === "graph.microsoft.com").map((entry) => [entry.status, entry.caller]))
            .toEqual([[200, azure.deployer.objectId]]);
        expect(azure.log().filter((entry) => entry.host === "management.azure.com").map((entry) => [entry.status, entry.caller, entry.path]))
            .toEqual([[200, azure.deployer.objectId, `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments`]]);
    });

    it("reports Graph's own error code and message", async () => {
        await expect(runAsCommand(`
            const reader = new AzureReader(deployerCredential().credential);
            return await reader.get(GRAPH, "/v1.0/applications/00000000-0000-0000-0000-0000000000ff");`))
            .rejects.toThrow(/\/v1\.0\/applications\/00000000-0000-0000-0000-0000000000ff: 404 Request_ResourceNotFound: /);
    });

    it("prefers the client secret, then GitHub's OIDC, then the Azure CLI, as the providers do", () => {
        const base = { ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c" };
        expect(deployerCredential({ ...base, ARM_CLIENT_SECRET: "s", ARM_USE_OIDC: "true" }).description)
            .toBe("client c (ARM_CLIENT_SECRET)");
        expect(deployerCredential({ ...base, ARM_USE_OIDC: "true", ACTIONS_ID_TOKEN_REQUEST_URL: "https://x/",
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r" }).description).toBe("client c (GitHub Actions OIDC)");
        expect(deployerCredential(base).description).toBe("the Azure CLI's sign-in");
        expect(deployerCredential({}).description).toBe("DefaultAzureCredential");
    });
});

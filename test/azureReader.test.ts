/**
 * tools/azure: the deploying identity reads Graph and ARM through the Azure SDK's pipeline, in a process of its own
 * started as a command is (HTTPS_PROXY and NODE_EXTRA_CA_CERTS from the local Azure's env.sh), against the local Azure.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
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

/** A Graph call as the deployer, straight to the local Azure (no retries): to set a scene. */
async function graphAsDeployer(method: string, path: string, body?: unknown): Promise<{ status: number; body: ReturnType<typeof JSON.parse> }> {
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: azure.deployer.clientId,
        client_secret: azure.deployer.clientSecret, scope: "https://graph.microsoft.com/.default" });
    const { access_token: token } = await (await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`,
        { method: "POST", body: form })).json() as { access_token: string };
    const response = await fetch(`${azure.url}/graph.microsoft.com${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

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

    describe("retries as the Azure SDK's pipeline does (defaultRetryPolicy), against the local Azure misbehaving", () => {
        afterEach(() => azure.misbehave({}));
        const APPS = "/v1.0/applications?$select=id";
        /** The reader's Graph or ARM requests since `from`, as the local Azure logged them: their statuses in order. */
        const statusesSince = (from: number, host: string) => azure.log().slice(from).filter((entry) => entry.host === host).map((entry) => entry.status);
        /** Milliseconds from the first to the last of those requests, as the local Azure answered them. */
        const spanSince = (from: number, host: string) => {
            const times = azure.log().slice(from).filter((entry) => entry.host === host).map((entry) => Date.parse(entry.time));
            return times[times.length - 1]! - times[0]!;
        };
        /** Reads once with the pipeline's own retry options: what came back. */
        const read = async (api: "GRAPH" | "ARM", path: string, retryOptions: object = {}) => JSON.parse(await runAsCommand(`
            const reader = new AzureReader(deployerCredential().credential, ${JSON.stringify(retryOptions)});
            try {
                const answer = await reader.get(${api}, ${JSON.stringify(path)});
                return { ok: true, items: (answer.value ?? []).length };
            } catch (error) {
                return { ok: false, message: error.message };
            }`)) as { ok: boolean; items?: number; message?: string };

        it("honours a 503's Retry-After: two outages then the answer, 3 attempts, at least 2 s", async () => {
            azure.misbehave({ outage: { services: ["graph"], answer: 503, requests: 2, retryAfterSeconds: 1 } });
            const from = azure.log().length;
            expect(await read("GRAPH", APPS)).toMatchObject({ ok: true });
            expect(statusesSince(from, "graph.microsoft.com")).toEqual([503, 503, 200]);
            expect(spanSince(from, "graph.microsoft.com")).toBeGreaterThanOrEqual(2000);
            expect(spanSince(from, "graph.microsoft.com")).toBeLessThan(4000);
        }, 60_000);

        it("gives up after 3 retries (4 attempts) with Graph's own error, no later", async () => {
            azure.misbehave({ outage: { services: ["graph"], answer: 503, requests: 10, retryAfterSeconds: 0 } });
            const from = azure.log().length;
            expect(await read("GRAPH", APPS)).toEqual({ ok: false,
                message: `${APPS}: 503 serviceNotAvailable: The service isn't available. Try the request again after a delay.` });
            expect(statusesSince(from, "graph.microsoft.com")).toEqual([503, 503, 503, 503]);
        }, 60_000);

        it("backs off exponentially on an ARM 500 without Retry-After, within the pipeline's retryDelayInMs", async () => {
            azure.misbehave({ outage: { services: ["arm"], answer: 500, requests: 2 } });
            const from = azure.log().length;
            const path = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`;
            expect(await read("ARM", path, { retryDelayInMs: 200, maxRetryDelayInMs: 400 })).toEqual({ ok: true, items: 3 });
            expect(statusesSince(from, "management.azure.com")).toEqual([500, 500, 200]);
            // Between half and all of 200 ms, then of 400 ms: 300 ms at least, 600 ms at most (and the requests' own time).
            expect(spanSince(from, "management.azure.com")).toBeGreaterThanOrEqual(300);
            expect(spanSince(from, "management.azure.com")).toBeLessThan(1500);
        }, 60_000);

        it("retries a dropped connection once it is answered", async () => {
            azure.misbehave({ outage: { services: ["graph"], answer: "drop", requests: 1 } });
            const from = azure.log().length;
            expect(await read("GRAPH", APPS, { retryDelayInMs: 50 })).toMatchObject({ ok: true });
            expect(statusesSince(from, "graph.microsoft.com")).toEqual([0, 200]);
        }, 60_000);

        it("waits out Graph's write throttling by its Retry-After", async () => {
            const { body: app } = await graphAsDeployer("POST", "/v1.0/applications", { displayName: "reader-throttled" });
            const { body: added } = await graphAsDeployer("POST", `/v1.0/applications/${app.id}/addPassword`, { passwordCredential: {} });
            azure.misbehave({ graphThrottling: { appTenant: { size: 1, seconds: 1 } } });
            const from = azure.log().length;
            const out = JSON.parse(await runAsCommand(`
                const reader = new AzureReader(deployerCredential().credential);
                await reader.post(GRAPH, "/v1.0/applications/${app.id}/addPassword", { passwordCredential: {} });
                const started = Date.now();
                await reader.post(GRAPH, "/v1.0/applications/${app.id}/removePassword", { keyId: "${added.keyId}" });
                return { ms: Date.now() - started };`)) as { ms: number };
            expect(azure.log().slice(from).filter((entry) => entry.host === "graph.microsoft.com").map((entry) => [entry.path.split("/").pop(), entry.status]))
                .toEqual([["addPassword", 200], ["removePassword", 429], ["removePassword", 204]]);
            expect(out.ms).toBeGreaterThanOrEqual(1000);
            expect(azure.state().applications.find((each) => each.id === app.id)?.passwords.map((password) => password.keyId)).not.toContain(added.keyId);
        }, 60_000);
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

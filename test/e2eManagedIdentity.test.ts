/**
 * An Arc-enabled server end to end (issue 17): the example app under gunicorn with DefaultAzureCredential() from the
 * checkout's .venv (azure-identity 1.27.0) gets its token from a stand-in of the Arc agent (localazure/arc/agent.ts:
 * the 401 challenge, the key file in /var/opt/azcmagent/tokens, the Basic retry) and reaches the Blob stand-in with
 * the roles the stack grants the machine's principal; and the move from a client secret to the Arc identity, with
 * requests succeeding at every step.
 */
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import runProgram from "../infra";
import { startArcAgent, type RunningArcAgent } from "../localazure/arc/agent";
import type { Assignment } from "../localazure/standin/blob";
import type { TokenClaims } from "../localazure/standin/entra";
import { evaluateStack, type StackEvaluation } from "../tools/offline/engine";
import { readProject, readStackFile } from "../tools/stacks/stackFiles";
import { AT, PROJECT, ROOT } from "./harness";
import { identityLogLines, roleAssignmentsOf, startApp, startAzure, writeEnvFile, type AzureStandIn, type RunningApp } from "./support/e2e";
import { HIMDS_GROUP } from "./support/serviceUser";

const MACHINE = { kind: "arcMachine", resourceGroup: "rg-servers", name: "inventory-srv-01" };
const ACCOUNT = "stinventorydev";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
    for (const each of running.splice(0).reverse()) await each.stop();
});

/** stacks/Pulumi.inventory-api-dev.yaml with the managed identity added: during the migration (app registration kept) or after. */
function plan(appRegistration: boolean, identity: object = MACHINE): Promise<StackEvaluation> {
    const file = readStackFile(readProject(ROOT), "inventory-api-dev");
    const config = {
        ...file.config,
        [`${PROJECT}:managedIdentity`]: JSON.stringify(identity),
        ...(appRegistration ? { [`${PROJECT}:appRegistration`]: "true" } : {}),
    };
    return evaluateStack({ program: runProgram, project: PROJECT, stack: "inventory-api-dev", config, at: AT });
}

const principalOf = (evaluation: StackEvaluation) =>
    (evaluation.outputs["managedIdentity"]!.value as { principalId: string }).principalId;

/** The Arc agent of the machine: its tokens name the machine's principal, and the Blob stand-in knows them. */
async function arcAgent(stand: AzureStandIn, principalId: string, tenantId: string): Promise<RunningArcAgent> {
    const tokens = stand.entra.issuedTokens;
    const agent = await startArcAgent({
        now: () => AT,
        issue: (resource) => {
            const expiresOn = new Date(AT.getTime() + 24 * 3600 * 1000);
            const claims: TokenClaims = {
                aud: resource.replace(/\/$/, ""), tid: tenantId, appid: principalId, oid: principalId, exp: expiresOn.getTime() / 1000,
            };
            const accessToken = [{ typ: "JWT", alg: "none" }, claims, { arc_stand_in: randomUUID() }]
                .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url")).join(".");
            tokens.set(accessToken, claims);
            return { accessToken, expiresOn };
        },
    });
    running.push(agent);
    return agent;
}

/** On the server: the agent's endpoints from the env file, at the stand-in's port, and loopback not proxied. */
function arcOverrides(agent: RunningArcAgent): Record<string, string> {
    return { IDENTITY_ENDPOINT: agent.identityEndpoint, IMDS_ENDPOINT: agent.imdsEndpoint, NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" };
}

/** docs/managed-identity.md section 4's unit: `SupplementaryGroups=himds`, to read the agent's key files. */
const ARC_UNIT_GROUPS = [HIMDS_GROUP];

async function app(envFile: string, stand: AzureStandIn, overrides: Record<string, string> = {},
    groups?: readonly string[]): Promise<RunningApp> {
    const started = await startApp(envFile, ACCOUNT, stand, overrides, groups);
    running.push(started);
    return started;
}

async function roundTrip(web: RunningApp, name: string): Promise<[number, number]> {
    const put = await web.request("PUT", `/blobs/reports/${name}`, `body of ${name}`);
    const get = await web.request("GET", `/blobs/reports/${name}`);
    return [put.status, get.status];
}

describe("the blob app on an Arc-enabled server", { timeout: 180_000 }, () => {
    it("signs in through the Arc agent's challenge, with the machine's roles only; refused once they are removed", async () => {
        const final = await plan(false);
        const principalId = principalOf(final);
        const assignments: Assignment[] = roleAssignmentsOf([final]);
        expect(assignments.map((assignment) => assignment.principalId)).toEqual([principalId]);
        const stand = await startAzure([final], () => AT, assignments);
        running.push(stand);
        const agent = await arcAgent(stand, principalId, String(final.outputs["tenantId"]!.value));
        const web = await app(await writeEnvFile(final), stand, arcOverrides(agent), ARC_UNIT_GROUPS);

        expect(await roundTrip(web, "arc.csv")).toEqual([201, 200]);
        // The challenge, then the retry with the key file's content, once: the token is cached for the second request.
        expect(agent.requests).toEqual([
            "GET /metadata/identity/oauth2/token?api-version=2020-06-01&resource=https://storage.azure.com none 401",
            "GET /metadata/identity/oauth2/token?api-version=2020-06-01&resource=https://storage.azure.com basic 200",
        ]);
        expect(agent.keyFiles).toHaveLength(1);
        expect(agent.keyFiles[0]).toMatch(/^\/var\/opt\/azcmagent\/tokens\/[0-9a-f-]{36}\.key$/);
        expect(statSync(agent.keyFiles[0]!).mode & 0o777).toBe(0o640);
        expect(identityLogLines(web.log())).toContain(
            "azure.identity._credentials.chained INFO DefaultAzureCredential acquired a token from ManagedIdentityCredential");
        // No sign-in to Entra with a client secret at all.
        expect(stand.server.requests.filter((request) => request.host === "login.microsoftonline.com")).toEqual([]);

        // The machine's principal removed from the role assignment: Storage refuses the same app, token and all.
        assignments.splice(0);
        const refused = await web.request("GET", "/blobs/reports/arc.csv");
        expect({ status: refused.status, body: JSON.parse(refused.body) as unknown })
            .toEqual({ status: 403, body: { error: "AuthorizationPermissionMismatch" } });
    });

    it("as a service user outside the himds group, cannot read the agent's key file and so cannot sign in", async () => {
        const final = await plan(false);
        const stand = await startAzure([final], () => AT);
        running.push(stand);
        const agent = await arcAgent(stand, principalOf(final), String(final.outputs["tenantId"]!.value));
        // The unit without SupplementaryGroups=himds.
        const web = await app(await writeEnvFile(final), stand, arcOverrides(agent), []);
        const refused = await web.request("GET", "/blobs/reports/arc.csv");
        expect(refused.status).toBe(502);
        expect((JSON.parse(refused.body) as { error: string }).error).toBe("SignInFailed");
        expect(web.log()).toContain("Permission denied");
        expect(agent.requests.every((line) => line.endsWith(" none 401"))).toBe(true);
    });

    it("with the agent disconnected from Azure, a running app keeps its token; a restarted one cannot sign in", async () => {
        const final = await plan(false);
        const principalId = principalOf(final);
        const stand = await startAzure([final], () => AT);
        running.push(stand);
        const agent = await arcAgent(stand, principalId, String(final.outputs["tenantId"]!.value));
        const web = await app(await writeEnvFile(final), stand, arcOverrides(agent), ARC_UNIT_GROUPS);
        expect(await roundTrip(web, "connected.csv")).toEqual([201, 200]);
        agent.setConnected(false);
        // azure-identity caches the token until shortly before it expires: the running process goes on.
        expect(await roundTrip(web, "cached.csv")).toEqual([201, 200]);
        await web.stop();
        const restarted = await app(await writeEnvFile(final), stand, arcOverrides(agent), ARC_UNIT_GROUPS);
        const refused = await restarted.request("GET", "/blobs/reports/connected.csv");
        expect(refused.status).toBe(502);
        expect((JSON.parse(refused.body) as { error: string }).error).toBe("SignInFailed");
        // The first sign-in, then the restarted process's: challenges answered, every token answer failed.
        const outcomes = agent.requests.map((line) => line.split(" ").slice(-2).join(" "));
        expect(outcomes.slice(0, 2)).toEqual(["none 401", "basic 200"]);
        expect(outcomes.length).toBeGreaterThan(2);
        expect(new Set(outcomes.slice(2))).toEqual(new Set(["none 401", "basic 500"]));
    });

    it("moves from the client secret to the Arc identity with every request succeeding", async () => {
        const migrating = await plan(true);
        const final = await plan(false);
        const principalId = principalOf(migrating);
        expect(principalOf(final)).toBe(principalId);
        // Step 1 (pulumi up with managedIdentity and appRegistration: true): both principals hold the role.
        const assignments: Assignment[] = roleAssignmentsOf([migrating]);
        expect(assignments.map((assignment) => assignment.principalId))
            .toEqual([principalId, String(migrating.outputs["servicePrincipalObjectId"]!.value)]);
        const stand = await startAzure([migrating], () => AT, assignments);
        running.push(stand);
        const agent = await arcAgent(stand, principalId, String(migrating.outputs["tenantId"]!.value));

        const old = await app(await writeEnvFile(migrating), stand);
        expect(await roundTrip(old, "before.csv")).toEqual([201, 200]);
        // Step 2: the managed identity's env file from step 1's outputs (npm run env-file -- --managed-identity) and a
        // restart; here the new process starts beside the old one, and both serve.
        const arc = await app(await writeEnvFile(migrating, undefined, ["--managed-identity"]), stand, arcOverrides(agent), ARC_UNIT_GROUPS);
        expect(await roundTrip(arc, "during-arc.csv")).toEqual([201, 200]);
        expect(await roundTrip(old, "during-secret.csv")).toEqual([201, 200]);
        await old.stop();
        // Step 3 (pulumi up without appRegistration): the app registration's role assignment goes; the server,
        // now on the Arc identity, goes on.
        assignments.splice(0, assignments.length, ...roleAssignmentsOf([final]));
        expect(assignments.map((assignment) => assignment.principalId)).toEqual([principalId]);
        expect(await roundTrip(arc, "after.csv")).toEqual([201, 200]);
        expect((await arc.request("GET", "/blobs/reports/before.csv")).status).toBe(200);
        expect(agent.requests.filter((line) => line.endsWith(" basic 200"))).toHaveLength(1);
    });
});

describe("the blob app on an Azure VM under the stack's user-assigned identity", { timeout: 180_000 }, () => {
    const USER_ASSIGNED = { kind: "userAssigned", resourceGroup: "rg-ids", name: "id-inventory" };
    /** The VM also has its own system-assigned identity, which holds no role: the one IMDS gives when asked for none. */
    const SYSTEM = { clientId: "5b0d6c2e-1f3a-4c8e-9d17-2a6e4f0b9c31", principalId: "8e2f4a61-7c3d-4b9a-a5e0-1d6c3b7f2e48",
        resourceId: "/subscriptions/00000000-0000-0000-0000-00000000bbbb/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/inventory-vm-01" };

    it("signs in with AZURE_CLIENT_ID from the env file; without it, as the VM's own identity, which Storage refuses", async () => {
        const final = await plan(false, USER_ASSIGNED);
        const managed = final.outputs["managedIdentity"]!.value as { principalId: string; clientId: string; resourceId: string };
        expect(roleAssignmentsOf([final]).map((assignment) => assignment.principalId)).toEqual([managed.principalId]);
        const stand = await startAzure([final], () => AT, roleAssignmentsOf([final]), {
            tenantId: String(final.outputs["tenantId"]!.value), systemAssigned: SYSTEM,
            userAssigned: [{ clientId: managed.clientId, principalId: managed.principalId, resourceId: managed.resourceId }],
        });
        running.push(stand);

        // npm run env-file writes AZURE_CLIENT_ID, and nothing else, for this stack.
        const envFile = await writeEnvFile(final);
        const web = await app(envFile, stand);
        expect(await roundTrip(web, "vm.csv")).toEqual([201, 200]);
        expect(identityLogLines(web.log())).toContain(
            "azure.identity._credentials.chained INFO DefaultAzureCredential acquired a token from ManagedIdentityCredential");
        expect([...stand.entra.issuedTokens.values()].map((claims) => [claims.appid, claims.oid])).toEqual([[managed.clientId, managed.principalId]]);
        // DefaultAzureCredential's probe (no Metadata header: IMDS answers 400, so it is there), then the request.
        expect(stand.imds!.asked).toEqual([`client_id=${managed.clientId} 400`, `client_id=${managed.clientId} 200`]);
        await web.stop();

        // A server whose env file lacks AZURE_CLIENT_ID: azure-identity asks IMDS for no identity in particular and
        // gets the VM's system-assigned one (default.py: "If not specified, a system-assigned identity will be used").
        const bare = join(mkdtempSync(join(tmpdir(), "e2e-env-")), "azure.env");
        writeFileSync(bare, "", { mode: 0o600 });
        const unnamed = await app(bare, stand);
        const refused = await unnamed.request("GET", "/blobs/reports/vm.csv");
        expect({ status: refused.status, body: JSON.parse(refused.body) as unknown })
            .toEqual({ status: 403, body: { error: "AuthorizationPermissionMismatch" } });
        expect([...stand.entra.issuedTokens.values()].map((claims) => claims.oid)).toEqual([managed.principalId, SYSTEM.principalId]);
        expect(stand.imds!.asked.slice(2)).toEqual(["none= 400", "none= 200"]);
    });
});

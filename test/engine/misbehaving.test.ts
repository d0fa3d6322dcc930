/**
 * The real `pulumi up`, `preview --refresh` and `destroy`, and the project's `npm run audit`, against the local Azure
 * misbehaving (localazure/misbehaviour), on the provider stand-ins' retries (localazure/providers/*\/retries.ts) and
 * the Azure SDK pipeline's (tools/azure/rest.ts):
 * - under Graph throttling and a new application's replication delay `up` succeeds after retries with exactly the
 *   writes of an undisturbed run; with ARM unavailable, azure-native gives up with its message, the rest of the stack
 *   is in the state, nothing is half-made, and the next `up` adds only the role assignment;
 * - a refresh through a short ARM outage reads on after azcore's retries and finds no change; through a lasting one it
 *   fails with azure-native's message and the state is untouched; the audit reads through both services' outages;
 * - `destroy` under Graph throttling makes exactly an undisturbed destroy's deletes; with ARM unavailable it stops
 *   with the role assignment's DELETE refused, the state and the tenant still agree, and the next `destroy` ends it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import type { MisbehaviourOptions } from "../../localazure/misbehaviour/options";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";
import { environmentFor } from "../../localazure/main";
import { graphAsAdmin, pulumiOk as sharedPulumiOk, runTool, writesSince } from "./support";

const DEV_FILE = readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8");
const STACKS = ["calm-dev", "throttled-dev", "outage-dev", "lagging-dev", "blip-dev"] as const;

let azure: LocalAzure;
let workspace: EngineWorkspace;

beforeAll(async () => {
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    for (const stack of STACKS) {
        workspace.writeStackFile(stack, DEV_FILE);
        expect((await workspace.pulumi(["stack", "init", stack])).code).toBe(0);
    }
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const pulumiOk = (args: readonly string[]) => sharedPulumiOk(workspace, args);
const up = (stack: string) => workspace.pulumi(["up", "--stack", stack, "--yes", "--skip-preview", ...workspace.policyArgs]);
/** The writes that took effect (2xx), sorted: the engine runs the service principal and the passwords side by side. */
const effective = (writes: readonly string[]) => writes.filter((write) => / 2\d\d$/.test(write)).sort();
const appsNamed = (name: string) => azure.state().applications.filter((app) => app.properties["displayName"] === name);
const assignmentsOf = (principalId: string) => azure.state().roleAssignments.filter((assignment) => assignment.principalId === principalId);
const principalOf = (appId: string) => azure.state().servicePrincipals.filter((sp) => sp.appId === appId);

/** Requests the local Azure answered with `status` from entry `from` on, as "METHOD host" (IDs left out). */
const answered = (from: number, status: number) => azure.log().slice(from).filter((entry) => entry.status === status)
    .map((entry) => `${entry.method} ${entry.host}`);

/** Runs `command` with the local Azure misbehaving so, calm again after however it ends; `from` marks the log before it. */
async function misbehaving<T>(options: MisbehaviourOptions, command: () => Promise<T>): Promise<{ result: T; from: number }> {
    azure.misbehave(options);
    const from = azure.log().length;
    try {
        return { result: await command(), from };
    } finally {
        azure.misbehave({});
    }
}

/** Writes that throttling alone refused: at least one 429, and no other failure. */
function expectThrottledOnly(writes: readonly string[]): void {
    expect(writes.filter((write) => write.endsWith(" 429")).length).toBeGreaterThanOrEqual(1);
    expect(writes.filter((write) => !/ (2\d\d|429)$/.test(write))).toEqual([]);
}

async function stateTypes(stack: string): Promise<string[]> {
    const exported = JSON.parse((await pulumiOk(["stack", "export", "--stack", stack])).stdout) as { deployment: { resources: { type: string }[] } };
    return exported.deployment.resources.map((resource) => resource.type).filter((type) => !type.startsWith("pulumi:")).sort();
}

describe("pulumi up against Azure as it misbehaves, on the real engine", () => {
    let calmWrites: string[];

    it("an undisturbed up, for comparison: its writes", async () => {
        const from = azure.log().length;
        expect((await up(STACKS[0])).code).toBe(0);
        calmWrites = effective(writesSince(azure, from));
        expect(calmWrites.length).toBe(writesSince(azure, from).length);
    }, 300_000);

    it("succeeds under Graph throttling and a new application's replication delay, with exactly the same writes", async () => {
        const { result, from } = await misbehaving({ graphThrottling: { appTenant: { size: 3, seconds: 3 } },
            replication: { applicationSeconds: 2, principalSeconds: 30, passwordSeconds: 30 } }, () => up(STACKS[1]));
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const writes = writesSince(azure, from);
        expect(effective(writes)).toEqual(calmWrites);
        // What was waited out: the throttled writes, and the proving updates the new application's replica refused.
        expect(writes.filter((write) => write.endsWith(" 429")).length).toBeGreaterThanOrEqual(1);
        expect(writes.filter((write) => write === "PATCH graph.microsoft.com/v1.0/applications/{id} 404").length).toBeGreaterThanOrEqual(1);
        expect(writes.filter((write) => !/ (2\d\d|429)$/.test(write) && write !== "PATCH graph.microsoft.com/v1.0/applications/{id} 404")).toEqual([]);
        // principalType: ServicePrincipal spares the role assignment ARM's principal lookup (no PrincipalNotFound).
        const [app] = appsNamed(STACKS[1]);
        expect(appsNamed(STACKS[1]).length).toBe(1);
        expect(app!.passwords.length).toBe(2);
        expect(assignmentsOf(principalOf(app!.appId)[0]!.id).length).toBe(1);
        expect(await stateTypes(STACKS[1])).toEqual(await stateTypes(STACKS[0]));
    }, 300_000);

    it("succeeds through a short Graph outage (503 with Retry-After) on go-azure-sdk's retries, with exactly the same writes", async () => {
        const { result, from } = await misbehaving({ outage: { services: ["graph"], answer: 503, retryAfterSeconds: 1, requests: 4 } },
            () => up(STACKS[4]));
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(answered(from, 503).length).toBe(4);
        expect(answered(from, 503).every((request) => request.endsWith(" graph.microsoft.com"))).toBe(true);
        expect(effective(writesSince(azure, from))).toEqual(calmWrites);
        const [app] = appsNamed(STACKS[4]);
        expect([appsNamed(STACKS[4]).length, principalOf(app!.appId).length, app!.passwords.length,
            assignmentsOf(principalOf(app!.appId)[0]!.id).length]).toEqual([1, 1, 2, 1]);
    }, 300_000);

    it("with ARM unavailable, azure-native gives up with its message and leaves nothing half-made; the next up adds only the role", async () => {
        const { result: failed } = await misbehaving({ outage: { services: ["arm"], answer: 503, retryAfterSeconds: 1 } },
            () => up(STACKS[2]));
        expect(failed.code).not.toBe(0);
        expect(failed.stdout).toMatch(/cannot check existence of resource '\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/rg-inventory-dev\/providers\/Microsoft\.Authorization\/roleAssignments\/[0-9a-f-]{36}': status code 503, \{"error":\{"code":"ServiceUnavailable","message":"The server is currently unable to handle the request\. Please retry\."\}\}/);
        const [app] = appsNamed(STACKS[2]);
        expect(appsNamed(STACKS[2]).length).toBe(1);
        expect(app!.passwords.length).toBe(2);
        const principals = principalOf(app!.appId);
        expect(principals.length).toBe(1);
        expect(assignmentsOf(principals[0]!.id)).toEqual([]);
        const calmTypes = await stateTypes(STACKS[0]);
        expect(await stateTypes(STACKS[2])).toEqual(calmTypes.filter((type) => type !== "azure-native:authorization:RoleAssignment"));

        const from = azure.log().length;
        expect((await up(STACKS[2])).code).toBe(0);
        expect(writesSince(azure, from)).toEqual([
            "PUT management.azure.com/subscriptions/{id}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/{id} 201",
        ]);
        expect(appsNamed(STACKS[2]).length).toBe(1);
        expect(assignmentsOf(principals[0]!.id).length).toBe(1);
        expect(await stateTypes(STACKS[2])).toEqual(calmTypes);
    }, 300_000);

    it("a service principal no replica knows yet: up fails with the provider's timeout and keeps it as a partial create; a plain up then fails at the role, up --refresh ends with one of each", async () => {
        type Exported = { deployment: { resources: { type: string; id?: string; outputs?: Record<string, unknown>; initErrors?: string[] }[] } };
        const principalInState = async () => (JSON.parse((await pulumiOk(["stack", "export", "--stack", STACKS[3]])).stdout) as Exported)
            .deployment.resources.find((resource) => resource.type === "azuread:index/servicePrincipal:ServicePrincipal");
        const { result: failed, from } = await misbehaving({ replication: { servicePrincipalSeconds: 600 } }, () => up(STACKS[3]));
        expect(failed.code).not.toBe(0);
        expect(failed.stdout).toContain("Timed out whilst waiting for new service principal to be replicated in Azure AD: unexpected status 404");
        const [app] = appsNamed(STACKS[3]);
        const [principal, ...more] = principalOf(app!.appId);
        expect(more).toEqual([]);
        // The engine keeps what the provider answered (its ID, the configured attributes) with the reason as an init error.
        const partial = await principalInState();
        expect(partial).toMatchObject({ id: `/servicePrincipals/${principal!.id}`,
            initErrors: [expect.stringMatching(/^creating urn:pulumi:lagging-dev::app-identity::.*ServicePrincipal::lagging-dev: 1 error occurred:\n\t\* Timed out whilst waiting/)] });
        expect(partial!.outputs).not.toHaveProperty("objectId");
        expect(assignmentsOf(principal!.id)).toEqual([]);

        // Replicated now. A plain up updates the principal as the bridge does with no diff (no call, the old state:
        // no objectId), which clears its init errors, and the role assignment has no principal to name.
        const plain = await up(STACKS[3]);
        expect(plain.code).not.toBe(0);
        expect(plain.stdout).toContain("azure-native:authorization:RoleAssignment resource 'lagging-dev/rg-inventory-dev/storage-blob-data-contributor' has a problem: missing required property 'principalId'");
        expect(await principalInState()).not.toHaveProperty("initErrors");
        // The refresh reads the principal whole; the up makes what is left.
        const finished = await workspace.pulumi(["up", "--refresh", "--stack", STACKS[3], "--yes", "--skip-preview", ...workspace.policyArgs]);
        expect(finished.code, finished.stdout + finished.stderr).toBe(0);
        const healed = await principalInState();
        expect(healed).not.toHaveProperty("initErrors");
        expect(healed!.outputs).toMatchObject({ objectId: principal!.id });
        expect([appsNamed(STACKS[3]).length, principalOf(app!.appId).length, appsNamed(STACKS[3])[0]!.passwords.length,
            assignmentsOf(principal!.id).length])
            .toEqual([1, 1, 2, 1]);
        expect(await stateTypes(STACKS[3])).toEqual(await stateTypes(STACKS[0]));
        // Over both runs, an undisturbed up's writes but one: the principal's proving update, which never got through.
        const proving = "PATCH graph.microsoft.com/v1.0/servicePrincipals/{id} 204";
        expect(calmWrites).toContain(proving);
        const expected = [...calmWrites];
        expected.splice(expected.indexOf(proving), 1);
        expect(effective(writesSince(azure, from))).toEqual(expected);
    }, 300_000);
});

const exportOf = async (stack: string) => (await pulumiOk(["stack", "export", "--stack", stack])).stdout;
const destroy = (stack: string) => workspace.pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"]);
const audit = (stack: string, args: readonly string[] = []) =>
    runTool(workspace, "audit", ["--root", workspace.dir, "--stack", stack, ...args], { ...workspace.env, ...Object.fromEntries(environmentFor(azure)) });

/** stateAndTenant's answer once a stack is destroyed. */
const NOTHING = { state: { apps: [], principals: [], passwords: [], assignments: [] },
    tenant: { apps: [], principals: [], passwords: [], assignments: [] } };

/** What the stack's state holds of the app, against what Entra and ARM hold: equal unless something was half-done. */
async function stateAndTenant(stack: string) {
    const exported = JSON.parse(await exportOf(stack)) as { deployment: { resources?: { type: string; id?: string; outputs?: Record<string, unknown> }[] } };
    const ofType = (suffix: string) => (exported.deployment.resources ?? []).filter((resource) => resource.type.endsWith(suffix));
    const apps = appsNamed(stack);
    const principals = apps.flatMap((app) => principalOf(app.appId));
    return {
        state: {
            apps: ofType(":Application").map((resource) => String(resource.outputs!["objectId"])),
            principals: ofType(":ServicePrincipal").map((resource) => String(resource.outputs!["objectId"])),
            passwords: ofType(":ApplicationPassword").map((resource) => String(resource.outputs!["keyId"])).sort(),
            assignments: ofType(":RoleAssignment").map((resource) => String(resource.id)),
        },
        tenant: {
            apps: apps.map((app) => app.id),
            principals: principals.map((sp) => sp.id),
            passwords: apps.flatMap((app) => app.passwords.map((password) => password.keyId)).sort(),
            assignments: principals.flatMap((sp) => assignmentsOf(sp.id)).map((assignment) => `${assignment.scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`),
        },
    };
}

describe("preview, destroy and the audit against Azure as it misbehaves, on the real engine", () => {
    const AUDIT_CLEAN = (stack: string) => new RegExp(`^Audit of stack ${stack} \\(${stack}\\): clean; `);

    it("preview --refresh reads on through a short ARM outage after azcore's retries, and finds no change", async () => {
        const before = await exportOf(STACKS[0]);
        const { result, from } = await misbehaving({ outage: { services: ["arm"], answer: 503, retryAfterSeconds: 1, requests: 2 } },
            () => workspace.pulumi(["preview", "--refresh", "--expect-no-changes", "--stack", STACKS[0], ...workspace.policyArgs]));
        expect(result.code, result.stdout + result.stderr).toBe(0);
        // The role assignment's refresh GET, answered 503 twice and then read (azure-native's 3 retries).
        expect(answered(from, 503)).toEqual(["GET management.azure.com", "GET management.azure.com"]);
        expect(await exportOf(STACKS[0])).toBe(before);
    }, 300_000);

    it("preview --refresh through a lasting ARM outage fails with azure-native's message, and the state is untouched", async () => {
        const before = await exportOf(STACKS[0]);
        const { result, from } = await misbehaving({ outage: { services: ["arm"], answer: 503, retryAfterSeconds: 1 } },
            () => workspace.pulumi(["preview", "--refresh", "--stack", STACKS[0], ...workspace.policyArgs]));
        expect(result.code).not.toBe(0);
        expect(result.stdout).toMatch(/GET https:\/\/management\.azure\.com\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/rg-inventory-dev\/providers\/Microsoft\.Authorization\/roleAssignments\/[0-9a-f-]{36}\n\s*RESPONSE 503: 503 Service Unavailable\n\s*ERROR CODE: ServiceUnavailable\n\s*The server is currently unable to handle the request\. Please retry\./);
        // The first try and azcore's 3 retries, each after the answer's Retry-After.
        expect(answered(from, 503)).toEqual(Array<string>(4).fill("GET management.azure.com"));
        expect(writesSince(azure, from)).toEqual([]);
        expect(await exportOf(STACKS[0])).toBe(before);
    }, 300_000);

    it("npm run audit reads through short Graph and ARM outages on the Azure SDK pipeline's retries, and is clean", async () => {
        for (const service of ["graph", "arm"] as const) {
            const { result, from } = await misbehaving({ outage: { services: [service], answer: 503, retryAfterSeconds: 1, requests: 3 } },
                () => audit(STACKS[0]));
            expect(result.code, result.stdout + result.stderr).toBe(0);
            expect(result.stdout).toMatch(AUDIT_CLEAN(STACKS[0]));
            expect(answered(from, 503).length).toBe(3);
        }
    }, 300_000);

    it("npm run audit through a lasting Graph outage fails naming Graph's answer, and changes nothing", async () => {
        const { result, from } = await misbehaving({ outage: { services: ["graph"], answer: 503, retryAfterSeconds: 1 } },
            () => audit(STACKS[0]));
        // The app's GET: the first try and the pipeline's 3 retries, then Graph's answer as the audit reports it.
        expect(result).toMatchObject({ code: 2, stdout: "", stderr: expect.stringMatching(
            /^audit: \/v1\.0\/applications\/[0-9a-f-]{36}: 503 serviceNotAvailable: The service isn't available\. Try the request again after a delay\.\n$/) });
        expect(answered(from, 503)).toEqual(Array<string>(4).fill("GET graph.microsoft.com"));
        expect(writesSince(azure, from)).toEqual([]);
    }, 300_000);

    it("npm run audit --fix --yes removes what it found under Graph throttling, waiting out Graph's Retry-After", async () => {
        const [app] = appsNamed(STACKS[0]);
        for (const name of ["portal one", "portal two"]) {
            expect((await graphAsAdmin(azure, "POST", `/applications/${app!.id}/addPassword`, { passwordCredential: { displayName: name } })).status).toBe(200);
        }
        const { result: fixed, from } = await misbehaving({ graphThrottling: { appTenant: { size: 1, seconds: 2 } } },
            () => audit(STACKS[0], ["--fix", "--yes"]));
        expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
        const writes = writesSince(azure, from);
        expect(effective(writes)).toEqual(Array<string>(2).fill("POST graph.microsoft.com/v1.0/applications/{id}/removePassword 204"));
        expectThrottledOnly(writes);
        expect((await audit(STACKS[0])).stdout).toMatch(AUDIT_CLEAN(STACKS[0]));
    }, 300_000);

    let calmDeletes: string[];

    it("an undisturbed destroy, for comparison: its deletes", async () => {
        const from = azure.log().length;
        expect((await destroy(STACKS[0])).code).toBe(0);
        calmDeletes = effective(writesSince(azure, from));
        expect(calmDeletes).toEqual([
            "DELETE graph.microsoft.com/v1.0/applications/{id} 204",
            "DELETE graph.microsoft.com/v1.0/servicePrincipals/{id} 204",
            "DELETE management.azure.com/subscriptions/{id}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/{id} 200",
            "POST graph.microsoft.com/v1.0/applications/{id}/removePassword 204",
            "POST graph.microsoft.com/v1.0/applications/{id}/removePassword 204",
        ]);
        expect(writesSince(azure, from).length).toBe(calmDeletes.length);
        expect(await stateAndTenant(STACKS[0])).toEqual(NOTHING);
    }, 300_000);

    it("destroy under Graph throttling makes exactly the same deletes and leaves nothing", async () => {
        const { result, from } = await misbehaving({ graphThrottling: { appTenant: { size: 1, seconds: 2 } } },
            () => destroy(STACKS[1]));
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const writes = writesSince(azure, from);
        expect(effective(writes)).toEqual(calmDeletes);
        expectThrottledOnly(writes);
        expect(await stateAndTenant(STACKS[1])).toEqual(NOTHING);
    }, 300_000);

    it("destroy with ARM unavailable stops at the role assignment, state and tenant agreeing; the next destroy ends it", async () => {
        const { result: failed, from } = await misbehaving({ outage: { services: ["arm"], answer: 503, retryAfterSeconds: 1 } },
            () => destroy(STACKS[2]));
        expect(failed.code).not.toBe(0);
        expect(failed.stdout).toMatch(/DELETE https:\/\/management\.azure\.com\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/rg-inventory-dev\/providers\/Microsoft\.Authorization\/roleAssignments\/[0-9a-f-]{36}\n\s*RESPONSE 503: 503 Service Unavailable\n\s*ERROR CODE: ServiceUnavailable/);
        // The first DELETE and azcore's 3 retries; nothing else had started (the role assignment is deleted first).
        expect(writesSince(azure, from)).toEqual(Array<string>(4).fill(
            "DELETE management.azure.com/subscriptions/{id}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/{id} 503"));
        const halfway = await stateAndTenant(STACKS[2]);
        expect(halfway.tenant).toEqual(halfway.state);
        expect([halfway.state.apps.length, halfway.state.principals.length, halfway.state.passwords.length,
            halfway.state.assignments.length]).toEqual([1, 1, 2, 1]);

        expect((await destroy(STACKS[2])).code).toBe(0);
        // Between the two runs, an undisturbed destroy's deletes, each once: nothing skipped, nothing done twice.
        expect(effective(writesSince(azure, from))).toEqual(calmDeletes);
        expect(await stateAndTenant(STACKS[2])).toEqual(NOTHING);
    }, 300_000);
});

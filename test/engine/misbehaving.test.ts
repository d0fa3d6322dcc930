/**
 * The real `pulumi up` against the local Azure misbehaving (localazure/misbehaviour), on the provider stand-ins'
 * retries (localazure/providers/*\/retries.ts): under Graph throttling and a new application's replication delay it
 * succeeds after retries with exactly the writes of an undisturbed run; with ARM unavailable, azure-native gives up
 * with its message, the rest of the stack is in the state, nothing is half-made, and the next `up` adds only the
 * role assignment.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { createEngineWorkspace, POLICY_ARGS, type EngineWorkspace } from "./workspace";
import { pulumiOk as sharedPulumiOk, writesSince } from "./support";

const DEV_FILE = readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8");
const STACKS = ["calm-dev", "throttled-dev", "outage-dev"] as const;

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
const up = (stack: string) => workspace.pulumi(["up", "--stack", stack, "--yes", "--skip-preview", ...POLICY_ARGS]);
/** The writes that took effect (2xx), sorted: the engine runs the service principal and the passwords side by side. */
const effective = (writes: readonly string[]) => writes.filter((write) => / 2\d\d$/.test(write)).sort();
const appsNamed = (name: string) => azure.state().applications.filter((app) => app.properties["displayName"] === name);
const assignmentsOf = (principalId: string) => azure.state().roleAssignments.filter((assignment) => assignment.principalId === principalId);
const principalOf = (appId: string) => azure.state().servicePrincipals.filter((sp) => sp.appId === appId);

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
        azure.misbehave({ graphThrottling: { appTenant: { size: 3, seconds: 3 } },
            replication: { applicationSeconds: 2, principalSeconds: 30, passwordSeconds: 30 } });
        const from = azure.log().length;
        const result = await up(STACKS[1]);
        azure.misbehave({});
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

    it("with ARM unavailable, azure-native gives up with its message and leaves nothing half-made; the next up adds only the role", async () => {
        azure.misbehave({ outage: { services: ["arm"], answer: 503, retryAfterSeconds: 1 } });
        const failed = await up(STACKS[2]);
        azure.misbehave({});
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
});

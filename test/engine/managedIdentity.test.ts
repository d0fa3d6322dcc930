/**
 * Managed identities on the real engine (issue 17): the real `pulumi up`, under the guardrail pack, of stacks/Pulumi.dev.yaml
 * moved from its client secret to an Arc-enabled server's identity in the runbook's steps (docs/managed-identity.md):
 * the program looks the machine up through azure-native's getMachine (the stand-in's Invoke on the local ARM), and
 * the local ARM ends with exactly the machine principal's role assignment, no app left.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { roleAssignmentName } from "../../infra/azureIds";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { createEngineWorkspace, POLICY_ARGS, type EngineWorkspace } from "./workspace";
import { pulumiOk as sharedPulumiOk } from "./support";

const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const DEV_FILE = readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.dev.yaml"), "utf8");
const MACHINE_YAML = [
    "  app-identity:managedIdentity:",
    "    kind: arcMachine",
    "    resourceGroup: rg-servers",
    "    name: inventory-srv-01",
].join("\n");

let azure: LocalAzure;
let workspace: EngineWorkspace;
let machine: { id: string; principalId: string };

beforeAll(async () => {
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    // The platform's part: the server connected with azcmagent, its system-assigned identity a service principal.
    machine = azure.connectArcMachine("rg-servers", "inventory-srv-01");
    expect((await workspace.pulumi(["stack", "init", "dev"])).code).toBe(0);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const pulumiOk = (args: readonly string[]) => sharedPulumiOk(workspace, args);

const devScope = () => `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev`;
const definition = () => `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`;

/** The role assignments on the dev resource group, as the local ARM holds them: principal, type, role, scope, name. */
function devAssignments() {
    return azure.state().roleAssignments.filter((assignment) => assignment.scope === devScope())
        .map(({ principalId, principalType, roleDefinitionId, scope, name }) => ({ principalId, principalType, roleDefinitionId, scope, name }))
        .sort((a, b) => a.principalId.localeCompare(b.principalId));
}

const appsNamed = (name: string) => azure.state().applications.filter((app) => app.properties["displayName"] === name);

function grantTo(principalId: string) {
    return {
        principalId, principalType: "ServicePrincipal", roleDefinitionId: definition(), scope: devScope(),
        name: roleAssignmentName(devScope(), definition(), principalId),
    };
}

describe("secret → Arc identity on the real engine", () => {
    it("step 0: the stack as today, with its client secret", async () => {
        await pulumiOk(["up", "--stack", "dev", "--yes", "--skip-preview", ...POLICY_ARGS]);
        const [app] = appsNamed("inventory-api-dev");
        const sp = azure.state().servicePrincipals.find((principal) => principal.appId === app?.appId);
        expect(devAssignments()).toEqual([grantTo(sp!.id)]);
    }, 300_000);

    it("step 1: managedIdentity with appRegistration: true grants the machine too, and changes nothing of the app", async () => {
        const [before] = appsNamed("inventory-api-dev");
        workspace.writeStackFile("dev", `${DEV_FILE}${MACHINE_YAML}\n  app-identity:appRegistration: true\n`);
        const up = await pulumiOk(["up", "--stack", "dev", "--yes", "--skip-preview", ...POLICY_ARGS]);
        expect(up.stdout).toMatch(/\+ 2 created/);
        const [after] = appsNamed("inventory-api-dev");
        expect(after?.passwords.map((password) => password.keyId)).toEqual(before?.passwords.map((password) => password.keyId));
        const sp = azure.state().servicePrincipals.find((principal) => principal.appId === after?.appId);
        expect(devAssignments()).toEqual([grantTo(machine.principalId), grantTo(sp!.id)]
            .sort((a, b) => a.principalId.localeCompare(b.principalId)));
        const outputs = JSON.parse((await pulumiOk(["stack", "output", "--json", "--stack", "dev"])).stdout) as Record<string, unknown>;
        expect(outputs["managedIdentity"]).toEqual({
            kind: "arcMachine", resourceId: machine.id, principalId: machine.principalId,
            roleAssignments: [{ scope: devScope(), role: "Storage Blob Data Contributor" }],
            credential: "none: the platform holds the managed identity's credential; nothing to expire or rotate",
        });
    }, 300_000);

    it("step 2: without appRegistration the app, its principal, secrets and role go; the machine's role stays", async () => {
        workspace.writeStackFile("dev", `${DEV_FILE}${MACHINE_YAML}\n`);
        const up = await pulumiOk(["up", "--stack", "dev", "--yes", "--skip-preview", ...POLICY_ARGS]);
        // The component, the app, its service principal, two secrets and its role assignment.
        expect(up.stdout).toMatch(/- 6 deleted/);
        expect(appsNamed("inventory-api-dev")).toEqual([]);
        expect(devAssignments()).toEqual([grantTo(machine.principalId)]);
        const principal = azure.state().servicePrincipals.find((sp) => sp.id === machine.principalId);
        expect(principal?.properties["servicePrincipalType"]).toBe("ManagedIdentity");
        await pulumiOk(["preview", "--stack", "dev", "--expect-no-changes"]);
        const outputs = JSON.parse((await pulumiOk(["stack", "output", "--json", "--stack", "dev"])).stdout) as Record<string, unknown>;
        expect(Object.keys(outputs).sort()).toEqual(["displayName", "managedIdentity", "subscriptionId", "tenantId"]);
    }, 300_000);

    it("a machine that is not there stops the update before anything is registered", async () => {
        workspace.writeStackFile("dev", `${DEV_FILE}${MACHINE_YAML.replace("inventory-srv-01", "inventory-srv-99")}\n`);
        const before = devAssignments();
        const result = await workspace.pulumi(["up", "--stack", "dev", "--yes", "--skip-preview", ...POLICY_ARGS]);
        expect(result.code).not.toBe(0);
        expect(result.stdout + result.stderr).toContain("The Resource 'Microsoft.HybridCompute/machines/inventory-srv-99' under " +
            "resource group 'rg-servers' was not found.");
        expect(devAssignments()).toEqual(before);
    }, 300_000);
});

/**
 * Managed identities on the real engine (issue 17): the real `pulumi up`, under the guardrail pack, of stacks/Pulumi.inventory-api-dev.yaml
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
import { createEngineWorkspace, requirePulumiCli, runCommand, type EngineWorkspace } from "./workspace";
import { pulumiOk as sharedPulumiOk } from "./support";

const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const DEV_FILE = readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8");
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
    expect((await workspace.pulumi(["stack", "init", "inventory-api-dev"])).code).toBe(0);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const pulumiOk = (args: readonly string[]) => sharedPulumiOk(workspace, args);

const devScope = () => `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev`;
const definition = () => `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`;

/**
 * The role assignments the stack made on the dev resource group, as the local ARM holds them: principal, type, role,
 * scope, name (not the deployer's and the previewer's own, which the tenant administrator made: docs/deployer.md).
 */
function devAssignments() {
    const seeded = [azure.deployer.objectId, azure.previewer?.objectId];
    return azure.state().roleAssignments.filter((assignment) => assignment.scope === devScope() && !seeded.includes(assignment.principalId))
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
        await pulumiOk(["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview", ...workspace.policyArgs]);
        const [app] = appsNamed("inventory-api-dev");
        const sp = azure.state().servicePrincipals.find((principal) => principal.appId === app?.appId);
        expect(devAssignments()).toEqual([grantTo(sp!.id)]);
    }, 300_000);

    it("step 1: managedIdentity with appRegistration: true grants the machine too, and changes nothing of the app", async () => {
        const [before] = appsNamed("inventory-api-dev");
        workspace.writeStackFile("inventory-api-dev", `${DEV_FILE}${MACHINE_YAML}\n  app-identity:appRegistration: true\n`);
        const up = await pulumiOk(["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview", ...workspace.policyArgs]);
        expect(up.stdout).toMatch(/\+ 2 created/);
        const [after] = appsNamed("inventory-api-dev");
        expect(after?.passwords.map((password) => password.keyId)).toEqual(before?.passwords.map((password) => password.keyId));
        const sp = azure.state().servicePrincipals.find((principal) => principal.appId === after?.appId);
        expect(devAssignments()).toEqual([grantTo(machine.principalId), grantTo(sp!.id)]
            .sort((a, b) => a.principalId.localeCompare(b.principalId)));
        const outputs = JSON.parse((await pulumiOk(["stack", "output", "--json", "--stack", "inventory-api-dev"])).stdout) as Record<string, unknown>;
        expect(outputs["managedIdentity"]).toEqual({
            kind: "arcMachine", resourceId: machine.id, principalId: machine.principalId,
            roleAssignments: [{ scope: devScope(), role: "Storage Blob Data Contributor" }],
            credential: "none: the platform holds the managed identity's credential; nothing to expire or rotate",
        });
    }, 300_000);

    it("step 2: without appRegistration the app, its principal, secrets and role go; the machine's role stays", async () => {
        workspace.writeStackFile("inventory-api-dev", `${DEV_FILE}${MACHINE_YAML}\n`);
        const up = await pulumiOk(["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview", ...workspace.policyArgs]);
        // The component, the app, its service principal, two secrets and its role assignment.
        expect(up.stdout).toMatch(/- 6 deleted/);
        expect(appsNamed("inventory-api-dev")).toEqual([]);
        expect(devAssignments()).toEqual([grantTo(machine.principalId)]);
        const principal = azure.state().servicePrincipals.find((sp) => sp.id === machine.principalId);
        expect(principal?.properties["servicePrincipalType"]).toBe("ManagedIdentity");
        await pulumiOk(["preview", "--stack", "inventory-api-dev", "--expect-no-changes"]);
        const outputs = JSON.parse((await pulumiOk(["stack", "output", "--json", "--stack", "inventory-api-dev"])).stdout) as Record<string, unknown>;
        expect(Object.keys(outputs).sort()).toEqual(["displayName", "managedIdentity", "subscriptionId", "tenantId"]);
    }, 300_000);

    it("the preview identity previews the Arc stack with --refresh: Reader on rg-servers and the stacks' groups is enough", async () => {
        workspace.writeStackFile("inventory-api-dev", `${DEV_FILE}${MACHINE_YAML}\n`);
        const previewer = azure.previewer!;
        const result = await runCommand(requirePulumiCli(), ["preview", "--stack", "inventory-api-dev", "--refresh", "--expect-no-changes", ...workspace.policyArgs],
            workspace.dir, { ...workspace.env, ARM_CLIENT_ID: previewer.clientId, ARM_CLIENT_SECRET: previewer.clientSecret });
        expect(result.stderr, result.stdout).toBe("");
        expect(result.code).toBe(0);
    }, 300_000);

    // Issue 24, defect 5: the lookup needs read on the machine's resource group (docs/managed-identity.md section 1),
    // which the documented deployer holds on rg-servers only; ARM refuses a read elsewhere with 403 AuthorizationFailed.
    it.each([["the deployer", "deployer"], ["the preview identity", "previewer"]] as const)(
        "a machine in a resource group %s cannot read stops the %s's command with ARM's AuthorizationFailed, nothing registered",
        async (_label, who) => {
            const elsewhere = azure.connectArcMachine("rg-elsewhere", "inventory-srv-02");
            workspace.writeStackFile("inventory-api-dev", `${DEV_FILE}${MACHINE_YAML.replace("rg-servers", "rg-elsewhere").replace("inventory-srv-01", "inventory-srv-02")}\n`);
            const identity = who === "deployer" ? azure.deployer : azure.previewer!;
            const before = devAssignments();
            const command = who === "deployer" ? ["up", "--yes", "--skip-preview"] : ["preview"];
            const result = await runCommand(requirePulumiCli(), [...command, "--stack", "inventory-api-dev", ...workspace.policyArgs], workspace.dir,
                { ...workspace.env, ARM_CLIENT_ID: identity.clientId, ARM_CLIENT_SECRET: identity.clientSecret });
            expect(result.code).not.toBe(0);
            expect((result.stdout + result.stderr).replace(/\s+/g, " ")).toContain(`ERROR CODE: AuthorizationFailed The client '${identity.clientId}' ` +
                `with object id '${identity.objectId}' does not have authorization to perform action ` +
                `'Microsoft.HybridCompute/machines/read' over scope '${elsewhere.id}' or the scope is invalid. ` +
                "If access was recently granted, please refresh your credentials.");
            expect(devAssignments()).toEqual(before);
        }, 300_000);

    it("a machine that is not there stops the update before anything is registered", async () => {
        workspace.writeStackFile("inventory-api-dev", `${DEV_FILE}${MACHINE_YAML.replace("inventory-srv-01", "inventory-srv-99")}\n`);
        const before = devAssignments();
        const result = await workspace.pulumi(["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview", ...workspace.policyArgs]);
        expect(result.code).not.toBe(0);
        expect(result.stdout + result.stderr).toContain("The Resource 'Microsoft.HybridCompute/machines/inventory-srv-99' under " +
            "resource group 'rg-servers' was not found.");
        expect(devAssignments()).toEqual(before);
    }, 300_000);
});

/** The first ```sh block of a section of docs/managed-identity.md, as a reader copies it. */
function runbookBlock(heading: string): string {
    const text = readFileSync(join(PROJECT_ROOT, "docs/managed-identity.md"), "utf8");
    const section = text.slice(text.indexOf(`## ${heading}`));
    return /```sh\n([\s\S]*?)```/.exec(section)![1]!;
}

// Issue 24, defect 8: a machine connected again has a new principal; in a production stack its protected role
// assignments must be replaced, which the engine refuses until they are unprotected (docs/managed-identity.md, section 6).
describe("re-onboarding an Arc machine in a production stack, on the real engine", () => {
    const PROD_FILE = readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-prod.yaml"), "utf8");
    const PROD_MACHINE = `${PROD_FILE}${MACHINE_YAML.replace("inventory-srv-01", "inventory-srv-prod")}\n`;
    const prodAssignments = () => azure.state().roleAssignments
        .filter((assignment) => assignment.scope.includes("/resourceGroups/rg-inventory-prod"))
        .filter((assignment) => ![azure.deployer.objectId, azure.previewer?.objectId].includes(assignment.principalId))
        .map((assignment) => `${assignment.principalId} ${assignment.scope.split("/").at(-1)}`).sort();
    const protectedRoles = async () => {
        const exported = JSON.parse((await pulumiOk(["stack", "export", "--stack", "inventory-api-prod"])).stdout) as
            { deployment: { resources: { type: string; protect?: boolean }[] } };
        return exported.deployment.resources.filter((resource) => resource.type === "azure-native:authorization:RoleAssignment")
            .map((resource) => resource.protect === true);
    };
    let first: { id: string; principalId: string };

    it("the machine's roles in prod are protected", async () => {
        first = azure.connectArcMachine("rg-servers", "inventory-srv-prod");
        workspace.writeStackFile("inventory-api-prod", PROD_MACHINE);
        expect((await workspace.pulumi(["stack", "init", "inventory-api-prod"])).code).toBe(0);
        await pulumiOk(["up", "--stack", "inventory-api-prod", "--yes", "--skip-preview", ...workspace.policyArgs]);
        expect(prodAssignments()).toEqual([`${first.principalId} rg-inventory-prod`, `${first.principalId} rg-inventory-prod-archive`]);
        expect(await protectedRoles()).toEqual([true, true]);
    }, 300_000);

    it("connected again, the machine has a new principal: pulumi up refuses to replace the protected roles, and changes nothing", async () => {
        const again = azure.connectArcMachine("rg-servers", "inventory-srv-prod");
        expect(again.principalId).not.toBe(first.principalId);
        const refused = await workspace.pulumi(["up", "--stack", "inventory-api-prod", "--yes", "--skip-preview", ...workspace.policyArgs]);
        expect(refused.code).not.toBe(0);
        expect(refused.stdout + refused.stderr).toMatch(/unable to replace resource "urn:pulumi:inventory-api-prod::app-identity::appidentity:azure:ManagedIdentityGrant\$azure-native:authorization:RoleAssignment::[^"]+"\s+as it is currently marked for protection/);
        expect(prodAssignments()).toEqual([`${first.principalId} rg-inventory-prod`, `${first.principalId} rg-inventory-prod-archive`]);
    }, 300_000);

    it("the runbook's block, run as written, moves the roles to the new principal and protects them again", async () => {
        const principal = azure.state().armResources!.find((resource) => resource.id.endsWith("/inventory-srv-prod"))!
            .body["identity"] as { principalId: string };
        const block = runbookBlock("6. Runbook: re-onboarding an Arc machine in a production stack");
        // The reader confirms the update interactively; the workspace's PULUMI_SKIP_CONFIRMATIONS stands for that.
        const result = await workspace.run("bash", ["-euo", "pipefail", "-c", block]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toMatch(/\+-\s*2 replaced/);
        expect(prodAssignments()).toEqual([`${principal.principalId} rg-inventory-prod`, `${principal.principalId} rg-inventory-prod-archive`]);
        expect(await protectedRoles()).toEqual([true, true]);
        await pulumiOk(["preview", "--stack", "inventory-api-prod", "--expect-no-changes", ...workspace.policyArgs]);
    }, 300_000);
});

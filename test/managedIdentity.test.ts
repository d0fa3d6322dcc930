/**
 * Managed identities (issue 17): the stack config that names one, and what the program registers for it, under the
 * offline engine (tools/offline/fakeAzure.ts answers azure-native's lookups as Azure would).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main as envFile } from "../tools/envFile/command";
import { main as expiry } from "../tools/expiry/command";
import { planStacks } from "../tools/plan/command";
import { runCli } from "./cli";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";
import { roleAssignmentName } from "../infra/azureIds";
import { parseStackConfig } from "../infra/config";
import { NO_CREDENTIAL } from "../infra/managedIdentity";
import { checkResources, readPackConfig } from "../tools/plan/policyCheck";
import { countByType, evaluate, exampleConfig, flatConfig, ofType, PROJECT, ROOT, SUBSCRIPTION, TENANT, TYPES } from "./harness";

const FILE = "stacks/Pulumi.inventory-api-dev.yaml";
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const MACHINE = { kind: "arcMachine", resourceGroup: "rg-servers", name: "inventory-srv-01" };
const OBJECT_ID = "6b1f3c2e-8d4a-4f0b-9a7e-2c5d8e1f4a3b";
const GRANT = "appidentity:azure:ManagedIdentityGrant";

function problems(values: Record<string, unknown>): string[] {
    try {
        parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(exampleConfig(values)));
        return [];
    } catch (error) {
        return [...(error as { problems: string[] }).problems];
    }
}

describe("config: managedIdentity and appRegistration", () => {
    it.each([
        ["an Arc machine", MACHINE, { kind: "arcMachine", resourceGroup: "rg-servers", name: "inventory-srv-01" }],
        ["a web app", { kind: "webApp", resourceGroup: "rg-web", name: "inventory-web" }, { kind: "webApp", resourceGroup: "rg-web", name: "inventory-web" }],
        ["a user-assigned identity", { kind: "userAssigned", resourceGroup: "rg-ids", name: "id-inventory" },
            { kind: "userAssigned", resourceGroup: "rg-ids", name: "id-inventory" }],
        ["an object ID, lower-cased", { kind: "objectId", objectId: OBJECT_ID.toUpperCase() }, { kind: "objectId", objectId: OBJECT_ID }],
    ])("accepts %s, with no app registration unless asked", (_what, value, expected) => {
        const config = parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(exampleConfig({ managedIdentity: value })));
        expect(config.managedIdentity).toEqual(expected);
        expect(config.appRegistration).toBe(false);
        const migrating = parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(exampleConfig({ managedIdentity: value, appRegistration: true })));
        expect(migrating.appRegistration).toBe(true);
    });

    it("keeps today's default: an app registration and no managed identity", () => {
        const config = parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(exampleConfig()));
        expect(config.managedIdentity).toBeUndefined();
        expect(config.appRegistration).toBe(true);
    });

    it.each([
        [{ managedIdentity: { kind: "vm", resourceGroup: "rg", name: "x" } },
            `${FILE}: app-identity:managedIdentity.kind is "vm"; expected one of: arcMachine, webApp, userAssigned, objectId`],
        [{ managedIdentity: { kind: "arcMachine", name: "x" } },
            `${FILE}: app-identity:managedIdentity.resourceGroup is missing; expected it with kind arcMachine: the resource ` +
            "group and name of the Microsoft.HybridCompute/machines resource"],
        [{ managedIdentity: { kind: "objectId", objectId: OBJECT_ID, name: "x" } },
            `${FILE}: app-identity:managedIdentity.name is "x"; expected no name with kind objectId: the identity's object (principal) ID alone`],
        [{ managedIdentity: { kind: "objectId", objectId: "not-a-guid" } },
            `${FILE}: app-identity:managedIdentity.objectId is "not-a-guid"; expected the managed identity's object ` +
            "(principal) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47"],
        [{ managedIdentity: { kind: "webApp", resourceGroup: "rg", name: "a/b" } },
            `${FILE}: app-identity:managedIdentity.name is "a/b"; expected the resource's name: 1-260 characters, no '/'`],
        [{ managedIdentity: { kind: "webApp", resourceGroup: "rg", name: "x", clientId: OBJECT_ID } },
            `${FILE}: app-identity:managedIdentity.clientId is "${OBJECT_ID}"; expected one of the keys: kind, resourceGroup, name, objectId`],
        [{ managedIdentity: "inventory-srv-01" },
            `${FILE}: app-identity:managedIdentity is "inventory-srv-01"; expected {kind: arcMachine|webApp|userAssigned, ` +
            "resourceGroup, name} or {kind: objectId, objectId}"],
        [{ appRegistration: false },
            `${FILE}: app-identity:appRegistration is false; expected true or no value without managedIdentity: the stack would have no identity at all`],
        [{ appRegistration: "yes", managedIdentity: MACHINE }, `${FILE}: app-identity:appRegistration is "yes"; expected true or false`],
        [{ managedIdentity: MACHINE, developers: ["alice"] },
            `${FILE}: app-identity:managedIdentity is ${JSON.stringify(MACHINE)}; expected no managedIdentity in a stack ` +
            "with developers: each developer's workstation gets an app identity of its own"],
    ])("refuses %j in one line naming the file, key, value and what is allowed", (values, line) => {
        expect(problems(values)).toEqual([line]);
    });

    it("keeps the environment guardrails: a non-production managed identity on a production group is refused", () => {
        expect(problems({ managedIdentity: MACHINE, roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }] }))
            .toEqual([`${FILE}: app-identity:roleAssignments[0].resourceGroup is "rg-inventory-prod"; expected a non-production ` +
                "resource group: productionResourceGroups (Pulumi.yaml) names it, and this stack is not production"]);
    });
});

describe("program: a managed-identity stack", () => {
    it("creates no app, service principal or secret: one grant with the stack's role assignments to the machine's principal", async () => {
        const plan = await evaluate("inventory-api-dev", exampleConfig({ managedIdentity: MACHINE }));
        expect(plan.errors).toEqual([]);
        expect(countByType(plan)).toEqual({ [GRANT]: 1, [TYPES.roleAssignment]: 1 });
        const managed = plan.outputs["managedIdentity"]!.value as Record<string, unknown>;
        const principalId = managed["principalId"] as string;
        expect(principalId).toMatch(/^[0-9a-f-]{36}$/);
        const scope = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-inventory-dev`;
        const roleDefinitionId = `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`;
        expect(ofType(plan, TYPES.roleAssignment).map(({ name, inputs, protect }) => ({ name, inputs, protect }))).toEqual([{
            name: "inventory-api-dev-managed-identity/rg-inventory-dev/storage-blob-data-contributor",
            inputs: {
                scope, roleDefinitionId, principalId, principalType: "ServicePrincipal",
                roleAssignmentName: roleAssignmentName(scope, roleDefinitionId, principalId),
            },
            protect: false,
        }]);
        expect(Object.keys(plan.outputs).sort()).toEqual(["displayName", "managedIdentity", "subscriptionId", "tenantId"]);
        expect(managed).toEqual({
            kind: "arcMachine",
            resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-servers/providers/Microsoft.HybridCompute/machines/inventory-srv-01`,
            principalId,
            roleAssignments: [{ scope, role: "Storage Blob Data Contributor" }],
            credential: NO_CREDENTIAL,
        });
        expect(plan.outputs["tenantId"]!.value).toBe(TENANT);
    });

    it("exports a user-assigned identity's client ID beside its principal, as getUserAssignedIdentity returns them", async () => {
        const plan = await evaluate("inventory-api-dev", exampleConfig({ managedIdentity: USER_ASSIGNED }));
        expect(plan.errors).toEqual([]);
        const managed = plan.outputs["managedIdentity"]!.value as Record<string, unknown>;
        const scope = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-inventory-dev`;
        expect(managed).toEqual({
            kind: "userAssigned",
            resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-inventory`,
            principalId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
            clientId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
            roleAssignments: [{ scope, role: "Storage Blob Data Contributor" }],
            credential: NO_CREDENTIAL,
        });
        expect(managed["clientId"]).not.toBe(managed["principalId"]);
        // The other kinds are their resource's only identity: no client ID to name.
        const machine = await evaluate("inventory-api-dev", exampleConfig({ managedIdentity: MACHINE }));
        expect(Object.keys(machine.outputs["managedIdentity"]!.value as object)).not.toContain("clientId");
    });

    it("grants an object ID as given, without looking anything up", async () => {
        const plan = await evaluate("inventory-api-dev", exampleConfig({ managedIdentity: { kind: "objectId", objectId: OBJECT_ID } }));
        expect(plan.errors).toEqual([]);
        expect(ofType(plan, TYPES.roleAssignment).map(({ inputs }) => inputs["principalId"])).toEqual([OBJECT_ID]);
        expect(plan.outputs["managedIdentity"]!.value).toMatchObject({ kind: "objectId", principalId: OBJECT_ID });
        expect(Object.keys(plan.outputs["managedIdentity"]!.value as object)).not.toContain("resourceId");
    });

    it("during a migration keeps the app registration beside the managed identity: both principals hold the roles", async () => {
        const plan = await evaluate("inventory-api-dev", exampleConfig({ managedIdentity: MACHINE, appRegistration: true }));
        expect(plan.errors).toEqual([]);
        expect(countByType(plan)).toEqual({
            [GRANT]: 1, [TYPES.component]: 1, [TYPES.application]: 1, [TYPES.servicePrincipal]: 1, [TYPES.password]: 2,
            [TYPES.roleAssignment]: 2,
        });
        const principals = ofType(plan, TYPES.roleAssignment).map(({ inputs }) => inputs["principalId"]);
        expect(principals).toEqual([
            (plan.outputs["managedIdentity"]!.value as Record<string, unknown>)["principalId"],
            plan.outputs["servicePrincipalObjectId"]!.value,
        ]);
        expect(plan.outputs["clientSecret"]!.secret).toBe(true);
    });

    it("protects a production managed identity's role assignments, as an app identity's", async () => {
        const plan = await evaluate("inventory-api-prod", exampleConfig({
            production: true, managedIdentity: MACHINE,
            roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Contributor" }],
        }));
        expect(plan.errors).toEqual([]);
        expect(ofType(plan, TYPES.roleAssignment).map(({ protect }) => protect)).toEqual([true]);
    });
});

const USER_ASSIGNED = { kind: "userAssigned", resourceGroup: "rg-ids", name: "id-inventory" };

describe("tools: nothing to expire, no secret in the env file", () => {
    async function outputsFile(values: Record<string, unknown>): Promise<{ file: string; principalId: string }> {
        const plan = await evaluate("inventory-api-dev", exampleConfig(values));
        const outputs = showSecretsJson(plan);
        const dir = mkdtempSync(join(tmpdir(), "mi-outputs-"));
        return { file: writeOutputsFile(join(dir, "outputs.json"), outputs), principalId: (outputs["managedIdentity"] as { principalId: string } | undefined)?.principalId ?? "" };
    }

    it("npm run expiry says plainly there is no credential to expire or rotate, and exits 0", async () => {
        const { file, principalId } = await outputsFile({ managedIdentity: MACHINE });
        const result = await runCli(expiry, ["--from", file, "--at", "2026-11-21"]);
        expect(result).toMatchObject({ code: 0, stderr: "" });
        expect(result.stdout).toBe(`Client secrets of ${file} at 2026-11-21: ok\n  inventory-api-dev has no client secret: it runs ` +
            `under a managed identity (arcMachine, principal ${principalId}) whose credential the platform holds; nothing to expire or rotate`);
        const json = await runCli(expiry, ["--from", file, "--at", "2026-11-21", "--format", "json"]);
        expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, secrets: [], warnings: [] });
    });

    it("npm run expiry still checks the app's secrets during a migration", async () => {
        const { file } = await outputsFile({ managedIdentity: MACHINE, appRegistration: true });
        const result = await runCli(expiry, ["--from", file, "--at", "2026-11-21", "--format", "json"]);
        expect((JSON.parse(result.stdout) as { secrets: unknown[] }).secrets).toHaveLength(2);
    });

    it("the env file of an Arc stack holds the agent's endpoints and no client ID, tenant or secret", async () => {
        const { file, principalId } = await outputsFile({ managedIdentity: MACHINE });
        const out = join(mkdtempSync(join(tmpdir(), "mi-env-")), "azure.env");
        const result = await runCli(envFile, ["--from", file, "--out", out]);
        expect(result).toMatchObject({ code: 0, stdout: "" });
        expect(result.stderr).toBe(`env-file: wrote ${out} (mode 0600) for inventory-api-dev; no client secret: it runs under the Arc agent's managed identity`);
        expect(readFileSync(out, "utf8")).toBe([
            `# Managed identity of inventory-api-dev (Azure Arc, principal ${principalId}), from ${file}.`,
            "# No client secret: the Arc agent holds the credential. The service's user must be in the himds group to read",
            "# the agent's key files (docs/managed-identity.md). Written by 'npm run env-file'.",
            "IDENTITY_ENDPOINT='http://localhost:40342/metadata/identity/oauth2/token'",
            "IMDS_ENDPOINT='http://localhost:40342'",
            "",
        ].join("\n"));
        expect(statSync(out).mode & 0o777).toBe(0o600);
    });

    it("--managed-identity writes the Arc file from a migration's outputs; refused where there is no managed identity", async () => {
        const { file, principalId } = await outputsFile({ managedIdentity: MACHINE, appRegistration: true });
        const out = join(mkdtempSync(join(tmpdir(), "mi-env-")), "azure.env");
        expect((await runCli(envFile, ["--from", file, "--managed-identity", "--out", out])).code).toBe(0);
        expect(readFileSync(out, "utf8").split("\n").filter((line) => !line.startsWith("#"))).toEqual([
            "IDENTITY_ENDPOINT='http://localhost:40342/metadata/identity/oauth2/token'", "IMDS_ENDPOINT='http://localhost:40342'", "",
        ]);
        expect(readFileSync(out, "utf8")).toContain(principalId);
        const plain = await outputsFile({});
        expect(await runCli(envFile, ["--from", plain.file, "--managed-identity", "--stdout"])).toEqual({ code: 1, stdout: "",
            stderr: `env-file: the outputs of ${plain.file} have no 'managedIdentity': set managedIdentity in the stack file and ` +
                "run pulumi up first (docs/managed-identity.md)" });
    });

    it("the env file of a user-assigned identity names its client ID (AZURE_CLIENT_ID), and nothing else", async () => {
        const { file, principalId } = await outputsFile({ managedIdentity: USER_ASSIGNED });
        const outputs = JSON.parse(readFileSync(file, "utf8")) as { managedIdentity: { clientId: string; resourceId: string } };
        const { clientId } = outputs.managedIdentity;
        expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
        expect(clientId).not.toBe(principalId);
        const out = join(mkdtempSync(join(tmpdir(), "mi-env-")), "azure.env");
        const result = await runCli(envFile, ["--from", file, "--out", out]);
        expect(result).toEqual({ code: 0, stdout: "", stderr: `env-file: wrote ${out} (mode 0600) for inventory-api-dev; no client ` +
            `secret: it runs under the user-assigned managed identity ${clientId} (AZURE_CLIENT_ID)` });
        expect(readFileSync(out, "utf8")).toBe([
            `# Managed identity of inventory-api-dev (user-assigned, principal ${principalId}), from ${file}.`,
            "# No client secret: Azure holds the credential. AZURE_CLIENT_ID picks this identity among the host's",
            "# (docs/managed-identity.md). Written by 'npm run env-file'.",
            `AZURE_CLIENT_ID='${clientId}'`,
            "",
        ].join("\n"));
        expect(statSync(out).mode & 0o777).toBe(0o600);
    });

    it("refuses an env file for an identity whose Azure host gives the endpoint itself", async () => {
        const { file } = await outputsFile({ managedIdentity: { kind: "webApp", resourceGroup: "rg-web", name: "inventory-web" } });
        const result = await runCli(envFile, ["--from", file, "--stdout"]);
        expect(result).toEqual({ code: 1, stdout: "", stderr: `env-file: ${file} runs under a managed identity of kind webApp: its ` +
            "Azure host gives the app the identity endpoint, and there is no env file to write (one is written for kinds arcMachine and userAssigned)" });
    });

    it("during a migration the env file is still the app registration's, until the server switches", async () => {
        const { file } = await outputsFile({ managedIdentity: MACHINE, appRegistration: true });
        const out = join(mkdtempSync(join(tmpdir(), "mi-env-")), "azure.env");
        expect((await runCli(envFile, ["--from", file, "--out", out])).code).toBe(0);
        expect(readFileSync(out, "utf8").split("\n").filter((line) => !line.startsWith("#")).map((line) => line.split("=")[0]))
            .toEqual(["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID", ""]);
    });
});

describe("policy pack: a managed identity's role assignments are judged as an app identity's", () => {
    it("passes a managed-identity stack, as dev and prod would", async () => {
        for (const [stack, values] of [
            ["inventory-api-dev", { managedIdentity: MACHINE }],
            ["inventory-api-prod", { production: true, managedIdentity: MACHINE,
                roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Contributor" }] }],
        ] as const) {
            const plan = await evaluate(stack, exampleConfig(values));
            expect(plan.errors).toEqual([]);
            expect(checkResources(plan.resources, readPackConfig())).toEqual([]);
        }
    });

    it("stops Owner with the policy's own verdict, naming the managed identity's role assignment", async () => {
        const plan = await evaluate("inventory-api-dev", exampleConfig({ managedIdentity: MACHINE, roleAssignments: [
            { resourceGroup: "rg-inventory-dev", role: "Owner" },
        ] }));
        expect(plan.errors).toEqual([]);
        const violations = checkResources(plan.resources, readPackConfig());
        expect(violations.map((violation) => [violation.policy, violation.resource])).toEqual([[
            "role-assignment-allowed-roles", "inventory-api-dev-managed-identity/rg-inventory-dev/owner",
        ]]);
    });
});

describe("npm run plan: a managed-identity stack file", () => {
    /** A copy of the project's Pulumi.yaml and dev stack file, with `extra` lines added to the stack file. */
    function project(extra: string): string {
        const root = mkdtempSync(join(tmpdir(), "mi-plan-"));
        copyFileSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
        mkdirSync(join(root, "stacks"));
        writeFileSync(join(root, "stacks", "Pulumi.inventory-api-dev.yaml"), `${readFileSync(join(ROOT, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8")}${extra}`);
        return root;
    }
    const MACHINE_LINES = "  app-identity:managedIdentity:\n    kind: arcMachine\n    resourceGroup: rg-servers\n    name: inventory-srv-01\n";

    it("plans the grant alone, and says there is no credential", async () => {
        const plan = await planStacks({ root: project(MACHINE_LINES), stacks: ["inventory-api-dev"], at: new Date("2026-11-21T12:00:00Z") });
        const [stack] = plan.stacks;
        expect(stack).toMatchObject({ ok: true, errors: [], violations: [] });
        expect(stack!.resources.map((resource) => resource.type)).toEqual([GRANT, TYPES.roleAssignment]);
        expect((stack!.outputs["managedIdentity"] as { credential: string }).credential).toBe(NO_CREDENTIAL);
    });

    it("refuses what a deploy would, naming the key as the stack file writes it", async () => {
        const plan = await planStacks({ root: project(MACHINE_LINES.replace("arcMachine", "arcmachine")), stacks: ["inventory-api-dev"] });
        expect(plan.stacks[0]).toMatchObject({ ok: false, resources: [], errors: [
            `${FILE}: app-identity:managedIdentity.kind is "arcmachine"; expected one of: arcMachine, webApp, userAssigned, objectId`,
        ] });
    });
});

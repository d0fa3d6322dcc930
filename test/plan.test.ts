import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseStackConfig } from "../infra/config";
import { checkResources, readPackConfig } from "../tools/plan/policyCheck";
import { POLICIES } from "../policy/policies";
import { configOrigins } from "../tools/offline/origins";
import { main, planStacks } from "../tools/plan/command";
import { PROTECTION_NOTE, renderMarkdown, renderTable } from "../tools/plan/render";
import { readProject, readStackFile } from "../tools/stacks/stackFiles";
import { runCli } from "./cli";
import { AT, evaluateStackFile, exampleConfig, flatConfig, ofType, ROOT, SUBSCRIPTION, TENANT, TYPES } from "./harness";

const FIXTURE = join(ROOT, "test", "fixtures", "project");

const runPlan = (args: string[]) => runCli(main, args);

describe("npm run plan", () => {
    it("plans every stack in stacks/ by default", async () => {
        const plan = await planStacks({ root: ROOT, stacks: [], at: AT });
        expect(plan.at).toBe("2026-11-21T12:00:00.000Z");
        expect(plan.stacks.map(({ stack, ok, errors, violations }) => ({ stack, ok, errors, violations }))).toEqual([
            { stack: "inventory-api-dev", ok: true, errors: [], violations: [] },
            { stack: "inventory-api-local", ok: true, errors: [], violations: [] },
            { stack: "inventory-api-prod", ok: true, errors: [], violations: [] },
            { stack: "inventory-api-test", ok: true, errors: [], violations: [] },
        ]);
        expect(plan.stacks.map((stack) => stack.resources.length)).toEqual([6, 12, 7, 6]);
    });

    it("prints one JSON document with every input, and the secret only as [secret]", async () => {
        const { code, stdout, stderr } = await runPlan(["inventory-api-dev", "--format", "json", "--at", "2026-11-21"]);
        expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
        const document = JSON.parse(stdout);
        expect(Object.keys(document)).toEqual(["at", "stacks"]);
        const [dev] = document.stacks;
        expect(Object.keys(dev)).toEqual(["stack", "ok", "errors", "violations", "resources", "outputs"]);
        const app = dev.resources.find((resource: { type: string }) => resource.type === TYPES.application);
        expect(app).toEqual({
            type: TYPES.application,
            name: "inventory-api-dev",
            protect: false,
            inputs: {
                displayName: "inventory-api-dev",
                owners: [expect.stringMatching(/^[0-9a-f-]{36}$/)],
                preventDuplicateNames: true,
                signInAudience: "AzureADMyOrg",
            },
        });
        expect(dev.outputs.clientSecret).toBe("[secret]");
        expect(dev.outputs.clientSecretExpiresAt).toBe("2028-04-17T00:00:00Z");
    });

    it("never prints a secret value, in any format", async () => {
        const plan = await planStacks({ root: ROOT, stacks: ["inventory-api-dev"], at: AT });
        const secret = (await evaluateStackFile("inventory-api-dev")).outputs["clientSecret"]!.value as string;
        expect(secret).toHaveLength(40);
        for (const format of ["table", "markdown", "json"]) {
            const { stdout } = await runPlan(["inventory-api-dev", "--format", format, "--at", AT.toISOString()]);
            expect(stdout).toContain("[secret]");
            expect(stdout).not.toContain(secret);
        }
        expect(JSON.stringify(plan)).not.toContain(secret);
    });

    it("renders a table for the terminal", async () => {
        const { code, stdout } = await runPlan(["inventory-api-test", "--at", "2026-11-21"]);
        expect(code).toBe(0);
        const lines = stdout.split("\n");
        expect(lines[0]).toBe("Stack inventory-api-test: ok (planned at 2026-11-21T00:00:00.000Z)");
        expect(lines).toContain("  + azuread:index/application:Application  inventory-api-test");
        expect(lines).toContain('      signInAudience: "AzureADMyOrg"');
        expect(lines).toContain('      clientSecret: "[secret]"');
        expect(lines).toContain("  6 resources");
    });

    it("marks what production protects in the table and markdown: the app, service principal and roles, not the secrets", async () => {
        const table = (await runPlan(["inventory-api-prod", "--at", "2026-11-21"])).stdout.split("\n");
        expect(table.filter((line) => line.startsWith("  + "))).toEqual([
            "  + appidentity:azure:AppIdentity  inventory-api-prod",
            "  + azuread:index/application:Application  inventory-api-prod  [protected]",
            "  + azuread:index/applicationPassword:ApplicationPassword  inventory-api-prod-secret-a",
            "  + azuread:index/applicationPassword:ApplicationPassword  inventory-api-prod-secret-b",
            "  + azuread:index/servicePrincipal:ServicePrincipal  inventory-api-prod  [protected]",
            "  + azure-native:authorization:RoleAssignment  inventory-api-prod/rg-inventory-prod/storage-blob-data-contributor  [protected]",
            "  + azure-native:authorization:RoleAssignment  inventory-api-prod/rg-inventory-prod-archive/storage-blob-data-reader  [protected]",
        ]);
        expect(table.filter((line) => line.includes("[protected]:"))).toEqual([`  [protected]: ${PROTECTION_NOTE}`]);
        const markdown = await runPlan(["inventory-api-prod", "--format", "markdown", "--at", "2026-11-21"]);
        expect(markdown.stdout).toContain("### ✅ Stack `inventory-api-prod`: 7 resources");
        expect(markdown.stdout).toContain("| `azuread:index/application:Application` | `inventory-api-prod` | yes |");
        expect(markdown.stdout).toContain("| `azuread:index/applicationPassword:ApplicationPassword` | `inventory-api-prod-secret-a` | no |");
        expect(markdown.stdout).toContain(`\nProtected: ${PROTECTION_NOTE}.\n`);
        const dev = await runPlan(["inventory-api-dev", "--at", "2026-11-21"]);
        expect(dev.stdout).not.toContain("[protected]");
    });

    it("exits 1 and names the stack file for an unknown stack", async () => {
        const { code, stdout } = await runPlan(["staging", "--format", "json"]);
        expect(code).toBe(1);
        expect(JSON.parse(stdout).stacks).toEqual([{
            stack: "staging", ok: false, violations: [], resources: [], outputs: {},
            errors: ["stacks/Pulumi.staging.yaml: no such stack; the stacks are: inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test"],
        }]);
    });

    it("exits 2 with one line for a usage mistake", async () => {
        expect(await runPlan(["--format", "yaml"])).toEqual({
            code: 2, stdout: "", stderr: 'plan: --format is "yaml"; expected table, markdown or json',
        });
        expect(await runPlan(["--at", "next week"])).toEqual({
            code: 2, stdout: "", stderr: 'plan: --at is "next week"; expected a date YYYY-MM-DD or an RFC 3339 time',
        });
    });
});

describe("npm run plan of a future day (issue 11, item 11)", () => {
    it("npm run plan -- dev --at 2027-07-15 exits 0: the secrets planned for that day are judged as of that day", async () => {
        const { code, stdout, stderr } = await runPlan(["inventory-api-dev", "--at", "2027-07-15"]);
        expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
        const lines = stdout.split("\n");
        expect(lines[0]).toBe("Stack inventory-api-dev: ok (planned at 2027-07-15T00:00:00.000Z)");
        expect(lines.filter((line) => line.includes("violation"))).toEqual([]);
        expect(lines).toContain('      endDate: "2029-04-17T00:00:00Z"');
    });

    it("still refuses, on that day, a secret of the same plan made one day too long", async () => {
        const at = new Date("2027-07-15T00:00:00Z");
        const plan = await evaluateStackFile("inventory-api-dev", at);
        expect(checkResources(plan.resources, readPackConfig(), POLICIES, at)).toEqual([]);
        const tooLong = plan.resources.map((resource) => resource.name === "inventory-api-dev-secret-b"
            ? { ...resource, inputs: { ...resource.inputs, endDate: "2029-07-16T00:00:00Z" } }
            : resource);
        expect(ofType(plan, TYPES.password).map((password) => password.name)).toContain("inventory-api-dev-secret-b");
        expect(checkResources(tooLong, readPackConfig(), POLICIES, at)).toEqual([{
            policy: "client-secret-explicit-end-date",
            resource: "inventory-api-dev-secret-b",
            message: "endDate 2029-07-16T00:00:00Z is more than 24 months after now (2027-07-15T00:00:00Z)",
        }]);
    });
});

describe("npm run plan with the guardrail policies", () => {
    const OWNER_VIOLATION = {
        policy: "role-assignment-allowed-roles",
        resource: "orders-owner/rg-orders-dev/owner",
        message: 'stacks/Pulumi.owner.yaml: app-identity:roleAssignments[0].role is "Owner"; ' +
            "role Owner (8e3af657-a8ff-443c-a75c-2fe8c4bcb635) is not allowed; allowed: Storage Blob Data Reader " +
            "(2a2b9908-6ea1-4ae2-8e65-a410df84e7d1), Storage Blob Data Contributor (ba92f5b4-2d11-453d-a403-e96b0029c9fe), " +
            "Storage Blob Data Owner (b7e6dc6d-f1e8-4753-8033-0f276bb0955b), Storage Blob Delegator " +
            "(db58b8e5-c6ad-4a2a-8342-4190687cbf4a)",
    };

    it("reports a stack that asks for Owner as a violation and fails it", async () => {
        const plan = await planStacks({ root: FIXTURE, stacks: ["owner"], at: AT });
        expect(plan.stacks[0]).toMatchObject({ stack: "owner", ok: false, errors: [], violations: [OWNER_VIOLATION] });
        expect(plan.stacks[0]!.resources).toHaveLength(6);
    });

    it("shows violations in the table and markdown", async () => {
        const plan = await planStacks({ root: FIXTURE, stacks: ["owner"], at: AT });
        expect(renderTable(plan).split("\n")).toContain(
            `  violation [role-assignment-allowed-roles] orders-owner/rg-orders-dev/owner: ${OWNER_VIOLATION.message}`);
        expect(renderMarkdown(plan)).toContain("### ❌ Stack `owner`: 6 resources");
        expect(renderMarkdown(plan)).toContain("- **role-assignment-allowed-roles** on `orders-owner/rg-orders-dev/owner`: " +
            'stacks/Pulumi.owner.yaml: app-identity:roleAssignments[0].role is "Owner"; role Owner');
    });
});

describe("planStacks on a fixture project", () => {
    it("goes on past secure values it cannot decrypt, and never shows their ciphertext", async () => {
        const plan = await planStacks({ root: FIXTURE, stacks: ["secure"], at: AT });
        expect(plan.stacks[0]!.ok).toBe(true);
        expect(plan.stacks[0]!.resources).toHaveLength(6);
        expect(JSON.stringify(plan)).not.toContain("c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw");
    });

    it("reports every config problem of an invalid stack and registers nothing", async () => {
        const plan = await planStacks({ root: FIXTURE, stacks: ["broken"], at: AT });
        expect(plan.stacks[0]).toMatchObject({ stack: "broken", ok: false, resources: [] });
        expect(plan.stacks[0]!.errors).toEqual([
            'stacks/Pulumi.broken.yaml: app-identity:tenantId is "contoso.onmicrosoft.com"; ' +
                "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
            'stacks/Pulumi.broken.yaml: app-identity:roleAssignments[0].role is "Storage Queue Data Reader"; expected ' +
                "one of: Storage Blob Data Reader, Storage Blob Data Contributor, Storage Blob Data Owner, " +
                "Storage Blob Delegator, Owner, Contributor, Reader",
        ]);
    });
});

describe("npm run plan -- --deployer-tenant GUID", () => {
    const OTHER = "99999999-9999-4999-8999-999999999999";

    it("signs the fake deployer in to that tenant: the program refuses the stack with one line, before any resource", async () => {
        const { code, stdout } = await runPlan(["inventory-api-dev", "--deployer-tenant", OTHER, "--format", "json", "--at", "2026-11-21"]);
        expect(code).toBe(1);
        expect(JSON.parse(stdout).stacks).toEqual([{
            stack: "inventory-api-dev", ok: false, violations: [], resources: [], outputs: {},
            errors: ['stacks/Pulumi.inventory-api-dev.yaml: app-identity:tenantId is "00000000-0000-0000-0000-00000000aaaa"; expected ' +
                `the tenant the deploying identity is signed in to (${OTHER}): sign in to tenant ` +
                "00000000-0000-0000-0000-00000000aaaa or correct the key"],
        }]);
    });

    it("plans as usual when that is the stack's own tenant", async () => {
        const { code } = await runPlan(["inventory-api-dev", "--deployer-tenant", "00000000-0000-0000-0000-00000000AAAA", "--at", "2026-11-21"]);
        expect(code).toBe(0);
    });

    it("exits 2 with one line for a tenant that is not a GUID", async () => {
        expect(await runPlan(["inventory-api-dev", "--deployer-tenant", "contoso.onmicrosoft.com"])).toEqual({
            code: 2, stdout: "", stderr: 'plan: --deployer-tenant is "contoso.onmicrosoft.com"; expected a tenant ID ' +
                "(GUID) such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
        });
    });
});

describe("npm run plan across the project's stacks (test/fixtures/project/clash)", () => {
    it("adds each problem to the stack whose file it names and fails that stack only", async () => {
        const plan = await planStacks({ root: join(FIXTURE, "clash"), stacks: [], at: AT });
        expect(plan.stacks.map(({ stack, ok, errors }) => ({ stack, ok, errors }))).toEqual([
            { stack: "dev", ok: true, errors: [] },
            { stack: "dev2", ok: false, errors: [
                'stacks/Pulumi.dev2.yaml: the identity "orders-dev" is also stacks/Pulumi.dev.yaml\'s, in the same tenant ' +
                    "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0; expected display names unique across the project's stacks: " +
                    "the provider's duplicate-name check stops the second stack's deploy (set environment or appName apart)",
            ] },
            { stack: "other-tenant", ok: true, errors: [] },
        ]);
        // The stack is still planned: the clash is the project's, not the program's.
        expect(plan.stacks[1]!.resources).toHaveLength(6);
    });

    it("checks every stack even when asked for one, and shows a problem only in the stack it names", async () => {
        const only = async (stack: string) => (await planStacks({ root: join(FIXTURE, "clash"), stacks: [stack], at: AT })).stacks[0]!;
        expect((await only("dev2")).ok).toBe(false);
        expect((await only("dev")).ok).toBe(true);
    });
});

describe("npm run plan names keys as the stack file writes them", () => {
    const project = () => {
        const dir = mkdtempSync(join(tmpdir(), "plan-keys-"));
        copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
        mkdirSync(join(dir, "stacks"));
        return dir;
    };
    const write = (dir: string, stack: string, text: string) => writeFileSync(join(dir, "stacks", `Pulumi.${stack}.yaml`), text);
    const dirs: string[] = [];
    afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });

    it("in config errors, bare keys and the old <namespace>:config:<key> form as written", async () => {
        const dir = project();
        dirs.push(dir);
        write(dir, "bare", [
            "config:",
            "  appName: orders",
            "  app-identity:config:tenantId: contoso.onmicrosoft.com",
            "  subscriptionId: 1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d",
            "  roleAssignments:",
            "    - resourceGroup: rg-orders-dev",
            "      role: Storage Queue Data Reader",
            "",
        ].join("\n"));
        const plan = await planStacks({ root: dir, stacks: ["bare"], at: AT });
        expect(plan.stacks[0]).toMatchObject({ ok: false, resources: [] });
        expect(plan.stacks[0]!.errors).toEqual([
            'stacks/Pulumi.bare.yaml: app-identity:config:tenantId is "contoso.onmicrosoft.com"; ' +
                "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
            'stacks/Pulumi.bare.yaml: roleAssignments[0].role is "Storage Queue Data Reader"; expected one of: ' +
                "Storage Blob Data Reader, Storage Blob Data Contributor, Storage Blob Data Owner, Storage Blob Delegator, " +
                "Owner, Contributor, Reader",
        ]);
    });

    it("in the program's own refusal and in a policy's verdict", async () => {
        const dir = project();
        dirs.push(dir);
        write(dir, "bare", [
            "config:",
            "  appName: orders",
            "  environment: dev",
            `  tenantId: ${TENANT}`,
            `  subscriptionId: ${SUBSCRIPTION}`,
            "  roleAssignments:",
            "    - resourceGroup: rg-orders-dev",
            "      role: Storage Blob Data Reader",
            "    - resourceGroup: rg-orders-dev",
            "      role: Contributor",
            "",
        ].join("\n"));
        const other = "99999999-9999-4999-8999-999999999999";
        const refused = await planStacks({ root: dir, stacks: ["bare"], at: AT, deployerTenantId: other });
        expect(refused.stacks[0]!.errors).toEqual([`stacks/Pulumi.bare.yaml: tenantId is "${TENANT}"; expected the ` +
            `tenant the deploying identity is signed in to (${other}): sign in to tenant ${TENANT} or correct the key`]);
        const plan = await planStacks({ root: dir, stacks: ["bare"], at: AT });
        expect(plan.stacks[0]!.violations.map(({ resource, message }) => ({ resource, message: message.split("; ")[0] }))).toEqual([
            { resource: "orders-dev/rg-orders-dev/contributor", message: 'stacks/Pulumi.bare.yaml: roleAssignments[1].role is "Contributor"' },
        ]);
    });
});

describe("a guardrail verdict names the config key behind the resource", () => {
    const at = new Date("2026-11-21T00:00:00Z");
    const config = (values: Record<string, unknown>, stack = "inventory-api-dev") =>
        parseStackConfig("app-identity", stack, flatConfig(exampleConfig(values)));

    it.each([
        ["an assignment's role", "role-assignment-allowed-roles", "inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor",
            {}, 'stacks/Pulumi.inventory-api-dev.yaml: app-identity:roleAssignments[0].role is "Storage Blob Data Contributor"'],
        ["an assignment's resource group (scope)", "role-assignment-resource-group-scope",
            "inventory-api-dev/rg-b/storage-blob-data-reader",
            { roleAssignments: [{ resourceGroup: "rg-a", role: "Storage Blob Data Reader" }, { resourceGroup: "rg-b", role: "Storage Blob Data Reader" }] },
            'stacks/Pulumi.inventory-api-dev.yaml: app-identity:roleAssignments[1].resourceGroup is "rg-b"'],
        ["an assignment's resource group (environment)", "role-assignment-same-environment",
            "inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor",
            {}, 'stacks/Pulumi.inventory-api-dev.yaml: app-identity:roleAssignments[0].resourceGroup is "rg-inventory-dev"'],
        ["a developer's assignment", "role-assignment-allowed-roles", "inventory-api-local-bob/rg-inventory-dev/storage-blob-data-contributor",
            { developers: ["alice", "bob"] },
            'stacks/Pulumi.inventory-api-local.yaml: app-identity:roleAssignments[0].role is "Storage Blob Data Contributor"', "inventory-api-local"],
        ["an unprotected app", "production-resources-protected", "inventory-api-dev", {},
            "stacks/Pulumi.inventory-api-dev.yaml: app-identity:production is false"],
        ["an unprotected role assignment", "production-resources-protected",
            "inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor", {}, "stacks/Pulumi.inventory-api-dev.yaml: app-identity:production is false"],
        ["a secret's lifetime", "client-secret-explicit-end-date", "inventory-api-dev-secret-b", { secretLifetimeMonths: 12 },
            "stacks/Pulumi.inventory-api-dev.yaml: app-identity:secretLifetimeMonths is 12"],
        ["a certificate's lifetime", "client-certificate-explicit-dates", "inventory-api-dev-certificate-a", { certificateLifetimeMonths: 24 },
            "stacks/Pulumi.inventory-api-dev.yaml: app-identity:certificateLifetimeMonths is 24"],
    ])("%s", (_what, policy, resource, values, expected, stack = "inventory-api-dev") => {
        expect(configOrigins("app-identity", config(values, stack))(resource, policy)).toBe(expected);
    });

    it.each([
        ["the program's principal type", "role-assignment-service-principal", "inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor"],
        ["the program's audience", "application-single-tenant", "inventory-api-dev"],
        ["a protected secret", "production-resources-protected", "inventory-api-dev-secret-a"],
        ["a resource of no identity", "role-assignment-allowed-roles", "someone-else/rg-inventory-dev/owner"],
    ])("none for %s", (_what, policy, resource) => {
        expect(configOrigins("app-identity", config({}))(resource, policy)).toBeUndefined();
    });

    it("leads the policy's message with it, and leaves verdicts with no key as the policy wrote them", async () => {
        const plan = await evaluateStackFile("inventory-api-prod", at);
        const unprotected = plan.resources.map((resource) => ({ ...resource, protect: false }));
        const origin = configOrigins("app-identity", parseStackConfig("app-identity", "inventory-api-prod", readStackFile(readProject(ROOT), "inventory-api-prod").config));
        expect(checkResources(unprotected, readPackConfig(), POLICIES, at, origin).map(({ resource, message }) => `${resource}: ${message}`)).toEqual([
            "inventory-api-prod: stacks/Pulumi.inventory-api-prod.yaml: app-identity:production is true; stack inventory-api-prod is production, but this resource is not protected",
            "inventory-api-prod: stacks/Pulumi.inventory-api-prod.yaml: app-identity:production is true; stack inventory-api-prod is production, but this resource is not protected",
            "inventory-api-prod/rg-inventory-prod/storage-blob-data-contributor: stacks/Pulumi.inventory-api-prod.yaml: app-identity:production is true; " +
                "stack inventory-api-prod is production, but this resource is not protected",
            "inventory-api-prod/rg-inventory-prod-archive/storage-blob-data-reader: stacks/Pulumi.inventory-api-prod.yaml: app-identity:production is " +
                "true; stack inventory-api-prod is production, but this resource is not protected",
        ]);
        const multiTenant = plan.resources.map((resource) => resource.type === TYPES.application
            ? { ...resource, inputs: { ...resource.inputs, signInAudience: "AzureADMultipleOrgs" } } : resource);
        expect(checkResources(multiTenant, readPackConfig(), POLICIES, at, origin)).toEqual([{
            policy: "application-single-tenant", resource: "inventory-api-prod",
            message: 'signInAudience is "AzureADMultipleOrgs"; expected "AzureADMyOrg"',
        }]);
    });
});

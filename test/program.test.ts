import { describe, expect, it } from "vitest";
import runProgram from "../infra";
import { roleAssignmentName } from "../infra/azureIds";
import { evaluateStack, type RegisteredResource } from "../tools/offline/engine";
import { readProject, readStackFile } from "../tools/stacks/stackFiles";
import {
    AT, countByType, evaluate, evaluateStackFile, exampleConfig, flatConfig, ofType, only, ROOT, SUBSCRIPTION, TENANT, TYPES,
} from "./harness";

const STACK_TENANT = "00000000-0000-0000-0000-00000000aaaa";
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

describe.each([
    { stack: "inventory-api-dev", subscription: "00000000-0000-0000-0000-00000000bbbb", protect: false,
        grants: [["rg-inventory-dev", "Storage Blob Data Contributor", CONTRIBUTOR]] },
    { stack: "inventory-api-test", subscription: "00000000-0000-0000-0000-00000000bbbb", protect: false,
        grants: [["rg-inventory-test", "Storage Blob Data Contributor", CONTRIBUTOR]] },
    { stack: "inventory-api-prod", subscription: "00000000-0000-0000-0000-00000000cccc", protect: true,
        grants: [["rg-inventory-prod", "Storage Blob Data Contributor", CONTRIBUTOR],
            ["rg-inventory-prod-archive", "Storage Blob Data Reader", READER]] },
])("stack $stack from stacks/Pulumi.$stack.yaml", ({ stack, subscription, protect, grants }) => {
    const name = stack; // a fleet's stack is named after its identity: <app>-<environment>

    it("creates one app, one service principal, two secrets and one role assignment per grant", async () => {
        const plan = await evaluateStackFile(stack);
        expect(plan.errors).toEqual([]);
        expect(countByType(plan)).toEqual({
            [TYPES.component]: 1,
            [TYPES.application]: 1,
            [TYPES.servicePrincipal]: 1,
            [TYPES.password]: 2,
            [TYPES.roleAssignment]: grants.length,
        });
    });

    it("registers a single-tenant app owned by the deployer, and its service principal", async () => {
        const plan = await evaluateStackFile(stack);
        const owners = stack === "inventory-api-prod"
            ? [plan.fake.deployerObjectId, "00000000-0000-0000-0000-00000000dddd"]
            : [plan.fake.deployerObjectId];
        const app = only(plan, TYPES.application);
        expect(app.name).toBe(name);
        expect(app.inputs).toEqual({
            displayName: name, signInAudience: "AzureADMyOrg", preventDuplicateNames: true, owners,
        });
        const sp = only(plan, TYPES.servicePrincipal);
        expect(sp.name).toBe(name);
        expect(sp.inputs).toEqual({ clientId: plan.outputs["clientId"]!.value, owners });
    });

    it("grants each role at resource-group scope to the service principal, under a derived GUID name", async () => {
        const plan = await evaluateStackFile(stack);
        const principalId = plan.outputs["servicePrincipalObjectId"]!.value as string;
        const expected = grants.map(([group, role, roleId]) => {
            const scope = `/subscriptions/${subscription}/resourceGroups/${group}`;
            const roleDefinitionId = `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
            return {
                name: `${name}/${group}/${role!.toLowerCase().replace(/ /g, "-")}`,
                inputs: {
                    scope, roleDefinitionId, principalId, principalType: "ServicePrincipal",
                    roleAssignmentName: roleAssignmentName(scope, roleDefinitionId, principalId),
                },
            };
        });
        const actual = ofType(plan, TYPES.roleAssignment).map(({ name: n, inputs }) => ({ name: n, inputs }));
        expect(actual).toEqual(expected);
        expect(plan.outputs["roleAssignments"]).toEqual({
            value: grants.map(([group, role]) => ({ scope: `/subscriptions/${subscription}/resourceGroups/${group}`, role })),
            secret: false,
        });
    });

    it("gives every client secret an explicit RFC 3339 end date on the application", async () => {
        const plan = await evaluateStackFile(stack);
        const passwords = ofType(plan, TYPES.password);
        expect(passwords.map((password) => password.name).sort()).toEqual([`${name}-secret-a`, `${name}-secret-b`]);
        for (const password of passwords) {
            expect(Object.keys(password.inputs).sort()).toEqual(["applicationId", "displayName", "endDate"]);
            expect(password.inputs["applicationId"]).toMatch(/^\/applications\/[0-9a-f-]{36}$/);
            expect(password.inputs["endDate"]).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
        }
    });

    it("exports the identity, with the client secret as a secret and everything else in the clear", async () => {
        const plan = await evaluateStackFile(stack);
        expect(Object.keys(plan.outputs).sort()).toEqual([
            "clientId", "clientSecret", "clientSecretExpiresAt", "displayName", "roleAssignments", "secretRotatesAt",
            "secrets", "servicePrincipalObjectId", "subscriptionId", "tenantId",
        ]);
        expect(plan.outputs["clientSecret"]!.secret).toBe(true);
        expect(plan.outputs["clientSecret"]!.value).toMatch(/^[A-Za-z0-9~._-]{40}$/);
        const inTheClear = Object.entries(plan.outputs).filter(([key]) => key !== "clientSecret");
        expect(inTheClear.every(([, output]) => !output.secret)).toBe(true);
        expect(plan.outputs["displayName"]!.value).toBe(name);
        expect(plan.outputs["tenantId"]!.value).toBe(STACK_TENANT);
        expect(plan.outputs["subscriptionId"]!.value).toBe(subscription);
        const newest = ofType(plan, TYPES.password).map((p) => p.inputs["endDate"] as string).sort().at(-1);
        expect(plan.outputs["clientSecretExpiresAt"]!.value).toBe(newest);
    });

    it(protect
        ? "protects the app, the service principal and the role assignments, never the secrets or the component"
        : "protects no resource", async () => {
        const plan = await evaluateStackFile(stack);
        const flags = Object.fromEntries(plan.resources.map((resource) => [`${resource.type}::${resource.name}`, resource.protect]));
        expect(flags).toEqual({
            [`${TYPES.component}::${name}`]: false,
            [`${TYPES.application}::${name}`]: protect,
            [`${TYPES.servicePrincipal}::${name}`]: protect,
            [`${TYPES.password}::${name}-secret-a`]: false,
            [`${TYPES.password}::${name}-secret-b`]: false,
            ...Object.fromEntries(grants.map(([group, role]) =>
                [`${TYPES.roleAssignment}::${name}/${group}/${role!.toLowerCase().replace(/ /g, "-")}`, protect])),
        });
    });

    // pulumi/pulumi pkg/resource/deploy/deployment_executor.go performPostSteps: after a protected resource's delete
    // fails, a destroy skips its transitive dependencies only; this edge makes both secrets such dependencies.
    it("makes each role assignment depend on the service principal and on both secrets", async () => {
        const plan = await evaluateStackFile(stack);
        const urn = (type: string, resourceName: string) =>
            plan.resources.find((resource) => resource.type === type && resource.name === resourceName)!.urn;
        const expected = [
            urn(TYPES.password, `${name}-secret-a`),
            urn(TYPES.password, `${name}-secret-b`),
            urn(TYPES.servicePrincipal, name),
        ].sort();
        expect(expected).toEqual([
            `urn:pulumi:${stack}::app-identity::${TYPES.component}$${TYPES.password}::${name}-secret-a`,
            `urn:pulumi:${stack}::app-identity::${TYPES.component}$${TYPES.password}::${name}-secret-b`,
            `urn:pulumi:${stack}::app-identity::${TYPES.component}$${TYPES.servicePrincipal}::${name}`,
        ]);
        const assignments = ofType(plan, TYPES.roleAssignment);
        expect(assignments).toHaveLength(grants.length);
        for (const assignment of assignments) expect([...assignment.dependencies].sort()).toEqual(expected);
    });

    it("is deterministic: two evaluations register identical resources and outputs", async () => {
        const first = await evaluateStackFile(stack);
        const second = await evaluateStackFile(stack);
        expect(second.resources).toEqual(first.resources);
        expect(second.outputs).toEqual(first.outputs);
    });
});

describe("the program", () => {
    it("registers nothing when the config is invalid", async () => {
        const plan = await evaluate("dev", exampleConfig({ tenantId: "not-a-guid" }));
        expect(plan.ok).toBe(false);
        expect(plan.errors).toEqual([
            'stacks/Pulumi.dev.yaml: app-identity:tenantId is "not-a-guid"; ' +
                "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
        ]);
        expect(plan.resources).toEqual([]);
    });

    it("refuses to deploy into a tenant other than the configured one, before registering anything", async () => {
        const other = "99999999-9999-4999-8999-999999999999";
        const plan = await evaluate("dev", exampleConfig(), { deployerTenantId: other });
        expect(plan.errors).toEqual([
            `stacks/Pulumi.dev.yaml: app-identity:tenantId is "${TENANT}"; expected the tenant the deploying ` +
                `identity is signed in to (${other}): sign in to tenant ${TENANT} or correct the key`,
        ]);
        expect(plan.resources).toEqual([]);
    });

    it("names the identity after the app and the environment key when set", async () => {
        const plan = await evaluate("live", exampleConfig({
            environment: "prod", roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }],
        }));
        expect(only(plan, TYPES.application).inputs["displayName"]).toBe("inventory-api-prod");
    });

    it("names the identity after a fleet's stack name, <app>-<environment>, with the environment's subscription", async () => {
        const plan = await evaluate("orders-test", exampleConfig({ appName: undefined, subscriptionId: undefined }));
        expect(only(plan, TYPES.application).inputs["displayName"]).toBe("orders-test");
        expect(only(plan, TYPES.roleAssignment).inputs["scope"])
            .toBe("/subscriptions/00000000-0000-0000-0000-00000000bbbb/resourceGroups/rg-inventory-dev");
    });

    it("lists the deployer once when config names it as an owner too", async () => {
        const first = await evaluate("dev", exampleConfig());
        const deployer = first.fake.deployerObjectId;
        const plan = await evaluate("dev", exampleConfig({ owners: [deployer.toUpperCase(), SUBSCRIPTION] }));
        expect(only(plan, TYPES.application).inputs["owners"]).toEqual([deployer, SUBSCRIPTION]);
    });

    it("schedules the secrets from the anchor and the injected clock", async () => {
        const plan = await evaluate("dev", exampleConfig({ secretRotationAnchor: "2026-01-10" }), { at: AT });
        expect(plan.outputs["secrets"]!.value).toEqual([
            { name: "inventory-api-dev-secret-a", startDate: "2026-01-10", endDate: "2028-01-10T00:00:00Z" },
            { name: "inventory-api-dev-secret-b", startDate: "2025-01-10", endDate: "2027-01-10T00:00:00Z" },
        ]);
        expect(plan.outputs["secretRotatesAt"]!.value).toBe("2027-01-10");
    });
});

describe("role assignments renamed in place (infra/names.ts)", () => {
    const RA = `urn:pulumi:%s::app-identity::${TYPES.component}$${TYPES.roleAssignment}::`;
    const urn = (stack: string, name: string) => `${RA.replace("%s", stack)}${name}`;
    // The URNs the stacks in stacks/ gave their role assignments before the names changed: what deployed states hold.
    const DEPLOYED: Record<string, string[]> = {
        "inventory-api-dev": [urn("inventory-api-dev", "inventory-api-dev-rg-inventory-dev-storage-blob-data-contributor")],
        "inventory-api-test": [urn("inventory-api-test", "inventory-api-test-rg-inventory-test-storage-blob-data-contributor")],
        "inventory-api-prod": [urn("inventory-api-prod", "inventory-api-prod-rg-inventory-prod-storage-blob-data-contributor"),
            urn("inventory-api-prod", "inventory-api-prod-rg-inventory-prod-archive-storage-blob-data-reader")],
        "inventory-api-local": [urn("inventory-api-local", "inventory-api-local-alice-rg-inventory-dev-storage-blob-data-contributor"),
            urn("inventory-api-local", "inventory-api-local-bob-rg-inventory-dev-storage-blob-data-contributor")],
    };

    // azure-native adds aliases of its own, for the type's former API versions under the same name: left out here.
    const renames = (resource: RegisteredResource) => resource.aliases.filter((alias) => !alias.endsWith(`::${resource.name}`));

    // The engine looks a resource up by its URN, then by its aliases (pulumi/pulumi
    // pkg/resource/deploy/step_generator.go getOldResource): an alias equal to the deployed URN finds the old state,
    // and with the same inputs the step is a same, not a delete and a create whose Create would fail on the GUID name.
    it.each(Object.keys(DEPLOYED))("stack %s: each role assignment's alias is the URN it was deployed under", async (stack) => {
        const plan = await evaluateStackFile(stack);
        const assignments = ofType(plan, TYPES.roleAssignment);
        expect(assignments.map(renames)).toEqual(DEPLOYED[stack]!.map((deployed) => [deployed]));
        for (const assignment of assignments) {
            const [deployed] = renames(assignment);
            expect(assignment.urn).not.toBe(deployed);
            // Only the name changed: the stack, project, parent type and type are the deployed URN's.
            expect(assignment.urn.split("::").slice(0, 3)).toEqual(deployed!.split("::").slice(0, 3));
        }
    });

    it("gives no alias to two role assignments whose former names coincide (the engine refuses two claims on one URN)", async () => {
        // Developer "al" on "bo-rg" and developer "al-bo" on "rg" were both x-local-al-bo-rg-storage-blob-data-reader.
        const plan = await evaluate("local", exampleConfig({
            appName: "x", environment: "local", developers: ["al", "al-bo"],
            roleAssignments: [{ resourceGroup: "bo-rg", role: "Storage Blob Data Reader" },
                { resourceGroup: "rg", role: "Storage Blob Data Reader" }],
        }));
        expect(plan.errors).toEqual([]);
        const assignments = ofType(plan, TYPES.roleAssignment).map((resource) => ({ name: resource.name, aliases: renames(resource) }));
        expect(assignments.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual([
            { name: "x-local-al-bo/bo-rg/storage-blob-data-reader",
                aliases: [urn("local", "x-local-al-bo-bo-rg-storage-blob-data-reader")] },
            { name: "x-local-al-bo/rg/storage-blob-data-reader", aliases: [] },
            { name: "x-local-al/bo-rg/storage-blob-data-reader", aliases: [] },
            { name: "x-local-al/rg/storage-blob-data-reader", aliases: [urn("local", "x-local-al-rg-storage-blob-data-reader")] },
        ]);
    });
});

describe("owners: the deploying identity, or deployerObjectId", () => {
    const DEPLOYER = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d";
    const PREVIEWER = "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e";
    const CO_OWNER = "2c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f";
    const run = (values: Record<string, unknown>, signedIn: string, preview: boolean) => evaluateStack({
        program: runProgram, project: "app-identity", stack: "dev", config: flatConfig(exampleConfig({ owners: [CO_OWNER], ...values })),
        at: AT, deployerObjectId: signedIn, preview,
    });
    const ownersOf = (plan: Awaited<ReturnType<typeof run>>) =>
        [only(plan, TYPES.application).inputs["owners"], only(plan, TYPES.servicePrincipal).inputs["owners"]];

    it("without deployerObjectId, owners start with whoever runs the program: a preview by the previewer differs from the update", async () => {
        expect(ownersOf(await run({}, DEPLOYER, false))).toEqual([[DEPLOYER, CO_OWNER], [DEPLOYER, CO_OWNER]]);
        expect(ownersOf(await run({}, PREVIEWER, true))).toEqual([[PREVIEWER, CO_OWNER], [PREVIEWER, CO_OWNER]]);
    });

    it("with deployerObjectId, owners start with it in the previewer's preview and in the deployer's update alike", async () => {
        const values = { deployerObjectId: DEPLOYER.toUpperCase() };
        expect(ownersOf(await run(values, PREVIEWER, true))).toEqual([[DEPLOYER, CO_OWNER], [DEPLOYER, CO_OWNER]]);
        expect(ownersOf(await run(values, DEPLOYER, false))).toEqual([[DEPLOYER, CO_OWNER], [DEPLOYER, CO_OWNER]]);
    });

    it("still asks who deploys: the tenant check runs with deployerObjectId set", async () => {
        const other = "99999999-9999-4999-8999-999999999999";
        const plan = await evaluateStack({
            program: runProgram, project: "app-identity", stack: "dev", config: flatConfig(exampleConfig({ deployerObjectId: DEPLOYER })),
            at: AT, deployerTenantId: other, preview: true,
        });
        expect(plan.errors).toEqual([
            `stacks/Pulumi.dev.yaml: app-identity:tenantId is "${TENANT}"; expected the tenant the deploying ` +
                `identity is signed in to (${other}): sign in to tenant ${TENANT} or correct the key`,
        ]);
        expect(plan.resources).toEqual([]);
    });

    it("refuses an update by another identity than deployerObjectId, which would drop the deployer from the owners", async () => {
        const plan = await run({ deployerObjectId: DEPLOYER }, PREVIEWER, false);
        expect(plan.errors).toEqual([
            `stacks/Pulumi.dev.yaml: app-identity:deployerObjectId is "${DEPLOYER}"; expected the object ID of the ` +
                `identity running this update (${PREVIEWER}), which must own what it manages: deploy as that identity ` +
                "or correct the key",
        ]);
        expect(plan.resources).toEqual([]);
    });

    it("is set in no stack file: the stacks in stacks/ own their apps by whoever deploys them", () => {
        for (const stack of ["inventory-api-dev", "inventory-api-test", "inventory-api-prod", "inventory-api-local"]) {
            const file = readStackFile(readProject(ROOT), stack);
            expect(Object.keys(file.config).filter((key) => key.endsWith(":deployerObjectId"))).toEqual([]);
        }
    });
});

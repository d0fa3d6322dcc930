import { describe, expect, it } from "vitest";
import { roleAssignmentName } from "../infra/azureIds";
import { AT, countByType, evaluate, evaluateStackFile, exampleConfig, ofType, only, SUBSCRIPTION, TENANT, TYPES } from "./harness";

const STACK_TENANT = "00000000-0000-0000-0000-00000000aaaa";
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

describe.each([
    { stack: "dev", subscription: "00000000-0000-0000-0000-00000000bbbb", protect: false,
        grants: [["rg-inventory-dev", "Storage Blob Data Contributor", CONTRIBUTOR]] },
    { stack: "test", subscription: "00000000-0000-0000-0000-00000000bbbb", protect: false,
        grants: [["rg-inventory-test", "Storage Blob Data Contributor", CONTRIBUTOR]] },
    { stack: "prod", subscription: "00000000-0000-0000-0000-00000000cccc", protect: true,
        grants: [["rg-inventory-prod", "Storage Blob Data Contributor", CONTRIBUTOR],
            ["rg-inventory-prod-archive", "Storage Blob Data Reader", READER]] },
])("stack $stack from stacks/Pulumi.$stack.yaml", ({ stack, subscription, protect, grants }) => {
    const name = `inventory-api-${stack}`;

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
        const owners = stack === "prod"
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
                name: `${name}-${group}-${role!.toLowerCase().replace(/ /g, "-")}`,
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
                [`${TYPES.roleAssignment}::${name}-${group}-${role!.toLowerCase().replace(/ /g, "-")}`, protect])),
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
        const plan = await evaluate("live", exampleConfig({ environment: "prod" }));
        expect(only(plan, TYPES.application).inputs["displayName"]).toBe("inventory-api-prod");
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

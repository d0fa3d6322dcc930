import { describe, expect, it } from "vitest";
import type { RegisteredResource, StackEvaluation } from "../tools/offline/engine";
import { countByType, evaluate, evaluateStackFile, exampleConfig, ofType, TYPES } from "./harness";

const localConfig = (developers: string[]) => exampleConfig({ environment: "local", developers, secretLifetimeMonths: 6 });
const byName = (evaluation: StackEvaluation) =>
    new Map(evaluation.resources.map((resource): [string, RegisteredResource] => [`${resource.type}::${resource.name}`, resource]));

describe("the local-development stack (stacks/Pulumi.inventory-api-local.yaml)", () => {
    it("gives each listed developer an identity of their own, named after them", async () => {
        const plan = await evaluateStackFile("inventory-api-local");
        expect(plan.errors).toEqual([]);
        expect(countByType(plan)).toEqual({
            [TYPES.component]: 2, [TYPES.application]: 2, [TYPES.servicePrincipal]: 2,
            [TYPES.password]: 4, [TYPES.roleAssignment]: 2,
        });
        expect(ofType(plan, TYPES.application).map((app) => app.inputs["displayName"]).sort())
            .toEqual(["inventory-api-local-alice", "inventory-api-local-bob"]);
        const clientIds = Object.values(plan.outputs["developers"]!.value as Record<string, { clientId: string }>)
            .map((developer) => developer.clientId);
        expect(new Set(clientIds).size).toBe(2);
    });

    it("grants no role on any resource group the prod stack uses", async () => {
        const local = await evaluateStackFile("inventory-api-local");
        const prod = await evaluateStackFile("inventory-api-prod");
        const prodScopes = new Set(ofType(prod, TYPES.roleAssignment).map((ra) => String(ra.inputs["scope"]).toLowerCase()));
        const localScopes = ofType(local, TYPES.roleAssignment).map((ra) => String(ra.inputs["scope"]).toLowerCase());
        expect(prodScopes.size).toBe(2);
        expect(localScopes.filter((scope) => prodScopes.has(scope))).toEqual([]);
    });

    it("exports each developer's identity in the clear and their secrets only as one secret", async () => {
        const plan = await evaluateStackFile("inventory-api-local");
        expect(Object.keys(plan.outputs).sort()).toEqual(["developerSecrets", "developers", "subscriptionId", "tenantId"]);
        expect(plan.outputs["developers"]!.secret).toBe(false);
        expect(plan.outputs["developerSecrets"]!.secret).toBe(true);
        const developers = plan.outputs["developers"]!.value as Record<string, Record<string, unknown>>;
        expect(Object.keys(developers)).toEqual(["alice", "bob"]);
        expect(Object.keys(developers["alice"]!).sort()).toEqual([
            "clientId", "clientSecretExpiresAt", "displayName", "roleAssignments", "secretRotatesAt", "secrets",
            "servicePrincipalObjectId",
        ]);
        const secrets = plan.outputs["developerSecrets"]!.value as Record<string, string>;
        expect(Object.keys(secrets)).toEqual(["alice", "bob"]);
        expect(JSON.stringify(developers)).not.toContain(secrets["alice"]);
    });

    it("refuses a production resource group, naming it, before registering anything", async () => {
        const plan = await evaluate("inventory-api-local", exampleConfig({
            environment: "local", developers: ["alice"],
            roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }],
        }));
        expect(plan.errors).toEqual([
            'stacks/Pulumi.inventory-api-local.yaml: app-identity:roleAssignments[0].resourceGroup is "rg-inventory-prod"; expected ' +
                "a non-production resource group: productionResourceGroups (Pulumi.yaml) names it, and this " +
                "stack is not production",
        ]);
        expect(plan.resources).toEqual([]);
    });
});

describe("adding or removing a developer", () => {
    it("touches only that developer's resources: the plans differ in nothing else", async () => {
        const without = byName(await evaluate("inventory-api-local", localConfig(["alice", "bob"])));
        const withCarol = byName(await evaluate("inventory-api-local", localConfig(["alice", "carol", "bob"])));
        const withoutAlice = byName(await evaluate("inventory-api-local", localConfig(["bob"])));

        const added = [...withCarol.keys()].filter((key) => !without.has(key));
        expect(added.sort()).toEqual([
            `${TYPES.component}::inventory-api-local-carol`,
            `${TYPES.application}::inventory-api-local-carol`,
            `${TYPES.password}::inventory-api-local-carol-secret-a`,
            `${TYPES.password}::inventory-api-local-carol-secret-b`,
            `${TYPES.servicePrincipal}::inventory-api-local-carol`,
            `${TYPES.roleAssignment}::inventory-api-local-carol/rg-inventory-dev/storage-blob-data-contributor`,
        ].sort());
        for (const [key, resource] of without) expect(withCarol.get(key)).toEqual(resource);

        const removed = [...without.keys()].filter((key) => !withoutAlice.has(key));
        expect(removed.every((key) => key.includes("inventory-api-local-alice"))).toBe(true);
        expect(removed).toHaveLength(6);
        for (const [key, resource] of withoutAlice) expect(without.get(key)).toEqual(resource);
    });
});

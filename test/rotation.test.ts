import { describe, expect, it } from "vitest";
import { addMonths } from "../infra/months";
import { planStacks } from "../tools/plan/command";
import { evaluate, evaluateStackFile, exampleConfig, ofType, ROOT, TYPES } from "./harness";

const passwordInputs = async (at: Date) => {
    const plan = await evaluate("inventory-api-dev", exampleConfig({ secretRotationAnchor: "2025-03-10" }), { at });
    return Object.fromEntries(ofType(plan, TYPES.password).map((password) => [password.name, password.inputs]));
};

describe("rotation through the program", () => {
    it("registers identical secrets on any two days inside a window", async () => {
        const first = await passwordInputs(new Date("2026-03-10T00:00:00Z"));
        expect(await passwordInputs(new Date("2026-11-21T08:00:00Z"))).toEqual(first);
        expect(await passwordInputs(new Date("2027-03-09T23:59:59Z"))).toEqual(first);
        expect(first).toEqual({
            "inventory-api-dev-secret-a": {
                applicationId: expect.stringMatching(/^\/applications\//),
                displayName: "slot a, rotated 2025-03-10",
                endDate: "2027-03-10T00:00:00Z",
            },
            "inventory-api-dev-secret-b": {
                applicationId: expect.stringMatching(/^\/applications\//),
                displayName: "slot b, rotated 2026-03-10",
                endDate: "2028-03-10T00:00:00Z",
            },
        });
    });

    it("replaces exactly the older secret when a rotation is crossed, creating the new one first", async () => {
        const before = await passwordInputs(new Date("2027-03-09T23:59:59Z"));
        const after = await passwordInputs(new Date("2027-03-10T00:00:00Z"));
        expect(after["inventory-api-dev-secret-b"]).toEqual(before["inventory-api-dev-secret-b"]);
        expect(after["inventory-api-dev-secret-a"]).toEqual({
            applicationId: before["inventory-api-dev-secret-a"]!["applicationId"],
            displayName: "slot a, rotated 2027-03-10",
            endDate: "2029-03-10T00:00:00Z",
        });
        const plan = await evaluate("inventory-api-dev", exampleConfig(), { at: new Date("2027-03-10T00:00:00Z") });
        expect(ofType(plan, TYPES.password).map((password) => password.deleteBeforeReplace)).toEqual([false, false]);
    });

    it("moves clientSecret and its expiry to the new secret at a rotation", async () => {
        const config = exampleConfig({ secretRotationAnchor: "2025-03-10" });
        const before = await evaluate("inventory-api-dev", config, { at: new Date("2027-03-09T00:00:00Z") });
        const after = await evaluate("inventory-api-dev", config, { at: new Date("2027-03-10T00:00:00Z") });
        expect(before.outputs["clientSecretExpiresAt"]!.value).toBe("2028-03-10T00:00:00Z");
        expect(after.outputs["clientSecretExpiresAt"]!.value).toBe("2029-03-10T00:00:00Z");
        expect(after.outputs["clientSecret"]!.value).not.toBe(before.outputs["clientSecret"]!.value);
        expect(after.outputs["secrets"]!.value).toEqual([
            { name: "inventory-api-dev-secret-a", startDate: "2027-03-10", endDate: "2029-03-10T00:00:00Z" },
            { name: "inventory-api-dev-secret-b", startDate: "2026-03-10", endDate: "2028-03-10T00:00:00Z" },
        ]);
        expect(after.outputs["secretRotatesAt"]!.value).toBe("2028-03-10");
    });
});

describe("rotation in the production stack (stacks/Pulumi.inventory-api-prod.yaml, rotating on June 17)", () => {
    // The engine refuses to replace a resource protected in both the old and the new state (pulumi/pulumi
    // pkg/resource/deploy/step_generator.go): what a rotation replaces must be unprotected, what it keeps unchanged.
    it("replaces one unprotected secret and registers every protected resource exactly as before", async () => {
        const before = await evaluateStackFile("inventory-api-prod", new Date("2027-06-16T23:59:59Z"));
        const after = await evaluateStackFile("inventory-api-prod", new Date("2027-06-17T00:00:00Z"));
        const byName = (plan: typeof before) => new Map(plan.resources.map((resource) => [resource.urn, resource]));
        const [old, now] = [byName(before), byName(after)];
        expect([...now.keys()].sort()).toEqual([...old.keys()].sort());
        const changed = [...now].filter(([urn, resource]) => JSON.stringify(resource) !== JSON.stringify(old.get(urn)));
        expect(changed.map(([, resource]) => ({ type: resource.type, name: resource.name, protect: resource.protect })))
            .toEqual([{ type: TYPES.password, name: "inventory-api-prod-secret-b", protect: false }]);
        expect(ofType(after, TYPES.roleAssignment).map((resource) => resource.protect)).toEqual([true, true]);
    });
});

describe("npm run plan -- dev --at DATE over six years", () => {
    it("shows two staggered secrets at every month and about one rotation a year", async () => {
        const months = Array.from({ length: 73 }, (_, i) => addMonths(new Date("2026-12-01T00:00:00Z"), i));
        const endDatesByMonth: string[][] = [];
        for (const at of months) {
            const plan = await planStacks({ root: ROOT, stacks: ["inventory-api-dev"], at });
            // Judged as of that day, every planned secret is within the policies' maximum lifetime.
            expect(plan.stacks[0]!.violations).toEqual([]);
            const passwords = plan.stacks[0]!.resources.filter((resource) => resource.type === TYPES.password);
            const endDates = passwords.map((password) => String(password.inputs["endDate"])).sort();
            expect(endDates).toHaveLength(2);
            // Staggered: the two end dates lie one rotation (12 months) apart, both in the future.
            expect(addMonths(new Date(endDates[0]!), 12).toISOString()).toBe(new Date(endDates[1]!).toISOString());
            expect(new Date(endDates[0]!).getTime()).toBeGreaterThan(at.getTime());
            endDatesByMonth.push(endDates);
        }
        const changes = endDatesByMonth.slice(1).filter((dates, i) => dates.join() !== endDatesByMonth[i]!.join());
        expect(changes).toHaveLength(6);
    });
});

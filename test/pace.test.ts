import * as authorization from "@pulumi/azure-native/authorization";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REGISTRATION_BATCH, RegistrationPace } from "../infra/pace";
import { evaluateStack } from "../tools/offline/engine";
import { evaluate, exampleConfig, TYPES } from "./harness";

describe("the program's pace of registrations", () => {
    afterEach(() => vi.restoreAllMocks());

    it("lets the event loop turn after each full batch, and registers in order", async () => {
        const turns: number[] = [];
        const setImmediateSpy = vi.spyOn(globalThis, "setImmediate");
        const registered: string[] = [];
        const pace = new RegistrationPace(3);
        const result = await pace.registerEach([1, 2, 3, 4, 5, 6, 7], (item) => {
            registered.push(`${item} after ${setImmediateSpy.mock.calls.length} turns`);
            turns.push(setImmediateSpy.mock.calls.length);
            return item * 10;
        });
        expect(result).toEqual([10, 20, 30, 40, 50, 60, 70]);
        expect(turns).toEqual([0, 0, 0, 1, 1, 1, 2]);
        expect(setImmediateSpy).toHaveBeenCalledTimes(2);
    });

    it("carries a part batch over to the next registrations", async () => {
        const setImmediateSpy = vi.spyOn(globalThis, "setImmediate");
        const pace = new RegistrationPace(5);
        await pace.registered(4);
        expect(setImmediateSpy).not.toHaveBeenCalled();
        await pace.registerEach(["a", "b"], (item) => item);
        expect(setImmediateSpy).toHaveBeenCalledTimes(1);
    });

    it("is fifty to a batch unless told", () => {
        expect([REGISTRATION_BATCH, new RegistrationPace().batch]).toEqual([50, 50]);
    });

    it.each([0, 1.5, Number.NaN])("refuses a batch of %d", (batch) => {
        expect(() => new RegistrationPace(batch)).toThrow(`expected a batch of at least 1, not ${batch}`);
    });
});

describe("a stack of many batches, through the offline engine", () => {
    afterEach(() => vi.restoreAllMocks());

    it("sends each batch's registrations to the engine before it makes the next batch", async () => {
        let made = 0;
        const madeWhenSent: number[] = [];
        const register = Reflect.get<MockMonitor, "registerResource">(MockMonitor.prototype, "registerResource");
        vi.spyOn(MockMonitor.prototype, "registerResource").mockImplementation(function (this: MockMonitor, ...args) {
            madeWhenSent.push(made);
            return Reflect.apply(register, this, args);
        });
        const evaluation = await evaluateStack({ project: "pace", stack: "pace", config: {}, program: async () => {
            await new RegistrationPace().registerEach(Array.from({ length: 120 }, (_, i) => i), (i) => {
                made++;
                return new authorization.RoleAssignment(`role-${i}`, {
                    scope: `/subscriptions/00000000-0000-0000-0000-00000000bbbb/resourceGroups/rg-${i}`,
                    roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
                    principalId: "11111111-1111-4111-8111-111111111111",
                });
            });
            return {};
        } });
        expect(evaluation.resources).toHaveLength(120);
        expect(madeWhenSent).toEqual([...Array<number>(50).fill(50), ...Array<number>(50).fill(100), ...Array<number>(20).fill(120)]);
    });

    const groups = Array.from({ length: 230 }, (_, i) => `rg-inventory-${String(i + 1).padStart(3, "0")}`);

    it("registers every role assignment once, in the order the stack file lists them, counting each on the pace", async () => {
        const counted = vi.spyOn(RegistrationPace.prototype, "registered");
        const plan = await evaluate("inventory-api-dev", exampleConfig({
            roleAssignments: groups.map((resourceGroup) => ({ resourceGroup, role: "Storage Blob Data Reader" })),
        }));
        expect(plan.errors).toEqual([]);
        const assignments = plan.resources.filter((resource) => resource.type === TYPES.roleAssignment);
        expect(assignments.map((resource) => resource.inputs["scope"])).toEqual(
            groups.map((group) => `/subscriptions/1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d/resourceGroups/${group}`));
        expect(plan.resources).toHaveLength(230 + 5);
        expect(plan.outputs["roleAssignments"]?.value).toHaveLength(230);
        // The component, app, service principal and both secrets, then each assignment.
        expect(counted.mock.calls).toEqual([[5], ...Array.from({ length: 230 }, () => [])]);
    });

    it("registers each of 40 developers' identities in full (the pace runs across identities)", async () => {
        const developers = Array.from({ length: 40 }, (_, i) => `dev${String(i + 1).padStart(2, "0")}`);
        const plan = await evaluate("inventory-api-local", exampleConfig({
            environment: "local", production: false, developers,
            roleAssignments: [{ resourceGroup: "rg-inventory-dev", role: "Storage Blob Data Contributor" }],
        }));
        expect(plan.errors).toEqual([]);
        const count = (type: string) => plan.resources.filter((resource) => resource.type === type).length;
        expect([TYPES.component, TYPES.application, TYPES.servicePrincipal, TYPES.password, TYPES.roleAssignment].map(count))
            .toEqual([40, 40, 40, 80, 40]);
        expect(Object.keys(plan.outputs["developers"]?.value as object)).toEqual(developers);
    });
});

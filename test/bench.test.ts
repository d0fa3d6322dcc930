import { describe, expect, it } from "vitest";
import { identityGraph, median } from "../tools/bench/bench";
import { evaluateStackFile } from "./harness";

describe("bench helpers", () => {
    it.each([[[3], 3], [[5, 1, 3], 3], [[4, 1, 3, 2], 2.5]])("median of %j is %d", (values, expected) => {
        expect(median(values)).toBe(expected);
    });

    it("finds one identity's critical path: app -> service principal -> role assignment", async () => {
        const plan = await evaluateStackFile("prod");
        expect(identityGraph(plan.resources, "inventory-api-prod")).toEqual({ criticalPath: 3, resources: 6 });
    });
});

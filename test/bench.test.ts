import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAX_ROLE_ASSIGNMENTS, parseStackConfig } from "../infra/config";
import { developersConfig, identityGraph, limitConfig, median, syntheticProject } from "../tools/bench/bench";
import { readProject, readStackFile } from "../tools/stackFiles";
import { evaluateStackFile } from "./harness";

describe("bench helpers", () => {
    it.each([[[3], 3], [[5, 1, 3], 3], [[4, 1, 3, 2], 2.5]])("median of %j is %d", (values, expected) => {
        expect(median(values)).toBe(expected);
    });

    it("finds one identity's critical path: app -> service principal -> role assignment", async () => {
        const plan = await evaluateStackFile("prod");
        expect(identityGraph(plan.resources, "inventory-api-prod")).toEqual({ criticalPath: 3, resources: 6 });
    });

    it.each([
        ["at Azure's limit: one identity, 4,000 role assignments", limitConfig(), 0, MAX_ROLE_ASSIGNMENTS],
        ["of 500 developers, 2 role assignments each", developersConfig(500), 500, 2],
    ])("writes a synthetic stack %s that the plan accepts", (_what, config, developers, entries) => {
        const dir = syntheticProject(config);
        try {
            const file = readStackFile(readProject(dir), "synthetic");
            const parsed = parseStackConfig("app-identity", "synthetic", file.config, { keysAsWritten: file.keysAsWritten });
            expect([parsed.developers.length, parsed.roleAssignments.length]).toEqual([developers, entries]);
            expect(parsed.roleAssignments.length * Math.max(1, developers)).toBeLessThanOrEqual(MAX_ROLE_ASSIGNMENTS);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

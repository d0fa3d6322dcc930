import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_ROLE_ASSIGNMENTS, parseStackConfig } from "../infra/config";
import { developersConfig, identityGraph, limitConfig, median, parseBenchArgs, planNodeFlags, syntheticProject } from "../tools/bench/command";
import { createForRbacArgs, oneIdentityStack, upArgs } from "../tools/bench/azureCli";
import { previewCases } from "../tools/bench/engine";
import { PROJECT_ROOT, readProject, readStackFile } from "../tools/stacks/stackFiles";
import { evaluateStackFile } from "./harness";

describe("bench helpers", () => {
    it.each([[[3], 3], [[5, 1, 3], 3], [[4, 1, 3, 2], 2.5]])("median of %j is %d", (values, expected) => {
        expect(median(values)).toBe(expected);
    });

    it("finds one identity's critical path: app -> service principal -> role assignment", async () => {
        const plan = await evaluateStackFile("inventory-api-prod");
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

describe("the plan as users start it", () => {
    it("gives node the flags of package.json's plan script: a young generation of 64 MiB, so that the SDK's short-lived promises die young", () => {
        expect(planNodeFlags()).toEqual(["--max-semi-space-size=64"]);
    });
});

describe("the SDK's floor at Azure's limit", () => {
    it("registers exactly the RoleAssignments asked for, and nothing of the project, at the program's pace or at once", () => {
        const run = (...args: string[]) => spawnSync(process.execPath, ["-r", "./common/cachedTypeScript.cjs", "tools/bench/sdkFloor.ts", ...args],
            { cwd: PROJECT_ROOT, encoding: "utf8" }).status;
        expect([run("3"), run("120"), run("3", "--at-once"), run("NaN")]).toEqual([0, 0, 0, 1]);
    });
});

describe("bench flags", () => {
    it.each([
        [[], { offline: true, engine: true, azureCli: true }],
        [["--skip-engine"], { offline: true, engine: false, azureCli: false }],
        [["--engine-only", "--runs", "3"], { offline: false, engine: true, azureCli: true, runs: 3 }],
        [["--azure-cli-only", "--runs", "3"], { offline: false, engine: false, azureCli: true, runs: 3 }],
    ])("%j measures %j", (argv, expected) => {
        expect(parseBenchArgs(argv)).toMatchObject(expected);
    });

    it.each([
        [["--skip-engine", "--engine-only"], "--skip-engine and --engine-only leave nothing to measure together; give one"],
        [["--runs", "0"], "--runs, --test-runs and --sizes take whole numbers above 0"],
        [["--azure-cli-only", "--skip-engine"], "--azure-cli-only measures one figure of the engine's part; give it without --skip-engine or --engine-only"],
        [["--azure-cli-only", "--engine-only"], "--azure-cli-only measures one figure of the engine's part; give it without --skip-engine or --engine-only"],
    ])("refuses %j", (argv, message) => {
        expect(() => parseBenchArgs(argv)).toThrow(message);
    });
});

describe("the real engine's previews", () => {
    it("measures the engine floor, each stack, and dev under the pack's binary analyzer, its folder through the runner and its source, in that order", () => {
        expect(previewCases("/ws").map(({ where, args, env }) => [where, args.join(" "), env])).toEqual([
            ["floor", "preview --stack floor", {}],
            ["workspace", "preview --stack inventory-api-dev", {}],
            ["workspace", "preview --stack inventory-api-test", {}],
            ["workspace", "preview --stack inventory-api-prod", {}],
            ["workspace", "preview --stack inventory-api-local", {}],
            ["workspace", "preview --stack inventory-api-dev --policy-pack /ws/.tools/policy-pack/analyzer --policy-pack-config policy/config.json", {}],
            ["workspace", "preview --stack inventory-api-dev --policy-pack .tools/policy-pack --policy-pack-config policy/config.json", {}],
            ["workspace", "preview --stack inventory-api-dev --policy-pack policy --policy-pack-config policy/config.json", {}],
        ]);
    });
});

describe("one identity by hand against pulumi up", () => {
    it("makes dev's identity with az ad sp create-for-rbac under a name of each round's, and pulumi up creates a new stack each round", () => {
        expect(createForRbacArgs("sub-1", 2)).toEqual(["ad", "sp", "create-for-rbac", "--name", "bench-az-2", "--role", "Storage Blob Data Contributor",
            "--scopes", "/subscriptions/sub-1/resourceGroups/rg-inventory-dev", "--query", "appId", "--output", "tsv"]);
        expect(upArgs(oneIdentityStack(2))).toEqual(["up", "--stack", "one-2-dev", "--yes", "--skip-preview"]);
        // The same role and group as dev's stack file, which the pulumi side deploys.
        expect(readFileSync(join(PROJECT_ROOT, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8"))
            .toContain("    - resourceGroup: rg-inventory-dev\n      role: Storage Blob Data Contributor\n");
    });
});

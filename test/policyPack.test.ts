/**
 * The guardrail pack as users run it (tools/policyPack/build.ts): policy/ compiled to JavaScript in
 * .tools/policy-pack, rebuilt when a source changes, refused on a type error, and started both ways the CLI can:
 * its executable `analyzer` as a binary analyzer (what --policy-pack names), and the folder under @pulumi/pulumi's
 * own policy runner (cmd/run-policy-pack) as the language host starts it. The engine files run it under the real CLI.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPolicyPack, ensurePolicyPack, POLICY_ANALYZER, POLICY_PACK_DIR, policyPackIsCurrent } from "../tools/policyPack/build";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";
import { firstLineOf } from "./support/policyPackPort";

const REPORT_TYPESCRIPT = join(PROJECT_ROOT, "test", "fixtures", "reportTypeScriptCompile.cjs");

/** Starts an analyzer, and gives the port it prints and what it wrote on stderr until then. */
async function portAndStderr(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ port: string; stderr: string }> {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
    try {
        return { port: await firstLineOf(child), stderr };
    } finally {
        child.kill();
    }
}

/** A copy of what the pack is built from, so that changing a source touches no checkout. */
let copy: string;
beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), "policy-pack-"));
    for (const entry of ["tsconfig.json", "policy", "infra", "common"]) cpSync(join(PROJECT_ROOT, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(copy, "node_modules"));
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function filesUnder(dir: string, prefix = ""): string[] {
    return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? filesUnder(dir, join(prefix, entry.name)) : [join(prefix, entry.name)]).sort();
}

describe("npm run policy-pack (tools/policyPack/build.ts)", () => {
    it("compiles policy/ and the modules it imports to JavaScript, with no TypeScript and no tsconfig.json left", async () => {
        const dir = await buildPolicyPack(copy);
        expect(dir).toBe(join(copy, POLICY_PACK_DIR));
        expect(filesUnder(dir)).toEqual([
            "PulumiPolicy.yaml", "analyzer",
            "common/builtInRoles.js", "common/builtInRoles.js.map", "common/lazyPulumiModules.cjs", "common/lazyTypeScript.cjs", "common/moduleCodeCache.cjs", "common/networkRanges.js", "common/networkRanges.js.map", "common/onProcessEnd.cjs", "common/resourceGroupPatterns.js",
            "common/resourceGroupPatterns.js.map", "common/stackNames.js", "common/stackNames.js.map",
            "infra/clock.js", "infra/clock.js.map", "infra/months.js", "infra/months.js.map",
            "package.json",
            "policy/certificatePolicies.js", "policy/certificatePolicies.js.map", "policy/conditionalAccessPolicies.js",
            "policy/conditionalAccessPolicies.js.map", "policy/federatedPolicies.js", "policy/federatedPolicies.js.map", "policy/index.js", "policy/index.js.map",
            "policy/policies.js", "policy/policies.js.map",
            "sources.json",
        ]);
        expect(readFileSync(join(dir, "PulumiPolicy.yaml"), "utf8")).toBe(
            "# Built by tools/policyPack from policy/PulumiPolicy.yaml: the pack compiled to JavaScript.\n" +
            "description: Guardrails for Entra ID app identities and their Storage Blob roles\n" +
            "runtime:\n  name: nodejs\n  options:\n    typescript: false\n");
        expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({
            ...JSON.parse(readFileSync(join(copy, "policy", "package.json"), "utf8")), main: "policy/index.js",
        });
        expect(readFileSync(join(copy, POLICY_ANALYZER), "utf8")).toBe("#!/bin/sh\n" +
            "# Built by tools/policyPack: the guardrail pack as a binary analyzer (tools/policyPack/build.ts POLICY_ANALYZER).\n" +
            'cd "$(dirname "$0")" && exec node --require ./common/moduleCodeCache.cjs --require ./common/lazyTypeScript.cjs --require ./common/lazyPulumiModules.cjs policy/index.js\n');
        expect(statSync(join(copy, POLICY_ANALYZER)).mode & 0o777).toBe(0o755);
        expect(Object.keys(JSON.parse(readFileSync(join(dir, "sources.json"), "utf8")).files)).toEqual([
            "common/builtInRoles.ts", "common/lazyPulumiModules.cjs", "common/lazyTypeScript.cjs", "common/moduleCodeCache.cjs", "common/networkRanges.ts", "common/onProcessEnd.cjs", "common/resourceGroupPatterns.ts", "common/stackNames.ts", "infra/clock.ts", "infra/months.ts", "policy/PulumiPolicy.yaml",
            "policy/certificatePolicies.ts", "policy/conditionalAccessPolicies.ts", "policy/federatedPolicies.ts", "policy/index.ts", "policy/package.json", "policy/policies.ts",
            "policy/tsconfig.json", "policy/tsconfig.pack.json", "tsconfig.json",
        ]);
        expect(policyPackIsCurrent(copy)).toBe(true);
    });

    it("is stale once a source it was built from changes, and ensurePolicyPack rebuilds it then only", async () => {
        await ensurePolicyPack(copy);
        expect(await ensurePolicyPack(copy)).toEqual({ dir: join(copy, POLICY_PACK_DIR), built: false });
        const months = join(copy, "infra", "months.ts");
        writeFileSync(months, `${readFileSync(months, "utf8")}\nexport const ADDED_FOR_THE_TEST = 1;\n`);
        expect(policyPackIsCurrent(copy)).toBe(false);
        expect(await ensurePolicyPack(copy)).toEqual({ dir: join(copy, POLICY_PACK_DIR), built: true });
        expect(readFileSync(join(copy, POLICY_PACK_DIR, "infra", "months.js"), "utf8")).toContain("ADDED_FOR_THE_TEST = 1");
        expect(policyPackIsCurrent(copy)).toBe(true);
    });

    it("refuses a pack with a type error, with the compiler's message, and keeps the last good build", async () => {
        await ensurePolicyPack(copy);
        const index = join(copy, "policy", "index.ts");
        const source = readFileSync(index, "utf8");
        writeFileSync(index, `${source}\nconst wrong: number = "text";\nvoid wrong;\n`);
        try {
            await expect(buildPolicyPack(copy)).rejects.toThrow(
                /^the policy pack does not compile:\npolicy\/index\.ts\(\d+,7\): error TS2322: Type 'string' is not assignable to type 'number'\.$/);
            expect(existsSync(join(copy, POLICY_PACK_DIR, "policy", "index.js"))).toBe(true);
            expect(readdirSync(join(copy, ".tools"))).toEqual(["policy-pack"]);
        } finally {
            writeFileSync(index, source);
        }
    });

    it("is stale without its analyzer (a build from before it), and ensurePolicyPack rebuilds it with one", async () => {
        await ensurePolicyPack(copy);
        rmSync(join(copy, POLICY_ANALYZER));
        expect(policyPackIsCurrent(copy)).toBe(false);
        expect(await ensurePolicyPack(copy)).toEqual({ dir: join(copy, POLICY_PACK_DIR), built: true });
        expect(existsSync(join(copy, POLICY_ANALYZER))).toBe(true);
    });

    it("starts as the CLI launches a binary analyzer, from another directory with the engine's address, and prints its port, without loading TypeScript's compiler", async () => {
        await ensurePolicyPack(copy);
        // analyzer_plugin.go NewPolicyAnalyzer: newPlugin(ctx, ctx.Pwd, policyPackPath, ..., []string{host.ServerAddr()}).
        const started = await portAndStderr(join(copy, POLICY_ANALYZER), ["127.0.0.1:1"], tmpdir(),
            { ...process.env, NODE_OPTIONS: `--require ${REPORT_TYPESCRIPT}` });
        expect(started).toEqual({ port: expect.stringMatching(/^\d{2,5}$/) as string, stderr: "" });
    });

    it("the same pack without the preload loads TypeScript's compiler as it starts (@pulumi/pulumi runtime/closure/parseFunction.js): what the preload spares", async () => {
        const { dir } = await ensurePolicyPack(copy);
        const started = await portAndStderr(process.execPath, ["--require", REPORT_TYPESCRIPT, "policy/index.js", "127.0.0.1:1"], dir, process.env);
        expect(started).toEqual({ port: expect.stringMatching(/^\d{2,5}$/) as string, stderr: "loaded TypeScript's compiler\n" });
    });

    it("starts under @pulumi/pulumi's policy runner, as the language host runs it, and prints its analyzer's port", async () => {
        const { dir } = await ensurePolicyPack(copy);
        // main.go RunPlugin: node <run-policy-pack> <engine address> <pack directory>, in the pack's directory.
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
        const child = spawn(process.execPath, [runner, "127.0.0.1:1", dir], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        try {
            const firstLine = await firstLineOf(child);
            expect(firstLine).toMatch(/^\d{2,5}$/);
        } finally {
            child.kill();
        }
    });
});

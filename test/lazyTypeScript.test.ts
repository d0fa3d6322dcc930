/**
 * common/lazyTypeScript.cjs: with it preloaded, @pulumi/pulumi loads without TypeScript's compiler, and whatever
 * uses the compiler (the SDK's function serializer, runtime/closure/parseFunction.js) still gets the real one.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";

const PRELOAD = join(PROJECT_ROOT, "common", "lazyTypeScript.cjs");
const REPORT_TYPESCRIPT = join(PROJECT_ROOT, "test", "fixtures", "reportTypeScriptCompile.cjs");

/** Loads @pulumi/pulumi, then serializes a function; prints what the require cache held at each step. */
const SCRIPT = `
const pulumi = require("@pulumi/pulumi");
const path = require.resolve("typescript", { paths: [require("node:path").dirname(require.resolve("@pulumi/pulumi/package.json"))] });
const stubbed = () => require.cache[path]?.lazyTypeScript === true;
process.stderr.write("loaded @pulumi/pulumi\\n");
const before = stubbed();
pulumi.runtime.serializeFunction(() => 6 * 7).then((serialized) => {
    console.log(JSON.stringify({ before, after: stubbed(), version: require("typescript").version, body: serialized.text.includes("6 * 7") }));
});`;

function run(preloads: readonly string[]): { stdout: unknown; stderr: string } {
    const result = spawnSync(process.execPath, [...preloads.flatMap((file) => ["--require", file]), "-e", SCRIPT],
        { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    // Only the two reports: serializing a function walks globals, which prints Node's deprecation warnings too.
    return { stdout: JSON.parse(result.stdout) as unknown, stderr: result.stderr.split("\n").filter((line) => line.startsWith("loaded ")).join("\n") };
}

describe("TypeScript's compiler, deferred to its first use (common/lazyTypeScript.cjs)", () => {
    const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", "typescript", "package.json"), "utf8")) as { version: string }).version;

    it("is not compiled while @pulumi/pulumi loads, and is the real one when a function is serialized", () => {
        const { stdout, stderr } = run([PRELOAD, REPORT_TYPESCRIPT]);
        expect(stdout).toEqual({ before: true, after: false, version, body: true });
        expect(stderr).toBe("loaded @pulumi/pulumi\nloaded TypeScript's compiler");
    });

    it("without the preload, is compiled as @pulumi/pulumi loads", () => {
        const { stdout, stderr } = run([REPORT_TYPESCRIPT]);
        expect(stdout).toEqual({ before: false, after: false, version, body: true });
        expect(stderr).toBe("loaded TypeScript's compiler\nloaded @pulumi/pulumi");
    });
});

/**
 * The language host compiles the program from infra/, its working directory (main: infra/; pulumi/pulumi
 * pkg/engine/project.go getPwdMain), with the tsconfig.json it finds there (@pulumi/pulumi cmd/run/run.js:
 * PULUMI_NODEJS_TSCONFIG_PATH or "tsconfig.json", read by tsutils.loadTypeScriptCompilerOptions, whose `noCheck`
 * becomes ts-node's transpileOnly). These tests reproduce that, and hold its options to the ones `tsc` checks with.
 * ts-node reads the `ts-node` section of that file too (run.js passes `project`), whose `swc` has @swc/core
 * transpile each file instead of TypeScript's transpileModule (ts-node 10.9.2 transpilers/swc; run.js: "This also
 * enables using swc ... with ts-node"): about 0.7 s less CPU in every preview of dev.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

const run = promisify(execFile);
const INFRA = join(ROOT, "infra");

function compilerOptionsOf(path: string): ts.CompilerOptions {
    const file = ts.readConfigFile(path, (name) => ts.sys.readFile(name));
    if (file.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(file.error.messageText, "\n"));
    const parsed = ts.parseJsonConfigFileContent(file.config, ts.sys, join(path, ".."));
    return parsed.options;
}

describe("the program as the language host compiles it", () => {
    it("uses the options tsc checks with, every one of them, and only skips the check", () => {
        const { noCheck, ...host } = compilerOptionsOf(join(INFRA, "tsconfig.json"));
        const project = compilerOptionsOf(join(ROOT, "tsconfig.json"));
        expect(noCheck).toBe(true);
        expect(host).toEqual(project);
        expect(project).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, module: ts.ModuleKind.NodeNext });
    });

    it("loads under ts-node registered as run.js registers it, in infra/, and exports the program", async () => {
        const script = [
            'const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils");',
            'const options = loadTypeScriptCompilerOptions("tsconfig.json");',
            'require("ts-node").register({ project: "tsconfig.json", skipProject: false, transpileOnly: options.noCheck, compilerOptions: {} });',
            'const loaded = typeof require("./");',
            'const swc = Object.keys(require.cache).some((path) => path.includes("/node_modules/@swc/core/"));',
            'process.stdout.write(`${options.noCheck} ${loaded} swc:${swc}`);',
        ].join("\n");
        const { stdout, stderr } = await run(process.execPath, ["-e", script], { cwd: INFRA });
        expect({ stdout, stderr }).toEqual({ stdout: "true function swc:true", stderr: "" });
    });

    it("type-checks under the project's own tsconfig.json, which has neither noCheck nor swc (how to check at preview time)", async () => {
        const script = [
            'require("ts-node").register({ project: "../tsconfig.json", skipProject: false, compilerOptions: {} });',
            'require("../test/fixtures/typeError.ts");',
        ].join("\n");
        await expect(run(process.execPath, ["-e", script], { cwd: INFRA })).rejects.toMatchObject({ stderr: expect.stringContaining("TS2322") });
    });

    it("tsc over the project does fail on a type error, so skipping the check at run time loses nothing in CI", async () => {
        // The project's lib, types and skipLibCheck (tsconfig.json): tsc's defaults would check the DOM's and
        // @types/node's declarations too, twice the time for nothing this test asks.
        await expect(run(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "--strict", "--ignoreConfig",
            "--lib", "es2022", "--types", "node", "--skipLibCheck",
            join(ROOT, "test/fixtures/typeError.ts")], { cwd: ROOT })).rejects.toMatchObject({ stdout: expect.stringContaining("TS2322") });
    });
});

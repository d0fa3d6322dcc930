/**
 * The program as the language host runs it, from infra/, its working directory (main: infra/; pulumi/pulumi
 * pkg/engine/project.go getPwdMain): Pulumi.yaml sets `typescript: false`, so @pulumi/pulumi's runner registers no
 * ts-node (cmd/run/run.js, PULUMI_NODEJS_TYPESCRIPT), and its nodeargs preload common/lazyTypeScript.cjs and
 * common/cachedTypeScript.cjs, sucrase's require hook with its output cached, which strips the types.
 * infra/tsconfig.json is what editors and ts-node read (the type-checking preview below); these tests hold its
 * options to the ones `tsc` checks with.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./harness";

const run = promisify(execFile);
const INFRA = join(ROOT, "infra");

function compilerOptionsOf(path: string): ts.CompilerOptions {
    const file = ts.readConfigFile(path, (name) => ts.sys.readFile(name));
    if (file.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(file.error.messageText, "\n"));
    const parsed = ts.parseJsonConfigFileContent(file.config, ts.sys, join(path, ".."));
    return parsed.options;
}

describe("the program as the language host runs it", () => {
    it("uses the options tsc checks with, every one of them, and only skips the check", () => {
        const { noCheck, ...host } = compilerOptionsOf(join(INFRA, "tsconfig.json"));
        const project = compilerOptionsOf(join(ROOT, "tsconfig.json"));
        expect(noCheck).toBe(true);
        expect(host).toEqual(project);
        expect(project).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, module: ts.ModuleKind.NodeNext });
    });

    it("loads as the language host starts it: node with Pulumi.yaml's nodeargs, in infra/, without ts-node, TypeScript's compiler or, once cached, sucrase", async () => {
        // main.go execRuntime: node <nodeargs> <run path> ...; run.js registers ts-node only when the `typescript`
        // option is true (PULUMI_NODEJS_TYPESCRIPT), and Pulumi.yaml sets it false.
        const { options } = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { typescript: boolean; nodeargs: string } } }).runtime;
        expect(options.typescript).toBe(false);
        const script = [
            'const loaded = typeof require("./");',
            'const cached = (name) => Object.keys(require.cache).some((path) => path.includes(`/node_modules/${name}/`));',
            'process.stdout.write(`${loaded} ts-node:${cached("ts-node")} sucrase:${cached("sucrase")}`);',
        ].join("\n");
        // The fixture prints a line on stderr if TypeScript's compiler module is ever compiled.
        const report = join(ROOT, "test", "fixtures", "reportTypeScriptCompile.cjs");
        const load = () => run(process.execPath, ["--require", report, ...options.nodeargs.split(" "), "-e", script], { cwd: INFRA });
        // The first load fills the cache if the program changed since the last; the second finds every file there.
        expect((await load()).stderr).toBe("");
        expect(await load()).toEqual({ stdout: "function ts-node:false sucrase:false", stderr: "" });
    });

    it("type-checks under ts-node with the project's own tsconfig.json, which has neither noCheck nor swc", async () => {
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

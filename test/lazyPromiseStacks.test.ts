/**
 * common/lazyPromiseStacks.cjs, preloaded into the program by Pulumi.yaml's nodeargs: the stack that @pulumi/pulumi's
 * debuggablePromise keeps on each promise (runtime/debuggable.js, `_debugStackTrace: new Error().stack`) is mapped
 * through source-map-support when the leak report reads it, not as each promise is made. The report's text is the
 * same, with and without the preload.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./harness";

const run = promisify(execFile);
const INFRA = join(ROOT, "infra");
const PRELOAD = join(ROOT, "common", "lazyPromiseStacks.cjs");
const SDK = join(ROOT, "node_modules", "@pulumi", "pulumi");
const NODEARGS = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { nodeargs: string } } })
    .runtime.options.nodeargs.split(" ");

/** Runs `script` in node in infra/ (as the host starts the program there) and parses the JSON it prints. */
async function inNode<T>(script: string, preload: readonly string[] = []): Promise<T> {
    const { stdout } = await run(process.execPath, [...preload, "-e", script], { cwd: INFRA });
    return JSON.parse(stdout) as T;
}

/**
 * source-map-support registered as the runner registers it (cmd/run/index.js), its prepareStackTrace counted; then
 * `track()` gives a promise to the SDK's debuggablePromise, called as the SDK's modules call it (through the module).
 */
const SETUP = `
require(require.resolve("source-map-support/register", { paths: [require.resolve("@pulumi/pulumi")] }));
const mapFrames = Error.prepareStackTrace;
let formatted = 0;
Error.prepareStackTrace = (error, callSites) => { formatted += 1; return mapFrames(error, callSites); };
const debuggable = require("@pulumi/pulumi/runtime/debuggable");
function track() { const promise = Promise.resolve(1); debuggable.debuggablePromise(promise, "a test's promise"); return promise; }
`;

describe("the stacks the SDK keeps on its promises (common/lazyPromiseStacks.cjs)", () => {
    it("gives the leak report the text the SDK gives without it: the frames mapped to the SDK's TypeScript, the caller next", async () => {
        const script = `${SETUP}
            const promise = track();
            console.log(JSON.stringify(debuggable.promiseDebugString(promise)));`;
        const [without, lazily] = await Promise.all([inNode<string>(script), inNode<string>(script, ["--require", PRELOAD])]);
        expect(lazily).toBe(without);
        const lines = without.split("\n").map((line) => line.trim().replace(/:\d+:\d+\)$/, ")"));
        expect(lines.slice(0, 5)).toEqual([
            "CONTEXT(0): a test's promise",
            "STACK_TRACE:",
            // source-map-support's first line for an error without a message.
            "Error:",
            // The SDK's source maps name its sources one directory up (runtime/debuggable.js.map: "../../runtime/debuggable.ts").
            `at Object.debuggablePromise (${ROOT}/node_modules/@pulumi/runtime/debuggable.ts)`,
            "at track ([eval])",
        ]);
    });

    it("maps no stack until the report reads one, and each once: 200 promises, one read twice", async () => {
        const script = `${SETUP}
            const promises = Array.from({ length: 200 }, track);
            const made = formatted;
            const first = debuggable.promiseDebugString(promises[7]);
            const again = debuggable.promiseDebugString(promises[7]);
            console.log(JSON.stringify({ made, read: formatted, same: first === again }));`;
        const [without, lazily] = await Promise.all([inNode(script), inNode(script, ["--require", PRELOAD])]);
        expect(without).toEqual({ made: 200, read: 200, same: true });
        expect(lazily).toEqual({ made: 0, read: 1, same: true });
    });

    it("gives the same text where Node formats the frames itself (no source-map-support)", async () => {
        const script = `
            const debuggable = require("@pulumi/pulumi/runtime/debuggable");
            const promise = Promise.resolve(1);
            debuggable.debuggablePromise(promise, "plain");
            console.log(JSON.stringify(debuggable.promiseDebugString(promise)));`;
        const [without, lazily] = await Promise.all([inNode<string>(script), inNode<string>(script, ["--require", PRELOAD])]);
        expect(lazily).toBe(without);
        expect(without.split("\n")[3]!.trim()).toMatch(/^at Object\.debuggablePromise \(.*\/node_modules\/@pulumi\/pulumi\/runtime\/debuggable\.js:\d+:\d+\)$/);
    });

    it("is installed by Pulumi.yaml's nodeargs over the function every SDK module calls, whose stack only the leak report reads", async () => {
        expect(NODEARGS).toContain("../common/lazyPromiseStacks.cjs");
        const seen = await inNode<{ lazyStacksBy: string }>(
            'console.log(JSON.stringify({ lazyStacksBy: require("@pulumi/pulumi/runtime/debuggable").debuggablePromise.lazyStacksBy }))', NODEARGS);
        expect(seen.lazyStacksBy).toBe(PRELOAD);
        // @pulumi/pulumi v3.276.0 runtime/debuggable.js: the stack taken as each promise is made, read by promiseDebugString.
        const debuggableSource = readFileSync(join(SDK, "runtime", "debuggable.js"), "utf8");
        expect(debuggableSource).toContain('Object.defineProperty(p, "_debugStackTrace", { writable: true, value: new Error().stack });');
        expect(debuggableSource).toContain("`STACK_TRACE:\\n` + `${p._debugStackTrace}`");
        expect(debuggableSource.match(/_debugStackTrace/g)).toHaveLength(2);
        // Its 30 callers read it from the module at each call (`debuggable_1.debuggablePromise`), so the wrapper is theirs.
        const callers = ["runtime/callbacks.js", "runtime/invoke.js", "runtime/resource.js", "runtime/rpc.js", "runtime/settings.js"]
            .map((file) => readFileSync(join(SDK, file), "utf8"));
        const calls = callers.map((source) => source.match(/debuggable_1\.debuggablePromise\(/g)?.length ?? 0);
        expect(calls.reduce((sum, count) => sum + count, 0)).toBe(30);
    });
});

/**
 * common/inspectLoopGuard.cjs, preloaded into the program by Pulumi.yaml's nodeargs: the runner's message for an
 * uncaught error (@pulumi/pulumi cmd/run/error.js defaultErrorMessage) without the loop in which this Node colours
 * a stack frame that has no separator after `node_modules/@scope/<name>` (nodejs/node#64011). The message is the
 * same, with and without the guard.
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
const GUARD = join(ROOT, "common", "inspectLoopGuard.cjs");
const RUNNER = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run");
const NODEARGS = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { nodeargs: string } } })
    .runtime.options.nodeargs.split(" ");

/** Runs `script` in node in infra/ (as the host starts the program there) and parses the JSON it prints. */
async function inNode<T>(script: string, preload: readonly string[] = []): Promise<T> {
    const { stdout } = await run(process.execPath, [...preload, "-e", script], { cwd: INFRA, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as T;
}

/**
 * The SDK's own error for a resource without a name, thrown from resource.js, with source-map-support registered as
 * the runner registers it (cmd/run/index.js requires source-map-support/register).
 */
const SDK_ERROR = `
require(require.resolve("source-map-support/register", { paths: [require.resolve("@pulumi/pulumi")] }));
const pulumi = require("@pulumi/pulumi");
let error;
try { new pulumi.ComponentResource("a:b:C", undefined); } catch (thrown) { error = thrown; }
`;

/** The runner's error module before the guard wraps it (`original`), and after (`guarded`). */
const BOTH_MESSAGES = `
const util = require("node:util");
const runnerErrors = require(${JSON.stringify(join(RUNNER, "error.js"))});
const original = runnerErrors.defaultErrorMessage;
const { withModuleNamesCounted, MODULE_NAMES } = require(${JSON.stringify(GUARD)});
const guarded = runnerErrors.defaultErrorMessage;
const moduleStyle = () => JSON.stringify(Object.getOwnPropertyDescriptor(util.inspect.styles, "module"));
`;

describe("the runner's error messages under the guard (common/inspectLoopGuard.cjs)", () => {
    it("is needed: the SDK's source maps name frames node_modules/@pulumi/resource.ts, and this Node styles past MODULE_NAMES module names for them", async () => {
        const seen = await inNode<{ frames: string[]; moduleNames: number; limit: number; colouring: string }>(`${SDK_ERROR}${BOTH_MESSAGES}
            let colouring = "returned";
            try { withModuleNamesCounted(() => util.inspect(error, { colors: true })); } catch (thrown) { colouring = thrown.message; }
            console.log(JSON.stringify({
                frames: error.stack.split("\\n").filter((line) => /node_modules\\/@pulumi\\/[^/]+$/.test(line)).map((line) => line.trim().replace(/:\\d+:\\d+\\)$/, ")")),
                moduleNames: error.stack.split("node_modules/").length - 1, limit: MODULE_NAMES, colouring,
            }));`);
        expect(seen.frames).toEqual([
            `at new Resource (${ROOT}/node_modules/@pulumi/resource.ts)`,
            `at new ComponentResource (${ROOT}/node_modules/@pulumi/resource.ts)`,
        ]);
        // Node 20.20.2: two module names in the stack, more than 10,000 styled (markNodeModules restarts at -1).
        expect([process.version, seen.moduleNames, seen.limit, seen.colouring]).toEqual(["v20.20.2", 2, 10_000, "Invalid string length"]);
    });

    it("gives the message the runner gives without it, where Node's own loop ends (a 20,000-character module name passes V8's limit within 27,000 turns)", async () => {
        const seen = await inNode<{ original: string; guarded: string; plain: string; styleBefore: string; styleAfter: string }>(`${BOTH_MESSAGES}
            const error = new Error("failed");
            error.stack = "Error: failed\\n    at f (/srv/app/node_modules/@scope/" + "a".repeat(20000) + ".js:1:1)";
            const styleBefore = moduleStyle();
            console.log(JSON.stringify({ original: original(error), guarded: guarded(error), plain: util.inspect(error), styleBefore, styleAfter: moduleStyle() }));`);
        expect(seen.guarded).toBe(seen.original);
        // The runner's fallback when colouring throws (error.js): util.inspect(err) without colours.
        expect(seen.guarded).toBe(seen.plain);
        expect(seen.styleAfter).toBe(seen.styleBefore);
        expect(JSON.parse(seen.styleAfter)).toEqual({ value: "underline", writable: true, enumerable: true, configurable: true });
    });

    it("gives the SDK's own error the message without colours, the runner's fallback", async () => {
        const seen = await inNode<{ guarded: string; plain: string }>(`${SDK_ERROR}${BOTH_MESSAGES}
            console.log(JSON.stringify({ guarded: guarded(error), plain: util.inspect(error) }));`);
        expect(seen.guarded).toBe(seen.plain);
        expect(seen.guarded).toContain("ResourceError: Missing resource name argument (for URN creation)");
    });

    it("leaves a stack Node colours as it is: the same coloured text as without it, the module names underlined", async () => {
        const seen = await inNode<{ original: string; guarded: string; coloured: string }>(`${BOTH_MESSAGES}
            const error = new Error("failed");
            error.stack = "Error: failed\\n    at f (/srv/app/node_modules/@pulumi/pulumi/runtime/stack.js:1:1)\\n    at g (/srv/app/node_modules/left-pad/index.js:2:2)";
            console.log(JSON.stringify({ original: original(error), guarded: guarded(error), coloured: util.inspect(error, { colors: true }) }));`);
        expect(seen.guarded).toBe(seen.original);
        expect(seen.guarded).toBe(seen.coloured);
        expect(seen.guarded).toContain("node_modules/\u001b[4m@pulumi/pulumi\u001b[24m/runtime/stack.js");
        expect(seen.guarded).toContain("node_modules/\u001b[4mleft-pad\u001b[24m/index.js");
    });

    it("is installed by Pulumi.yaml's nodeargs, over the function run.js calls for each uncaught error, which colours and then falls back", async () => {
        expect(NODEARGS).toContain("../common/inspectLoopGuard.cjs");
        const seen = await inNode<{ guardedBy: string }>(
            'console.log(JSON.stringify({ guardedBy: require("@pulumi/pulumi/cmd/run/error").defaultErrorMessage.guardedBy }))', NODEARGS);
        expect(seen.guardedBy).toBe(GUARD);
        // @pulumi/pulumi v3.276.0: the uncaught handler's three calls, and error.js's two tries.
        expect(readFileSync(join(RUNNER, "run.js"), "utf8").match(/error_1\.defaultErrorMessage\(err\)/g)).toHaveLength(3);
        const errorSource = readFileSync(join(RUNNER, "error.js"), "utf8");
        expect(errorSource.indexOf("return util.inspect(err, { colors: true });")).toBeGreaterThan(0);
        expect(errorSource.indexOf("return util.inspect(err);")).toBeGreaterThan(errorSource.indexOf("return util.inspect(err, { colors: true });"));
    });
});

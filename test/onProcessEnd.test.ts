/**
 * common/onProcessEnd.cjs, when the code caches write (codeCache.cjs, moduleCodeCache.cjs): once, at exit or at
 * SIGINT, which is how the CLI stops a plugin (sdk/go/common/resource/plugin/plugin.go, cmdutil.InterruptChildren).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

const ON_PROCESS_END = JSON.stringify(join(ROOT, "common", "onProcessEnd.cjs"));

/** Runs `script` in node, sends it SIGINT after its first line if `interrupt`, and gives its lines and how it ended. */
function runScript(script: string, interrupt: boolean): Promise<{ lines: string[]; ended: [number | null, string | null] }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
            if (interrupt && out === "") child.kill("SIGINT");
            out += chunk.toString();
        });
        child.on("close", (code, signal) => resolve({ lines: out.trim().split("\n"), ended: [code, signal] }));
    });
}

const WORK = `const { onProcessEnd } = require(${ON_PROCESS_END});
onProcessEnd(() => console.log("first work")); onProcessEnd(() => console.log("second work"));`;

describe("work on the process's end", () => {
    it("runs once at exit, in the order given", async () => {
        expect(await runScript(`${WORK} console.log("ready");`, false)).toEqual({ lines: ["ready", "first work", "second work"], ended: [0, null] });
    });

    it("runs at SIGINT, and the process then ends by the signal, as it would have", async () => {
        expect(await runScript(`${WORK} setInterval(() => {}, 1000); console.log("ready");`, true))
            .toEqual({ lines: ["ready", "first work", "second work"], ended: [null, "SIGINT"] });
    });

    it("runs at SIGINT once, and leaves a process that listens for SIGINT itself to its own listener", async () => {
        const script = `${WORK} const timer = setInterval(() => {}, 1000);
            process.on("SIGINT", () => { console.log("its own listener"); clearInterval(timer); }); console.log("ready");`;
        expect(await runScript(script, true)).toEqual({ lines: ["ready", "first work", "second work", "its own listener"], ended: [0, null] });
    });
});

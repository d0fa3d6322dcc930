import type { ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";

/**
 * The first line a started policy pack prints: its analyzer's port, which the CLI reads from stdout
 * (pulumi/pulumi sdk/nodejs/cmd/run-policy-pack). Rejects with the pack's stderr if it exits first or is silent
 * for `seconds`.
 */
export function firstLineOf(child: ChildProcessByStdio<null, Readable, Readable>, seconds = 20): Promise<string> {
    return new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        child.stderr.on("data", (chunk: Buffer) => { err += chunk.toString(); });
        child.on("exit", (code) => reject(new Error(`the pack exited ${String(code)}: ${err}`)));
        setTimeout(() => reject(new Error(`no port within ${seconds} s: ${err}`)), seconds * 1000).unref();
    });
}

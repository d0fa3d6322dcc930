import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

const run = promisify(execFile);

describe("the entry point", () => {
    // The nodejs language host registers ts-node with the project's tsconfig.json and type-checks (the default
    // unless tsconfig sets noCheck), then requires `main` from Pulumi.yaml and calls the exported function.
    it("compiles and loads under ts-node with type checking, as the Pulumi language host runs it", async () => {
        const script = [
            'require("ts-node").register({ project: "tsconfig.json", transpileOnly: false });',
            'const program = require("./infra/");',
            'process.stdout.write(typeof program);',
        ].join("\n");
        const { stdout, stderr } = await run(process.execPath, ["-e", script], { cwd: ROOT });
        expect({ stdout, stderr }).toEqual({ stdout: "function", stderr: "" });
    });

    it("fails that load on a type error, so the check above can fail", async () => {
        const script = [
            'require("ts-node").register({ project: "tsconfig.json", transpileOnly: false });',
            'require("./test/fixtures/typeError.ts");',
        ].join("\n");
        await expect(run(process.execPath, ["-e", script], { cwd: ROOT })).rejects.toThrow(/TS2322/);
    });
});

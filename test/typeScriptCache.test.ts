/**
 * common/cachedTypeScript.cjs, the program's TypeScript hook, against the one it stands in for, sucrase/register/ts:
 * node is handed the same text for every file of the program, compiled on a miss and read from the cache on a hit,
 * under sucrase's own SUCRASE_OPTIONS too; and a hit loads no sucrase.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cacheFileOf, transformOptions } from "../common/typeScriptCache.cjs";
import { ROOT } from "./harness";

const run = promisify(execFile);
const INFRA = join(ROOT, "infra");

/** Requires the program's entry point from infra/, as the runner does, and prints what node compiled for each .ts. */
const RECORD_COMPILES = [
    'const Module = require("node:module");',
    "const compile = Module.prototype._compile;",
    "const seen = {};",
    'Module.prototype._compile = function (content, filename) { if (filename.endsWith(".ts")) seen[filename] = content; return compile.call(this, content, filename); };',
    'require("./");',
    'const sucrase = Object.keys(require.cache).some((path) => path.includes("/node_modules/sucrase/"));',
    "process.stdout.write(JSON.stringify({ seen, sucrase }));",
].join("\n");

async function compiledUnder(hook: string, env: NodeJS.ProcessEnv, infra = INFRA): Promise<{ seen: Record<string, string>; sucrase: boolean }> {
    const { stdout } = await run(process.execPath, ["--require", hook, "-e", RECORD_COMPILES], { cwd: infra, env, maxBuffer: 64 << 20 });
    return JSON.parse(stdout) as { seen: Record<string, string>; sucrase: boolean };
}

/** Every file of infra/ but grants.ts, which holds only types: sucrase drops imports of types, so none requires it. */
const programFiles = readdirSync(INFRA).filter((name) => name.endsWith(".ts") && name !== "grants.ts").map((name) => join(INFRA, name)).sort();

describe("the program's TypeScript hook against sucrase/register/ts", () => {
    for (const [what, sucraseOptions] of [["sucrase's options", undefined], ["SUCRASE_OPTIONS set", '{"disableESTransforms":true}']] as const) {
        it(`hands node the same text for every file, on a miss and on a hit (${what})`, async () => {
            const env = { ...process.env, ...(sucraseOptions === undefined ? {} : { SUCRASE_OPTIONS: sucraseOptions }) };
            const sucrase = await compiledUnder("sucrase/register/ts", env);
            expect(Object.keys(sucrase.seen).filter((path) => path.startsWith(`${INFRA}/`)).sort()).toEqual(programFiles);
            // A miss for every file: their entries under these options removed (the key is the text and the options).
            const under = transformOptions(env);
            for (const path of Object.keys(sucrase.seen)) rmSync(cacheFileOf(readFileSync(path, "utf8"), under), { force: true });
            const hook = join(ROOT, "common", "cachedTypeScript.cjs");
            const miss = await compiledUnder(hook, env);
            const hit = await compiledUnder(hook, env);
            expect(miss).toEqual({ seen: sucrase.seen, sucrase: true });
            expect(hit).toEqual({ seen: sucrase.seen, sucrase: false });
        });
    }

    it("answers a copy of the program in another directory from the same entries, with the copy's paths in the source maps", async () => {
        // As the engine tests copy the checkout into workspaces: the entries are keyed by text, not path.
        const copy = mkdtempSync(join(tmpdir(), "typescript-cache-"));
        try {
            for (const entry of ["infra", "common", "package.json"]) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
            symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
            const hook = join(ROOT, "common", "cachedTypeScript.cjs");
            await compiledUnder(hook, process.env);
            const sucrase = await compiledUnder("sucrase/register/ts", process.env, join(copy, "infra"));
            expect(Object.keys(sucrase.seen).filter((path) => path.startsWith(`${copy}/infra/`))).toHaveLength(programFiles.length);
            expect(await compiledUnder(hook, process.env, join(copy, "infra"))).toEqual({ seen: sucrase.seen, sucrase: false });
        } finally {
            rmSync(copy, { recursive: true, force: true });
        }
    });
});

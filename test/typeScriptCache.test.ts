/**
 * common/cachedTypeScript.cjs, the program's TypeScript hook, against the one it stands in for, sucrase/register/ts:
 * node is handed the same text for every file of the program, compiled on a miss and read from the cache on a hit,
 * under sucrase's own SUCRASE_OPTIONS too; and a hit loads no sucrase. It never removes an entry another test may read.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
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

/** A copy of the program (infra/, common/) in a new directory, the checkout's node_modules linked in. */
function copyOfProgram(): string {
    const copy = mkdtempSync(join(tmpdir(), "typescript-cache-"));
    for (const entry of ["infra", "common", "package.json"]) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
    return copy;
}

const HOOK = join(ROOT, "common", "cachedTypeScript.cjs");

/** Every file of infra/ but grants.ts, which holds only types: sucrase drops imports of types, so none requires it. */
const programFiles = readdirSync(INFRA).filter((name) => name.endsWith(".ts") && name !== "grants.ts").map((name) => join(INFRA, name)).sort();

describe("the program's TypeScript hook against sucrase/register/ts", () => {
    for (const [what, sucraseOptions] of [["sucrase's options", undefined], ["SUCRASE_OPTIONS set", '{"disableESTransforms":true}']] as const) {
        it(`hands node the same text for every file, on a miss and on a hit (${what})`, async () => {
            const env = { ...process.env, ...(sucraseOptions === undefined ? {} : { SUCRASE_OPTIONS: sucraseOptions }) };
            // A copy whose every file ends in a comment of its own: texts no entry has yet, so the first load misses
            // on each. Nothing else's entries are touched: other test files load the program from the same cache.
            const copy = copyOfProgram();
            const files = ["infra", "common"].flatMap((dir) => readdirSync(join(copy, dir)).filter((name) => name.endsWith(".ts"))
                .map((name) => join(copy, dir, name)));
            const marker = `\n// ${randomUUID()}\n`;
            for (const file of files) appendFileSync(file, marker);
            try {
                const sucrase = await compiledUnder("sucrase/register/ts", env, join(copy, "infra"));
                expect(Object.keys(sucrase.seen).filter((path) => path.startsWith(`${copy}/infra/`)).sort())
                    .toEqual(programFiles.map((path) => path.replace(ROOT, copy)));
                const miss = await compiledUnder(HOOK, env, join(copy, "infra"));
                const hit = await compiledUnder(HOOK, env, join(copy, "infra"));
                expect(miss).toEqual({ seen: sucrase.seen, sucrase: true });
                expect(hit).toEqual({ seen: sucrase.seen, sucrase: false });
            } finally {
                // The marked texts' entries are this test's alone.
                const under = transformOptions(env);
                for (const file of files) rmSync(cacheFileOf(readFileSync(file, "utf8"), under), { force: true });
                rmSync(copy, { recursive: true, force: true });
            }
        });
    }

    it("answers a copy of the program in another directory from the same entries, with the copy's paths in the source maps", async () => {
        // As the engine tests copy the checkout into workspaces: the entries are keyed by text, not path.
        const copy = copyOfProgram();
        try {
            await compiledUnder(HOOK, process.env);
            const sucrase = await compiledUnder("sucrase/register/ts", process.env, join(copy, "infra"));
            expect(Object.keys(sucrase.seen).filter((path) => path.startsWith(`${copy}/infra/`))).toHaveLength(programFiles.length);
            expect(await compiledUnder(HOOK, process.env, join(copy, "infra"))).toEqual({ seen: sucrase.seen, sucrase: false });
        } finally {
            rmSync(copy, { recursive: true, force: true });
        }
    });
});

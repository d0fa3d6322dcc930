/**
 * common/codeCache.cjs: a bundle the CLI starts on every command (the provider stand-ins' plugin launchers,
 * localazure/plugins.ts; the language host's, tools/pulumi/startLanguageHost.cjs) loaded as require loads it, through
 * a V8 code cache beside it that the first processes write and later ones use, and that V8 refuses once it no longer
 * matches.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness";

const run = promisify(execFile);
const CODE_CACHE = join(ROOT, "common", "codeCache.cjs");
const dir = mkdtempSync(join(tmpdir(), "code-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODULE = `
const { basename } = require("node:path");
const helper = require("./helper.cjs");
exports.self = this === module.exports;
exports.names = [basename(__filename), basename(__dirname) === basename(${JSON.stringify(dir)})];
exports.helper = helper.value;
exports.argv = process.argv.slice(1);
exports.fail = function fail() { throw new Error("from the module"); };
`;
writeFileSync(join(dir, "helper.cjs"), "module.exports = { value: 42 };\n");

/** A new file of `source` in the test's directory. */
function bundle(name: string, source = MODULE): string {
    const file = join(dir, name);
    writeFileSync(file, source);
    return file;
}

/** In a new node: compiles `file` through its cache, and ends (the cache is written as the process ends). */
async function compileInChild(file: string): Promise<string> {
    const script = `const { compileWithCache } = require(${JSON.stringify(CODE_CACHE)});
        console.log(compileWithCache(${JSON.stringify(file)}).cache);`;
    return (await run(process.execPath, ["-e", script])).stdout.trim();
}

describe("a bundle loaded through its code cache", () => {
    it("is the CommonJS module require makes of the same file: exports, this, __filename, __dirname, require, stack frames", async () => {
        const file = bundle("module.cjs");
        const script = `const load = (loaded) => { let stack = ""; try { loaded.fail(); } catch (error) { stack = error.stack; }
                return { ...loaded, fail: stack.split("\\n").slice(0, 2) }; };
            const cached = load(require(${JSON.stringify(CODE_CACHE)}).requireCached(${JSON.stringify(file)}));
            console.log(JSON.stringify([cached, load(require(${JSON.stringify(file)}))]));`;
        const [cached, required] = JSON.parse((await run(process.execPath, ["-e", script])).stdout) as unknown[];
        expect(cached).toEqual({
            self: true,
            names: ["module.cjs", true],
            helper: 42,
            argv: [],
            fail: ["Error: from the module", `    at Object.fail (${file}:8:40)`],
        });
        expect(cached).toEqual(required);
    });

    it("run as `node codeCache.cjs FILE ARGS...` sees the argv node would give FILE itself", async () => {
        const file = bundle("main.cjs", `${MODULE}\nconsole.log(JSON.stringify(exports.argv));\n`);
        const { stdout } = await run(process.execPath, [CODE_CACHE, file, "--port", "0"]);
        expect(JSON.parse(stdout)).toEqual([file, "--port", "0"]);
    });

    it("an error thrown as it loads ends the process as it would under node FILE", async () => {
        const file = bundle("throws.cjs", "throw new Error(\"the stand-in could not start\");\n");
        const result = await run(process.execPath, [CODE_CACHE, file]).then(() => undefined, (error: { code: number; stderr: string }) => error);
        expect(result?.code).toBe(1);
        expect(result?.stderr).toContain("Error: the stand-in could not start");
    });

    it("writes its cache from the first process, which later processes use", async () => {
        const file = bundle("lifecycle.cjs");
        expect(await compileInChild(file)).toBe("absent");
        expect(statSync(`${file}.v8cache`).size).toBeGreaterThan(0);
        expect(await compileInChild(file)).toBe("accepted");
    });

    it("a process stopped with SIGINT, as the CLI stops a plugin, writes the cache and ends by the signal", async () => {
        const file = bundle("served.cjs", `${MODULE}\nsetInterval(() => {}, 1000);\nconsole.log("serving");\n`);
        const child = spawn(process.execPath, [CODE_CACHE, file], { stdio: ["ignore", "pipe", "inherit"] });
        await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
        child.kill("SIGINT");
        const ended = await new Promise<[number | null, string | null]>((resolve) => child.on("exit", (...how) => resolve(how)));
        expect(ended).toEqual([null, "SIGINT"]);
        expect(await compileInChild(file)).toBe("accepted");
    });

    it("a cache V8 refuses (not its data, or another source) is compiled past and written anew", async () => {
        const file = bundle("refused.cjs");
        await compileInChild(file);
        writeFileSync(`${file}.v8cache`, "not V8's cached data");
        expect(await compileInChild(file)).toBe("rejected");
        expect(await compileInChild(file)).toBe("accepted");
        // V8 checks the source's length: a longer source is refused; a bundle's directory is named by its sources'
        // hash (common/compileAhead.cjs), so an edited source never meets an old cache in the first place.
        writeFileSync(file, `${readFileSync(file, "utf8")}\nexports.edited = true;\n`);
        expect(await compileInChild(file)).toBe("rejected");
    });
});

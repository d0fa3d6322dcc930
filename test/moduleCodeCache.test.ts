/**
 * common/moduleCodeCache.cjs, preloaded into the program by Pulumi.yaml's nodeargs: each CommonJS module is compiled
 * through a V8 code cache in node_modules/.cache, keyed by the module's code. A module tree behaves the same with
 * the preload and without it (exports, this, require, stack frames, ES module syntax left to Node), the first run
 * writes the cache and the next uses it, and an edited module is never run from the old one.
 */
import { execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./harness";

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), "module-code-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A copy of the preload, so that its cache is this test's own: <root>/node_modules/.cache/v8-code-cache/<node>, in the
// node_modules nearest the preload.
mkdirSync(join(root, "common"));
mkdirSync(join(root, "node_modules"));
for (const file of ["moduleCodeCache.cjs", "onProcessEnd.cjs"]) cpSync(join(ROOT, "common", file), join(root, "common", file));
const PRELOAD = join(root, "common", "moduleCodeCache.cjs");
const CACHE = join(root, "node_modules", ".cache", "v8-code-cache", `${process.version}-${process.arch}`);
const app = join(root, "app");
mkdirSync(app);

const files: Record<string, string> = {
    // The main module is Node's to compile (the runner, cmd/run/index.js, in a program); what it requires is cached.
    "main.js": "require(\"./app.js\");\n",
    "app.js": [
        "\"use strict\";",
        "const { basename } = require(\"node:path\");",
        "const answer = require(\"./answer.js\");",
        // As @pulumi/pulumi does as it loads (runtime/closure/v8Hooks.js), after the modules before it were compiled.
        "require(\"node:v8\").setFlagsFromString(\"--allow-natives-syntax\");",
        // The frames in the app's files (Node's loader, or the preload in its place, is between them).
        "function thrown(fn) { try { fn(); } catch (error) { return error.stack.split(\"\\n\").filter((line) => !line.includes(\"(node:\") && !line.includes(\"moduleCodeCache.cjs\")).slice(0, 4).join(\"\\n\"); } }",
        "let esm; try { esm = require(\"./esm.js\").kind; } catch (error) { esm = error.code ?? error.message; }",
        "require(\"./dynamic.js\").then(({ kind: dynamic }) => console.log(JSON.stringify({ dynamic,",
        "    self: this === module.exports, main: basename(require.main.filename), file: basename(__filename), dir: basename(__dirname),",
        "    answer: answer.value, strict: (function () { return this; })() === undefined, resolved: basename(require.resolve(\"./answer.js\")),",
        "    paths: require.resolve.paths(\"x\")[0] === require(\"node:path\").join(__dirname, \"node_modules\"), cached: require.cache[__filename] === module,",
        "    extensions: Object.keys(require.extensions).join(\" \"), parent: require(\"./answer.js\") === module.children[0]?.exports,",
        "    inner: thrown(answer.fail), topLevel: thrown(() => require(\"./throws.js\")), esm,",
        "})));",
    ].join("\n"),
    "answer.js": "exports.value = 41 + 1;\nexports.fail = function fail() { const x = 1; throw new Error(`inner ${x}`); };\n",
    "throws.js": "\n\n    throw new TypeError(\"at the top level\");\n",
    "esm.js": "export const kind = \"esm\";\n",
    // import() is left to Node: a script loses Node's import callback when it comes from a cache.
    "dynamic.js": "module.exports = import(\"./dynamic.mjs\");\n",
    "dynamic.mjs": "export const kind = \"dynamic\";\n",
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(app, name), text);

/** `node [--require PRELOAD] main.js` in the app's directory, and what it printed. */
async function runApp(withPreload: boolean): Promise<Record<string, unknown>> {
    const { stdout } = await run(process.execPath, [...(withPreload ? ["--require", PRELOAD] : []), join(app, "main.js")], { cwd: app });
    return JSON.parse(stdout) as Record<string, unknown>;
}

const entries = () => { try { return readdirSync(CACHE).sort(); } catch { return []; } };

describe("the program's modules compiled through a V8 code cache", () => {
    it("behave as Node's own loader runs them: exports, this, require, strict mode, the frames' lines and columns; ES module syntax and import() left to Node", async () => {
        const without = await runApp(false);
        expect(without).toMatchObject({
            self: true, main: "main.js", file: "app.js", dir: "app", answer: 42, strict: true, resolved: "answer.js",
            paths: true, cached: true, extensions: ".js .json .node", parent: true,
            // Node 20.19 loads ES module syntax in a .js file of a package without a type as an ES module.
            esm: "esm",
            dynamic: "dynamic",
        });
        expect(String(without["inner"])).toContain(`answer.js:2:53`);
        expect(String(without["topLevel"])).toBe(`TypeError: at the top level\n    at Object.<anonymous> (${join(app, "throws.js")}:3:11)\n` +
            `    at ${join(app, "app.js")}:12:56\n    at thrown (${join(app, "app.js")}:5:29)`);
        expect(await runApp(true)).toEqual(without);
        // The same again from the cache the first run wrote.
        expect(await runApp(true)).toEqual(without);
    });

    it("the first run writes an entry per module compiled, the next run writes none", async () => {
        rmSync(CACHE, { recursive: true, force: true });
        await runApp(true);
        // app.js, answer.js and throws.js; main.js, esm.js and dynamic.js are Node's to compile.
        const written = entries();
        expect(written).toHaveLength(3);
        expect(written.every((name) => /^[0-9a-f]{40}\.bin$/.test(name))).toBe(true);
        const before = written.map((name) => statSync(join(CACHE, name)).mtimeMs);
        await runApp(true);
        // None refused and written again: not even those compiled before the program changed V8's flags.
        expect(entries()).toEqual(written);
        expect(entries().map((name) => statSync(join(CACHE, name)).mtimeMs)).toEqual(before);
    });

    it("an edited module, even of the same length, is compiled afresh and runs the edit", async () => {
        await runApp(true);
        writeFileSync(join(app, "answer.js"), files["answer.js"]!.replace("41 + 1", "41 + 2"));
        try {
            expect((await runApp(true))["answer"]).toBe(43);
            expect(entries()).toHaveLength(4);
        } finally {
            writeFileSync(join(app, "answer.js"), files["answer.js"]!);
        }
    });

    it("an entry V8 refuses is compiled past and written anew", async () => {
        rmSync(CACHE, { recursive: true, force: true });
        await runApp(true);
        for (const name of entries()) writeFileSync(join(CACHE, name), "not V8's cached data");
        expect((await runApp(true))["answer"]).toBe(42);
        expect(entries().map((name) => readFileSync(join(CACHE, name), "utf8").startsWith("not V8"))).toEqual([false, false, false]);
    });

    it("a process stopped with SIGINT, as the CLI stops a plugin, writes its entries and ends by the signal", async () => {
        rmSync(CACHE, { recursive: true, force: true });
        writeFileSync(join(app, "serve.js"), "require(\"./answer.js\");\nsetInterval(() => {}, 1000);\nconsole.log(\"serving\");\n");
        const child = spawn(process.execPath, ["--require", PRELOAD, join(app, "serve.js")], { cwd: app, stdio: ["ignore", "pipe", "inherit"] });
        await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
        child.kill("SIGINT");
        const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on("exit", (...ended) => resolve(ended)));
        expect([code, signal]).toEqual([null, "SIGINT"]);
        // answer.js; serve.js is the main module, Node's to compile.
        expect(entries()).toHaveLength(1);
    });

    it("is in Pulumi.yaml's nodeargs", () => {
        const nodeargs = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { nodeargs: string } } }).runtime.options.nodeargs;
        expect(nodeargs.split(" ")).toContain("../common/moduleCodeCache.cjs");
    });
});

/**
 * The provider stand-ins compiled to JavaScript ahead of time, so that a plugin process starts as a real provider
 * binary does, without loading a TypeScript loader and compiling its sources first. Every `pulumi` command starts
 * both stand-ins; run through sucrase's require hook, each paid the hook's load and a compile of its modules.
 *
 * The output is keyed by a hash of the sources, so an edited stand-in is compiled afresh on its next use and never
 * run stale; it is written under `.tools/` (ignored, nothing built is committed) with sucrase's own transform, the
 * one its require hook applies (sucrase dist/register.js registerTS: transforms "imports" and "typescript").
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { transform } from "sucrase";

const ROOT = resolve(__dirname, "..");
/** The stand-ins' sources: their own tree, and the project code they share with the program and the tools. */
const SOURCE_DIRS = ["localazure/providers", "common"];

function typeScriptFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return typeScriptFiles(path);
        return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
    }).sort();
}

/**
 * The directory holding the compiled stand-ins (`<dir>/localazure/providers/<name>/main.js`), compiled if need be;
 * `root` is the checkout (tests pass a copy).
 */
export function compiledStandIns(root = ROOT): string {
    const sources = SOURCE_DIRS.flatMap((dir) => typeScriptFiles(join(root, dir)))
        .map((path) => ({ path: relative(root, path), code: readFileSync(path, "utf8") }));
    const hash = createHash("sha256");
    for (const { path, code } of sources) hash.update(`${path}\0${code}\0`);
    const target = join(root, ".tools", "stand-ins", hash.digest("hex").slice(0, 16));
    if (existsSync(target)) return target;

    // Written beside the target and renamed into place: test workers install plugins at the same time.
    const scratch = `${target}.${process.pid}.${Date.now()}`;
    for (const { path, code } of sources) {
        const out = join(scratch, path.replace(/\.ts$/, ".js"));
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, transform(code, { transforms: ["imports", "typescript"], filePath: path }).code);
    }
    try {
        renameSync(scratch, target);
    } catch (error) {
        rmSync(scratch, { recursive: true, force: true });
        if (!existsSync(target)) throw error;
    }
    return target;
}

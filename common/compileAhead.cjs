// @ts-check
/**
 * TypeScript compiled to JavaScript ahead of time, for the processes the Pulumi CLI starts on every command that
 * stand in for Go binaries (the provider plugins and the Node.js language host): started as plain node, they skip
 * loading a TypeScript loader and compiling their sources first, as the binaries they model do.
 *
 * The output is keyed by a hash of the sources, so an edited source is compiled afresh on its next use and never
 * run stale; it is written under `.tools/` (ignored, nothing built is committed) with sucrase's own transform, the
 * one its require hook applies (sucrase dist/register.js registerTS: transforms "imports" and "typescript").
 *
 * An entry a process starts from is then bundled in place (esbuild: the entry and every module it requires, node_modules
 * included, in one file), so that the process reads and resolves one file where it read some 150: about a third of a
 * stand-in's CPU to its port (0.11 s to 0.07 s, measured without NODE_EXTRA_CA_CERTS). The bundle holds the
 * dependencies' code too, so package-lock.json is part of the hash.
 *
 * Plain JavaScript, because the language host's launcher loads it before any TypeScript loader could be.
 */
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const { dirname, join, relative } = require("node:path");

/** @param {string} dir @returns {string[]} */
function typeScriptFiles(dir) {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return typeScriptFiles(path);
        return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
    }).sort();
}

/**
 * The directory holding `sourceDirs` (folders of the checkout `root`) compiled, each `x.ts` as `<dir>/x.js` under
 * the same relative path, and each of `entries` (`x` for `x.ts`) bundled over its `x.js`, made first if need be, in
 * `.tools/<name>/<hash of the sources>`.
 * @param {string} root @param {readonly string[]} sourceDirs @param {string} name @param {readonly string[]} [entries]
 * @returns {string}
 */
function compiledAhead(root, sourceDirs, name, entries = []) {
    const sources = sourceDirs.flatMap((dir) => typeScriptFiles(join(root, dir)))
        .map((path) => ({ path: relative(root, path), code: readFileSync(path, "utf8") }));
    const hash = createHash("sha256");
    for (const { path, code } of sources) hash.update(`${path}\0${code}\0`);
    if (entries.length > 0) hash.update(`${entries.join("\0")}\0${readFileSync(join(root, "package-lock.json"), "utf8")}`);
    const target = join(root, ".tools", name, hash.digest("hex").slice(0, 16));
    if (existsSync(target)) return target;

    // Loaded only on a miss: the transform is what costs, and a hit needs none of it.
    const { transform } = require("sucrase");
    // Written beside the target and renamed into place: test workers and CLI commands start these at the same time.
    const scratch = `${target}.${process.pid}.${Date.now()}`;
    for (const { path, code } of sources) {
        const out = join(scratch, path.replace(/\.ts$/, ".js"));
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, transform(code, { transforms: ["imports", "typescript"], filePath: path }).code);
    }
    if (entries.length > 0) bundle(scratch, entries);
    try {
        renameSync(scratch, target);
    } catch (error) {
        rmSync(scratch, { recursive: true, force: true });
        if (!existsSync(target)) throw error;
    }
    return target;
}

/**
 * Each entry's compiled `x.js` under `dir` replaced by one file with every module it requires (Node's builtins stay
 * requires; `require.resolve` is left to run, from the same directory).
 * @param {string} dir @param {readonly string[]} entries
 */
function bundle(dir, entries) {
    // Loaded only on a miss, as sucrase is.
    const { buildSync } = require("esbuild");
    for (const entry of entries) {
        const file = join(dir, `${entry}.js`);
        const { outputFiles } = buildSync({
            entryPoints: [file], bundle: true, platform: "node", format: "cjs", target: `node${process.versions.node}`,
            write: false, outfile: file, allowOverwrite: true, logLevel: "silent",
        });
        writeFileSync(file, outputFiles[0].contents);
    }
}

module.exports = { compiledAhead };

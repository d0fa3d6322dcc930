// @ts-check
/**
 * What sucrase's require hook for TypeScript (`sucrase/register/ts`) compiles a file to, kept on disk, so that a run
 * whose sources have not changed loads neither sucrase nor its transform (cachedTypeScript.cjs is the hook).
 *
 * The output is byte for byte the hook's (sucrase 3.35 dist/register.js addHook: its options for ".ts", transforms
 * "imports" and "typescript", merged with SUCRASE_OPTIONS; the source map inline, named after the file). A file is
 * keyed by sucrase's version, those options and its text, not its path: the engine tests' workspaces are copies of
 * the checkout in new directories, and a key with the path would make an entry per copy. The path is put back into
 * the source map on the way out. An edited file is compiled afresh, never run stale.
 *
 * Kept in node_modules/.cache, where tools keep caches of what they build from the packages (the find-cache-dir
 * convention): `npm ci` clears it with them.
 */
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");

const sucraseRoot = dirname(require.resolve("sucrase/package.json"));
const sucraseVersion = JSON.parse(readFileSync(join(sucraseRoot, "package.json"), "utf8")).version;
const CACHE_DIR = join(sucraseRoot, "..", ".cache", "sucrase-register-ts");

/**
 * sucrase dist/register.js registerTS and addHook: the options, with SUCRASE_OPTIONS over them (read once, as the
 * hook reads them when it is registered). @param {NodeJS.ProcessEnv} env @returns {Record<string, unknown>}
 */
function transformOptions(env) {
    const fromEnv = env["SUCRASE_OPTIONS"];
    return { transforms: ["imports", "typescript"], ...(fromEnv ? JSON.parse(fromEnv) : {}) };
}

const options = transformOptions(process.env);

/**
 * The cache entry of a file's text under sucrase options `under`, by default this process's.
 * @param {string} code @param {Record<string, unknown>} [under] @returns {string}
 */
function cacheFileOf(code, under = options) {
    const key = createHash("sha256").update(`${sucraseVersion}\0${JSON.stringify(under)}\0${code}`).digest("hex");
    return join(CACHE_DIR, `${key}.json`);
}

/** register.js: the code, a newline, and the source map as a base64 data URL. @param {string} code @param {object} map */
function withInlineMap(code, map) {
    const mapBase64 = Buffer.from(JSON.stringify(map)).toString("base64");
    return `${code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${mapBase64}`;
}

/**
 * What sucrase/register/ts hands to node for `filePath` holding `code`: from the cache, or compiled and cached.
 * @param {string} code @param {string} filePath @returns {string}
 */
function transpiled(code, filePath) {
    const entry = cacheFileOf(code);
    /** @type {{ code: string, map: Record<string, unknown> } | undefined} */
    let cached;
    try {
        cached = JSON.parse(readFileSync(entry, "utf8"));
    } catch {
        cached = undefined;
    }
    if (cached === undefined) {
        // Loaded only on a miss: sucrase's load and transform are what the cache saves.
        const { transform } = require("sucrase");
        const result = transform(code, { ...options, sourceMapOptions: { compiledFilename: filePath }, filePath });
        cached = { code: result.code, map: /** @type {Record<string, unknown>} */ (result.sourceMap) };
        // Written beside the entry and renamed into place: the CLI starts programs and tools at the same time.
        mkdirSync(CACHE_DIR, { recursive: true });
        const scratch = `${entry}.${process.pid}`;
        writeFileSync(scratch, JSON.stringify(cached));
        renameSync(scratch, entry);
    }
    // The map names the file it was made for (sourceMapOptions.compiledFilename, and the sources): this one.
    return withInlineMap(cached.code, { ...cached.map, file: filePath, sources: [filePath] });
}

module.exports = { cacheFileOf, transformOptions, transpiled };

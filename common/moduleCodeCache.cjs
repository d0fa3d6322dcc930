// @ts-check
/**
 * Preloaded first into the program (Pulumi.yaml's nodeargs), every command of package.json and the policy pack's
 * analyzer (tools/policyPack/build.ts): each CommonJS module the process loads (the Pulumi SDKs, and the project's
 * TypeScript as cachedTypeScript.cjs compiles it) is compiled through a V8 code cache, so that a preview whose
 * modules have not changed deserializes their code rather than compiling it again.
 *
 * Node 20 has no compile cache for CommonJS (module.enableCompileCache came in Node 22.1). So Module.prototype._compile
 * is Node's own but for the compile: the module's code is compiled here, through vm.Script with `cachedData`, as the
 * function Node makes of it, and called as Node calls it, with the require Node makes. Node's frame
 * `Module._compile (node:internal/modules/cjs/loader)` in a stack reads `compileThroughCodeCache` instead.
 *
 * The wrapper's first line holds only its parameters and the script starts a line early (lineOffset -1), so every
 * frame names the line and column it would without the cache. The main module (the runner, cmd/run/index.js), an
 * ES module, a module that may call import(), and code this cannot compile (ES module syntax in a .js file, which
 * Node 20.19 detects) go to Node as they are.
 *
 * Entries are keyed by the SHA-1 of the module's code, not its path (the engine tests' workspaces are copies), since
 * V8 itself only checks a cache against the source's length, its version and its flags; they are kept in the
 * nearest node_modules/.cache (the find-cache-dir convention: `npm ci` clears them with the packages), and written
 * as the process ends (at exit, or at SIGINT: onProcessEnd.cjs), for the modules that had none V8 would take:
 * script.createCachedData then holds every function the run compiled, not only the module's top level.
 *
 * The program's CPU in a preview of dev: 0.641 to 0.507 s (process accounting, 12 alternating previews each).
 */
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");
const { setFlagsFromString } = require("node:v8");
const vm = require("node:vm");
const { onProcessEnd } = require("./onProcessEnd.cjs");

/**
 * The nearest node_modules above this file, where its requires resolve from: the checkout's for the program and the
 * commands, and the same for the policy pack's copy in .tools/policy-pack/common (tools/policyPack/build.ts).
 * @param {string} dir @returns {string}
 */
function nearestNodeModules(dir) {
    for (let at = dir; ; at = dirname(at)) {
        if (existsSync(join(at, "node_modules"))) return join(at, "node_modules");
        if (dirname(at) === at) return join(dir, "..", "node_modules");
    }
}

const CACHE_DIR = join(nearestNodeModules(__dirname), ".cache", "v8-code-cache", `${process.version}-${process.arch}`);
const WRAPPER = "(function (exports, require, module, __filename, __dirname) {\n";
/**
 * A module that may call import() is Node's to compile: a script's import() needs the callback Node gives its own
 * modules, vm's stand-in for it (vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER) is experimental in Node 20 and warns,
 * and a script deserialized from a cache loses it (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, tested).
 */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/** @type {{ key: string, script: vm.Script }[]} the modules whose cache is written as the process exits */
const unwritten = [];

/** @param {string} key @returns {Buffer | undefined} */
function readEntry(key) {
    try {
        return readFileSync(join(CACHE_DIR, `${key}.bin`));
    } catch {
        return undefined;
    }
}

function writeEntries() {
    if (unwritten.length === 0) return;
    const entries = unwritten.splice(0);
    try {
        mkdirSync(CACHE_DIR, { recursive: true });
        for (const { key, script } of entries) {
            const temporary = join(CACHE_DIR, `${key}.${process.pid}`);
            writeFileSync(temporary, script.createCachedData());
            renameSync(temporary, join(CACHE_DIR, `${key}.bin`));
        }
    } catch {
        // A read-only node_modules or a full disk costs the next run its cache, not this one its result.
    }
}

/**
 * The require a module's code is given: Node 20's makeRequireFunction (lib/internal/modules/helpers.js) without a
 * policy manifest, which this preload is never installed under.
 * @param {Module} module
 */
function requireFunctionOf(module) {
    /** @param {string} id */
    const require = (id) => module.require(id);
    /** @param {string} request @param {{ paths?: string[] }} [options] */
    const resolve = (request, options) => /** @type {any} */ (Module)._resolveFilename(request, module, false, options);
    resolve.paths = (/** @type {string} */ request) => /** @type {any} */ (Module)._resolveLookupPaths(request, module);
    require.resolve = resolve;
    require.main = process.mainModule;
    require.extensions = /** @type {any} */ (Module)._extensions;
    require.cache = /** @type {any} */ (Module)._cache;
    return require;
}

const nodeCompile = Module.prototype._compile;
/**
 * Node 20's Module.prototype._compile (lib/internal/modules/cjs/loader.js) for a CommonJS module other than the
 * main one, with the module's function compiled through the cache: the function called with the same `this` and
 * arguments. The main module, an ES module, a module that may call import() and code this cannot compile (ES module
 * syntax in a .js file, which Node detects) go to Node's own, as they are.
 * @this {Module} @param {string} content @param {string} filename @param {unknown} format
 */
function compileThroughCodeCache(content, filename, format) {
    if (format === "module" || process.mainModule === this || DYNAMIC_IMPORT.test(content)) {
        return nodeCompile.apply(this, /** @type {any} */ (arguments));
    }
    const key = createHash("sha1").update(content).digest("hex");
    const cachedData = readEntry(key);
    let script;
    try {
        script = new vm.Script(`${WRAPPER}${content}\n})`, {
            filename,
            lineOffset: -1,
            cachedData,
        });
    } catch {
        return nodeCompile.apply(this, /** @type {any} */ (arguments));
    }
    if (cachedData === undefined || script.cachedDataRejected) unwritten.push({ key, script });
    const moduleFunction = script.runInThisContext();
    const args = [this.exports, requireFunctionOf(this), this, filename, dirname(filename)];
    return Reflect.apply(moduleFunction, this.exports, args);
}

if (!process.execArgv.some((flag) => flag.startsWith("--experimental-policy"))) {
    // V8 stamps a cache with its flags as the cache is made, and refuses it under other flags. @pulumi/pulumi sets
    // --allow-natives-syntax as it loads (runtime/closure/v8Hooks.js), so the modules compiled before it (the
    // preloads, the runner's first modules: half of a preview's) would be refused on every later run: set first here,
    // every module is compiled and cached under the flags the process ends with. It only lets `%` begin a primary
    // expression, where no valid program has one. It also costs the Node builtins loaded after it their embedded
    // code cache, as the SDK's own setting does; so the processes that never load the SDK (the stand-ins, the
    // language host model) use codeCache.cjs instead.
    setFlagsFromString("--allow-natives-syntax");
    Module.prototype._compile = compileThroughCodeCache;
    onProcessEnd(writeEntries);
}

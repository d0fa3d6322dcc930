// @ts-check
/**
 * A bundle (common/compileAhead.cjs) loaded with a V8 code cache kept beside it, for the processes the CLI starts on
 * every command: the provider stand-ins and the language host model. Without one, each start parses the whole
 * bundle (1.6 MB for a stand-in) and compiles every function it calls; with one, V8 deserializes the functions an
 * earlier process compiled.
 *
 * Node 20 has no compile cache for CommonJS (module.enableCompileCache came in Node 22.1), so the file goes through
 * vm.Script with `cachedData`, wrapped as Node wraps a CommonJS module (Module.wrap) and run with the same
 * arguments. V8 checks the cache against the source, its own version and its flags, and rejects one that does not
 * match (`cachedDataRejected`); the file is then compiled as usual, and the process writes a new cache.
 *
 * The cache is written as the process ends (at exit, or at SIGINT, which is how the CLI stops a plugin:
 * onProcessEnd.cjs) by a process that found none it could use: script.createCachedData then holds every function the
 * command compiled. It is written beside and renamed into place, since processes start together. A cache is kept
 * beside a bundle whose directory is named by the hash of its sources, so it never outlives the source it was made
 * from (V8's own check is of the source's length, its version and its flags), and no hash of the bundle is taken.
 *
 * Not moduleCodeCache.cjs, which the program preloads: that one must set --allow-natives-syntax first (it says why),
 * and a flag set at run time costs every Node builtin loaded afterwards its embedded code cache (19 builtins, http2
 * and net among them: 9-13 ms to 26-32 ms, three runs each). These processes load their builtins after the preload
 * and never load the SDK that sets the flag: a host through it started in 0.136-0.151 s of CPU, through this file in
 * 0.128-0.130 s, and with neither in 0.153 s (12 alternating starts each, twice).
 *
 * Run as `node codeCache.cjs FILE ARGS...`, FILE is the process's main module; required, `requireCached(FILE)`.
 */
const { readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname } = require("node:path");
const vm = require("node:vm");
const { onProcessEnd } = require("./onProcessEnd.cjs");

/** @param {string} file @returns {string} */
function cachePath(file) {
    return `${file}.v8cache`;
}

/** @param {string} file @returns {Buffer | undefined} */
function readCache(file) {
    try {
        return readFileSync(cachePath(file));
    } catch {
        return undefined;
    }
}

/** @param {vm.Script} script @param {string} file */
function writeCache(script, file) {
    const temporary = `${cachePath(file)}.${process.pid}`;
    try {
        writeFileSync(temporary, script.createCachedData());
        renameSync(temporary, cachePath(file));
    } catch {
        // A read-only checkout or a full disk costs the next start its cache, not this process its work.
    }
}

/**
 * `file` compiled as a CommonJS module's wrapper, from its cache when V8 accepts it ("accepted"); otherwise compiled
 * from source ("absent", "rejected"), and the cache is written as this process ends.
 * @param {string} file @returns {{ script: vm.Script, cache: "accepted" | "absent" | "rejected" }}
 */
function compileWithCache(file) {
    const cachedData = readCache(file);
    const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), {
        filename: file,
        // No importModuleDynamically: the bundles call no import() (test/compiledAhead.test.ts), and a script from a
        // cache would lose it (common/moduleCodeCache.cjs says more).
        cachedData,
    });
    const cache = cachedData === undefined ? "absent" : script.cachedDataRejected ? "rejected" : "accepted";
    if (cache !== "accepted") {
        onProcessEnd(() => writeCache(script, file));
    }
    return { script, cache };
}

/**
 * Loads the CommonJS `file` as require would (its own module, exports, require, __filename and __dirname), through
 * its code cache.
 * @param {string} file @returns {any} the module's exports
 */
function requireCached(file) {
    const { script } = compileWithCache(file);
    const module = new Module(file, require.main);
    module.filename = file;
    const wrapper = script.runInThisContext();
    wrapper.call(module.exports, module.exports, Module.createRequire(file), module, file, dirname(file));
    module.loaded = true;
    return module.exports;
}

if (require.main === module) {
    const [file] = process.argv.splice(2, 1);
    if (file === undefined) throw new Error("usage: node common/codeCache.cjs FILE [ARGS...]");
    // The process's argv as if node had started FILE itself: [node, FILE, ...ARGS].
    process.argv[1] = file;
    requireCached(file);
}

module.exports = { cachePath, compileWithCache, requireCached };

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
 * The cache is written by the processes that find none they can use, on timers after they start: the CLI stops a
 * plugin with SIGINT to its process group, and SIGKILL 5 s later (sdk/go/common/resource/plugin/plugin.go, the
 * plugin's kill: cmdutil.InterruptChildren), and Node's default for SIGINT ends the process without an exit event,
 * so there is no exit to write it at. script.createCachedData holds the functions compiled so far, so the later
 * writes hold what a longer command compiled. Each is written beside and renamed into place, since processes start
 * together. A cache is kept beside a bundle whose directory is named by the hash of its sources, so it never
 * outlives the source it was made from (V8's own check is of the source's length, its version and its flags).
 *
 * Run as `node codeCache.cjs FILE ARGS...`, FILE is the process's main module; required, `requireCached(FILE)`.
 */
const { readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname } = require("node:path");
const vm = require("node:vm");

/** When a process that found no cache it could use writes one (ms after it loaded the file): soon after a stand-in
 * has printed its port and answered its first calls (an azure-native stand-in lives about 0.25 s in a preview), and
 * again later with whatever more a longer command compiled. */
const WRITE_AFTER_MS = [150, 1000, 3000];

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
 * from source ("absent", "rejected"), and the cache is written later, from this process.
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
        for (const ms of WRITE_AFTER_MS) setTimeout(() => writeCache(script, file), ms).unref();
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

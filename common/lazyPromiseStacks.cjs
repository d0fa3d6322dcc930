// Preloaded (node --require, Pulumi.yaml's nodeargs) into the program's process: the stack the SDK keeps on each of
// its promises is formatted when something reads it, not when the promise is made. It cost about 0.2 s of CPU on
// every preview and up, a fifth of the program's (0.98 s to 0.79 s in a preview of dev, README "Speed").
//
// - @pulumi/pulumi v3.276.0 runtime/debuggable.js debuggablePromise, which wraps every promise the SDK makes for a
//   resource, its outputs and the engine's calls, stores `new Error().stack` on the promise as `_debugStackTrace`.
//   The only reader is promiseDebugString, which prints it in the report of promises still pending at exit.
// - Reading `.stack` runs Error.prepareStackTrace at once. The runner installs source-map-support (cmd/run/index.js
//   `require("source-map-support/register")`), whose prepareStackTrace maps every frame through the SDK's source
//   maps, parsing each map the first time. That is the cost, paid for every promise, read by nobody.
//
// While debuggablePromise runs, Error.prepareStackTrace answers with a stack that formats itself through the same
// prepareStackTrace, with the same error and call sites, the first time it is turned into a string (the report's
// template literal does that). The frame of the wrapper below is left out, so the text is the one the SDK would have
// stored. Where nothing installed one, Node's own Error.prepareStackTrace formats it, later in the same way.
"use strict";
const { dirname, join } = require("node:path");

/**
 * A stack trace as a string on demand: at the first toString() (which template literals and String() call),
 * `format(error, callSites)` once, without the call sites in this file (the wrapper's frame). Made for every promise,
 * so it only keeps what it is given.
 */
class LazyStack {
    #format;
    #error;
    #callSites;
    #text;

    constructor(format, error, callSites) {
        this.#format = format;
        this.#error = error;
        this.#callSites = callSites;
    }

    toString() {
        if (this.#text === undefined) {
            this.#text = String(this.#format(this.#error, this.#callSites.filter((site) => site.getFileName() !== __filename)));
            this.#error = undefined;
            this.#callSites = undefined;
        }
        return this.#text;
    }
}

/** `wrapped(p, ctx)` is the SDK's debuggablePromise, with the stacks it takes formatted lazily. */
function withLazyStacks(sdkDebuggablePromise) {
    function debuggablePromise(p, ctx) {
        const format = Error.prepareStackTrace;
        if (typeof format !== "function") return sdkDebuggablePromise.call(this, p, ctx);
        Error.prepareStackTrace = (error, callSites) => new LazyStack(format, error, callSites);
        try {
            // Called on the caller's receiver, as the SDK calls it (`debuggable_1.debuggablePromise`): the frame reads
            // "Object.debuggablePromise" either way.
            return sdkDebuggablePromise.call(this, p, ctx);
        } finally {
            Error.prepareStackTrace = format;
        }
    }
    debuggablePromise.lazyStacksBy = __filename;
    return debuggablePromise;
}

/** The SDK's debuggable module, from then on with lazy stacks (callers use it as `debuggable_1.debuggablePromise`). */
function installLazyStacks(debuggableModule) {
    if (debuggableModule.debuggablePromise.lazyStacksBy === __filename) return;
    debuggableModule.debuggablePromise = withLazyStacks(debuggableModule.debuggablePromise);
}

// Resolved as the SDK resolves it: @pulumi/pulumi in the program's node_modules.
const pulumiRoot = dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd(), __dirname] }));
installLazyStacks(require(join(pulumiRoot, "runtime", "debuggable.js")));

module.exports = { LazyStack, withLazyStacks };

// Preloaded (node --require, Pulumi.yaml's nodeargs) into the program's process: the runner's message for an uncaught
// error without the loop Node falls into while colouring it. Every refused preview paid 13-20 s of CPU for it.
//
// - The runner formats every uncaught error with `util.inspect(err, { colors: true })`, and with `util.inspect(err)`
//   if that throws (@pulumi/pulumi v3.276.0 cmd/run/error.js defaultErrorMessage). cmd/run/run.js calls it for each
//   uncaught error, RunErrors too: their stack is never shown, but the message goes into the tracing span's event.
// - Node 20.20.2, the one here, loops while it colours a stack frame whose path has no separator after
//   `node_modules/<name>` or `node_modules/@scope/<name>` (nodejs/node#64011, fixed by #64022, commit ff58f43).
//   markNodeModules restarts at index -1 and appends the module's name again, until the string passes V8's length
//   limit and `RangeError: Invalid string length` ends it.
// - The SDK's own source maps put such a frame in every program error's stack. Their sources are one directory up
//   (resource.js.map: "../resource.ts"), so source-map-support maps node_modules/@pulumi/pulumi/resource.js to
//   node_modules/@pulumi/resource.ts.
//
// The guard counts how often util.inspect styles a module name while defaultErrorMessage runs. Past MODULE_NAMES, far
// more than any stack has, it throws that RangeError at once. The runner then falls back as it did after the loop, so
// the message is the same. Where Node colours the frame and returns, the guard never throws.
"use strict";
const { inspect } = require("node:util");
const { dirname, join } = require("node:path");

/** More module names than a stack of errors can hold: the loop passes this within a millisecond. */
const MODULE_NAMES = 10_000;

/**
 * `format()`, with util.inspect's "module" style counted each time Node styles a module name (stylizeWithColor reads
 * `inspect.styles[styleType]` on every call). Past `limit`, throws the RangeError the loop would end in.
 */
function withModuleNamesCounted(format, limit = MODULE_NAMES) {
    const styles = inspect.styles;
    const own = Object.getOwnPropertyDescriptor(styles, "module");
    // Someone else's accessor already: leave it be.
    if (own === undefined || !("value" in own)) return format();
    let styled = 0;
    Object.defineProperty(styles, "module", {
        configurable: true,
        enumerable: own.enumerable,
        get() {
            styled += 1;
            if (styled > limit) throw new RangeError("Invalid string length");
            return own.value;
        },
        set(value) {
            own.value = value;
        },
    });
    try {
        return format();
    } finally {
        Object.defineProperty(styles, "module", own);
    }
}

/** The runner's defaultErrorMessage, from then on run under the guard (run.js calls it as `error_1.defaultErrorMessage`). */
function guardRunnerErrorMessages(errorModule) {
    const sdkDefaultErrorMessage = errorModule.defaultErrorMessage;
    if (sdkDefaultErrorMessage.guardedBy === __filename) return;
    const guarded = (err) => withModuleNamesCounted(() => sdkDefaultErrorMessage(err));
    guarded.guardedBy = __filename;
    errorModule.defaultErrorMessage = guarded;
}

// Resolved as the SDK resolves it: @pulumi/pulumi in the program's node_modules.
const pulumiRoot = dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd(), __dirname] }));
guardRunnerErrorMessages(require(join(pulumiRoot, "cmd", "run", "error.js")));

module.exports = { MODULE_NAMES, withModuleNamesCounted };

// Preloaded (node --require) where @pulumi/pulumi is loaded but TypeScript is never used: makes the
// `typescript` that @pulumi/pulumi resolves a stand-in that loads the real compiler on first use.
//
// @pulumi/pulumi requires TypeScript's compiler, 9 MB of JavaScript, as it loads (runtime/closure/parseFunction.js
// through typescript-shim.js), for serializing functions (dynamic providers, pulumi.runtime.serializeFunction).
// The guardrail pack's analyzer and the project's commands never serialize one, and loading the compiler is about
// half of loading @pulumi/policy with @pulumi/pulumi: 0.42 s against 0.21 s of CPU with this preload (three runs
// each on the 2-core machine). Whatever does use TypeScript gets the real module at its first property access.
"use strict";
const Module = require("node:module");
const { dirname } = require("node:path");

// Where @pulumi/pulumi's own `require("typescript")` lands (typescript-shim.js sits at the package's root).
const pulumiRoot = dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd(), __dirname] }));
const typescriptPath = require.resolve("typescript", { paths: [pulumiRoot] });

if (require.cache[typescriptPath] === undefined) {
    let real;
    const load = () => {
        if (real === undefined) {
            delete require.cache[typescriptPath];
            real = require(typescriptPath);
        }
        return real;
    };
    const stub = new Module(typescriptPath);
    stub.filename = typescriptPath;
    stub.loaded = true;
    stub.lazyTypeScript = true;
    stub.exports = new Proxy({}, {
        get: (_target, key) => load()[key],
        has: (_target, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_target, key) => {
            const descriptor = Object.getOwnPropertyDescriptor(load(), key);
            // A proxy may not report a property its target lacks as non-configurable.
            return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
        },
    });
    require.cache[typescriptPath] = stub;
}

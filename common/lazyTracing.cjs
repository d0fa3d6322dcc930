// Preloaded (node --require, Pulumi.yaml's nodeargs) into the program's process: the OpenTelemetry SDK packages that
// @pulumi/pulumi's runner requires as it loads are loaded only if tracing is used.
//
// The runner (cmd/run/run.js) requires cmd/run/tracing.js, which requires six OpenTelemetry packages at its top and
// uses them only in start() (sdk/nodejs/cmd/run/tracing.ts, v3.276.0); run.js calls start() only when `--tracing`
// names an endpoint, and the language host passes `--tracing` only when the engine traces (main.go,
// constructArguments). Its newer cmd/run/instrumentation.js already requires the same packages only under
// TRACEPARENT, "to avoid loading unnecessary modules when tracing is not enabled". They are about 275 of the
// program's 790 modules and 0.2-0.3 s of CPU of every preview (README, "Speed").
//
// When the runner is asked to trace (`--tracing`, or TRACEPARENT from the host), this preload does nothing. Otherwise
// each package is a stand-in until its first use: the names tracing.js takes from it (DEFERRED, which
// test/lazyTracing.test.ts reads back from tracing.js) are functions and classes that load the real package when
// called or constructed; any other property loads it at once.
"use strict";
const Module = require("node:module");
const { dirname, join } = require("node:path");

/** Each package cmd/run/tracing.js requires at its top, with the names it destructures from it. */
const DEFERRED = {
    "@opentelemetry/resources": ["defaultResource", "resourceFromAttributes"],
    "@opentelemetry/sdk-trace-base": ["SimpleSpanProcessor"],
    "@opentelemetry/exporter-zipkin": ["ZipkinExporter"],
    "@opentelemetry/instrumentation-grpc": ["GrpcInstrumentation"],
    "@opentelemetry/sdk-trace-node": ["NodeTracerProvider"],
    "@opentelemetry/instrumentation": ["registerInstrumentations"],
};

/** minimist, which the runner parses with, takes `--tracing URL` and `--tracing=URL`. */
const tracingRequested = (argv, env) =>
    argv.some((arg) => arg === "--tracing" || arg.startsWith("--tracing=")) || (env.TRACEPARENT ?? "") !== "";

/** A function or class that is the real package's `name` from its first call or construction on. */
function deferredBinding(load, name) {
    const real = () => load()[name];
    const binding = new Proxy(function deferred() {}, {
        apply: (_target, self, args) => Reflect.apply(real(), self, args),
        construct: (_target, args, newTarget) => Reflect.construct(real(), args, newTarget === binding ? real() : newTarget),
        get: (_target, key) => Reflect.get(real(), key),
        has: (_target, key) => Reflect.has(real(), key),
    });
    return binding;
}

/** Installs the stand-in for the package at `path`, unless something has loaded it already. */
function defer(path, names) {
    if (require.cache[path] !== undefined) return;
    let real;
    const load = () => {
        if (real === undefined) {
            delete require.cache[path];
            real = require(path);
        }
        return real;
    };
    const bindings = new Map(names.map((name) => [name, deferredBinding(load, name)]));
    const stub = new Module(path);
    stub.filename = path;
    stub.loaded = true;
    stub.lazyTracing = true;
    stub.exports = new Proxy({}, {
        get: (_target, key) => real === undefined && bindings.has(key) ? bindings.get(key) : load()[key],
        has: (_target, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_target, key) => {
            const descriptor = Object.getOwnPropertyDescriptor(load(), key);
            // A proxy may not report a property its target lacks as non-configurable.
            return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
        },
    });
    require.cache[path] = stub;
}

if (!tracingRequested(process.argv, process.env)) {
    // Resolved as tracing.js resolves them: from @pulumi/pulumi's cmd/run, in the program's node_modules.
    const pulumiRoot = dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd(), __dirname] }));
    const runDirectory = join(pulumiRoot, "cmd", "run");
    for (const [name, names] of Object.entries(DEFERRED)) defer(require.resolve(name, { paths: [runDirectory] }), names);
}

module.exports = { DEFERRED, tracingRequested };

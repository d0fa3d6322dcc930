// Preloaded (node --require, Pulumi.yaml's nodeargs) into the program's process: modules that @pulumi/pulumi loads
// there and the program never uses are loaded at their first use instead. Each is about what users feel on every
// preview (README, "Speed"):
//
// - The OpenTelemetry SDK of the runner's tracing. The runner (cmd/run/run.js) requires cmd/run/tracing.js, which
//   requires six OpenTelemetry packages at its top and uses them only in start() (sdk/nodejs/cmd/run/tracing.ts,
//   v3.276.0); run.js calls start() only when `--tracing` names an endpoint, and the language host passes `--tracing`
//   only when the engine traces (main.go, constructArguments). Its newer cmd/run/instrumentation.js already requires
//   the same packages only under TRACEPARENT, "to avoid loading unnecessary modules when tracing is not enabled".
//   About 275 of the program's 790 modules and 0.2-0.3 s of CPU. When the runner is asked to trace (`--tracing`, or
//   TRACEPARENT from the host), they are left alone. Otherwise the names tracing.js takes from each (TRACING, which
//   test/lazyPulumiModules.test.ts reads back from tracing.js) are functions and classes that load the real package
//   when called or constructed; any other property loads it at once.
// - The Automation API, which the SDK's index.js requires for `pulumi.automation` (`__importStar(require(
//   "./automation"))`): execa and the rest of what drives the CLI, about 75 modules and 0.05 s of CPU. Its stand-in
//   answers `__esModule` (true, as the compiled module sets it) itself, so that __importStar takes it as it is; any
//   other property loads the real module.
"use strict";
const Module = require("node:module");
const { dirname, join } = require("node:path");

/** Each package cmd/run/tracing.js requires at its top, with the names it destructures from it. */
const TRACING = {
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

/**
 * Installs the stand-in for the module at `path`, unless something has loaded it already: `names` are answered with
 * deferred bindings, `own` with the values given.
 */
function defer(path, { names = [], own = {} }) {
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
    stub.lazyPulumiModule = true;
    stub.exports = new Proxy({}, {
        get: (_target, key) => {
            if (real === undefined && bindings.has(key)) return bindings.get(key);
            return real === undefined && Object.hasOwn(own, key) ? own[key] : load()[key];
        },
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

// Resolved as the SDK resolves them: from @pulumi/pulumi in the program's node_modules.
const pulumiRoot = dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd(), __dirname] }));
if (!tracingRequested(process.argv, process.env)) {
    const runDirectory = join(pulumiRoot, "cmd", "run");
    for (const [name, names] of Object.entries(TRACING)) defer(require.resolve(name, { paths: [runDirectory] }), { names });
}
defer(require.resolve(join(pulumiRoot, "automation")), { own: { __esModule: true } });

module.exports = { TRACING, tracingRequested };

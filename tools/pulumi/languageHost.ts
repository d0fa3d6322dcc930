/**
 * A model of Pulumi's Node.js language host, `pulumi-language-nodejs`, at the version the project pins.
 *
 * The real host is a Go program in the module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3,
 * which has no tags; the Go module proxy these machines reach refuses every version of it ("403 Forbidden: This
 * module version is not available"), so it cannot be built here. Everything around it is real: the CLI and the
 * engine (built from github.com/pulumi/pulumi/pkg/v3), and the program runner it launches, @pulumi/pulumi's own
 * `cmd/run`. This model does only what the real host does between the two, rule by rule from
 * pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go (cited as main.go below) as the project pins it,
 * v3.276.0. The host's source is outside every module the proxy serves; the newest main.go readable here is the
 * GitHub mirror's, at pkg/v3.259.0-14 (commit 1b5949891b), which this model follows. Since v3.248.0 main.go gained
 * the `production` runtime option (v3.252, #23849), extension parameterizations in GetRequiredPackages (v3.251,
 * #23579), the TypeScript version in About (v3.252, #23850; the model's About reports only node) and pnpm 11's
 * workspace file in Template (v3.252, #23815; Template is not modelled).
 * it serves the LanguageRuntime gRPC service, prints its port, and runs the program with the same arguments and
 * environment. Anything the project does not use answers UNIMPLEMENTED, never a guess.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, realpathSync, statSync, existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as langproto from "@pulumi/pulumi/proto/language_pb";
import * as langrpc from "@pulumi/pulumi/proto/language_grpc_pb";
import * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import { PolicyProxy } from "./policyProxy";

/** main.go: defaultRunPath, and the exit code by which a program says it already showed the user an error. */
const DEFAULT_RUN_PATH = "@pulumi/pulumi/cmd/run";
const EXITED_AFTER_USER_ACTIONABLE_MESSAGE = 32;

export interface NodeOptions {
    readonly typescript: boolean;
    readonly tsconfigpath: string;
    readonly nodeargs: string;
    readonly production: boolean;
    readonly packagemanager: PackageManager;
}

/** main.go parseOptions: the package managers `packagemanager` may name. */
const PACKAGE_MANAGERS = ["auto", "npm", "yarn", "pnpm", "bun"] as const;
type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/**
 * main.go parseOptions: `runtime.options` of Pulumi.yaml, checked in main.go's order; typescript defaults to true,
 * packagemanager to auto. `production` (since v3.252, #23849) only changes what InstallDependencies installs, which
 * the project does with npm ci instead.
 */
export function parseOptions(options: Record<string, unknown>): NodeOptions {
    const typescript = options["typescript"] ?? true;
    if (typeof typescript !== "boolean") throw new Error("typescript option must be a boolean");
    const tsconfig = options["tsconfig"] ?? "";
    if (typeof tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
    const nodeargs = options["nodeargs"] ?? "";
    if (typeof nodeargs !== "string") throw new Error("nodeargs option must be a string");
    const production = options["production"] ?? false;
    if (typeof production !== "boolean") throw new Error("production option must be a boolean");
    const packagemanager = options["packagemanager"] ?? "auto";
    if (typeof packagemanager !== "string") throw new Error("packagemanager option must be a string");
    if (!(PACKAGE_MANAGERS as readonly string[]).includes(packagemanager)) {
        throw new Error(`packagemanager option must be one of auto, npm, yarn, pnpm or bun, got ${JSON.stringify(packagemanager)}`);
    }
    return { typescript, tsconfigpath: tsconfig, nodeargs, production, packagemanager: packagemanager as PackageManager };
}

export interface RunArguments {
    readonly runPath: string;
    readonly monitorAddress: string;
    readonly engineAddress: string;
    readonly organization: string;
    readonly project: string;
    readonly rootDirectory: string;
    readonly stack: string;
    readonly programDirectory: string;
    readonly dryRun: boolean;
    readonly parallel: number;
    /** The host's own `-tracing` endpoint, handed on to the runner; empty when the engine does not trace. */
    readonly tracing: string;
    readonly entryPoint: string;
    readonly args: readonly string[];
}

/** main.go constructArguments: flags only when non-empty, `--dry-run` only in a preview, then the entry point. */
export function constructArguments(run: RunArguments): string[] {
    const args = [run.runPath];
    const maybe = (key: string, value: string) => {
        if (value !== "") args.push(`--${key}`, value);
    };
    maybe("monitor", run.monitorAddress);
    maybe("engine", run.engineAddress);
    maybe("organization", run.organization);
    maybe("project", run.project);
    maybe("root-directory", run.rootDirectory);
    maybe("stack", run.stack);
    maybe("pwd", run.programDirectory);
    if (run.dryRun) args.push("--dry-run");
    maybe("parallel", String(run.parallel));
    maybe("tracing", run.tracing);
    args.push(run.entryPoint, ...run.args);
    return args;
}

/**
 * main.go constructConfig: the engine's keys `<namespace>:<name>` become `<namespace>:config:<name>` in
 * PULUMI_CONFIG, the form @pulumi/pulumi reads.
 */
export function constructConfig(config: ReadonlyMap<string, string>): string {
    const transformed: Record<string, string> = {};
    for (const [key, value] of config) {
        const colon = key.indexOf(":");
        if (colon < 0) throw new Error(`invalid config key ${JSON.stringify(key)}: it has no namespace`);
        transformed[`${key.slice(0, colon)}:config:${key.slice(colon + 1)}`] = value;
    }
    return JSON.stringify(transformed);
}

/** main.go locateModule: `require.resolve` run by node in the program's directory. */
function locateModule(module: string, programDirectory: string): string {
    const script = `try { console.log(require.resolve(${JSON.stringify(module)})); } catch (error) {` +
        ` if (error.code === 'MODULE_NOT_FOUND') { console.error("It looks like the Pulumi SDK has not been installed.` +
        ` Have you run pulumi install?") } else { console.error(error.message); } process.exit(1); }`;
    const result = spawnSync(process.execPath, ["-e", script], { cwd: programDirectory, encoding: "utf8" });
    if (result.status !== 0) throw new Error(result.stderr);
    return result.stdout.trim();
}

/** A parameterization as package.json holds it (sdk/go/common/resource/plugin/plugin.go PulumiParameterizationJSON). */
interface ParameterizationJSON { name?: string; version?: string; value?: string }

/** main.go: the JSON's value is Go's []byte, so base64 text. */
function parameterization(json: ParameterizationJSON): pluginproto.PackageParameterization {
    const result = new pluginproto.PackageParameterization();
    result.setName(json.name ?? "");
    result.setVersion(json.version ?? "");
    result.setValue(Buffer.from(json.value ?? "", "base64"));
    return result;
}

/**
 * main.go getPackagesFromDir: every package.json under a `node_modules` below the program's directory whose
 * `pulumi.resource` is true names a plugin the program needs (`pulumi.name`, or the name after `@pulumi/`), with
 * its replacement parameterization (getPackageInfo) and, since v3.251 (#23579), its extension parameterization.
 */
export function requiredPackages(directory: string, inNodeModules = false, visited = new Set<string>()): pluginproto.PackageDependency[] {
    const dir = resolve(directory);
    if (visited.has(dir)) return [];
    visited.add(dir);
    const found: pluginproto.PackageDependency[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        let path = join(dir, entry.name);
        let isDirectory = entry.isDirectory();
        if (entry.isSymbolicLink()) {
            path = realpathSync(path);
            isDirectory = statSync(path).isDirectory();
        }
        if (isDirectory) {
            // main.go skips policy packs (workspace.DetectPolicyPackPathAt).
            if (existsSync(join(path, "PulumiPolicy.yaml"))) continue;
            found.push(...requiredPackages(path, inNodeModules || basename(dir) === "node_modules", visited));
        } else if (inNodeModules && entry.name === "package.json") {
            const info = JSON.parse(readFileSync(path, "utf8")) as {
                name?: string; version?: string;
                pulumi?: {
                    resource?: boolean; name?: string; version?: string; server?: string;
                    parameterization?: ParameterizationJSON; extensionParameterization?: ParameterizationJSON;
                };
            };
            if (info.pulumi?.resource !== true) continue;
            const name = info.pulumi.name ?? (info.name?.startsWith("@pulumi/") ? info.name.slice("@pulumi/".length) : undefined);
            const version = info.pulumi.version ?? info.version;
            if (name === undefined || version === undefined) continue;
            const dependency = new pluginproto.PackageDependency();
            dependency.setName(name);
            dependency.setKind("resource");
            dependency.setVersion(version.startsWith("v") ? version : `v${version}`);
            dependency.setServer(info.pulumi.server ?? "");
            if (info.pulumi.parameterization) dependency.setParameterization(parameterization(info.pulumi.parameterization));
            if (info.pulumi.extensionParameterization) {
                dependency.setExtension$(parameterization(info.pulumi.extensionParameterization));
            }
            found.push(dependency);
        }
    }
    return found;
}

function unimplemented(method: string): grpc.ServiceError {
    return Object.assign(new Error(`method ${method} not implemented by the language host model`), {
        code: grpc.status.UNIMPLEMENTED, details: `method ${method} not implemented`, metadata: new grpc.Metadata(),
    });
}

export class NodeLanguageHost {
    private readonly running = new Set<ChildProcess>();

    constructor(private readonly engineAddress: string, private readonly version: string, private readonly tracing = "") {}

    service(): grpc.UntypedServiceImplementation {
        const unary = <Req, Res>(handler: (request: Req) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> =>
            (call, callback) => {
                Promise.resolve().then(() => handler(call.request)).then(
                    (response) => callback(null, response),
                    (error: unknown) => callback(error as grpc.ServiceError),
                );
            };
        const notImplemented = (method: string): grpc.handleUnaryCall<unknown, unknown> =>
            (_call, callback) => callback(unimplemented(method));
        return {
            handshake: unary((request: langproto.LanguageHandshakeRequest) => {
                void request;
                return new langproto.LanguageHandshakeResponse();
            }),
            getPluginInfo: unary(() => {
                const info = new pluginproto.PluginInfo();
                info.setVersion(`v${this.version}`);
                return info;
            }),
            // main.go: GetRequiredPlugins answers Unimplemented; the engine asks GetRequiredPackages.
            getRequiredPlugins: notImplemented("GetRequiredPlugins"),
            getRequiredPackages: unary((request: langproto.GetRequiredPackagesRequest) => {
                const response = new langproto.GetRequiredPackagesResponse();
                response.setPackagesList(requiredPackages(request.getInfo()?.getProgramDirectory() ?? "."));
                return response;
            }),
            run: unary((request: langproto.RunRequest) => this.run(request)),
            // The project installs its dependencies with npm ci; `pulumi install` is not part of its path.
            installDependencies: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
            about: unary(() => {
                const response = new langproto.AboutResponse();
                response.setExecutable(process.execPath);
                response.setVersion(process.version);
                return response;
            }),
            cancel: unary(() => {
                for (const child of this.running) child.kill("SIGINT");
                return new emptyproto.Empty();
            }),
            runtimeOptionsPrompts: notImplemented("RuntimeOptionsPrompts"),
            template: notImplemented("Template"),
            getProgramDependencies: notImplemented("GetProgramDependencies"),
            runPlugin: (call: grpc.ServerWritableStream<langproto.RunPluginRequest, langproto.RunPluginResponse>) => {
                this.runPlugin(call).catch((error: unknown) => call.destroy(error as Error));
            },
            generateProgram: notImplemented("GenerateProgram"),
            generateProject: notImplemented("GenerateProject"),
            generatePackage: notImplemented("GeneratePackage"),
            pack: notImplemented("Pack"),
            link: notImplemented("Link"),
        };
    }

    /**
     * main.go RunPlugin: a plugin written for Node.js (here, the policy pack) runs through @pulumi/pulumi's
     * `cmd/run-policy-pack` (analyzers) or `cmd/run-plugin`; an analyzer sits behind the PolicyProxy and is started
     * once the engine has sent the stack's configuration.
     */
    private async runPlugin(call: grpc.ServerWritableStream<langproto.RunPluginRequest, langproto.RunPluginResponse>): Promise<void> {
        const request = call.request;
        const send = (stream: "stdout" | "stderr", data: Uint8Array) => {
            const response = new langproto.RunPluginResponse();
            if (stream === "stdout") response.setStdout(data);
            else response.setStderr(data);
            call.write(response);
        };
        const info = request.getInfo();
        const programDirectory = info?.getProgramDirectory() ?? request.getPwd();
        const options = parseOptions((info?.getOptions()?.toJavaScript() ?? {}));
        const env: NodeJS.ProcessEnv = Object.fromEntries(request.getEnvList().map((entry) => {
            const equals = entry.indexOf("=");
            return [entry.slice(0, equals), entry.slice(equals + 1)];
        }));
        if (options.typescript) env["PULUMI_NODEJS_TYPESCRIPT"] = "true";
        if (options.tsconfigpath !== "") env["PULUMI_NODEJS_TSCONFIG_PATH"] = options.tsconfigpath;
        const isAnalyzer = request.getKind() === "analyzer";
        const runPath = locateModule(isAnalyzer ? "@pulumi/pulumi/cmd/run-policy-pack"
            : process.env["PULUMI_LANGUAGE_NODEJS_RUN_PATH"] || "@pulumi/pulumi/cmd/run-plugin", programDirectory);
        // main.go: the node arguments come after the run path; an analyzer's program directory comes last.
        const args = [runPath, ...options.nodeargs.split(/\s+/).filter((arg) => arg !== ""),
            ...(isAnalyzer ? [...request.getArgsList(), programDirectory] : [programDirectory, ...request.getArgsList()])];

        let proxy: PolicyProxy | undefined;
        if (isAnalyzer) {
            proxy = new PolicyProxy();
            send("stdout", Buffer.from(`${await proxy.start()}\n`));
            const configuration = await proxy.configuration;
            if (configuration !== undefined) {
                const maybe = (key: string, value: string) => {
                    if (value !== "") env[key] = value;
                };
                maybe("PULUMI_NODEJS_ORGANIZATION", configuration.getOrganization());
                maybe("PULUMI_NODEJS_PROJECT", configuration.getProject());
                maybe("PULUMI_NODEJS_STACK", configuration.getStack());
                maybe("PULUMI_NODEJS_DRY_RUN", String(configuration.getDryRun()));
                maybe("PULUMI_CONFIG", JSON.stringify(Object.fromEntries(configuration.getConfigMap().entries() as Iterable<[string, string]>)));
            }
        }
        const child = spawn(process.execPath, args, {
            cwd: isAnalyzer ? programDirectory : request.getPwd(), env, stdio: ["ignore", "pipe", "pipe"],
        });
        this.running.add(child);
        // The pack's process did not start (policy_proxy.go Abort, v3.276.0; main.go at v3.259 returned the error of
        // cmd.Start only, which left analyzer calls waiting).
        child.on("error", (error) => proxy?.abort(error));
        child.stderr.on("data", (chunk: Buffer) => send("stderr", chunk));
        let pending = "";
        let attached = proxy === undefined;
        child.stdout.on("data", (chunk: Buffer) => {
            if (attached) {
                send("stdout", chunk);
                return;
            }
            // policy_proxy.go Attach: the policy pack's first line is its port; the rest is ordinary output.
            pending += chunk.toString();
            const newline = pending.indexOf("\n");
            if (newline < 0) return;
            attached = true;
            const port = Number(pending.slice(0, newline).trim());
            const rest = pending.slice(newline + 1);
            if (rest !== "") send("stdout", Buffer.from(rest));
            proxy!.attach(port).catch((error: unknown) => send("stderr", Buffer.from(`${(error as Error).message}\n`)));
        });
        const code = await new Promise<number>((done) => child.on("close", (exitCode) => done(exitCode ?? 1)));
        this.running.delete(child);
        if (!attached) proxy?.fail(new Error("could not read policy pack port"));
        proxy?.stop();
        const exit = new langproto.RunPluginResponse();
        exit.setExitcode(code);
        call.write(exit);
        call.end();
    }

    /** main.go Run and execRuntime. */
    private async run(request: langproto.RunRequest): Promise<langproto.RunResponse> {
        const response = new langproto.RunResponse();
        const info = request.getInfo();
        const programDirectory = info?.getProgramDirectory() ?? request.getPwd();
        let options: NodeOptions;
        let runPath: string;
        try {
            options = parseOptions((info?.getOptions()?.toJavaScript() ?? {}));
            runPath = locateModule(process.env["PULUMI_LANGUAGE_NODEJS_RUN_PATH"] || DEFAULT_RUN_PATH, programDirectory);
        } catch (error) {
            response.setError((error as Error).message);
            return response;
        }
        const args = constructArguments({
            runPath,
            monitorAddress: request.getMonitorAddress(),
            engineAddress: this.engineAddress,
            organization: request.getOrganization(),
            project: request.getProject(),
            rootDirectory: info?.getRootDirectory() ?? "",
            stack: request.getStack(),
            programDirectory,
            dryRun: request.getDryrun(),
            parallel: request.getParallel(),
            tracing: this.tracing,
            entryPoint: info?.getEntryPoint() ?? ".",
            args: request.getArgsList(),
        });
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_CONFIG: constructConfig(new Map(request.getConfigMap().entries() as Iterable<[string, string]>)),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(request.getConfigsecretkeysList()),
        };
        if (options.typescript) env["PULUMI_NODEJS_TYPESCRIPT"] = "true";
        if (options.tsconfigpath !== "") env["PULUMI_NODEJS_TSCONFIG_PATH"] = options.tsconfigpath;
        // main.go splits nodeargs with shlex; the project sets none, so a plain split on spaces is refused instead.
        if (/["'\\]/.test(options.nodeargs)) {
            response.setError("nodeargs with quotes are not modelled by the language host model");
            return response;
        }
        const nodeArgs = options.nodeargs.split(/\s+/).filter((arg) => arg !== "");

        // The real host passes its own working directory on (exec.Command without Dir): the engine starts it in the
        // program's directory.
        const child = spawn(process.execPath, [...nodeArgs, ...args], { env, stdio: ["ignore", "inherit", "inherit"] });
        this.running.add(child);
        const code = await new Promise<number | null>((done) => {
            child.on("exit", (exitCode) => done(exitCode));
            child.on("error", () => done(null));
        });
        this.running.delete(child);
        if (code === EXITED_AFTER_USER_ACTIONABLE_MESSAGE) {
            response.setBail(true);
        } else if (code === null) {
            response.setError("Problem executing program (could not run language executor)");
        } else if (code !== 0) {
            response.setError(`Program exited with non-zero exit code: ${code}`);
        }
        return response;
    }
}

export interface HostFlags {
    readonly tracing: string;
    readonly runtime: string;
    readonly version: boolean;
    /** What follows the flags: the engine's address first. */
    readonly args: readonly string[];
}

/**
 * The flags main.go defines (`-tracing`, `-runtime`, `-version`) and those glog adds to Go's flag set through the
 * SDK's logging package, which the engine passes too (sdk/go/common/resource/plugin/plugin.go buildPluginArguments:
 * `--logtostderr`, `-v=N`, `--tracing ENDPOINT`, then the engine's address). Parsed as Go's flag package does: one or
 * two dashes, a value after `=` or, for all but boolean flags, in the next argument; the flags end at the first
 * argument that is not one, or after `--`.
 */
export function parseHostFlags(argv: readonly string[]): HostFlags {
    const strings: Record<string, string> = { tracing: "", runtime: "nodejs", v: "0", vmodule: "", log_dir: "", log_backtrace_at: "", stderrthreshold: "" };
    const booleans: Record<string, boolean> = { version: false, logtostderr: false, alsologtostderr: false };
    let index = 0;
    for (; index < argv.length; index++) {
        const arg = argv[index]!;
        if (arg === "--") {
            index++;
            break;
        }
        if (!arg.startsWith("-") || arg === "-") break;
        const [name, value] = ((body) => {
            const equals = body.indexOf("=");
            return equals < 0 ? [body, undefined] : [body.slice(0, equals), body.slice(equals + 1)];
        })(arg.replace(/^--?/, ""));
        if (name in booleans) {
            booleans[name] = value === undefined || ["1", "t", "T", "true", "TRUE", "True"].includes(value);
        } else if (name in strings) {
            if (value !== undefined) strings[name] = value;
            else if (index + 1 < argv.length) strings[name] = argv[++index]!;
            else throw new Error(`flag needs an argument: -${name}`);
        } else {
            throw new Error(`flag provided but not defined: -${name}`);
        }
    }
    return { tracing: strings["tracing"]!, runtime: strings["runtime"]!, version: booleans["version"]!, args: argv.slice(index) };
}

/** main.go main: the engine's address is the first argument; the port goes to stdout, one line. */
export async function main(argv: readonly string[]): Promise<void> {
    const flags = parseHostFlags(argv);
    if (flags.version) {
        console.log(`v${PULUMI_VERSION}`);
        return;
    }
    if (flags.runtime !== "nodejs" && flags.runtime !== "bun") throw new Error(`unsupported runtime: ${flags.runtime}`);
    const host = new NodeLanguageHost(flags.args[0] ?? "", PULUMI_VERSION, flags.tracing);
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(langrpc.LanguageRuntimeService, host.service());
    const port = await new Promise<number>((done, fail) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
            error === null ? done(bound) : fail(error)));
    process.stdout.write(`${port}\n`);
    process.on("SIGINT", () => server.forceShutdown());
}

/** The language host reports the version of the SDK it belongs to: @pulumi/pulumi's, which the CLI matches. */
const PULUMI_VERSION: string = (JSON.parse(readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;

/** Runs main as the host's process: a failure to start is one line on stderr and exit code 1. */
export function start(argv: readonly string[]): void {
    main(argv).catch((error: unknown) => {
        console.error(`pulumi-language-nodejs: ${(error as Error).message}`);
        process.exit(1);
    });
}

if (require.main === module) start(process.argv.slice(2));

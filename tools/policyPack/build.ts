/**
 * The guardrail policy pack as users run it: policy/ compiled to JavaScript in `.tools/policy-pack/` (ignored by
 * git), type-checked once here instead of at every start.
 *
 * Why: Pulumi's policy runner registers ts-node with `typeCheck: true` for every pack, whatever PulumiPolicy.yaml
 * or `noCheck` say (@pulumi/pulumi v3.276.0 sdk/nodejs/cmd/run-policy-pack/index.ts: `typeScript:
 * !process.versions.bun`; run.ts: `tsn.register({ typeCheck: true, ... })`), so a TypeScript pack is type-checked
 * with @pulumi/policy's and @pulumi/pulumi's declarations on every preview. ts-node compiles only `.ts` files (its
 * default extensions), and the runner reads a tsconfig.json only in the pack's own directory (`skipProject` when
 * there is none): a JavaScript pack with no tsconfig.json is loaded as it is.
 *
 * The folder holds the compiled tree (`policy/`, and the `infra/` and `common/` modules the pack imports), a
 * PulumiPolicy.yaml (the source's, with `typescript: false`), a package.json (the source's, whose `version`
 * @pulumi/policy's PolicyPack requires from the working directory, policy.js; `main` names the entry point), the
 * executable `analyzer` that `--policy-pack` names (POLICY_ANALYZER) and a record of the sources it was built from,
 * so that a changed source is rebuilt (`ensurePolicyPack`).
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import type ts from "typescript";
import { parse, stringify } from "yaml";

/** Where the compiled pack lives, from the project root. */
export const POLICY_PACK_DIR = join(".tools", "policy-pack");
/**
 * The compiled pack as a binary analyzer, what `--policy-pack` names: Pulumi launches a `--policy-pack` that names an
 * executable file as the analyzer plugin itself, "mirroring how providers are launched" (pulumi/pulumi pkg/v3
 * v3.276.0 resource/plugin/analyzer_plugin.go NewPolicyAnalyzer), so the pack starts without @pulumi/pulumi's policy
 * runner, which loads TypeScript and registers ts-node even for a JavaScript pack (cmd/run-policy-pack/run.ts). The
 * folder still works as a `--policy-pack`, through that runner.
 */
export const POLICY_ANALYZER = join(POLICY_PACK_DIR, "analyzer");
/** The compiler options of the build: policy/tsconfig.json's, emitting JavaScript. */
const PACK_TSCONFIG = join("policy", "tsconfig.pack.json");
const SOURCES_RECORD = "sources.json";
/**
 * Preloaded by the analyzer (common/lazyTypeScript.cjs): @pulumi/pulumi's TypeScript compiler, which the pack never
 * uses, loads only if something does, which halves the pack's start (0.42 s to 0.21 s of CPU to load @pulumi/policy).
 * Copied into the pack's folder at the same path.
 */
const LAZY_TYPESCRIPT = join("common", "lazyTypeScript.cjs");
/**
 * Preloaded by the analyzer too (common/lazyPulumiModules.cjs): @pulumi/pulumi's Automation API, which its index.js
 * requires as it loads and the pack never uses, loads only if something does (0.19 s to 0.14 s of CPU to load
 * @pulumi/policy, three runs each). Copied beside LAZY_TYPESCRIPT.
 */
const LAZY_PULUMI_MODULES = join("common", "lazyPulumiModules.cjs");
/**
 * Preloaded by the analyzer first (common/moduleCodeCache.cjs), as by the program: its modules compiled through a V8
 * code cache, in the checkout's node_modules/.cache (the node_modules nearest the copy).
 */
const MODULE_CODE_CACHE = join("common", "moduleCodeCache.cjs");
/** The preloads, in the order the analyzer requires them. */
const PRELOADS = [MODULE_CODE_CACHE, LAZY_TYPESCRIPT, LAZY_PULUMI_MODULES];
/** What the preloads require of the project, copied beside them. */
const PRELOAD_MODULES = [join("common", "onProcessEnd.cjs")];
/** Besides the compiled sources, the files whose change makes the built pack stale. */
const CONFIG_FILES = ["tsconfig.json", join("policy", "tsconfig.json"), PACK_TSCONFIG, join("policy", "PulumiPolicy.yaml"),
    join("policy", "package.json"), ...PRELOADS, ...PRELOAD_MODULES];

export class PolicyPackBuildError extends Error {}

interface SourcesRecord {
    readonly typescript: string;
    /** Path from the project root (with `/`) to the SHA-256 of its content. */
    readonly files: Record<string, string>;
}

function sha256(path: string): string {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The compiler's version, read without loading the compiler (about half a second): a new one rebuilds the pack. */
function typescriptVersion(): string {
    return (JSON.parse(readFileSync(require.resolve("typescript/package.json"), "utf8")) as { version: string }).version;
}

function record(root: string, files: readonly string[]): SourcesRecord {
    const sorted = [...new Set(files)].sort();
    return {
        typescript: typescriptVersion(),
        files: Object.fromEntries(sorted.map((file) => [file.split(sep).join("/"), sha256(join(root, file))])),
    };
}

/** True when the pack in ROOT/.tools/policy-pack was built from exactly the sources ROOT holds now. */
export function policyPackIsCurrent(root: string): boolean {
    const path = join(root, POLICY_PACK_DIR, SOURCES_RECORD);
    if (!existsSync(path)) return false;
    const built = JSON.parse(readFileSync(path, "utf8")) as SourcesRecord;
    if (built.typescript !== typescriptVersion()) return false;
    const files = Object.keys(built.files);
    if (!CONFIG_FILES.every((file) => files.includes(file.split(sep).join("/")))) return false;
    // A pack built before the binary analyzer was is rebuilt with it.
    if (!existsSync(join(root, POLICY_ANALYZER))) return false;
    return files.every((file) => existsSync(join(root, file)) && sha256(join(root, file)) === built.files[file]);
}

function formatDiagnostics(typescript: typeof ts, diagnostics: readonly ts.Diagnostic[], root: string): string {
    return typescript.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (name) => name,
        getCurrentDirectory: () => root,
        getNewLine: () => "\n",
    }).trim();
}

/**
 * Compiles ROOT/policy into ROOT/.tools/policy-pack: type errors refuse the build, as `tsc` would. Builds in a
 * sibling folder and then swaps it in, so that a preview starting meanwhile sees the old pack or the new one.
 */
export async function buildPolicyPack(root: string): Promise<string> {
    const { default: ts } = await import("typescript");
    const configPath = join(root, PACK_TSCONFIG);
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, undefined, {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
            throw new PolicyPackBuildError(formatDiagnostics(ts, [diagnostic], root));
        },
    });
    if (parsed === undefined) throw new PolicyPackBuildError(`${PACK_TSCONFIG}: cannot be read`);
    const target = join(root, POLICY_PACK_DIR);
    const staging = `${target}.${process.pid}.new`;
    rmSync(staging, { recursive: true, force: true });
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, outDir: staging } });
    const emitted = program.emit();
    const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
    if (diagnostics.length > 0 || emitted.emitSkipped) {
        rmSync(staging, { recursive: true, force: true });
        throw new PolicyPackBuildError(`the policy pack does not compile:\n${formatDiagnostics(ts, diagnostics, root)}`);
    }
    const sources = program.getSourceFiles()
        .filter((file) => !file.isDeclarationFile && !file.fileName.includes("/node_modules/"))
        .map((file) => relative(root, file.fileName));
    const entry = relative(root, join(root, "policy", "index.ts")).replace(/\.ts$/, ".js").split(sep).join("/");
    if (!existsSync(join(staging, entry))) throw new PolicyPackBuildError(`the policy pack's build has no ${entry}`);

    const manifest = parse(readFileSync(join(root, "policy", "PulumiPolicy.yaml"), "utf8")) as { runtime?: { options?: Record<string, unknown> } };
    manifest.runtime = { ...manifest.runtime, options: { ...manifest.runtime?.options, typescript: false } };
    writeFileSync(join(staging, "PulumiPolicy.yaml"),
        `# Built by tools/policyPack from policy/PulumiPolicy.yaml: the pack compiled to JavaScript.\n${stringify(manifest)}`);
    const packageJson = JSON.parse(readFileSync(join(root, "policy", "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(staging, "package.json"), `${JSON.stringify({ ...packageJson, main: entry }, null, 2)}\n`);
    for (const preload of [...PRELOADS, ...PRELOAD_MODULES]) {
        mkdirSync(join(staging, dirname(preload)), { recursive: true });
        copyFileSync(join(root, preload), join(staging, preload));
    }
    writeFileSync(join(staging, basename(POLICY_ANALYZER)), analyzerScript(entry), { mode: 0o755 });
    writeFileSync(join(staging, SOURCES_RECORD), `${JSON.stringify(record(root, [...sources, ...CONFIG_FILES]), null, 2)}\n`);

    mkdirSync(dirname(target), { recursive: true });
    const old = `${target}.${process.pid}.old`;
    if (existsSync(target)) renameSync(target, old);
    renameSync(staging, target);
    rmSync(old, { recursive: true, force: true });
    return target;
}

/**
 * The binary analyzer: the pack's entry point under plain node, in the pack's folder, because @pulumi/policy's
 * PolicyPack reads its version from the working directory's package.json (policy.js). The pack prints its port and
 * serves the Analyzer service on its own (@pulumi/policy server.js serve), as the runner would have it do.
 * Its modules come from a V8 code cache, and TypeScript's compiler and the Automation API load only on first use
 * (PRELOADS).
 */
function analyzerScript(entry: string): string {
    return [
        "#!/bin/sh",
        "# Built by tools/policyPack: the guardrail pack as a binary analyzer (tools/policyPack/build.ts POLICY_ANALYZER).",
        `cd "$(dirname "$0")" && exec node ${PRELOADS.map((preload) => `--require ./${preload.split(sep).join("/")}`).join(" ")} ${entry}`,
        "",
    ].join("\n");
}

/** The compiled pack of ROOT, rebuilt first when a source changed since it was built. */
export async function ensurePolicyPack(root: string): Promise<{ readonly dir: string; readonly built: boolean }> {
    if (policyPackIsCurrent(root)) return { dir: join(root, POLICY_PACK_DIR), built: false };
    return { dir: await buildPolicyPack(root), built: true };
}

/**
 * A copy of the project that the real Pulumi CLI works on: the project file, the program, the policy pack (its
 * source, and `.tools/policy-pack`, the compiled pack users run: tools/policyPack/build.ts) and the stack files, with a `file://` state backend, the passphrase secrets provider and a Pulumi home of its own whose
 * plugin cache holds the provider stand-ins at exactly the versions the SDKs request. Nothing is ever downloaded:
 * automatic plugin acquisition and ambient plugins are off.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installProviderPlugins, PULUMI_BIN_DIR, requirePulumiCli } from "../../localazure/plugins";
import { ensurePolicyPack, POLICY_ANALYZER, POLICY_PACK_DIR } from "../../tools/policyPack/build";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";

export { PROVIDER_PLUGINS, PULUMI_BIN_DIR, requirePulumiCli } from "../../localazure/plugins";

/** The local test passphrase of every stack in an engine workspace; it protects nothing real. */
export const TEST_PASSPHRASE = "engine-tests-only";

export interface CommandResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export interface AzureEnvironment {
    readonly url: string;
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly deployer: { readonly clientId: string; readonly clientSecret: string };
}

export interface EngineWorkspace {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    /** What every command under the guardrail pack passes: policyArgs(dir). */
    readonly policyArgs: readonly string[];
    pulumi(args: readonly string[]): Promise<CommandResult>;
    run(command: string, args: readonly string[]): Promise<CommandResult>;
    /** Writes (or replaces) a stack file in the copy. */
    writeStackFile(stack: string, yaml: string): void;
    dispose(): void;
}

/**
 * What every command under the guardrail pack passes in the project at `dir`: the pack users run, and its config.
 * The analyzer's path is absolute, as tools/ci/lib.sh passes it: the engine runs a binary analyzer from the
 * program's directory (infra/), so a relative path would be looked for there (pulumi/pulumi pkg/v3 v3.276.0
 * engine/update.go gives NewPolicyAnalyzer the path as typed, and newPlugin runs it in ctx.Pwd).
 */
export function policyArgs(dir: string): readonly string[] {
    return ["--policy-pack", join(dir, POLICY_ANALYZER), "--policy-pack-config", "policy/config.json"];
}

export interface WorkspaceOptions {
    /**
     * The azuread stand-in's consistency polls (localazure/providers/azuread/stateChange.ts) wait as the real
     * provider does, about 4 s per credential. Off by default: the tests then make every poll's reads without its
     * sleeps (LOCAL_AZURE_POLL_SCALE=0), unless LOCAL_AZURE_POLL_SCALE is set for the run.
     */
    readonly realPollWaits?: boolean;
}

export async function createEngineWorkspace(azure: AzureEnvironment, options: WorkspaceOptions = {}): Promise<EngineWorkspace> {
    const pulumi = requirePulumiCli();
    // The checkout's compiled pack, rebuilt first if policy/ changed since setup built it.
    const pack = (await ensurePolicyPack(PROJECT_ROOT)).dir;
    const dir = mkdtempSync(join(tmpdir(), "app-identity-engine-"));
    for (const entry of ["Pulumi.yaml", "tsconfig.json", "package.json", "common", "infra", "policy", "stacks"]) {
        cpSync(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
    }
    cpSync(pack, join(dir, POLICY_PACK_DIR), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
    mkdirSync(join(dir, ".state"));
    const home = join(dir, ".pulumi-home");
    mkdirSync(home);

    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${PULUMI_BIN_DIR}:${process.env["PATH"] ?? ""}`,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${join(dir, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        NO_COLOR: "1",
        LOCAL_AZURE_URL: azure.url,
        LOCAL_AZURE_POLL_SCALE: options.realPollWaits ? "1" : (process.env["LOCAL_AZURE_POLL_SCALE"] ?? "0"),
        ARM_TENANT_ID: azure.tenantId,
        ARM_SUBSCRIPTION_ID: azure.subscriptionId,
        ARM_CLIENT_ID: azure.deployer.clientId,
        ARM_CLIENT_SECRET: azure.deployer.clientSecret,
    };
    const run = (command: string, args: readonly string[]) => runCommand(command, args, dir, env);
    const workspace: EngineWorkspace = {
        dir,
        policyArgs: policyArgs(dir),
        env,
        pulumi: (args) => run(pulumi, args),
        run,
        writeStackFile(stack, yaml) {
            writeFileSync(join(dir, "stacks", `Pulumi.${stack}.yaml`), yaml);
        },
        dispose() {
            rmSync(dir, { recursive: true, force: true });
        },
    };
    installProviderPlugins(env);
    return workspace;
}

export function runCommand(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
    return new Promise((done, fail) => {
        const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", fail);
        child.on("close", (code) => done({ code: code ?? 1, stdout, stderr }));
    });
}

/**
 * The provider stand-ins as Pulumi plugins: a launcher per provider, installed into a Pulumi home's plugin cache
 * at exactly the version the SDK asks for (`pulumi plugin install resource NAME VERSION --file LAUNCHER`; the CLI
 * copies a single file as the plugin binary: pulumi/pulumi pkg/cmd/pulumi/plugin/plugin_install.go). With
 * PULUMI_IGNORE_AMBIENT_PLUGINS and PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION set, the CLI uses these and
 * never downloads the real ones.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { compiledStandIns } from "./compiledStandIns";

const ROOT = resolve(__dirname, "..");

/** Runs a bundle through its V8 code cache (`node codeCache.cjs FILE ARGS...`). */
const CODE_CACHE = join(ROOT, "common", "codeCache.cjs");

/** The plugins the program's SDKs ask for, at their exact versions (package-lock.json). */
export const PROVIDER_PLUGINS = [
    { name: "azuread", version: "6.9.1" },
    { name: "azure-native", version: "3.28.0" },
] as const;

/** The Pulumi CLI that tools/pulumi/install.sh links for this checkout. */
export const PULUMI_BIN_DIR = join(ROOT, ".tools", "bin");

export function requirePulumiCli(): string {
    const pulumi = join(PULUMI_BIN_DIR, "pulumi");
    if (!existsSync(pulumi)) {
        throw new Error(`the Pulumi CLI is not installed at ${pulumi}: run 'bash tools/pulumi/install.sh'`);
    }
    return pulumi;
}

/** The plugin binary of stand-in `name` compiled in `compiled` (compiledStandIns): a shell script, as the CLI runs it. */
export function pluginLauncher(compiled: string, name: string): string {
    return "#!/bin/sh\n# The provider stand-in (localazure/providers, compiled), as a plugin binary, loaded through its V8\n" +
        "# code cache (common/codeCache.cjs).\n" +
        `exec node "${CODE_CACHE}" "${join(compiled, "localazure", "providers", name, "main.js")}" "$@"\n`;
}

/** Installs both stand-ins into the plugin cache of the Pulumi home in `env.PULUMI_HOME`. */
export function installProviderPlugins(env: NodeJS.ProcessEnv): void {
    const pulumi = requirePulumiCli();
    const compiled = compiledStandIns();
    const scratch = mkdtempSync(join(tmpdir(), "local-azure-plugins-"));
    try {
        for (const plugin of PROVIDER_PLUGINS) {
            const launcher = join(scratch, `pulumi-resource-${plugin.name}`);
            writeFileSync(launcher, pluginLauncher(compiled, plugin.name));
            chmodSync(launcher, 0o755);
            const installed = spawnSync(pulumi, ["plugin", "install", "resource", plugin.name, plugin.version,
                "--file", launcher, "--reinstall"], { env, encoding: "utf8" });
            if (installed.status !== 0) {
                throw new Error(`pulumi plugin install resource ${plugin.name} ${plugin.version} failed: ${installed.stderr.trim()}`);
            }
        }
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
}

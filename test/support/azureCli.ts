/**
 * The real Azure CLI (tools/setup/azure-cli.sh links it at .tools/bin/az) pointed at a local Azure as a user
 * points it, with the variables `npm run local-azure` prints: HTTPS_PROXY to reach Azure's real hostnames and
 * REQUESTS_CA_BUNDLE for the local test CA. Each instance has an AZURE_CONFIG_DIR of its own, so nothing reads or
 * writes ~/.azure. A missing az is a failure that says how to install it, never a skip.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { LocalAzure } from "../../localazure/index";
import { environmentFor } from "../../localazure/main";

export const AZ = resolve(__dirname, "..", "..", ".tools", "bin", "az");

export interface AzResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export class AzureCli {
    readonly configDir = mkdtempSync(join(tmpdir(), "azure-cli-config-"));

    constructor(private readonly azure: LocalAzure) {
        if (!existsSync(AZ)) throw new Error(`the Azure CLI is not installed at ${AZ}: run bash tools/setup/azure-cli.sh`);
    }

    run(args: readonly string[]): Promise<AzResult> {
        const env = {
            PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...Object.fromEntries(environmentFor(this.azure)),
            AZURE_CONFIG_DIR: this.configDir, AZURE_CORE_COLLECT_TELEMETRY: "false", AZURE_CORE_NO_COLOR: "true",
        };
        return new Promise((done) => {
            execFile(AZ, [...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
                const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
                done({ code, stdout, stderr });
            });
        });
    }

    /** Runs `az ... -o json` and parses what it prints; throws with az's stderr when it fails. */
    async json<T = unknown>(args: readonly string[]): Promise<T> {
        const result = await this.run([...args, "--output", "json"]);
        if (result.code !== 0) throw new Error(`az ${redacted(args).join(" ")} exited ${result.code}: ${result.stderr}`);
        return (result.stdout.trim() === "" ? null : JSON.parse(result.stdout)) as T;
    }

    /** `az login --service-principal` as the docs show it: the subscriptions it found. */
    login(clientId: string, clientSecret: string): Promise<{ id: string; name: string; isDefault: boolean }[]> {
        // `--password=` as README.md shows it: an Entra secret may start with "-", which argparse would take for an
        // option (azure-cli's `az login --help`: "use `--password=<value>` for a password that starts with -").
        return this.json(["login", "--service-principal", "--username", clientId, `--password=${clientSecret}`,
            "--tenant", this.azure.tenantId, "--query", "[].{id:id, name:name, isDefault:isDefault}"]);
    }
}

/** The arguments as an error may show them: a password's value never reaches a log. */
export function redacted(args: readonly string[]): string[] {
    return args.map((arg, i) => arg.startsWith("--password=") ? "--password=[secret]"
        : args[i - 1] === "--password" || args[i - 1] === "-p" ? "[secret]" : arg);
}

/**
 * The pieces of an end-to-end run: the Azure stand-in fed from offline plans, env files written by
 * `npm run env-file`, and the example blob app under Debian's gunicorn with the environment systemd would give it.
 * Every process is on loopback, bounded in time and stopped by the caller.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as envFile } from "../../tools/envFileCommand";
import type { StackEvaluation } from "../../tools/offline/engine";
import { runCli } from "../cli";
import { ROOT, SHARED } from "../harness";
import { BlobStandIn, readRoleDefinitions, type Assignment, type StorageAccount } from "../standin/blob";
import { credentialsFromEvaluation, EntraStandIn } from "../standin/entra";
import { startStandIn, type RunningStandIn } from "../standin/server";
import { systemd } from "./envReaders";
import { showSecretsJson, writeOutputsFile } from "./outputs";

export const GUNICORN = "/usr/bin/gunicorn";
export const ACCOUNTS = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "storage-accounts.json"), "utf8")) as
    Record<string, StorageAccount>;

export interface AzureStandIn {
    readonly server: RunningStandIn;
    readonly entra: EntraStandIn;
    readonly blob: BlobStandIn;
    stop(): Promise<void>;
}

/** Entra and Blob Storage as they are after `pulumi up` of these stacks, reading the time from `now`. */
export async function startAzure(evaluations: readonly StackEvaluation[], now: () => Date): Promise<AzureStandIn> {
    const entra = new EntraStandIn(evaluations.flatMap(credentialsFromEvaluation), now);
    const assignments: Assignment[] = evaluations.flatMap((evaluation) => evaluation.resources
        .filter((resource) => resource.type === "azure-native:authorization:RoleAssignment")
        .map((resource) => ({
            scope: String(resource.inputs["scope"]),
            roleDefinitionId: String(resource.inputs["roleDefinitionId"]),
            principalId: String(resource.inputs["principalId"]),
        })));
    const blob = new BlobStandIn(ACCOUNTS, assignments, readRoleDefinitions(SHARED), entra.issuedTokens, now);
    const server = await startStandIn([entra, blob]);
    return { server, entra, blob, stop: () => server.stop() };
}

/** The env file `npm run env-file` writes from a stack's outputs (as `--show-secrets` prints them). */
export async function writeEnvFile(evaluation: StackEvaluation, developer?: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "e2e-env-"));
    const from = writeOutputsFile(join(dir, "outputs.json"), showSecretsJson(evaluation));
    const out = join(dir, "azure.env");
    const result = await runCli(envFile, ["--from", from, "--out", out, ...(developer ? ["--developer", developer] : [])]);
    if (result.code !== 0) throw new Error(result.stderr);
    return out;
}

export interface RunningApp {
    readonly url: string;
    /** What gunicorn and the app wrote to stderr: for a failing test's message. */
    log(): string;
    request(method: "GET" | "PUT", path: string, body?: string): Promise<{ status: number; body: string }>;
    stop(): Promise<void>;
}

/** The example app under gunicorn, with the variables systemd's parser reads from the env file. */
export async function startApp(envFilePath: string, account: string, azure: AzureStandIn): Promise<RunningApp> {
    const variables = systemd([envFilePath])[0]!;
    const port = await freePort();
    const child = spawn(GUNICORN, ["--bind", `127.0.0.1:${port}`, "--workers", "1", "--timeout", "30",
        "--chdir", join(ROOT, "examples", "blob-app"), "app:app"], {
        env: {
            ...Object.fromEntries(Object.entries(variables).filter(([key]) => key.startsWith("AZURE_"))),
            STORAGE_ACCOUNT_URL: `https://${account}.blob.core.windows.net`,
            HTTPS_PROXY: azure.server.proxyUrl,
            // Plain HTTP too (a managed identity probe, say): to the stand-in, which refuses it, never elsewhere.
            HTTP_PROXY: azure.server.proxyUrl,
            REQUESTS_CA_BUNDLE: azure.server.caFile,
            PATH: "/usr/bin:/bin",
            HOME: mkdtempSync(join(tmpdir(), "e2e-home-")),
        },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr.on("data", (chunk: Buffer) => { log += chunk.toString(); });
    const url = `http://127.0.0.1:${port}`;
    const app: RunningApp = {
        url,
        log: () => log,
        async request(method, path, body) {
            const response = await fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(60_000) });
            return { status: response.status, body: await response.text() };
        },
        stop: () => stopProcess(child),
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`gunicorn exited ${child.exitCode}: ${log}`);
        try {
            if ((await app.request("GET", "/healthz")).status === 200) return app;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) {
            await app.stop();
            throw new Error(`gunicorn did not answer within 30 s: ${log}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

async function stopProcess(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/**
 * The pieces of an end-to-end run: the Azure stand-in fed from offline plans (Blob Storage's data plane in Azurite), env files written by
 * `npm run env-file`, and the example blob app under gunicorn from the checkout's .venv (the versions pinned in
 * examples/blob-app/requirements.txt) with the environment systemd would give it, as the service's own unprivileged
 * user (test/support/serviceUser.ts): a file the docs' commands leave unreadable to that user fails the scenario.
 * Every process is on loopback, bounded in time and stopped by the caller.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from "node:http";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as envFile } from "../../tools/envFile/command";
import type { StackEvaluation } from "../../tools/offline/engine";
import { runCli } from "../cli";
import { ROOT, SHARED } from "../harness";
import { startAzurite, type Azurite } from "../../localazure/azurite";
import { BlobStandIn, BLOB_HOST_SUFFIX, readRoleDefinitions, type Assignment, type StorageAccount } from "../../localazure/standin/blob";
import { EntraStandIn, type AppCredential } from "../../localazure/standin/entra";
import { credentialsFromEvaluation } from "./planCredentials";
import type { KeyCredentialRecord } from "../../localazure/graph/keyCredentials";
import { startStandIn, type RunningStandIn, type StandInService } from "../../localazure/standin/server";
import type { FederatedCredentialRecord } from "../../localazure/federatedAssertion";
import { fetchThroughProxy } from "../../localazure/issuerFetch";
import type { OidcIssuer } from "../../localazure/oidc/issuer";
import { ImdsStandIn, type VmIdentity } from "../../localazure/standin/imds";
import { PYTHON_ENV, requireVenv, systemd, VENV_GUNICORN } from "./envReaders";
import { showSecretsJson, writeOutputsFile } from "./outputs";
import { stopProcess } from "../../localazure/stopProcess";
import { asUser, ensureServiceUser, userEnvironment } from "./serviceUser";

export const ACCOUNTS = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "storage-accounts.json"), "utf8")) as
    Record<string, StorageAccount>;

export interface AzureStandIn {
    readonly server: RunningStandIn;
    /** In front of the stand-in: what the apps' HTTPS_PROXY and HTTP_PROXY point at. */
    readonly proxy: RecordingProxy;
    readonly entra: EntraStandIn;
    /** The apps Entra reads at each request: replace an entry to change what is registered on it. */
    readonly apps: AppCredential[];
    readonly blob: BlobStandIn;
    /** The data plane behind the Blob stand-in: what got past its RBAC check, and what the accounts hold. */
    readonly azurite: Azurite;
    /** An Azure VM's IMDS, when the scenario's app runs on one (startAzure's `vm`). */
    readonly imds?: ImdsStandIn;
    stop(): Promise<void>;
}

/** The managed identities of the Azure VM the app runs on: IMDS answers for them (localazure/standin/imds.ts). */
export interface VmIdentities {
    readonly tenantId: string;
    readonly systemAssigned?: VmIdentity;
    readonly userAssigned: readonly VmIdentity[];
}

/**
 * Entra and Blob Storage as they are after `pulumi up` of these stacks, reading the time from `now`. `assignments`,
 * when given, is the list the Blob stand-in judges by (the caller may change it, as a later `pulumi up` would).
 * `issuers` are OIDC issuers served beside them on their own host names, which the Entra stand-in reads through the
 * stand-in's own proxy, as Entra reads a real issuer over the internet.
 */
export async function startAzure(evaluations: readonly StackEvaluation[], now: () => Date,
    assignments: Assignment[] = roleAssignmentsOf(evaluations), vm?: VmIdentities, issuers: readonly OidcIssuer[] = []): Promise<AzureStandIn> {
    const apps = evaluations.flatMap(credentialsFromEvaluation);
    let route = { proxyUrl: "", caFile: "" };
    const entra = new EntraStandIn(apps, now, fetchThroughProxy(() => route));
    const azurite = await emptyAzurite();
    const blob = new BlobStandIn(ACCOUNTS, assignments, readRoleDefinitions(SHARED), entra.issuedTokens, azurite, now);
    const imds = vm === undefined ? undefined : new ImdsStandIn({ ...vm, issuedTokens: entra.issuedTokens, now });
    const services: StandInService[] = [entra, blob, ...(imds === undefined ? [] : [imds]), ...issuers];
    const server = await startStandIn(services);
    route = { proxyUrl: server.proxyUrl, caFile: server.caFile };
    const proxy = await startRecordingProxy(server.proxyUrl);
    return { server, proxy, entra, apps, blob, azurite, ...(imds === undefined ? {} : { imds }),
        stop: async () => { await proxy.stop(); await server.stop(); } };
}

let sharedAzurite: Promise<Azurite> | undefined;

/**
 * One Azurite for every scenario of this test worker, emptied before each (no container, no request in its log):
 * an emulator costs about a second of CPU to start, and the scenarios run one at a time. It ends with the worker,
 * whose exit closes its stdin (localazure/azurite.ts).
 */
async function emptyAzurite(): Promise<Azurite> {
    sharedAzurite ??= startAzurite(Object.keys(ACCOUNTS)).catch((error: unknown) => {
        sharedAzurite = undefined;
        throw error;
    });
    const azurite = await sharedAzurite;
    await azurite.reset();
    return azurite;
}

/** The role assignments these stacks register, as the Blob stand-in judges them. */
export function roleAssignmentsOf(evaluations: readonly StackEvaluation[]): Assignment[] {
    return evaluations.flatMap((evaluation) => evaluation.resources
        .filter((resource) => resource.type === "azure-native:authorization:RoleAssignment")
        .map((resource) => ({
            scope: String(resource.inputs["scope"]),
            roleDefinitionId: String(resource.inputs["roleDefinitionId"]),
            principalId: String(resource.inputs["principalId"]),
        })));
}

/** Puts a blob in place as the account's administrator would (Shared Key, past RBAC): the fixture a scenario reads. */
export async function seedBlob(azurite: Azurite, account: string, container: string, blob: string, body: string): Promise<void> {
    const host = `${account}${BLOB_HOST_SUFFIX}`;
    const created = await azurite.send(host, "PUT", `/${container}?restype=container`);
    const put = await azurite.send(host, "PUT", `/${container}/${encodeURIComponent(blob)}`, { "x-ms-blob-type": "BlockBlob" }, Buffer.from(body));
    if (![201, 409].includes(created.status) || put.status !== 201) {
        throw new Error(`Azurite did not take the fixture ${account}/${container}/${blob}: ${created.status}, ${put.status} ${put.body.toString()}`);
    }
}

/** A blob as Azurite holds it, read with the account key: its status and body. */
export async function readBlob(azurite: Azurite, account: string, container: string, blob: string): Promise<{ status: number; body: string }> {
    const reply = await azurite.send(`${account}${BLOB_HOST_SUFFIX}`, "GET", `/${container}/${encodeURIComponent(blob)}`);
    return { status: reply.status, body: reply.status === 200 ? reply.body.toString("utf8") : reply.headers["x-ms-error-code"] ?? "" };
}

/**
 * Everything a client asked the proxy for, before the stand-in judged it: each CONNECT target (`host:port`) and
 * each plain-HTTP request (`METHOD absolute-URL`, such as a managed identity probe of 169.254.169.254). The
 * stand-in itself records only the tunnels it refuses and the requests that reach its services.
 */
export interface RecordingProxy {
    readonly url: string;
    readonly connects: string[];
    readonly plainRequests: string[];
    stop(): Promise<void>;
}

/** A loopback proxy that records, then passes every byte to the stand-in's proxy at `upstream`. */
export async function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
    const target = new URL(upstream);
    const connects: string[] = [];
    const plainRequests: string[] = [];
    const sockets = new Set<Socket>();
    const server = createHttpServer((req, res) => {
        plainRequests.push(`${req.method} ${req.url}`);
        const forwarded = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
            (answer) => { res.writeHead(answer.statusCode ?? 502, answer.headers); answer.pipe(res); });
        forwarded.on("error", () => res.destroy());
        req.pipe(forwarded);
    });
    server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
        connects.push(req.url ?? "");
        const next = connect(Number(target.port), target.hostname, () => {
            next.write(`CONNECT ${req.url} HTTP/1.1\r\nHost: ${req.url}\r\n\r\n`);
            if (head.length > 0) next.write(head);
            client.pipe(next);
            next.pipe(client);
        });
        next.on("error", () => client.destroy());
        client.on("error", () => next.destroy());
        sockets.add(next);
        next.on("close", () => sockets.delete(next));
    });
    server.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        connects,
        plainRequests,
        stop: async () => {
            for (const socket of sockets) socket.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

/** The way to the stand-in, for any client process: both proxies at the recorder, and no host exempted. */
export function proxyEnvironment(proxy: RecordingProxy): Record<string, string> {
    return {
        HTTPS_PROXY: proxy.url, https_proxy: proxy.url,
        // Plain HTTP too (a managed identity probe, say): to the stand-in, which refuses it, never elsewhere.
        HTTP_PROXY: proxy.url, http_proxy: proxy.url,
        NO_PROXY: "", no_proxy: "",
    };
}

/** azure.identity's INFO lines (which credential it found and used) on gunicorn's stderr, through gunicorn's --log-config-json. */
function identityLogConfig(): string {
    const directory = mkdtempSync(join(tmpdir(), "e2e-log-"));
    // The test's own file, not the docs': readable by the service's user, who runs gunicorn.
    chmodSync(directory, 0o755);
    const file = join(directory, "logging.json");
    writeFileSync(file, JSON.stringify({
        version: 1,
        disable_existing_loggers: false,
        formatters: { plain: { format: "%(name)s %(levelname)s %(message)s" } },
        handlers: { stderr: { class: "logging.StreamHandler", formatter: "plain", stream: "ext://sys.stderr" } },
        root: { level: "WARNING", handlers: ["stderr"] },
        loggers: {
            "azure.identity": { level: "INFO", handlers: ["stderr"], propagate: false },
            "gunicorn.error": { level: "INFO", handlers: ["stderr"], propagate: false },
        },
    }), { mode: 0o644 });
    return file;
}

const readableCopies = new Map<string, string>();

/**
 * The local Azure's CA certificate where any user can read it, as a machine's trust store is: the stand-in keeps it
 * beside the CA's key in a directory of root's alone. Public data; the key stays where it is.
 */
export function readableCopy(caFile: string): string {
    let copy = readableCopies.get(caFile);
    if (copy === undefined) {
        const directory = mkdtempSync(join(tmpdir(), "e2e-ca-"));
        chmodSync(directory, 0o755);
        copy = join(directory, "ca.pem");
        writeFileSync(copy, readFileSync(caFile), { mode: 0o644 });
        readableCopies.set(caFile, copy);
    }
    return copy;
}

/** The lines a Python process logged on the `azure.identity` loggers, as `logger LEVEL message`. */
export function identityLogLines(log: string): string[] {
    return log.split("\n").filter((line) => line.startsWith("azure.identity"));
}

/** The env file `npm run env-file` writes from a stack's outputs (as `--show-secrets` prints them). */
export async function writeEnvFile(evaluation: StackEvaluation, developer?: string, extraArgs: readonly string[] = []): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "e2e-env-"));
    const from = writeOutputsFile(join(dir, "outputs.json"), showSecretsJson(evaluation));
    const out = join(dir, "azure.env");
    const result = await runCli(envFile, ["--from", from, "--out", out, ...(developer ? ["--developer", developer] : []), ...extraArgs]);
    if (result.code !== 0) throw new Error(result.stderr);
    return out;
}

/** The app's certificates as `pulumi up` leaves them in Graph (keyCredentials), for the next sign-in. */
export function registerCertificates(azure: AzureStandIn, clientId: string, keyCredentials: readonly KeyCredentialRecord[]): void {
    const index = azure.apps.findIndex((app) => app.clientId === clientId);
    if (index < 0) throw new Error(`no app with client ID ${clientId} in the stand-in`);
    azure.apps[index] = { ...azure.apps[index]!, keyCredentials: [...keyCredentials] };
}

/** The app's federated credentials as a later `pulumi up` leaves them in Graph, for the next sign-in. */
export function registerFederatedCredentials(azure: AzureStandIn, clientId: string, records: readonly FederatedCredentialRecord[]): void {
    const index = azure.apps.findIndex((app) => app.clientId === clientId);
    if (index < 0) throw new Error(`no app with client ID ${clientId} in the stand-in`);
    azure.apps[index] = { ...azure.apps[index]!, federatedCredentials: [...records] };
}

/**
 * An env file for a certificate identity: the tenant, the client ID and the path of the server's PEM (key and
 * certificate), which azure-identity's EnvironmentCredential reads as AZURE_CLIENT_CERTIFICATE_PATH
 * (azure/identity/_credentials/environment.py); no secret.
 */
export function writeCertificateEnvFile(evaluation: StackEvaluation, certificatePath: string): string {
    const out = join(mkdtempSync(join(tmpdir(), "e2e-env-")), "azure.env");
    const value = (name: string) => String(evaluation.outputs[name]!.value);
    writeFileSync(out, [`AZURE_CLIENT_ID=${value("clientId")}`, `AZURE_TENANT_ID=${value("tenantId")}`,
        `AZURE_CLIENT_CERTIFICATE_PATH=${certificatePath}`, ""].join("\n"), { mode: 0o600 });
    return out;
}

export interface RunningApp {
    readonly url: string;
    /** gunicorn's master: setpriv execs it in place, so the process started is the app's. */
    readonly pid: number;
    /** What gunicorn and the app wrote to stderr: for a failing test's message. */
    log(): string;
    request(method: "GET" | "PUT", path: string, body?: string): Promise<{ status: number; body: string }>;
    stop(): Promise<void>;
}

/** The env file's variables the app's process gets: Azure's, and the Arc agent's endpoints (tools/envFile/envFile.ts). */
const PASSED_ON = /^(AZURE_[A-Z_]+|IDENTITY_ENDPOINT|IMDS_ENDPOINT)$/;

/**
 * The example app under gunicorn, with the variables systemd's parser reads from the env file (read as root, as
 * systemd reads `EnvironmentFile=` before it drops to `User=`), run as the service's user. `overrides` replace
 * some of the variables, such as the Arc agent's endpoints, where a stand-in listens on another port than the real
 * agent; `supplementaryGroups` are the unit's `SupplementaryGroups=` (the Arc unit's `himds`).
 */
export async function startApp(envFilePath: string, account: string, azure: AzureStandIn,
    overrides: Readonly<Record<string, string>> = {}, supplementaryGroups?: readonly string[]): Promise<RunningApp> {
    const variables = systemd([envFilePath])[0]!;
    const port = await freePort();
    const user = ensureServiceUser();
    const gunicorn = asUser(user, requireVenv(VENV_GUNICORN), ["--bind", `127.0.0.1:${port}`, "--workers", "1", "--timeout", "30",
        "--no-control-socket", "--log-config-json", identityLogConfig(), "--chdir", join(ROOT, "examples", "blob-app"), "app:app"],
    supplementaryGroups);
    const child = spawn(gunicorn.command, gunicorn.args, {
        // Only what systemd would pass: the env file's variables, the unit's Environment= line, and the user's
        // own HOME (none: no Azure CLI or token cache in it).
        env: {
            ...userEnvironment(user),
            ...Object.fromEntries(Object.entries(variables).filter(([key]) => PASSED_ON.test(key))),
            STORAGE_ACCOUNT_URL: `https://${account}.blob.core.windows.net`,
            ...proxyEnvironment(azure.proxy),
            REQUESTS_CA_BUNDLE: readableCopy(azure.server.caFile),
            ...PYTHON_ENV,
            PATH: "/usr/bin:/bin",
            ...overrides,
        },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr.on("data", (chunk: Buffer) => { log += chunk.toString(); });
    const url = `http://127.0.0.1:${port}`;
    const app: RunningApp = {
        url,
        pid: child.pid!,
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

/**
 * Azurite, Microsoft's Blob Storage emulator (npm `azurite`), as the Blob stand-in's data plane: one `azurite-blob`
 * process per stand-in, in memory, on 127.0.0.1 at a port of its own, knowing only the stand-in's accounts, each
 * with a random key that only this process holds. The stand-in authenticates and authorizes each request itself,
 * then forwards it here signed with that key (Shared Key), so that containers, blobs, status codes, headers and
 * error bodies are the emulator's own.
 *
 * Why Shared Key and not `--oauth basic` with the client's bearer token: Azurite's BlobTokenAuthenticator
 * (Azure/Azurite src/blob/authentication/BlobTokenAuthenticator.ts) wants HTTPS and checks the token's nbf and exp
 * against the real clock, while the stand-in's tokens follow the scenarios' clock (a rotation in 2028, say). Shared
 * Key has no clock in it: BlobSharedKeyAuthenticator.ts recomputes the HMAC-SHA256 of the string below with the
 * account's key from AZURITE_ACCOUNTS (src/common/AccountDataStore.ts) and compares.
 *
 * Why production-style hosts rather than rewriting paths to `/<account>/...`: the request keeps its path and query
 * exactly as the client sent them, and the Host header it already carries names the account. Azurite takes the
 * account from a host that is not an IP address and has a dot in it, the container and blob from the path
 * (src/blob/middlewares/blobStorageContext.middleware.ts, extractStoragePartsFromPath; README.md, "Production-style
 * URL"), and checks the signature over `/<account><path>` as Azure does.
 */
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StandInRequest, StandInResponse } from "./standin/server";
import { stopProcess } from "./stopProcess";

const AZURITE_BLOB = require.resolve("azurite/dist/src/blob/main.js");
/** Azurite's own line once it listens (src/blob/main.ts): the only way to learn the port it picked for `--blobPort 0`. */
const LISTENING = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/;
/** Its access log (morgan's "common" format, src/blob/BlobRequestListenerFactory.ts): one line per request it received. */
const ACCESS_LINE = /^127\.0\.0\.1 - - \[[^\]]+\] "(\S+) (\S+) HTTP\/1\.1" (\d+) /;
const START_TIMEOUT_MS = 30_000;
/**
 * Runs azurite-blob (argv[1]) in the child, and ends it when the owner's end closes its stdin: a test worker that
 * is killed leaves no emulator behind. Its empty workspace goes with it.
 */
const LAUNCHER = [
    "process.stdin.on('end', () => process.exit(0)).resume().unref();",
    "process.on('exit', () => require('node:fs').rmSync(process.cwd(), { recursive: true, force: true }));",
    "require(process.argv[1]);",
].join("\n");

/** Headers that belong to one connection, or that the forwarder sets itself. */
const NOT_FORWARDED = new Set(["host", "authorization", "content-length", "connection", "keep-alive", "proxy-authorization",
    "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"]);

export interface AzuriteRequestRecord {
    readonly method: string;
    /** Path and query as Azurite received them. */
    readonly path: string;
    readonly status: number;
}

export interface AzuriteReply {
    readonly status: number;
    /** As Azurite sent them, in its casing, without the per-connection ones. */
    readonly headers: Record<string, string>;
    readonly body: Buffer;
}

export interface Azurite {
    /** `http://127.0.0.1:<port>` */
    readonly url: string;
    /** Every request Azurite received, from its own access log: what got past the stand-in. */
    readonly requests: readonly AzuriteRequestRecord[];
    /** A client's request, already authorized by the stand-in, signed with its account's key. */
    forward(request: StandInRequest): Promise<StandInResponse>;
    /** A request as the account's owner would send it with the account key: for fixtures and for reading back. */
    send(host: string, method: string, pathAndQuery: string, headers?: Record<string, string>, body?: Buffer): Promise<AzuriteReply>;
    /**
     * Deletes every container of every account (Azurite removes a container and its blobs at once:
     * src/blob/persistence/LokiBlobMetadataStore.ts, deleteContainer), checks that none is left and empties
     * `requests`: the emulator as a fresh start leaves it, for the next user of one that is shared.
     */
    reset(): Promise<void>;
    stop(): Promise<void>;
}

/** Starts `azurite-blob` for these account names (lowercase letters and digits, as Azure's). */
export async function startAzurite(accounts: readonly string[]): Promise<Azurite> {
    const keys = new Map(accounts.map((account) => [account, randomBytes(32)]));
    // Azurite wants a workspace (its working directory) even in memory: an empty one of its own, not the checkout.
    const workspace = mkdtempSync(join(tmpdir(), "azurite-"));
    const child = spawn(process.execPath, ["-e", LAUNCHER, AZURITE_BLOB,
        "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
        // Nothing leaves the machine (Azurite collects telemetry unless told not to).
        "--disableTelemetry",
        // The current SDKs send an x-ms-version newer than 3.35.0 knows (azure-storage-blob 12.31.1: 2026-10-06;
        // ValidAPIVersions in src/blob/utils/constants.ts end at 2025-11-05): README.md, "Skip API Version Check".
        "--skipApiVersionCheck",
    ], {
        cwd: workspace,
        // Only the accounts: no credential of this process's environment reaches the emulator.
        env: { AZURITE_ACCOUNTS: [...keys].map(([name, key]) => `${name}:${key.toString("base64")}`).join(";") },
        stdio: ["pipe", "pipe", "pipe"],
    });
    // Kept-alive connections of its own, closed with it: none left in Node's shared pool towards a stopped port.
    const agent = new Agent({ keepAlive: true });
    const requests: AzuriteRequestRecord[] = [];
    /** Waiting for the access log line of the request numbered `count`: resolved when it has been read. */
    const logWaiters: { count: number; resolve: () => void }[] = [];
    let sent = 0;
    /** Access log lines read since the start: `requests` is emptied by a reset, this count never. */
    let logged = 0;
    let output = "";
    let pending = "";
    const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`azurite-blob did not listen within ${START_TIMEOUT_MS / 1000} s: ${output}`)), START_TIMEOUT_MS);
        child.stdout.on("data", (chunk: Buffer) => {
            pending += chunk.toString("utf8");
            const lines = pending.split("\n");
            pending = lines.pop()!;
            for (const line of lines) {
                const access = ACCESS_LINE.exec(line);
                if (access !== null) {
                    requests.push({ method: access[1]!, path: access[2]!, status: Number(access[3]) });
                    logged += 1;
                    for (const waiter of logWaiters.filter((candidate) => candidate.count <= logged)) {
                        logWaiters.splice(logWaiters.indexOf(waiter), 1);
                        waiter.resolve();
                    }
                } else {
                    output += `${line}\n`;
                }
                const listening = LISTENING.exec(line);
                if (listening !== null) {
                    clearTimeout(timer);
                    resolve(Number(listening[1]));
                }
            }
        });
        child.stderr.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
        child.once("exit", (code, signal) => {
            clearTimeout(timer);
            reject(new Error(`azurite-blob exited (${code ?? signal}) before listening: ${output}`));
        });
    }).catch(async (error: unknown) => {
        agent.destroy();
        await stopProcess(child);
        rmSync(workspace, { recursive: true, force: true });
        throw error;
    });

    async function send(host: string, method: string, pathAndQuery: string, headers: Record<string, string> = {},
        body: Buffer = Buffer.alloc(0)): Promise<AzuriteReply> {
        const account = host.split(".")[0]!;
        const key = keys.get(account);
        if (key === undefined) throw new Error(`Azurite was not started with the account ${account}`);
        const outgoing: Record<string, string> = { ...headers, "content-length": String(body.length) };
        outgoing["authorization"] = `SharedKey ${account}:${sign(key, account, method, pathAndQuery, outgoing)}`;
        const number = ++sent;
        const reply = await sendOnce(host, method, pathAndQuery, outgoing, body);
        // Morgan writes the line as the response finishes: once it is read, `requests` is exact for the caller.
        await loggedAs(number);
        return reply;
    }

    /**
     * One request, sent again while it failed on a kept-alive connection Azurite had closed: its server ends an idle
     * connection after 5 s and Node's agent drops it 1 s before that hint (lib/_http_agent.js, keepSocketAlive),
     * but a worker whose event loop was busy longer (spawnSync of openssl, a module import) takes the closed
     * socket from the pool before it has read the close. Such a request never reached Azurite (no access line, so
     * the same `number`), and the Node docs give this retry for it (http.ClientRequest, request.reusedSocket).
     */
    function sendOnce(host: string, method: string, pathAndQuery: string, headers: Record<string, string>,
        body: Buffer): Promise<AzuriteReply> {
        return new Promise<AzuriteReply>((resolve, reject) => {
            const forwarded = httpRequest({ agent, host: "127.0.0.1", port, method, path: pathAndQuery, headers: { ...headers, host } }, (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (chunk: Buffer) => chunks.push(chunk));
                response.on("end", () => resolve({
                    status: response.statusCode ?? 502, headers: replyHeaders(response.rawHeaders), body: Buffer.concat(chunks),
                }));
                response.on("error", reject);
            });
            forwarded.on("error", (error: NodeJS.ErrnoException) => {
                if (forwarded.reusedSocket && error.code === "ECONNRESET") {
                    // Each retry takes the next pooled socket or a new one: it ends by the time the pool is empty.
                    sendOnce(host, method, pathAndQuery, headers, body).then(resolve, reject);
                } else {
                    reject(error);
                }
            });
            forwarded.end(body);
        });
    }

    /** The containers of an account, from List Containers (one page: Azurite's default holds 5,000). */
    async function containerNames(host: string): Promise<string[]> {
        const listed = await send(host, "GET", "/?comp=list");
        if (listed.status !== 200) throw new Error(`Azurite did not list the containers of ${host}: ${listed.status}`);
        return [...listed.body.toString("utf8").matchAll(/<Container><Name>([^<]+)<\/Name>/g)].map((match) => match[1]!);
    }

    function loggedAs(count: number): Promise<void> {
        if (logged >= count) return Promise.resolve();
        return new Promise<void>((resolve) => {
            const waiter = { count, resolve };
            logWaiters.push(waiter);
            // A line never seen (Azurite's log stopped) must not hang a request.
            setTimeout(() => {
                if (logWaiters.includes(waiter)) logWaiters.splice(logWaiters.indexOf(waiter), 1);
                resolve();
            }, 2_000).unref();
        });
    }

    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        send,
        async forward(request) {
            const reply = await send(request.host, request.method, `${request.url.pathname}${request.url.search}`,
                forwardedHeaders(request.headers), Buffer.from(request.body, "utf8"));
            return { status: reply.status, headers: reply.headers, body: reply.body.toString("utf8") };
        },
        async reset() {
            for (const account of keys.keys()) {
                const host = `${account}.blob.core.windows.net`;
                for (const container of await containerNames(host)) {
                    const deleted = await send(host, "DELETE", `/${container}?restype=container`);
                    if (deleted.status !== 202) throw new Error(`Azurite kept the container ${account}/${container}: ${deleted.status}`);
                }
                const left = await containerNames(host);
                if (left.length > 0) throw new Error(`Azurite still holds ${left.map((name) => `${account}/${name}`).join(", ")} after a reset`);
            }
            requests.splice(0);
        },
        async stop() {
            agent.destroy();
            // SIGTERM: Azurite closes its server (src/blob/main.ts, shutdown), then the launcher's process ends.
            await stopProcess(child);
            rmSync(workspace, { recursive: true, force: true });
        },
    };
}

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
    const kept: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
        if (value === undefined || NOT_FORWARDED.has(name.toLowerCase())) continue;
        kept[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return kept;
}

function replyHeaders(raw: readonly string[]): Record<string, string> {
    const headers: Record<string, string> = {};
    for (let index = 0; index + 1 < raw.length; index += 2) {
        const name = raw[index]!;
        // The stand-in's server sets the length of the body it sends; the rest are about Azurite's connection.
        if (NOT_FORWARDED.has(name.toLowerCase())) continue;
        headers[name] = name in headers ? `${headers[name]}, ${raw[index + 1]!}` : raw[index + 1]!;
    }
    return headers;
}

/**
 * Shared Key for the Blob service, exactly as Azurite checks it (src/blob/authentication/BlobSharedKeyAuthenticator.ts,
 * itself learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key): the verb, twelve standard headers
 * (a Content-Length of 0 as empty), the x-ms- headers sorted by name, `/<account><path>`, then each query
 * parameter lowercased and sorted, its value decoded.
 */
export function sign(key: Buffer, account: string, method: string, pathAndQuery: string, headers: Readonly<Record<string, string>>): string {
    const header = (name: string) => {
        const value = Object.entries(headers).find(([candidate]) => candidate.toLowerCase() === name)?.[1] ?? "";
        return name === "content-length" && value === "0" ? "" : value;
    };
    const standard = ["content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
        "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range"].map(header);
    const canonicalHeaders = Object.entries(headers)
        .map(([name, value]) => [name.toLowerCase(), value] as const)
        .filter(([name]) => name.startsWith("x-ms-"))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => `${name.trimEnd()}:${value.trimStart()}\n`).join("");
    const [path = "/", query = ""] = splitOnce(pathAndQuery, "?");
    // Azurite's getURLQueries (src/common/utils/utils.ts): `key=value` pairs with exactly one "=", the last one winning.
    const queries = new Map<string, string>();
    for (const pair of query.split("&")) {
        const equals = pair.indexOf("=");
        if (equals > 0 && equals === pair.lastIndexOf("=")) queries.set(pair.slice(0, equals).toLowerCase(), pair.slice(equals + 1));
    }
    const canonicalResource = `/${account}${path === "" ? "/" : path}` + [...queries.keys()].sort()
        .map((name) => `\n${name}:${decodeURIComponent(queries.get(name)!.replace(/\+/g, "%20"))}`).join("");
    const stringToSign = `${[method.toUpperCase(), ...standard].join("\n")}\n${canonicalHeaders}${canonicalResource}`;
    return createHmac("sha256", key).update(stringToSign, "utf8").digest("base64");
}

function splitOnce(text: string, separator: string): [string, string] {
    const at = text.indexOf(separator);
    return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}


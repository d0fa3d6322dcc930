/**
 * A stand-in of the Azure Connected Machine agent's identity endpoint (himds) on an Arc-enabled Linux server, after
 * Microsoft Learn, "Authenticate against Azure resources with Azure Arc-enabled servers"
 * (https://learn.microsoft.com/azure/azure-arc/servers/managed-identity-authentication) and the clients that speak
 * to it: azure-identity Python's AzureArcCredential (azure/identity/_credentials/azure_arc.py) and MSAL Python's
 * `_obtain_token_on_arc` (msal/managed_identity.py), which it delegates to.
 *
 * The protocol:
 * - `GET <IDENTITY_ENDPOINT>?api-version=2020-06-01&resource=<resource>` with `Metadata: true`;
 * - without credentials, 401 with `WWW-Authenticate: Basic realm=<path>`, where the path is a new key file in
 *   /var/opt/azcmagent/tokens, named `<something>.key`, at most 4096 bytes (the clients refuse any other directory,
 *   extension or size), readable by root and the `himds` group only (the agent's installer makes that system
 *   group; the stand-in makes it when missing, owns its directory and files `root:himds`, 0750 and 0640, and leaves
 *   the directories above it searchable, so that only a service user in `himds` can read a key, as on the machine);
 * - the same request again with `Authorization: Basic <the file's content>`: 200 with the token of the machine's
 *   system-assigned identity, `expires_in` and `expires_on` as strings, as IMDS answers.
 * Any key the agent wrote is accepted until the stand-in stops (when the real agent retires a key file is not
 * documented); a key it did not write is refused.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/** Where the agent writes key files on Linux (MSAL's `_supported_arc_platforms_and_their_prefixes`). */
export const ARC_KEY_DIRECTORY = "/var/opt/azcmagent/tokens";
/** The path of IDENTITY_ENDPOINT; the real agent listens on localhost:40342. */
export const ARC_TOKEN_PATH = "/metadata/identity/oauth2/token";
/** The group whose members may read key files: "add the user to the himds group" (Microsoft Learn, above). */
export const ARC_KEY_GROUP = "himds";
/** The api-version azure-identity and MSAL send. */
export const ARC_API_VERSION = "2020-06-01";

export interface IssuedToken {
    readonly accessToken: string;
    readonly expiresOn: Date;
}

export interface ArcAgentOptions {
    /** Issues an access token for `resource` (such as https://storage.azure.com/) to the machine's principal. */
    readonly issue: (resource: string) => IssuedToken;
    readonly keyDirectory?: string;
    readonly now?: () => Date;
}

export interface RunningArcAgent {
    /** `http://127.0.0.1:<port>/metadata/identity/oauth2/token`: the value for IDENTITY_ENDPOINT. */
    readonly identityEndpoint: string;
    /** `http://127.0.0.1:<port>`: the value for IMDS_ENDPOINT. */
    readonly imdsEndpoint: string;
    /** Every request as `METHOD path?query auth status`, auth being `none`, `basic` or `other`: the order of the dance. */
    readonly requests: string[];
    /** Key files written so far (removed when the stand-in stops). */
    readonly keyFiles: string[];
    /**
     * Disconnected from Azure: "HIMDS keeps running, but the service can't receive Microsoft Entra tokens"
     * (Microsoft Learn, "Troubleshoot Azure Arc-enabled servers in disconnected scenarios"). The challenge still works;
     * the token answer fails. Its exact status and body are not documented: the stand-in answers 500, an assumption.
     */
    setConnected(connected: boolean): void;
    stop(): Promise<void>;
}

export async function startArcAgent(options: ArcAgentOptions): Promise<RunningArcAgent> {
    const directory = options.keyDirectory ?? ARC_KEY_DIRECTORY;
    const keyGroup = systemGroupId(ARC_KEY_GROUP);
    const madeDirectory = ensureDirectory(directory, keyGroup);
    const pending = new Map<string, string>();
    const requests: string[] = [];
    const keyFiles: string[] = [];
    let connected = true;

    const server: Server = createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const line = `${req.method ?? ""} ${url.pathname}${url.search} ${authKind(req)}`;
        res.on("finish", () => requests.push(`${line} ${res.statusCode}`));
        answer(req, url, res);
    });

    function answer(req: IncomingMessage, url: URL, res: ServerResponse): void {
        if (req.method !== "GET" || url.pathname !== ARC_TOKEN_PATH) return json(res, 404, { error: "not_found" });
        if (req.headers["metadata"] !== "true") {
            return json(res, 400, { error: "invalid_request", error_description: "Required metadata header not specified" });
        }
        if (url.searchParams.get("api-version") === null) {
            return json(res, 400, { error: "invalid_request", error_description: "Required query variable 'api-version' is missing" });
        }
        const resource = url.searchParams.get("resource");
        if (resource === null || resource === "") {
            return json(res, 400, { error: "invalid_request", error_description: "Required query variable 'resource' is missing" });
        }
        const authorization = req.headers.authorization;
        if (authorization === undefined) {
            const path = join(directory, `${randomUUID()}.key`);
            const secret = randomBytes(32).toString("hex");
            // Root's and the himds group's only: a service user must be in that group (Microsoft Learn, above).
            writeFileSync(path, secret, { mode: 0o640 });
            chownSync(path, 0, keyGroup);
            pending.set(path, secret);
            keyFiles.push(path);
            res.writeHead(401, { "WWW-Authenticate": `Basic realm=${path}`, "Content-Type": "application/json" });
            res.end(JSON.stringify({ error: "unauthorized", error_description: "Authentication required" }));
            return;
        }
        const given = /^Basic (.+)$/.exec(authorization)?.[1];
        const path = given === undefined ? undefined : [...pending].find(([, secret]) => same(secret, given))?.[0];
        if (path === undefined) {
            return json(res, 401, { error: "unauthorized", error_description: "Invalid or expired secret" });
        }
        if (!connected) {
            return json(res, 500, { error: "internal_error", error_description: "the agent is disconnected from Azure" });
        }
        const now = options.now?.() ?? new Date();
        const token = options.issue(resource);
        const expiresIn = Math.max(0, Math.floor((token.expiresOn.getTime() - now.getTime()) / 1000));
        json(res, 200, {
            access_token: token.accessToken,
            expires_in: String(expiresIn),
            expires_on: String(Math.floor(token.expiresOn.getTime() / 1000)),
            ext_expires_in: String(expiresIn),
            not_before: String(Math.floor(now.getTime() / 1000)),
            resource,
            token_type: "Bearer",
        });
    }

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    return {
        identityEndpoint: `${base}${ARC_TOKEN_PATH}`,
        imdsEndpoint: base,
        requests,
        keyFiles,
        setConnected: (value) => { connected = value; },
        stop: async () => {
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
            for (const path of pending.keys()) rmSync(path, { force: true });
            if (madeDirectory !== undefined) rmSync(madeDirectory, { recursive: true, force: true });
        },
    };
}

/**
 * Makes the key directory when missing, root's and the key group's (0750), the ones above it searchable (0755);
 * returns the topmost directory it made, for the caller to remove.
 */
function ensureDirectory(directory: string, gid: number): string | undefined {
    const made = mkdirSync(directory, { recursive: true, mode: 0o755 });
    chownSync(directory, 0, gid);
    chmodSync(directory, 0o750);
    return made;
}

/** The system group's ID, the group made first when missing (groupadd --force succeeds when it exists). */
function systemGroupId(name: string): number {
    execFileSync("groupadd", ["--system", "--force", name], { stdio: "ignore" });
    return Number(execFileSync("getent", ["group", name], { encoding: "utf8" }).split(":")[2]);
}

function authKind(req: IncomingMessage): string {
    const authorization = req.headers.authorization;
    if (authorization === undefined) return "none";
    return authorization.startsWith("Basic ") ? "basic" : "other";
}

function same(a: string, b: string): boolean {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
}

function json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)) });
    res.end(text);
}

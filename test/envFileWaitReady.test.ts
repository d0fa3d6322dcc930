/**
 * Issue 28, part 4: `npm run env-file --wait-ready` proves the new credential before a server uses it. Against the
 * local Azure with a new password's replication delay on (localazure/misbehaviour: AADSTS7000215 for 6 s, as Entra
 * refuses a secret for a minute or two), the real command in its own process signs in with @azure/identity through
 * the proxy, as the server's SDK will: without the gate, the file is written at once and a server restarted on it is
 * refused; with it, the file appears only once the secret signs in, and a server restarted then is accepted.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { environmentFor } from "../localazure/main";
import { evaluateStackFile, ROOT } from "./harness";
import { deployerGraph, newApp, type DeployerGraph } from "./support/deployerGraph";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";

/** Long enough that the command, started right after the secret is made, meets the delay even on a busy machine. */
const REPLICATION_SECONDS = 6;
let azure: LocalAzure;
let graph: DeployerGraph;
let dir: string;
let app: { objectId: string; clientId: string };
let outputs: Record<string, unknown>;

beforeAll(async () => {
    azure = await startLocalAzure({ misbehaviour: { replication: { passwordSeconds: REPLICATION_SECONDS } } });
    graph = await deployerGraph(azure);
    dir = mkdtempSync(join(tmpdir(), "wait-ready-"));
    const objectId = await newApp(graph, "inventory-api-dev");
    const clientId = String((await graph("GET", `/applications/${objectId}`)).body!["appId"]);
    expect((await graph("POST", "/servicePrincipals", { appId: clientId })).status).toBe(201);
    app = { objectId, clientId };
    outputs = showSecretsJson(await evaluateStackFile("inventory-api-dev"));
}, 60_000);

afterAll(async () => {
    await azure?.stop();
});

/** A new secret on the app, as a rotation makes it, and the stack's outputs holding it. */
async function newSecret(): Promise<string> {
    const added = await graph("POST", `/applications/${app.objectId}/addPassword`, { passwordCredential: { displayName: "slot b" } });
    const from = join(dir, `outputs-${Date.now()}.json`);
    return writeOutputsFile(from, { ...outputs, clientId: app.clientId, tenantId: azure.tenantId, clientSecret: added.body!["secretText"] });
}

/** `npm run env-file -- ARGS` in its own process, with the local Azure's variables (its env.sh), as on a server. */
function envFile(args: readonly string[]): Promise<{ code: number; stderr: string; seconds: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", "./common/cachedTypeScript.cjs", "tools/envFile/command.ts", ...args], {
            cwd: ROOT, env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...Object.fromEntries(environmentFor(azure)) },
        }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stderr, seconds: (Date.now() - started) / 1000 }));
    });
}

/** A server restarted on the file: its first sign-in, as the status and Entra's code. */
async function serverSignIn(clientSecret: string): Promise<{ status: number; codes?: number[] }> {
    const reply = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: clientSecret,
            scope: "https://storage.azure.com/.default" }).toString(),
    });
    const body = await reply.json() as { error_codes?: number[] };
    return reply.status === 200 ? { status: 200 } : { status: reply.status, codes: body.error_codes ?? [] };
}

const secretIn = (from: string) => String((JSON.parse(readFileSync(from, "utf8")) as Record<string, unknown>)["clientSecret"]);

describe("npm run env-file --wait-ready against a new secret Entra has not replicated yet", () => {
    it("without the gate: the file at once, and a server restarted on it is refused (AADSTS7000215)", async () => {
        const from = await newSecret();
        const out = join(dir, "at-once.env");
        const written = await envFile(["--from", from, "--out", out]);
        expect(written.code).toBe(0);
        expect(existsSync(out)).toBe(true);
        expect(await serverSignIn(secretIn(from))).toEqual({ status: 401, codes: [7000215] });
    }, 60_000);

    it("with the gate: it waits, saying for what, writes the file once the secret signs in, and the server is accepted", async () => {
        const made = Date.now();
        const from = await newSecret();
        const out = join(dir, "ready.env");
        const written = await envFile(["--from", from, "--out", out, "--wait-ready", "--wait-seconds", "60"]);
        expect(written.code, written.stderr).toBe(0);
        const lines = written.stderr.trim().split("\n");
        const waiting = (attempt: number, seconds: number) => "env-file: waiting for Entra to accept the client secret of inventory-api-dev: " +
            `AADSTS7000215 (a new credential takes a minute or two to reach every Entra region), attempt ${attempt}, next in ${seconds} s`;
        // Backoff 2, 4, 8 s: how many waits depends on how soon the command started; each is said, in order.
        const waits = lines.length - 2;
        expect(waits).toBeGreaterThanOrEqual(1);
        expect(lines.slice(0, waits)).toEqual([waiting(1, 2), waiting(2, 4), waiting(3, 8)].slice(0, waits));
        expect(lines.slice(-2)).toEqual([
            `env-file: Entra accepts the client secret of inventory-api-dev (attempt ${waits + 1})`,
            `env-file: wrote ${out} (mode 0600) for inventory-api-dev; its client secret expires ${String(outputs["clientSecretExpiresAt"])}`,
        ]);
        expect(Date.now() - made).toBeGreaterThanOrEqual(REPLICATION_SECONDS * 1000);
        expect(statSync(out).mode & 0o777).toBe(0o600);
        expect(await serverSignIn(secretIn(from))).toEqual({ status: 200 });
        expect(written.stderr).not.toContain(secretIn(from));
    }, 90_000);

    it("bounded: a secret Entra never accepts is given up on after --wait-seconds, and nothing is written", async () => {
        const from = writeOutputsFile(join(dir, "wrong.json"), { ...outputs, clientId: app.clientId, tenantId: azure.tenantId,
            clientSecret: "not-the-secret~0123456789abcdefghijklmnopqrstu" });
        const out = join(dir, "never.env");
        const written = await envFile(["--from", from, "--out", out, "--wait-ready", "--wait-seconds", "3"]);
        expect(written.code).toBe(1);
        expect(written.stderr.trim().split("\n").at(-1)).toBe("env-file: Entra still refuses the client secret of inventory-api-dev " +
            "after 3 s (AADSTS7000215); the file was not written: run again later, or with a longer --wait-seconds");
        expect(existsSync(out)).toBe(false);
    }, 60_000);

    it("refuses --wait-seconds without --wait-ready, and a wait outside 1-3600 seconds", async () => {
        expect((await envFile(["--from", "x.json", "--wait-seconds", "5"])).stderr).toBe("env-file: --wait-seconds goes with --wait-ready\n");
        expect((await envFile(["--from", "x.json", "--wait-ready", "--wait-seconds", "0"])).stderr)
            .toBe("env-file: --wait-seconds is \"0\"; expected a whole number of seconds from 1 to 3600\n");
    }, 60_000);
});

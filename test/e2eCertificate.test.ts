/**
 * The whole chain with a certificate instead of a secret: an env file naming the server's PEM in
 * AZURE_CLIENT_CERTIFICATE_PATH → systemd's parser → the example app under gunicorn → DefaultAzureCredential, whose
 * EnvironmentCredential builds a CertificateCredential and signs a client assertion with the key (azure-identity
 * 1.27, MSAL Python) → the Entra stand-in, which verifies it against the certificates registered on the app
 * (keyCredentials) → Blob Storage with the stack's role assignments → Azurite. The app runs as the service's user
 * (User=inventory-api) and its key is where docs/certificates.md's commands put it, as they leave it.
 */
import { X509Certificate } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha1Thumbprint } from "../localazure/graph/keyCredentials";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { StackEvaluation } from "../tools/offline/engine";
import { evaluateStackFile } from "./harness";
import { keyCredentialOf, makeCertificate, writeServerFile, type TestCertificate } from "./support/certificates";
import {
    identityLogLines, readBlob, registerCertificates, startApp, startAzure, writeCertificateEnvFile,
    type AzureStandIn, type RunningApp,
} from "./support/e2e";
import { runAsDocumented, shellBlock } from "./support/docsCommands";
import { ensureServiceUser } from "./support/serviceUser";

const DAY = 24 * 3600 * 1000;
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
    for (const each of running.splice(0).reverse()) await each.stop();
});

let dev: StackEvaluation;
let clientId: string;
let slotA: TestCertificate;
let slotB: TestCertificate;
let unknown: TestCertificate;
let expired: TestCertificate;

beforeAll(async () => {
    dev = await evaluateStackFile("inventory-api-dev");
    clientId = String(dev.outputs["clientId"]!.value);
    const now = Date.now();
    slotA = makeCertificate("inventory-api-dev-cert-a", new Date(now - 30 * DAY), new Date(now + 335 * DAY));
    slotB = makeCertificate("inventory-api-dev-cert-b", new Date(now - DAY), new Date(now + 364 * DAY));
    unknown = makeCertificate("inventory-api-dev-cert-x", new Date(now - DAY), new Date(now + 364 * DAY));
    expired = makeCertificate("inventory-api-dev-cert-old", new Date(now - 400 * DAY), new Date(now - 35 * DAY));
});

/** Entra and Storage after `pulumi up` of dev with these certificates registered, on the real clock (the app signs with it). */
async function azure(registered: readonly TestCertificate[]): Promise<AzureStandIn> {
    const started = await startAzure([dev], () => new Date());
    running.push(started);
    registerCertificates(started, clientId, registered.map((certificate) => keyCredentialOf(certificate)));
    return started;
}

async function app(envFile: string, stand: AzureStandIn): Promise<RunningApp> {
    const started = await startApp(envFile, "stinventorydev", stand);
    running.push(started);
    return started;
}

/** docs/certificates.md, step 1 on the server: the directory and the command that makes the key pair. */
const STEP_1 = shellBlock("docs/certificates.md", "**On the server**, in a checkout of this repository");

/** A stand-in for /etc (0755, root's) holding /etc/inventory-api, which the commands given make as the docs say. */
function serverDirectory(commands: readonly string[]): string {
    const etc = mkdtempSync(join(tmpdir(), "e2e-etc-"));
    chmodSync(etc, 0o755);
    const directory = join(etc, "inventory-api");
    runAsDocumented(commands, { "/etc/inventory-api": directory });
    return directory;
}

/**
 * The server's key file, where the unit's env file points, and that env file: the directory made by step 1's
 * first command, the file as `npm run certificate -- new --owner` leaves it (the service's user's, 0600).
 */
function server(certificate: TestCertificate): { keyFile: string; envFile: string } {
    expect(STEP_1[0]).toMatch(/^sudo install -d /);
    const user = ensureServiceUser();
    const keyFile = writeServerFile(join(serverDirectory([STEP_1[0]!]), "azure-client.pem"), certificate, user);
    return { keyFile, envFile: writeCertificateEnvFile(dev, keyFile) };
}

const signInError = (body: string) => (JSON.parse(body) as { message?: string }).message ?? "";

describe("the blob app signing in with a certificate", { timeout: 180_000 }, () => {
    it("0. signs in with the key docs/certificates.md's step 1 makes, followed literally, as the service's user", async () => {
        const user = ensureServiceUser();
        const directory = serverDirectory(STEP_1);
        const [made, ...others] = readdirSync(directory).filter((name) => name.endsWith(".pem"));
        expect(others).toEqual([]);
        const keyFile = join(directory, made!);
        const certificate = new X509Certificate(readFileSync(keyFile, "utf8"));
        const stand = await azure([]);
        registerCertificates(stand, clientId, [{
            keyId: "6f1e8f60-2c1d-4b5e-9a43-0c6a2f9d1e01", type: "AsymmetricX509Cert", usage: "Verify", key: certificate.raw.toString("base64"),
            customKeyIdentifier: sha1Thumbprint(certificate.raw), displayName: made!,
            startDateTime: new Date(certificate.validFrom).toISOString(), endDateTime: new Date(certificate.validTo).toISOString(),
        }]);
        const web = await app(writeCertificateEnvFile(dev, keyFile), stand);
        const upload = await web.request("PUT", "/blobs/reports/docs.csv", "sku\n");
        expect({ status: upload.status, log: upload.status === 201 ? "" : web.log() }).toEqual({ status: 201, log: "" });
        // The service's user's alone: readable by it, and by no one else but root.
        const stat = statSync(keyFile);
        expect({ mode: stat.mode & 0o777, uid: stat.uid, gid: stat.gid }).toEqual({ mode: 0o600, uid: user.uid, gid: user.gid });
    });

    it("1. uploads and reads a blob with the certificate of slot a; no secret anywhere", async () => {
        const stand = await azure([slotA, slotB]);
        const { envFile } = server(slotA);
        const web = await app(envFile, stand);
        const upload = await web.request("PUT", "/blobs/reports/cert.csv", "sku,count\nA-1,12\n");
        expect({ status: upload.status, body: JSON.parse(upload.body) as unknown })
            .toEqual({ status: 201, body: { container: "reports", name: "cert.csv", bytes: 17 } });
        expect(await web.request("GET", "/blobs/reports/cert.csv")).toEqual({ status: 200, body: "sku,count\nA-1,12\n" });
        expect(await readBlob(stand.azurite, "stinventorydev", "reports", "cert.csv")).toEqual({ status: 200, body: "sku,count\nA-1,12\n" });
        // azure-identity's EnvironmentCredential chose a CertificateCredential (azure/identity/_credentials/environment.py).
        expect(identityLogLines(web.log())).toEqual([
            "azure.identity._credentials.environment INFO Environment is configured for CertificateCredential",
            `azure.identity._credentials.managed_identity INFO ManagedIdentityCredential will use IMDS with client_id: ${clientId}`,
            "azure.identity._credentials.chained INFO DefaultAzureCredential acquired a token from EnvironmentCredential",
        ]);
        const posted = stand.server.requests.filter((request) => request.method === "POST" && request.host === "login.microsoftonline.com")
            .map((request) => new URLSearchParams(request.body));
        expect(posted.map((form) => [form.get("client_assertion_type"), form.has("client_secret")]))
            .toEqual([["urn:ietf:params:oauth:client-assertion-type:jwt-bearer", false]]);
        expect([...stand.entra.issuedTokens.values()].map((claims) => claims.oid)).toEqual([String(dev.outputs["servicePrincipalObjectId"]!.value)]);
    });

    it("2. is refused as Entra refuses: an unknown, a revoked and an expired certificate (AADSTS700027)", async () => {
        const stand = await azure([slotA, expired]);
        const refusal = async (certificate: TestCertificate) => {
            const web = await app(server(certificate).envFile, stand);
            const reply = await web.request("PUT", "/blobs/refused/x.txt", "x");
            await web.stop();
            return { status: reply.status, message: signInError(reply.body) };
        };
        // Three servers at once, each on its own certificate: unknown, expired, and slot a while it is registered.
        const [unknownReply, expiredReply, beforeRevoke] = await Promise.all([refusal(unknown), refusal(expired), refusal(slotA)]);
        expect(unknownReply.status).toBe(502);
        expect(unknownReply.message).toContain("AADSTS700027: The certificate with identifier used to sign the client assertion is " +
            `not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${unknown.thumbprint}'`);

        expect(expiredReply.status).toBe(502);
        expect(expiredReply.message).toContain("AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used " +
            `is expired., Thumbprint of key used by client: '${expired.thumbprint}'`);

        // Revoked: slot a is removed from keyCredentials; a process that signs in afterwards is refused.
        expect(beforeRevoke.status).toBe(201);
        registerCertificates(stand, clientId, [keyCredentialOf(expired)]);
        const revokedReply = await refusal(slotA);
        expect(revokedReply.status).toBe(502);
        expect(revokedReply.message).toContain(`[Reason - The key was not found., Thumbprint of key used by client: '${slotA.thumbprint}'`);
        // Nothing refused reached Storage: Azurite saw only the one allowed upload.
        expect(stand.azurite.requests.map(({ method, path, status }) => `${method} ${path} ${status}`))
            .toEqual(["PUT /refused?restype=container 201", "PUT /refused/x.txt 201"]);
    });

    it("3. rotation from slot a to slot b keeps the server working at every step", async () => {
        const stand = await azure([slotA]);
        const { keyFile, envFile } = server(slotA);
        const put = async (web: RunningApp, name: string) => (await web.request("PUT", `/blobs/rotation/${name}`, name)).status;
        const statuses: Record<string, number> = {};

        const first = await app(envFile, stand);
        statuses["a only, file a"] = await put(first, "1.txt");
        // Step 1: `pulumi up` registers slot b beside a.
        registerCertificates(stand, clientId, [keyCredentialOf(slotA), keyCredentialOf(slotB)]);
        statuses["a and b, file a"] = await put(first, "2.txt");
        // Step 2: the server's file is switched to b (renamed over, never half-written) and the service restarted.
        writeServerFile(keyFile, slotB, ensureServiceUser());
        statuses["a and b, file b, old process"] = await put(first, "3.txt");
        await first.stop();
        const second = await app(envFile, stand);
        statuses["a and b, file b, restarted"] = await put(second, "4.txt");
        // Step 3: slot a is removed; the server holds b and keeps working, also after another restart.
        registerCertificates(stand, clientId, [keyCredentialOf(slotB)]);
        statuses["b only, file b"] = await put(second, "5.txt");
        await second.stop();
        const third = await app(envFile, stand);
        statuses["b only, file b, restarted"] = await put(third, "6.txt");
        expect(statuses).toEqual({
            "a only, file a": 201, "a and b, file a": 201, "a and b, file b, old process": 201,
            "a and b, file b, restarted": 201, "b only, file b": 201, "b only, file b, restarted": 201,
        });
        // Each process signed in once, with the certificate its file held when it started: a, then b, then b.
        const thumbprints = stand.server.requests.filter((request) => request.method === "POST" && request.host === "login.microsoftonline.com")
            .map((request) => {
                const header = JSON.parse(Buffer.from(new URLSearchParams(request.body).get("client_assertion")!.split(".")[0]!, "base64url")
                    .toString("utf8")) as { x5t: string };
                return Buffer.from(header.x5t, "base64url").toString("hex").toUpperCase();
            });
        expect(thumbprints).toEqual([slotA.thumbprint, slotB.thumbprint, slotB.thumbprint]);
    });
});

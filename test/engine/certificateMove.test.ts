/**
 * A stack moves from client secrets to certificates without downtime, on the real CLI against the local Azure:
 * 1. `pulumi up` with secrets; the server's secret env file (`npm run env-file`) signs in;
 * 2. `credential: certificate` + `keepSecretsUntilSwitched: true`: exactly one resource created (the certificate), the
 *    secrets untouched, the old env file still signs in, and a certificate env file signs in too;
 * 3. the key removed once every server runs on its certificate: the two secrets deleted, the old env file refused as
 *    Entra refuses a secret it no longer holds (AADSTS7000215), the certificate env file still signs in.
 * The env files are the real `npm run env-file` command's, from the real `pulumi stack output --json --show-secrets`.
 */
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { JWT_BEARER } from "../../localazure/clientAssertion";
import { certificatePath } from "../../infra/certificates";
import { makeSelfSigned } from "../../tools/certificate/selfSigned";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, expectOk, MovableClock, pulumiWith, runTool, signIn, utc, writesSince, type SignInResult } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";
import { resourceSummary } from "../../tools/previewComment/render";

const NAME = "inventory-api-dev";
const STACK = "inventory-api-dev";
/** From anchor 2024-01-10 on 2026-11-21: 24-month secrets rotated 2026-01-10; 12-month certificates 2026-07-10 (slot b). */
const SECRETS_FILE = `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")}  app-identity:secretRotationAnchor: "2024-01-10"\n`;
const MOVING_FILE = `${SECRETS_FILE}  app-identity:credential: certificate\n  app-identity:keepSecretsUntilSwitched: true\n`;
const SWITCHED_FILE = `${SECRETS_FILE}  app-identity:credential: certificate\n`;

let azure: LocalAzure;
let workspace: EngineWorkspace;
let clock: MovableClock;
let scratch: string;
/** The server's own file: private key and certificate, as `npm run certificate -- new` leaves it (mode 0600). */
let serverFile: string;
let secretEnv: Record<string, string>;
let certificateEnv: Record<string, string>;

const pulumi = (args: readonly string[]) => pulumiWith(workspace, clock.env(workspace.env), args);

/** `npm run env-file -- --from OUTPUTS ARGS --stdout`, read back as systemd reads `KEY='value'` lines. */
async function envFile(args: readonly string[]): Promise<Record<string, string>> {
    const outputs = expectOk(await pulumi(["stack", "output", "--json", "--show-secrets", "--stack", STACK]), "pulumi stack output");
    const from = join(scratch, "outputs.json");
    writeFileSync(from, outputs.stdout, { mode: 0o600 });
    const written = expectOk(await runTool(workspace, "env-file", ["--from", from, ...args, "--stdout"]), `npm run env-file ${args.join(" ")}`);
    rmSync(from);
    return Object.fromEntries([...written.stdout.matchAll(/^([A-Z_]+)='([^']*)'$/gm)].map((match) => [match[1]!, match[2]!]));
}

/** The sign-in EnvironmentCredential makes from an env file: a client secret, or a client assertion from the PEM file. */
function signInWith(env: Record<string, string>): Promise<SignInResult> {
    const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client, AZURE_CLIENT_SECRET: secret, AZURE_CLIENT_CERTIFICATE_PATH: path } = env;
    if (secret !== undefined) return signIn(azure, tenant!, client!, secret);
    return signInWithCertificate(tenant!, client!, readFileSync(path!, "utf8"));
}

/**
 * Client credentials with a certificate (Microsoft identity platform, "certificate credentials": an RS256 JWT with the
 * certificate's SHA-1 thumbprint as x5t, aud the token endpoint, iss = sub = the client ID), signed on the moved clock.
 */
async function signInWithCertificate(tenant: string, clientId: string, pem: string): Promise<SignInResult> {
    const der = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)![0]).raw;
    const now = Math.floor(clock.now().getTime() / 1000);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "RS256", typ: "JWT", x5t: createHash("sha1").update(der).digest("base64url") })}.${encode({
        aud: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`, iss: clientId, sub: clientId, jti: randomUUID(),
        nbf: now, iat: now, exp: now + 600,
    })}`;
    const assertion = `${unsigned}.${sign("sha256", Buffer.from(unsigned), createPrivateKey(pem)).toString("base64url")}`;
    const response = await fetch(`${azure.url}/login.microsoftonline.com/${tenant}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_assertion_type: JWT_BEARER,
            client_assertion: assertion, scope: "https://storage.azure.com/.default" }).toString(),
    });
    const body = await response.json() as { error_codes?: number[] };
    return response.status === 200 ? { status: 200 } : { status: response.status, errorCode: body.error_codes?.[0] ?? -1 };
}

/** The lines of an update's "Resources:" summary, as the CLI prints them (e.g. "3 changes. 5 unchanged"). */
const summary = resourceSummary;
const passwordKeyIds = () => appNamed(azure, NAME).passwords.map((password) => password.keyId).sort();

beforeAll(async () => {
    clock = new MovableClock(utc("2026-11-21"));
    azure = await startLocalAzure({ now: clock.now });
    workspace = await createEngineWorkspace(azure);
    scratch = mkdtempSync(join(tmpdir(), "cert-move-"));
    workspace.writeStackFile(STACK, SECRETS_FILE);
    expectOk(await workspace.pulumi(["stack", "init", STACK]), "pulumi stack init inventory-api-dev");
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe("moving a stack from client secrets to certificates without downtime", () => {
    let secretKeyIds: string[];

    it("1. up with secrets: two secrets, and the server's secret env file signs in", async () => {
        const up = expectOk(await pulumi(["up", "--stack", STACK, "--yes", "--skip-preview"]), "pulumi up with secrets");
        expect(summary(up.stdout)).toEqual(["+ 7 created"]); // the stack, the component, app, principal, 2 secrets, 1 role
        secretKeyIds = passwordKeyIds();
        expect(secretKeyIds).toHaveLength(2);
        secretEnv = await envFile([]);
        expect(Object.keys(secretEnv)).toEqual(["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID"]);
        expect(await signInWith(secretEnv)).toEqual({ status: 200 });
    }, 300_000);

    it("2. keepSecretsUntilSwitched: + 1 created (the certificate), the secrets untouched; both env files sign in", async () => {
        // On the server: the key pair (npm run certificate -- new); the public half committed for the current rotation.
        const made = makeSelfSigned({ commonName: NAME, notBefore: new Date("2026-11-21T00:00:00Z"), notAfter: new Date("2027-11-21T00:00:00Z") });
        const committed = join(workspace.dir, certificatePath(NAME, new Date("2026-07-10T00:00:00Z")));
        mkdirSync(dirname(committed), { recursive: true });
        writeFileSync(committed, made.certificatePem);
        serverFile = join(scratch, `${NAME}-2026-07-10.pem`);
        writeFileSync(serverFile, made.privateKeyPem + made.certificatePem, { mode: 0o600 });
        workspace.writeStackFile(STACK, MOVING_FILE);

        const mark = azure.log().length;
        // Under the guardrail pack in the real analyzer: the secrets' and the certificate's policies pass side by side.
        const up = expectOk(await pulumi(["up", "--stack", STACK, "--yes", "--skip-preview", ...workspace.policyArgs]), "pulumi up keeping the secrets");
        expect(up.stdout).toContain("app-identity-guardrails@v0.1.0");
        expect(summary(up.stdout)).toEqual(["+ 1 created", "7 unchanged"]);
        expect([...up.stdout.matchAll(/^ {1,4}\+ {2}(\S+) (\S+) created/gm)].map((match) => `${match[1]!} ${match[2]!}`))
            .toEqual([`azuread:index:ApplicationCertificate ${NAME}-certificate-b`]);
        expect(writesSince(azure, mark)).toEqual(["PATCH graph.microsoft.com/v1.0/applications/{id} 204"]);
        expect(passwordKeyIds()).toEqual(secretKeyIds);
        expect(await signInWith(secretEnv)).toEqual({ status: 200 });

        certificateEnv = await envFile(["--certificate-path", serverFile]);
        expect(certificateEnv).toEqual({ ...secretEnv, AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: serverFile });
        expect(Object.keys(certificateEnv)).toEqual(["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_SUBSCRIPTION_ID"]);
        expect(await signInWith(certificateEnv)).toEqual({ status: 200 });
        // A server not yet switched can still have its secret file written again from the same outputs.
        expect(await envFile([])).toEqual(secretEnv);
    }, 300_000);

    it("3. credential: certificate alone: the 2 secrets deleted, the old env file refused (AADSTS7000215), the certificate's signs in", async () => {
        workspace.writeStackFile(STACK, SWITCHED_FILE);
        const mark = azure.log().length;
        const up = expectOk(await pulumi(["up", "--stack", STACK, "--yes", "--skip-preview"]), "pulumi up switched");
        expect(summary(up.stdout)).toEqual(["- 2 deleted", "6 unchanged"]);
        expect([...up.stdout.matchAll(/^ {1,4}- {2}(\S+) (\S+) deleted/gm)].map((match) => `${match[1]!} ${match[2]!}`).sort())
            .toEqual([`azuread:index:ApplicationPassword ${NAME}-secret-a`, `azuread:index:ApplicationPassword ${NAME}-secret-b`]);
        expect(writesSince(azure, mark)).toEqual([
            "POST graph.microsoft.com/v1.0/applications/{id}/removePassword 204",
            "POST graph.microsoft.com/v1.0/applications/{id}/removePassword 204",
        ]);
        expect(appNamed(azure, NAME).passwords).toEqual([]);
        expect(await signInWith(secretEnv)).toEqual({ status: 401, errorCode: 7000215 });
        expect(await signInWith(certificateEnv)).toEqual({ status: 200 });
        const outputs = JSON.parse(expectOk(await pulumi(["stack", "output", "--json", "--stack", STACK]), "stack output").stdout) as Record<string, unknown>;
        expect([outputs["clientSecret"], outputs["secrets"], outputs["credential"]]).toEqual([undefined, undefined, "certificate"]);
    }, 300_000);
});

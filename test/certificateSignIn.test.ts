/**
 * Certificate sign-in with the real libraries making the client assertions: azure-identity 1.27 (MSAL Python:
 * RS256 with x5t) and @azure/identity 4.13 (msal-node 5: PS256 with x5t#S256), each through DefaultAzureCredential
 * reading AZURE_CLIENT_CERTIFICATE_PATH (examples/token-check), against the Entra stand-in; then the local Azure's
 * token endpoint (localazure/login.ts) reading the certificates from its Graph state.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWT_BEARER } from "../localazure/clientAssertion";
import { LoginService } from "../localazure/login";
import { Store } from "../localazure/store";
import { TokenIssuer } from "../localazure/tokens";
import { EntraStandIn, LOGIN_HOST, type AppCredential } from "../localazure/standin/entra";
import { credentialsFromEvaluation } from "./support/planCredentials";
import { startStandIn, type RunningStandIn } from "../localazure/standin/server";
import { evaluateStackFile, ROOT } from "./harness";
import { keyCredentialOf, makeCertificate, signAssertion, writeServerFile, type TestCertificate } from "./support/certificates";
import { proxyEnvironment, startRecordingProxy, type RecordingProxy } from "./support/e2e";
import { PYTHON_ENV, requireVenv } from "./support/envReaders";

const run = promisify(execFile);
const DAY = 24 * 3600 * 1000;

let standIn: RunningStandIn;
let proxy: RecordingProxy;
let entra: EntraStandIn;
let dev: AppCredential;
const apps: AppCredential[] = [];
let registered: TestCertificate;
let unknown: TestCertificate;
let expired: TestCertificate;
let dir: string;

beforeAll(async () => {
    const evaluation = await evaluateStackFile("inventory-api-dev");
    apps.push(...credentialsFromEvaluation(evaluation));
    dev = apps[0]!;
    const now = Date.now();
    registered = makeCertificate("inventory-api-dev-a", new Date(now - DAY), new Date(now + 365 * DAY));
    unknown = makeCertificate("inventory-api-dev-unknown", new Date(now - DAY), new Date(now + 365 * DAY));
    expired = makeCertificate("inventory-api-dev-old", new Date(now - 400 * DAY), new Date(now - 35 * DAY));
    register([registered, expired]);
    // The libraries sign with the real clock: so does the stand-in judge.
    entra = new EntraStandIn(apps, () => new Date());
    standIn = await startStandIn([entra]);
    proxy = await startRecordingProxy(standIn.proxyUrl);
    dir = mkdtempSync(join(tmpdir(), "cert-sign-in-"));
});

afterAll(async () => {
    await proxy.stop();
    await standIn.stop();
});

/** The dev app's keyCredentials, as `pulumi up` would leave them. */
function register(certificates: readonly TestCertificate[]): void {
    apps[0] = { ...dev, keyCredentials: certificates.map((certificate) => keyCredentialOf(certificate)) };
}

async function signIn(client: "python" | "node", certificate: TestCertificate) {
    const path = writeServerFile(join(dir, `${client}-${certificate.name}.pem`), certificate);
    const [program, script, ca] = client === "python"
        ? [requireVenv(), join(ROOT, "examples", "token-check", "token_check.py"), "REQUESTS_CA_BUNDLE"]
        : [process.execPath, join(ROOT, "examples", "token-check", "token-check.js"), "NODE_EXTRA_CA_CERTS"];
    const before = standIn.requests.length;
    const env = {
        AZURE_TENANT_ID: dev.tenantId, AZURE_CLIENT_ID: dev.clientId, AZURE_CLIENT_CERTIFICATE_PATH: path,
        PATH: "/usr/bin:/bin", HOME: mkdtempSync(join(tmpdir(), "home-")), ...proxyEnvironment(proxy), ...PYTHON_ENV,
        [ca]: standIn.caFile,
    };
    let outcome: { ok: boolean; stdout: string; stderr: string };
    try {
        outcome = { ok: true, ...await run(program, [script], { env, cwd: ROOT, timeout: 60_000 }) };
    } catch (error) {
        const failed = error as { stdout: string; stderr: string };
        outcome = { ok: false, stdout: failed.stdout, stderr: failed.stderr };
    }
    const posted = standIn.requests.slice(before)
        .filter((request) => request.host === LOGIN_HOST && request.method === "POST")
        .map((request) => Object.fromEntries(new URLSearchParams(request.body)));
    return { ...outcome, posted };
}

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;

// MSAL Python keeps base64's padding on the thumbprint (msal/oauth2cli/assertion.py `_encode_thumbprint`,
// urlsafe_b64encode); msal-node does not. Entra takes both.
describe.each([
    ["python", "RS256", "x5t", "sha1", "="],
    ["node", "PS256", "x5t#S256", "sha256", ""],
] as const)("DefaultAzureCredential in %s with AZURE_CLIENT_CERTIFICATE_PATH", (client, alg, thumbprintHeader, hash, padding) => {
    it(`signs in with an assertion it signs ${alg}, naming the certificate by ${thumbprintHeader}`, async () => {
        const result = await signIn(client, registered);
        expect(result.stderr).not.toContain("sign-in failed");
        expect(result.ok).toBe(true);
        expect(result.posted).toHaveLength(1);
        const form = result.posted[0]!;
        // The credential fields of the form: an assertion, never a secret.
        expect(Object.keys(form).filter((key) => /^client_(assertion|id|secret)/.test(key)).sort())
            .toEqual(["client_assertion", "client_assertion_type", "client_id"]);
        expect(form).toMatchObject({ grant_type: "client_credentials", client_id: dev.clientId, client_assertion_type: JWT_BEARER,
            scope: "https://storage.azure.com/.default" });
        const [header, claims] = form["client_assertion"]!.split(".").map((part, index) => index < 2 ? decode(part) : {});
        const { createHash } = await import("node:crypto");
        expect(header).toMatchObject({ alg, typ: "JWT", [thumbprintHeader]: createHash(hash).update(registered.der).digest("base64url") + padding });
        expect(claims).toMatchObject({ aud: `https://${LOGIN_HOST}/${dev.tenantId}/oauth2/v2.0/token`, iss: dev.clientId, sub: dev.clientId });
        expect(typeof claims!["jti"]).toBe("string");
        expect(([...entra.issuedTokens.values()].at(-1))).toMatchObject({ oid: dev.servicePrincipalObjectId, aud: "https://storage.azure.com" });
        // The private key never leaves the process: only the signed assertion is posted.
        expect(JSON.stringify(result.posted)).not.toContain(registered.keyPem.split("\n")[1]!);
    });

    it("is refused with AADSTS700027 for a certificate the app does not have", async () => {
        const result = await signIn(client, unknown);
        expect(result.ok).toBe(false);
        expect(result.stderr).toContain("AADSTS700027: The certificate with identifier used to sign the client assertion is " +
            `not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '`);
    });

    it("is refused with AADSTS700027 'The key used is expired' for an expired registered certificate", async () => {
        const result = await signIn(client, expired);
        expect(result.ok).toBe(false);
        expect(result.stderr).toContain("AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is expired.");
    });
});

describe("a captured assertion", () => {
    it("works again while valid (MSAL reuses it), and is refused with AADSTS700024 once expired or AADSTS700027 once revoked", async () => {
        const result = await signIn("python", registered);
        const form = result.posted[0]!;
        const replay = async (now: Date) => {
            const again = new EntraStandIn(apps, () => now);
            const reply = await again.handle({ method: "POST", host: LOGIN_HOST, headers: {}, body: new URLSearchParams(form).toString(),
                url: new URL(`https://${LOGIN_HOST}/${dev.tenantId}/oauth2/v2.0/token`) });
            return { status: reply.status, codes: (JSON.parse(reply.body) as { error_codes?: number[] }).error_codes ?? [] };
        };
        const exp = decode(form["client_assertion"]!.split(".")[1]!)["exp"] as number;
        expect([await replay(new Date()), await replay(new Date((exp + 301) * 1000))])
            .toEqual([{ status: 200, codes: [] }, { status: 401, codes: [700024] }]);
        register([expired]);
        try {
            expect(await replay(new Date())).toEqual({ status: 401, codes: [700027] });
        } finally {
            register([registered, expired]);
        }
    });
});

describe("the local Azure's token endpoint", () => {
    it("verifies an assertion against the keyCredentials in its Graph state and issues appidacr 2; revoked, it refuses", async () => {
        const now = new Date();
        const store = Store.open(undefined, now);
        const login = new LoginService(store, new TokenIssuer(store.state.signingKey, () => now), () => now);
        const clientId = "5b0f6a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b";
        store.change((state) => {
            state.applications.push({ id: "0d1e2f30-4152-4637-8899-aabbccddeeff", appId: clientId, createdDateTime: now.toISOString(),
                properties: { displayName: "inventory-api-dev", keyCredentials: [keyCredentialOf(registered)] }, owners: [], passwords: [] });
            state.servicePrincipals.push({ id: "1e2f3041-5263-4748-99aa-bbccddeeff00", appId: clientId, properties: {}, owners: [], graphPermissions: [] });
        });
        const post = () => {
            const body = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, scope: "https://storage.azure.com/.default",
                client_assertion_type: JWT_BEARER, client_assertion: signAssertion(registered, { clientId, tenant: store.state.tenantId, now }) });
            return login.handle({ method: "POST", host: LOGIN_HOST, headers: {}, body: body.toString(),
                url: new URL(`https://${LOGIN_HOST}/${store.state.tenantId}/oauth2/v2.0/token`) });
        };
        const granted = await post();
        expect(granted.status).toBe(200);
        const token = (JSON.parse(granted.body) as { access_token: string }).access_token;
        expect(decode(token.split(".")[1]!)).toMatchObject({ appid: clientId, appidacr: "2", oid: "1e2f3041-5263-4748-99aa-bbccddeeff00",
            aud: "https://storage.azure.com" });
        store.change((state) => { state.applications.at(-1)!.properties["keyCredentials"] = []; });
        const refused = await post();
        expect({ status: refused.status, codes: (JSON.parse(refused.body) as { error_codes: number[] }).error_codes })
            .toEqual({ status: 401, codes: [700027] });
    });
});

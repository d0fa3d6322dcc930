/**
 * The last step of the chain, for real: an env file written by `npm run env-file`, read by systemd's parser, gives
 * the Azure SDK for Python (azure-identity from the checkout's .venv, pinned in examples/blob-app/requirements.txt)
 * and @azure/identity what they need to sign in, against a loopback stand-in of the Entra token endpoint that
 * checks exactly the file's tenant, client ID and secret.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as envFile } from "../tools/envFile/command";
import type { StackEvaluation } from "../tools/offline/engine";
import { runCli } from "./cli";
import { evaluateStackFile, ROOT } from "./harness";
import { proxyEnvironment, startRecordingProxy, type RecordingProxy } from "./support/e2e";
import { installedVersions, pinnedVersions, PYTHON_ENV, requireVenv, systemd, type Variables } from "./support/envReaders";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";
import { EntraStandIn, LOGIN_HOST } from "../localazure/standin/entra";
import { credentialsFromEvaluation } from "./support/planCredentials";
import { startStandIn, type RunningStandIn } from "../localazure/standin/server";

const run = promisify(execFile);
const PYTHON_CHECK = join(ROOT, "examples", "token-check", "token_check.py");
const NODE_CHECK = join(ROOT, "examples", "token-check", "token-check.js");

let evaluation: StackEvaluation;
let standIn: RunningStandIn;
let proxy: RecordingProxy;
let entra: EntraStandIn;
let fileVariables: Variables;
let now = new Date("2026-11-21T12:00:00Z");

beforeAll(async () => {
    evaluation = await evaluateStackFile("inventory-api-dev");
    entra = new EntraStandIn(credentialsFromEvaluation(evaluation), () => now);
    standIn = await startStandIn([entra]);
    proxy = await startRecordingProxy(standIn.proxyUrl);
    const dir = mkdtempSync(join(tmpdir(), "azure-sdk-"));
    const from = writeOutputsFile(join(dir, "outputs.json"), showSecretsJson(evaluation));
    const out = join(dir, "app.env");
    expect((await runCli(envFile, ["--from", from, "--out", out])).code).toBe(0);
    // What a systemd service gets from EnvironmentFile=: the variables systemd's own parser reads.
    fileVariables = Object.fromEntries(Object.entries(systemd([out])[0]!).filter(([key]) => key.startsWith("AZURE_")));
});

afterAll(async () => {
    await proxy.stop();
    await standIn.stop();
});

/** The environment of a server process: the file's variables, plus the way to the stand-in (no host exempted). */
function serverEnvironment(variables: Variables, caVariable: "REQUESTS_CA_BUNDLE" | "NODE_EXTRA_CA_CERTS") {
    return {
        ...variables,
        PATH: "/usr/bin:/bin",
        HOME: mkdtempSync(join(tmpdir(), "home-")),
        ...proxyEnvironment(proxy),
        ...PYTHON_ENV,
        [caVariable]: standIn.caFile,
    };
}

async function signIn(client: "python" | "node", variables: Variables) {
    const [program, args, ca] = client === "python"
        ? [requireVenv(), [PYTHON_CHECK, "--verbose"], "REQUESTS_CA_BUNDLE" as const]
        : [process.execPath, [NODE_CHECK], "NODE_EXTRA_CA_CERTS" as const];
    const before = { requests: standIn.requests.length, connects: proxy.connects.length, plain: proxy.plainRequests.length };
    const seen = () => ({
        requests: standIn.requests.slice(before.requests),
        connects: proxy.connects.slice(before.connects),
        plainRequests: proxy.plainRequests.slice(before.plain),
    });
    try {
        const { stdout, stderr } = await run(program, args, { env: serverEnvironment(variables, ca), cwd: ROOT, timeout: 60_000 });
        return { ok: true, stdout, stderr, ...seen() };
    } catch (error) {
        const failed = error as { stdout: string; stderr: string };
        return { ok: false, stdout: failed.stdout, stderr: failed.stderr, ...seen() };
    }
}

function tokenRequests(requests: readonly { host: string; url: URL; body: string; method: string }[]) {
    return requests.filter((request) => request.host === LOGIN_HOST && request.method === "POST")
        .map((request) => ({ path: request.url.pathname, form: Object.fromEntries(new URLSearchParams(request.body)) }));
}

describe.each(["python", "node"] as const)("DefaultAzureCredential in %s with the env file", (client) => {
    it("signs in, sending exactly the file's tenant, client ID and secret", async () => {
        now = new Date("2026-11-21T12:00:00Z");
        const result = await signIn(client, fileVariables);
        expect(result.stderr).not.toContain("sign-in failed");
        expect(result.ok).toBe(true);
        expect(JSON.parse(result.stdout)).toMatchObject({ signedIn: true, scope: "https://storage.azure.com/.default" });
        const posted = tokenRequests(result.requests);
        expect(posted).toHaveLength(1);
        expect(posted[0]!.path).toBe(`/${fileVariables["AZURE_TENANT_ID"]}/oauth2/v2.0/token`);
        expect(posted[0]!.form).toMatchObject({
            grant_type: "client_credentials",
            client_id: fileVariables["AZURE_CLIENT_ID"],
            client_secret: fileVariables["AZURE_CLIENT_SECRET"],
            scope: "https://storage.azure.com/.default",
        });
        expect(standIn.refusedTunnels).toEqual([]);
        // Nothing but Entra, and only through the proxy: no IMDS probe, no other host.
        expect({ connects: result.connects, plainRequests: result.plainRequests, hosts: [...new Set(result.requests.map((r) => r.host))] })
            .toEqual({ connects: [`${LOGIN_HOST}:443`], plainRequests: [], hosts: [LOGIN_HOST] });
        // The token names the stack's service principal.
        const issued = [...entra.issuedTokens.values()].at(-1);
        expect(issued).toMatchObject({ oid: evaluation.outputs["servicePrincipalObjectId"]!.value, aud: "https://storage.azure.com" });
        expect(result.stdout + result.stderr).not.toContain(fileVariables["AZURE_CLIENT_SECRET"]);
    });

    it("is refused with AADSTS7000215 for a wrong secret", async () => {
        now = new Date("2026-11-21T12:00:00Z");
        const result = await signIn(client, { ...fileVariables, AZURE_CLIENT_SECRET: "wrong~secret.value_0123456789abcdefghijk" });
        expect(result.ok).toBe(false);
        expect(result.stderr).toContain("AADSTS7000215");
    });

    it("is refused with AADSTS7000222 once the secrets have expired", async () => {
        now = new Date("2031-01-01T00:00:00Z");
        const result = await signIn(client, fileVariables);
        now = new Date("2026-11-21T12:00:00Z");
        expect(result.ok).toBe(false);
        expect(result.stderr).toContain("AADSTS7000222");
    });

    it("is refused with AADSTS700016 for a client ID the tenant does not know", async () => {
        const result = await signIn(client, { ...fileVariables, AZURE_CLIENT_ID: "11111111-2222-4333-8444-555555555555" });
        expect(result.ok).toBe(false);
        expect(result.stderr).toContain("AADSTS700016");
    });
});

describe("the Python that signs in", () => {
    it("is the venv's, with exactly the packages pinned in examples/blob-app/requirements-test.txt", () => {
        const installed = installedVersions();
        expect(installed).toEqual(pinnedVersions());
        expect(installed["azure-identity"]).toBe("1.27.0");
    });

    it("signs in with the environment credential, the first of DefaultAzureCredential's chain, and no other", async () => {
        now = new Date("2026-11-21T12:00:00Z");
        const result = await signIn("python", fileVariables);
        expect(result.ok).toBe(true);
        // azure-identity's own log lines: Azure/azure-sdk-for-python sdk/identity/azure-identity/azure/identity/
        // _credentials/environment.py ("Environment is configured for"), chained.py ("acquired a token from").
        expect(result.stderr.split("\n").filter((line) => line.startsWith("azure.identity"))).toEqual([
            "azure.identity._credentials.environment INFO Environment is configured for ClientSecretCredential",
            `azure.identity._credentials.managed_identity INFO ManagedIdentityCredential will use IMDS with client_id: ${fileVariables["AZURE_CLIENT_ID"]}`,
            "azure.identity._credentials.chained INFO DefaultAzureCredential acquired a token from EnvironmentCredential",
        ]);
    });
});

describe.each(["python", "node"] as const)("DefaultAzureCredential in %s for a tenant Entra does not know", (client) => {
    it("fails to sign in, naming the tenant", async () => {
        const tenant = "99999999-8888-4777-8666-555555555555";
        const result = await signIn(client, { ...fileVariables, AZURE_TENANT_ID: tenant });
        expect(result.ok).toBe(false);
        expect(result.stderr).toMatch(new RegExp(`AADSTS90002|${tenant}`));
    });
});

describe("the env file itself", () => {
    it("holds the stack's identity, as systemd reads it", () => {
        expect(fileVariables).toEqual({
            AZURE_CLIENT_ID: evaluation.outputs["clientId"]!.value,
            AZURE_TENANT_ID: evaluation.outputs["tenantId"]!.value,
            AZURE_CLIENT_SECRET: evaluation.outputs["clientSecret"]!.value,
            AZURE_SUBSCRIPTION_ID: evaluation.outputs["subscriptionId"]!.value,
        });
        expect(readFileSync(PYTHON_CHECK, "utf8")).toContain("DefaultAzureCredential()");
    });
});

/**
 * The whole chain with workload identity federation (issue 30, part 3): a stack with `credential: federated` trusting
 * one subject of a local OIDC issuer (localazure/oidc/issuer.ts, in the shape of a Kubernetes service-account issuer)
 * → the env file `npm run env-file -- --token-file` writes → systemd's parser → the example app under gunicorn as the
 * service's own user → DefaultAzureCredential, whose WorkloadIdentityCredential reads AZURE_FEDERATED_TOKEN_FILE
 * (azure-identity 1.27.0, azure/identity/_credentials/workload_identity.py) → the Entra stand-in, which reads the
 * issuer's discovery document and JWKS through the proxy and checks the token against the app's federated
 * credentials → Blob Storage with the stack's role assignments → Azurite.
 *
 * The token file is kept fresh as kubelet does (localazure/oidc/tokenFile.ts: replaced whole at 80% of the token's
 * lifetime). azure-identity reads it again only when it needs a new access token and its last read is more than 600 s
 * old (TokenFileMixin._get_service_account_token: `if now - self._last_read_time > 600`, with now = int(time.time())),
 * a constant the SDK offers no setting for: so the test moves the clock instead, every clock together: the app's with
 * libfaketime (test/support/appClock.ts), Entra's, Storage's, the issuer's and the token file's through `now`.
 */
import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import runProgram from "../infra";
import { OidcIssuer } from "../localazure/oidc/issuer";
import { TokenFile } from "../localazure/oidc/tokenFile";
import { evaluateStack, type StackEvaluation } from "../tools/offline/engine";
import { readProject, readStackFile } from "../tools/stacks/stackFiles";
import { AT, PROJECT, ROOT } from "./harness";
import { appClock, type AppClock } from "./support/appClock";
import { runAsDocumented, shellBlock } from "./support/docsCommands";
import { credentialsFromEvaluation } from "./support/planCredentials";
import {
    identityLogLines, readBlob, registerFederatedCredentials, startApp, startAzure, writeEnvFile, type AzureStandIn, type RunningApp,
} from "./support/e2e";
import { ensureServiceUser } from "./support/serviceUser";

const STACK = "inventory-api-dev";
const ACCOUNT = "stinventorydev";
const SUBJECT = "system:serviceaccount:inventory:api";
/** Kubernetes' default expirationSeconds for a projected service-account token. */
const LIFETIME = 3600;

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
    for (const each of running.splice(0).reverse()) await each.stop();
});

/** Every clock but the app's: Entra, Storage, the issuer and the token file's agent. */
let offsetSeconds = 0;
const now = () => new Date(Date.now() + offsetSeconds * 1000);
let clock: AppClock;
let issuer: OidcIssuer;
let federated: StackEvaluation;
let withoutFederation: StackEvaluation;

/** The stack file with `credential: federated` trusting these subjects of the local issuer, or as it is (a secret). */
function plan(subjects: readonly string[] | undefined): Promise<StackEvaluation> {
    const file = readStackFile(readProject(ROOT), STACK);
    const config = subjects === undefined ? file.config : {
        ...file.config,
        [`${PROJECT}:credential`]: "federated",
        [`${PROJECT}:federatedCredentials`]: JSON.stringify(subjects.map((subject, index) => ({ name: `k8s-dev-${index}`, issuer: issuer.issuer, subject }))),
    };
    return evaluateStack({ program: runProgram, project: PROJECT, stack: STACK, config, secretKeys: file.secretKeys, at: AT });
}

beforeAll(async () => {
    clock = appClock();
    issuer = await OidcIssuer.start("cluster-1", now);
    federated = await plan([SUBJECT]);
    withoutFederation = await plan(undefined);
}, 120_000);
afterAll(() => {
    clock?.dispose();
});

/** Moves every clock, the app's too, to `seconds` after the real time. */
function moveClocks(seconds: number): void {
    offsetSeconds = seconds;
    clock.set(seconds);
}

/** docs/federation.md, the plain server: the directory the agent writes the token into, made as the docs say; the check. */
const TOKEN_DIRECTORY_STEP = shellBlock("docs/federation.md", "**The token's directory**");
const CHECK_STEP = shellBlock("docs/federation.md", "**Check who can read the token**");

interface Server {
    readonly stand: AzureStandIn;
    readonly tokens: TokenFile;
    readonly tokenPath: string;
    /** The stand-in for /run/inventory-api. */
    readonly tokenDirectory: string;
    readonly envFile: string;
}

/** Entra, Storage and the issuer after `pulumi up` of the federated stack; the token file where the docs put it; the env file. */
async function server(subject = SUBJECT): Promise<Server> {
    const stand = await startAzure([federated], now, undefined, undefined, [issuer]);
    running.push(stand);
    // A stand-in for /run (0755, root's), holding the directory the docs' command makes.
    const run = mkdtempSync(join(tmpdir(), "e2e-run-"));
    chmodSync(run, 0o755);
    runAsDocumented(TOKEN_DIRECTORY_STEP, { "/run/inventory-api": join(run, "inventory-api") });
    const tokenPath = join(run, "inventory-api", "azure-identity-token");
    const tokens = new TokenFile(issuer, { path: tokenPath, subject, lifetimeSeconds: LIFETIME, owner: ensureServiceUser() }, now);
    await tokens.refresh();
    const envFile = await writeEnvFile(federated, undefined, ["--token-file", tokenPath]);
    return { stand, tokens, tokenPath, tokenDirectory: join(run, "inventory-api"), envFile };
}

async function app(setup: Server): Promise<RunningApp> {
    const started = await startApp(setup.envFile, ACCOUNT, setup.stand, clock.environment);
    running.push(started);
    return started;
}

/** The client assertions the app posted to Entra, in order. */
const assertionsPosted = (stand: AzureStandIn) => stand.server.requests
    .filter((request) => request.method === "POST" && request.host === "login.microsoftonline.com")
    .map((request) => new URLSearchParams(request.body).get("client_assertion"));

const signInError = (body: string) => (JSON.parse(body) as { message?: string }).message ?? "";

describe("the blob app signing in with a federated token file", { timeout: 180_000 }, () => {
    it("1. signs in with the issuer's token and reads and writes blobs; no secret anywhere", async () => {
        moveClocks(0);
        const setup = await server();
        const web = await app(setup);
        const upload = await web.request("PUT", "/blobs/reports/federated.csv", "sku,count\nF-1,3\n");
        expect({ status: upload.status, body: upload.status === 201 ? JSON.parse(upload.body) as unknown : web.log() })
            .toEqual({ status: 201, body: { container: "reports", name: "federated.csv", bytes: 16 } });
        expect(await web.request("GET", "/blobs/reports/federated.csv")).toEqual({ status: 200, body: "sku,count\nF-1,3\n" });
        expect(await readBlob(setup.stand.azurite, ACCOUNT, "reports", "federated.csv")).toEqual({ status: 200, body: "sku,count\nF-1,3\n" });
        // azure-identity's chain: EnvironmentCredential has no secret or certificate; WorkloadIdentityCredential signed in
        // (azure/identity/_credentials/default.py, environment.py, chained.py).
        // environment.py lists the variables it found from a set(), in an order that changes with each process's hash seed.
        const clientId = credentialsFromEvaluation(federated)[0]!.clientId;
        const sortedVariables = (line: string) => line.replace(/(are set: )(.*)$/, (_, head: string, list: string) =>
            head + list.split(", ").sort().join(", "));
        expect(identityLogLines(web.log()).map(sortedVariables)).toEqual([
            "azure.identity._credentials.environment INFO Incomplete environment configuration for EnvironmentCredential. These " +
                "variables are set: AZURE_CLIENT_ID, AZURE_TENANT_ID",
            `azure.identity._credentials.managed_identity INFO ManagedIdentityCredential will use IMDS with client_id: ${clientId}`,
            "azure.identity._credentials.chained INFO DefaultAzureCredential acquired a token from WorkloadIdentityCredential",
        ]);
        expect(assertionsPosted(setup.stand)).toEqual([setup.tokens.written[0]]);
        const posted = new URLSearchParams(setup.stand.server.requests.find((request) => request.method === "POST")!.body);
        expect([posted.get("client_assertion_type"), posted.has("client_secret"), posted.get("client_id")])
            .toEqual(["urn:ietf:params:oauth:client-assertion-type:jwt-bearer", false, clientId]);
        // Entra read the issuer's two documents, through the proxy, for that one sign-in.
        expect(setup.stand.server.requests.filter((request) => request.host === "oidc.local-azure.test").map((request) => request.url.pathname))
            .toEqual(["/cluster-1/.well-known/openid-configuration", "/cluster-1/openid/v1/jwks"]);
        // The token file as the docs leave it: the service's user's alone; their check says so, as they say it will.
        const stat = statSync(setup.tokenPath);
        const user = ensureServiceUser();
        expect({ mode: stat.mode & 0o777, uid: stat.uid, gid: stat.gid }).toEqual({ mode: 0o600, uid: user.uid, gid: user.gid });
        expect(runAsDocumented(CHECK_STEP, { "/run/inventory-api": setup.tokenDirectory }))
            .toBe("readable\n750 root:inventory-api\n600 inventory-api:inventory-api\n");
    });

    it("2. keeps working while the issuer replaces the token file; azure-identity reads the new one once the old has expired", async () => {
        moveClocks(0);
        const setup = await server();
        const web = await app(setup);
        const put = async (name: string) => (await web.request("PUT", `/blobs/refresh/${name}`, name)).status;
        const statuses: Record<string, number> = { "0 s": await put("0.txt") };
        // 50 minutes on: the agent has replaced the file (80% of 3600 s is 2880 s); the app's access token is still good.
        moveClocks(3000);
        expect(await setup.tokens.refresh()).toBe(true);
        statuses["3000 s, file replaced"] = await put("1.txt");
        expect(assertionsPosted(setup.stand)).toEqual([setup.tokens.written[0]]);
        // 70 minutes on: the first token expired at 3600 s (Entra allows 300 s more); the app's access token too. The
        // app asks Entra again, with the token it reads from the file now, its last read being 4200 s old.
        moveClocks(4200);
        expect(await setup.tokens.refresh()).toBe(false);
        statuses["4200 s, first token expired"] = await put("2.txt");
        expect(statuses).toEqual({ "0 s": 201, "3000 s, file replaced": 201, "4200 s, first token expired": 201 });
        expect(assertionsPosted(setup.stand)).toEqual([setup.tokens.written[0], setup.tokens.written[1]]);
        expect(new Set(setup.tokens.written).size).toBe(2);
        moveClocks(0);
    });

    it("3. refused once the federated credential is removed from the stack (AADSTS70021), and for another subject (AADSTS700213)", async () => {
        moveClocks(0);
        const setup = await server();
        const before = await app(setup);
        expect((await before.request("PUT", "/blobs/removed/before.txt", "x")).status).toBe(201);
        await before.stop();
        // `pulumi up` of the stack as it was before federation: its federated identity credential is deleted.
        const clientId = credentialsFromEvaluation(federated)[0]!.clientId;
        const after = credentialsFromEvaluation(withoutFederation).find((candidate) => candidate.clientId === clientId)!;
        expect(after.federatedCredentials).toEqual([]);
        registerFederatedCredentials(setup.stand, clientId, after.federatedCredentials!);
        const removed = await app(setup);
        const refused = await removed.request("PUT", "/blobs/removed/after.txt", "x");
        expect(refused.status).toBe(502);
        expect(signInError(refused.body)).toContain("AADSTS70021: No matching federated identity record found for presented assertion. " +
            `Assertion Issuer: '${issuer.issuer}'. Assertion Subject: '${SUBJECT}'. Assertion Audience: 'api://AzureADTokenExchange'.`);
        await removed.stop();

        // Another workload of the same cluster, with a valid token of its own subject: not this app's.
        const other = await server("system:serviceaccount:inventory:worker");
        const stranger = await app(other);
        const strangerReply = await stranger.request("PUT", "/blobs/removed/stranger.txt", "x");
        expect(strangerReply.status).toBe(502);
        expect(signInError(strangerReply.body)).toContain("AADSTS700213: No matching federated identity record found for presented " +
            "assertion subject 'system:serviceaccount:inventory:worker'.");
        // Nothing refused reached Storage.
        expect(other.stand.azurite.requests.map(({ method, path, status }) => `${method} ${path} ${status}`)).toEqual([]);
    });
});


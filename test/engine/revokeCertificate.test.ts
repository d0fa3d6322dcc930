/**
 * Issue 24, defect 2, on the real engine: a leaked certificate identity. Its key is what leaked, so `npm run revoke`
 * refuses to register the committed certificate on the new app while the old app holds its key (tools/revoke/heldKeys.ts),
 * and says what to do; once the server has made a new key pair (`npm run certificate -- new`, the README's leak
 * runbook) and its public half is committed in place of the old one, revoke runs, the old key is refused by the new
 * app (AADSTS700027) and the new key signs in, with the real azure-identity (token_check.py).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentFor } from "../../localazure/main";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { PYTHON_ENV, requireVenv } from "../support/envReaders";
import { readableCopy } from "../support/e2e";
import { asUser, ensureServiceUser, SERVICE_USER, userEnvironment } from "../support/serviceUser";
import { openScenario, type Scenario } from "./scenario";
import { TYPESCRIPT_HOOK } from "./support";
import { runCommand, type CommandResult } from "./workspace";

const NAME = "inventory-api-dev";
const STACK_FILE = `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")}  app-identity:credential: certificate\n`;

let scenario: Scenario;
let scratch: string;

beforeAll(async () => {
    scenario = await openScenario([], { tools: true });
    scratch = mkdtempSync(join(tmpdir(), "revoke-certificate-"));
    // A server's /etc: anyone may pass through; the key directories below are the service user's group's alone.
    chmodSync(scratch, 0o755);
    scenario.workspace.writeStackFile("inventory-api-dev", STACK_FILE);
    await scenario.pulumiOk(["stack", "init", "inventory-api-dev"]);
}, 180_000);

afterAll(async () => {
    await scenario?.dispose();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** A command of the project's tools/, as npm runs it: from the project's folder, with the local Azure's variables. */
function tool(command: string, args: readonly string[]): Promise<CommandResult> {
    const { dir, env } = scenario.workspace;
    return runCommand(process.execPath, [...TYPESCRIPT_HOOK, join(dir, "tools", command, "command.ts"), ...args], dir,
        { ...env, ...Object.fromEntries(environmentFor(scenario.azure)) });
}

/**
 * On the server, as the README's leak runbook and docs/certificates.md say: the directory the service's user may
 * enter (`install -d -m 0750 -o root -g inventory-api`), then `npm run certificate -- new --stack inventory-api-dev
 * --out DIR --owner inventory-api`; then the public half committed where it says (here: copied into the workspace's
 * project). The server's file (key and certificate, the service user's) is returned.
 */
async function newKeyPair(out: string): Promise<{ serverFile: string; committed: string }> {
    const user = ensureServiceUser();
    execFileSync("install", ["-d", "-m", "0750", "-o", "root", "-g", String(user.gid), out]);
    const made = await tool("certificate", ["new", "--stack", "inventory-api-dev", "--out", out, "--owner", SERVICE_USER]);
    expect(made.code, made.stderr).toBe(0);
    const serverFile = /^ {2}(\S+) {2}private key and certificate/m.exec(made.stdout)![1]!;
    const [, publicFile, committed] = /^ {2}(\S+) {2}the public certificate: commit it as (\S+)$/m.exec(made.stdout)!;
    mkdirSync(dirname(join(scenario.workspace.dir, committed!)), { recursive: true });
    copyFileSync(publicFile!, join(scenario.workspace.dir, committed!));
    return { serverFile, committed: committed! };
}

/**
 * The real azure-identity's EnvironmentCredential with a certificate (token_check.py), as the service signs in: as
 * its own user (User=inventory-api), which opens the key file itself.
 */
async function signIn(clientId: string, certificateFile: string): Promise<CommandResult> {
    const { azure } = scenario;
    const user = ensureServiceUser();
    const { command, args } = asUser(user, requireVenv(), [join(PROJECT_ROOT, "examples/token-check/token_check.py")]);
    return runCommand(command, args, scratch, {
        ...PYTHON_ENV, ...userEnvironment(user), PATH: process.env["PATH"] ?? "", AZURE_CLIENT_ID: clientId,
        AZURE_TENANT_ID: azure.tenantId, AZURE_CLIENT_CERTIFICATE_PATH: certificateFile, HTTPS_PROXY: azure.proxyUrl,
        HTTP_PROXY: azure.proxyUrl, NO_PROXY: "", REQUESTS_CA_BUNDLE: readableCopy(azure.caFile), SSL_CERT_FILE: readableCopy(azure.caFile),
    });
}

async function clientId(): Promise<string> {
    return JSON.parse((await scenario.pulumiOk(["stack", "output", "--stack", "inventory-api-dev", "--json"])).stdout).clientId as string;
}

const revokeLines = (result: CommandResult) => result.stderr.split("\n").filter((line) => line.startsWith("revoke: "));

describe("revoke of a certificate identity", () => {
    let old: { serverFile: string; committed: string };
    let oldClientId: string;

    it("the stack's certificate signs in", async () => {
        old = await newKeyPair(join(scratch, "old"));
        await scenario.pulumiOk(["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview", "--suppress-outputs"]);
        oldClientId = await clientId();
        const signedIn = await signIn(oldClientId, old.serverFile);
        expect(signedIn.stderr).toBe("");
        expect(JSON.parse(signedIn.stdout)).toMatchObject({ signedIn: true });
    }, 300_000);

    it("is refused while the committed certificate's key is the old app's, and nothing changes", async () => {
        const log = scenario.azure.log().length;
        const refused = await tool("revoke", ["--stack", "inventory-api-dev", "--yes"]);
        expect(refused.code).toBe(1);
        expect(revokeLines(refused).at(-1)).toBe(`revoke: the old app ${NAME} holds the key of ${old.committed}: it may be the ` +
            "key that leaked, and pulumi up would register it on the new app; nothing was changed. On the server, make a " +
            `new key pair for the rotation in use (git rm ${old.committed}, then npm run certificate -- new --stack inventory-api-dev ` +
            "--out DIR), commit its public half, then: npm run revoke -- --stack inventory-api-dev");
        expect(await clientId()).toBe(oldClientId);
        // Only reads: the stack export, and the old app's certificates.
        expect(scenario.azure.log().slice(log).filter((entry) => entry.method !== "GET" && entry.host !== "login.microsoftonline.com")).toEqual([]);
    }, 300_000);

    it("with a new key pair committed in its place, revoke runs; the old key is refused (AADSTS700027), the new one signs in", async () => {
        rmSync(join(scenario.workspace.dir, old.committed));
        const fresh = await newKeyPair(join(scratch, "new"));
        expect(fresh.committed).toBe(old.committed);
        const revoked = await tool("revoke", ["--stack", "inventory-api-dev", "--yes"]);
        expect(revoked.code, revoked.stderr).toBe(0);
        const newClientId = await clientId();
        expect(newClientId).not.toBe(oldClientId);

        const oldKey = await signIn(newClientId, old.serverFile);
        expect(oldKey.code).not.toBe(0);
        expect(oldKey.stderr).toContain("AADSTS700027");
        const oldApp = await signIn(oldClientId, old.serverFile);
        expect(oldApp.stderr).toContain("AADSTS700016");
        const newKey = await signIn(newClientId, fresh.serverFile);
        expect(newKey.stderr).toBe("");
        expect(JSON.parse(newKey.stdout)).toMatchObject({ signedIn: true });
    }, 300_000);
});


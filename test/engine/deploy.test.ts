/**
 * The users' main path on the real engine: the Pulumi CLI built from Pulumi's Go modules, its engine, state
 * backend (`file://`), passphrase secrets provider and policy analyzer, running the real program on the provider
 * stand-ins against the local Azure (issue: the real Pulumi engine, section 3).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { readableCopy } from "../support/e2e";
import { PYTHON_ENV, requireVenv } from "../support/envReaders";
import { asUser, ensureServiceUser, userEnvironment } from "../support/serviceUser";
import { createEngineWorkspace, runCommand, type EngineWorkspace } from "./workspace";
import { pulumiOk as sharedPulumiOk, TYPESCRIPT_HOOK } from "./support";

const STACKS = ["inventory-api-dev", "inventory-api-test", "inventory-api-prod", "inventory-api-local"] as const;

let azure: LocalAzure;
let workspace: EngineWorkspace;

beforeAll(async () => {
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    for (const stack of STACKS) {
        const created = await workspace.pulumi(["stack", "init", stack]);
        expect(created).toMatchObject({ code: 0, stderr: `Created stack '${stack}'\n` });
    }
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const pulumiOk = (args: readonly string[]) => sharedPulumiOk(workspace, args);

function appsNamed(displayName: string) {
    return azure.state().applications.filter((app) => app.properties["displayName"] === displayName);
}

describe("pulumi on the real engine against the local Azure", () => {
    it.each(STACKS)("pulumi preview of stack %s passes the guardrail pack in the real analyzer", async (stack) => {
        const result = await pulumiOk(["preview", "--stack", stack, ...workspace.policyArgs]);
        expect(result.stdout).toContain("app-identity-guardrails@v0.1.0");
        expect(result.stdout).not.toMatch(/mandatory/i);
    }, 300_000);

    it("a stack asking for Owner passes config and is stopped by the policy pack in the real analyzer", async () => {
        // dev's stack file, asking for Owner, as app owner's dev: config accepts the name so that the guardrail, which says why, refuses it.
        workspace.writeStackFile("owner-dev", readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")
            .replace("role: Storage Blob Data Contributor", "role: Owner"));
        await pulumiOk(["stack", "init", "owner-dev"]);
        const result = await workspace.pulumi(["preview", "--stack", "owner-dev", ...workspace.policyArgs]);
        expect(result.code).not.toBe(0);
        expect(result.stdout).toContain("role-assignment-allowed-roles");
        expect(appsNamed("owner-dev")).toEqual([]);
    }, 300_000);

    it.each(STACKS)("pulumi up of stack %s, then pulumi preview --expect-no-changes passes", async (stack) => {
        await pulumiOk(["up", "--stack", stack, "--yes", "--skip-preview", ...workspace.policyArgs]);
        await pulumiOk(["preview", "--stack", stack, "--expect-no-changes"]);
    }, 600_000);

    it("the local Azure holds exactly what the stacks made: one app per identity, two secrets each", () => {
        const names = ["inventory-api-dev", "inventory-api-test", "inventory-api-prod",
            "inventory-api-local-alice", "inventory-api-local-bob"];
        for (const name of names) {
            const [app, ...others] = appsNamed(name);
            expect(others).toEqual([]);
            expect(app?.passwords).toHaveLength(2);
        }
    });

    it("the real outputs become an env file (mode 0600) with which the Azure SDK for Python signs in as the service's user", async () => {
        const envFile = join(workspace.dir, "dev.env");
        const written = await runCommand(process.execPath,
            [...TYPESCRIPT_HOOK, join(PROJECT_ROOT, "tools/envFile/command.ts"), "--stack", "inventory-api-dev", "--out", envFile],
            workspace.dir, workspace.env);
        expect(written.code).toBe(0);
        expect(statSync(envFile).mode & 0o777).toBe(0o600);
        // As systemd runs the unit: root reads the 0600 env file (EnvironmentFile=), the app runs as User=inventory-api.
        const user = ensureServiceUser();
        const app = asUser(user, requireVenv(), [join(PROJECT_ROOT, "examples/token-check/token_check.py")]);
        const signIn = await runCommand("bash", ["-c", `set -a; . "${envFile}"; set +a; exec "$@"`, "bash", app.command, ...app.args],
            workspace.dir, { ...PYTHON_ENV, ...userEnvironment(user), PATH: process.env["PATH"] ?? "", HTTPS_PROXY: azure.proxyUrl,
                HTTP_PROXY: azure.proxyUrl, NO_PROXY: "", REQUESTS_CA_BUNDLE: readableCopy(azure.caFile), SSL_CERT_FILE: readableCopy(azure.caFile) });
        expect(signIn.stderr).toBe("");
        expect(JSON.parse(signIn.stdout)).toMatchObject({ signedIn: true });
    }, 120_000);

    it("pulumi destroy of a non-production stack empties it from the local Azure", async () => {
        await pulumiOk(["destroy", "--stack", "inventory-api-test", "--yes", "--skip-preview"]);
        expect(appsNamed("inventory-api-test")).toEqual([]);
        const testScope = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-test`;
        // What is left there is what the tenant administrator gave the deployer and the previewer (docs/deployer.md).
        const seeded = [azure.deployer.objectId, azure.previewer?.objectId];
        expect(azure.state().roleAssignments.filter((a) => a.scope === testScope && !seeded.includes(a.principalId))).toEqual([]);
    }, 300_000);

    it("pulumi destroy of prod is refused, and nothing of prod is deleted", async () => {
        const before = azure.state().applications.find((app) => app.properties["displayName"] === "inventory-api-prod");
        const result = await workspace.pulumi(["destroy", "--stack", "inventory-api-prod", "--yes", "--skip-preview"]);
        expect(result.code).not.toBe(0);
        expect(result.stdout + result.stderr).toMatch(/protected/);
        const after = appsNamed("inventory-api-prod");
        expect(after).toHaveLength(1);
        expect(after[0]?.passwords.map((password) => password.keyId)).toEqual(before?.passwords.map((password) => password.keyId));
    }, 300_000);

    it("the secret in the env file is in no file of the state backend in plain text", () => {
        const secret = /^AZURE_CLIENT_SECRET='([^']+)'$/m.exec(readFileSync(join(workspace.dir, "dev.env"), "utf8"))?.[1];
        expect(secret).toMatch(/^[A-Za-z0-9~._-]{40}$/);
        const stateFiles = readdirSync(join(workspace.dir, ".state"), { recursive: true, withFileTypes: true })
            .filter((entry) => entry.isFile());
        expect(stateFiles.length).toBeGreaterThan(0);
        for (const file of stateFiles) {
            expect(readFileSync(join(file.parentPath, file.name), "utf8")).not.toContain(secret);
        }
    });
});

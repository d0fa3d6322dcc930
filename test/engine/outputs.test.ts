/**
 * `npm run expiry -- --stack S` and `npm run env-file -- --stack S` against the real CLI's outputs of a stack the
 * real engine deployed on the local Azure (issue: every promise on the real engine, "npm run expiry -- --stack and
 * npm run env-file -- --stack"). The stack is deployed on 2026-11-17 by a moved clock (fakeClock.cjs), so that
 * every date below is exact. A recording `pulumi` first on PATH logs each call and hands it to the real CLI.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { hashSecret } from "../../localazure/secrets";
import { appNamed, expectOk, MovableClock, pulumiWith, recordingCli, runTool, secretValues, signIn, utc, type RecordingCli } from "./support";
import { createEngineWorkspace, type CommandResult, type EngineWorkspace } from "./workspace";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let clock: MovableClock;
let cli: RecordingCli;
/** The workspace's environment with the recording `pulumi` first on PATH. */
let recorded: NodeJS.ProcessEnv;
let secrets: string[];

beforeAll(async () => {
    clock = new MovableClock(utc("2026-11-17"));
    azure = await startLocalAzure({ now: clock.now });
    workspace = await createEngineWorkspace(azure);
    cli = recordingCli(workspace);
    recorded = cli.env;
    expectOk(await workspace.pulumi(["stack", "init", "inventory-api-dev"]), "pulumi stack init inventory-api-dev");
    expectOk(await pulumiWith(workspace, clock.env(workspace.env), ["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview"]), "pulumi up");
    secrets = await secretValues(workspace, ["inventory-api-dev"]);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

/** Runs a tool with the recording CLI; returns what it printed and the CLI calls it made. */
async function recordedTool(tool: string, args: readonly string[], env: NodeJS.ProcessEnv = recorded): Promise<CommandResult & { calls: string[] }> {
    cli.clear();
    const result = await runTool(workspace, tool, args, env);
    for (const secret of secrets) expect(result.stdout + result.stderr).not.toContain(secret);
    return { ...result, calls: cli.calls() };
}

describe("npm run expiry -- --stack on the real CLI's outputs", () => {
    it("reads the deployed stack's dates without asking for secret values, on the day the clock says, and exits 0", async () => {
        // 2026-11-17T12:00Z by the moved clock: 516.5 days to 2028-04-17, 150.5 to 2027-04-17.
        expect(await recordedTool("expiry", ["--stack", "inventory-api-dev"], clock.env(recorded))).toEqual({
            code: 0,
            stdout: [
                "Client secrets of stack inventory-api-dev at 2026-11-17: ok",
                "  inventory-api-dev-secret-a  newest    ends 2028-04-17  516 days left  OK",
                "  inventory-api-dev-secret-b  previous  ends 2027-04-17  150 days left  ok",
                "",
            ].join("\n"),
            stderr: "",
            calls: ["stack output --json --stack inventory-api-dev"],
        });
    });

    it("exits 1 when the newest secret is within --fail-days and the previous has expired, and says why", async () => {
        expect(await recordedTool("expiry", ["--stack", "inventory-api-dev", "--at", "2028-03-29"])).toEqual({
            code: 1,
            stdout: [
                "Client secrets of stack inventory-api-dev at 2028-03-29: FAILED",
                "  inventory-api-dev-secret-a  newest    ends 2028-04-17  19 days left    FAIL",
                "  inventory-api-dev-secret-b  previous  ends 2027-04-17  -347 days left  EXPIRED",
                "warning: inventory-api-dev-secret-a, the newest client secret, ends in 19 days (within --fail-days 30): " +
                    "a rotation is overdue; run pulumi up",
                "warning: inventory-api-dev-secret-b expired on 2027-04-17: a rotation was missed; run pulumi up",
                "",
            ].join("\n"),
            stderr: "",
            calls: ["stack output --json --stack inventory-api-dev"],
        });
    });

    it("exits 2 in one line for a stack the backend does not have (the real CLI exits 6: no stack named 'staging' found)", async () => {
        expect(await recordedTool("expiry", ["--stack", "staging"])).toEqual({
            code: 2, stdout: "", stderr: "expiry: no stack named \"staging\": 'pulumi stack ls' lists the stacks\n",
            calls: ["stack output --json --stack staging"],
        });
    });

    it("needs no passphrase without secret values: the CLI blinds the outputs' secrets instead of decrypting them", async () => {
        // pulumi/pulumi v3.276.0 pkg/cmd/pulumi/stack/stack_output.go: without --show-secrets, SnapshotStackOutputs
        // runs with secrets.BlindingProvider (every secret "[secret]", pkg/backend/secrets/providers.go), so the
        // stack's passphrase is never asked for. At v3.248.0 it decrypted with the stack's provider and needed it.
        const withoutPassphrase = { ...recorded };
        delete withoutPassphrase["PULUMI_CONFIG_PASSPHRASE"];
        const withPassphrase = await recordedTool("expiry", ["--stack", "inventory-api-dev"]);
        expect(withPassphrase.code).toBe(0);
        expect(await recordedTool("expiry", ["--stack", "inventory-api-dev"], withoutPassphrase)).toEqual(withPassphrase);
    });
});

describe("npm run env-file -- --stack on the real CLI's outputs", () => {
    it("writes a 0600 file with the local Azure's client ID and tenant and the secret of the newest slot, which signs in", async () => {
        const out = join(workspace.dir, "dev.env");
        const result = await recordedTool("env-file", ["--stack", "inventory-api-dev", "--out", out]);
        expect(result).toEqual({
            code: 0, stdout: "",
            stderr: `env-file: wrote ${out} (mode 0600) for inventory-api-dev; its client secret expires 2028-04-17T00:00:00Z\n`,
            calls: ["stack output --json --show-secrets --stack inventory-api-dev"],
        });
        expect(statSync(out).mode & 0o777).toBe(0o600);
        const app = appNamed(azure, "inventory-api-dev");
        const content = readFileSync(out, "utf8");
        const secret = /^AZURE_CLIENT_SECRET='([A-Za-z0-9~._-]{40})'$/m.exec(content)?.[1] ?? "";
        expect(content).toBe([
            "# Microsoft Entra ID identity inventory-api-dev, from stack inventory-api-dev.",
            "# The client secret expires 2028-04-17T00:00:00Z; write this file again after each rotation.",
            "# Written by 'npm run env-file'. Keep it mode 0600, readable by the service's user only.",
            `AZURE_CLIENT_ID='${app.appId}'`,
            `AZURE_TENANT_ID='${azure.tenantId}'`,
            `AZURE_CLIENT_SECRET='${secret}'`,
            `AZURE_SUBSCRIPTION_ID='${azure.subscriptionId}'`,
            "",
        ].join("\n"));
        // The secret is the one Graph holds for slot a, the newest (made at the rotation of 2026-04-17).
        expect(app.passwords.filter((password) => password.secretHash === hashSecret(secret))
            .map((password) => [password.displayName, password.endDateTime]))
            .toEqual([["slot a, rotated 2026-04-17", "2028-04-17T00:00:00Z"]]);
        expect(await signIn(azure, azure.tenantId, app.appId, secret)).toEqual({ status: 200 });
    });

    it("needs the passphrase for the secret: --show-secrets decrypts with the stack's provider, and nothing is written", async () => {
        // pulumi/pulumi v3.276.0 pkg/cmd/pulumi/stack/stack_output.go: the stack's secrets provider with --show-secrets.
        const out = join(workspace.dir, "no-passphrase.env");
        const withoutPassphrase = { ...recorded };
        delete withoutPassphrase["PULUMI_CONFIG_PASSPHRASE"];
        expect(await recordedTool("env-file", ["--stack", "inventory-api-dev", "--out", out], withoutPassphrase)).toEqual({
            code: 1, stdout: "",
            stderr: "env-file: 'pulumi stack output --json --show-secrets --stack inventory-api-dev' failed: error: constructing secrets manager of type " +
                "\"passphrase\": constructing secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or " +
                "PULUMI_CONFIG_PASSPHRASE_FILE environment variables\n",
            calls: ["stack output --json --show-secrets --stack inventory-api-dev"],
        });
        expect(existsSync(out)).toBe(false);
    });

    it("exits 1 in one line for a stack the backend does not have, and writes nothing", async () => {
        const out = join(workspace.dir, "staging.env");
        expect(await recordedTool("env-file", ["--stack", "staging", "--out", out])).toEqual({
            code: 1, stdout: "", stderr: "env-file: no stack named \"staging\": 'pulumi stack ls' lists the stacks\n",
            calls: ["stack output --json --show-secrets --stack staging"],
        });
        expect(existsSync(out)).toBe(false);
    });

    it("exits 1 with the CLI's own first line when the passphrase is wrong, and writes nothing", async () => {
        const out = join(workspace.dir, "wrong.env");
        expect(await recordedTool("env-file", ["--stack", "inventory-api-dev", "--out", out], { ...recorded, PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase" })).toEqual({
            code: 1, stdout: "",
            stderr: "env-file: 'pulumi stack output --json --show-secrets --stack inventory-api-dev' failed: error: failed to decrypt: " +
                "incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set " +
                "PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase\n",
            calls: ["stack output --json --show-secrets --stack inventory-api-dev"],
        });
        expect(existsSync(out)).toBe(false);
    });
});

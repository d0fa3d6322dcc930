/**
 * The tenant's credential policy on the real engine (issue 16, "The tenant's credential policy"): a hardened tenant
 * (the admin enables the default app management policy, secrets capped at 180 days) stops tools/ci/preview.sh and
 * deploy.sh at `npm run credential-policy` with its exact line and nothing written; without the check, the real
 * `pulumi up` creates the app and then fails on addPassword with Graph's CredentialInvalidLifetimeAsPerAppPolicy;
 * relaxed, the check passes and deploy.sh creates the secrets; and a policy of the app's own that allows no secrets
 * is named, with `credential: certificate` suggested. The scripts run as the workflows run them, with the local
 * Azure's variables (its env.sh: HTTPS_PROXY and the test CA) in place of the workflows' OIDC sign-in.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { DEFAULT_POLICY_ID } from "../../localazure/graph/policies";
import { environmentFor } from "../../localazure/main";
import { appNamed, copyIntoWorkspace, expectOk, graphAsAdmin, MovableClock, pulumiWith, runTool, utc, writesSince } from "./support";
import { createEngineWorkspace, runCommand, type CommandResult, type EngineWorkspace } from "./workspace";

let azure: LocalAzure;
let workspace: EngineWorkspace;
/** dev's slots at this date: b (rotated 2025-04-17) ends 2027-04-17, 137 days on; a (2026-04-17) ends 2028-04-17. */
const clock = new MovableClock(utc("2026-12-01"));

/** The workspace's variables at the clock's instant, with the local Azure's (its env.sh), as a workflow step has them. */
function env(): NodeJS.ProcessEnv {
    const result = { ...clock.env(workspace.env), ...Object.fromEntries(environmentFor(azure)) };
    delete result["PULUMI_SKIP_CONFIRMATIONS"];
    return result;
}

beforeAll(async () => {
    azure = await startLocalAzure({ now: clock.now });
    workspace = await createEngineWorkspace(azure);
    copyIntoWorkspace(workspace, ["tools"]);
    expectOk(await workspace.pulumi(["stack", "init", "inventory-api-dev"]), "pulumi stack init inventory-api-dev");
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const ciScript = (script: string): Promise<CommandResult> =>
    runCommand("bash", [join(workspace.dir, "tools", "ci", script), "inventory-api-dev"], tmpdir(), env());
/** npm's own notices on stderr (a user's npmrc) are not the scripts' output. */
const withoutNpmNotices = (stderr: string) => stderr.split("\n").filter((line) => !line.startsWith("npm warn")).join("\n");

const CAPPED = "stacks/Pulumi.inventory-api-dev.yaml: app-identity:secretLifetimeMonths is missing, so 24; expected at most 5: the tenant's " +
    "default app management policy limits client secrets to P180D (180 days), and a 24-month one lives up to 731 days " +
    "(CredentialInvalidLifetimeAsPerAppPolicy)";

describe("the tenant's app management policy, before and during a deploy", () => {
    it("hardened (secrets capped at 180 days): deploy.sh and preview.sh stop at the check with its line; nothing is written", async () => {
        const hardened = await graphAsAdmin(azure, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true,
            applicationRestrictions: { passwordCredentials: [{ restrictionType: "passwordLifetime", maxLifetime: "P180D",
                restrictForAppsCreatedAfterDateTime: null, state: "enabled" }], keyCredentials: [] } });
        expect(hardened.status).toBe(204);
        const mark = azure.log().length;
        const deployed = await ciScript("deploy.sh");
        const previewed = await ciScript("preview.sh");
        for (const result of [deployed, previewed]) {
            expect({ code: result.code, stdout: result.stdout, stderr: withoutNpmNotices(result.stderr) })
                .toEqual({ code: 1, stdout: `${CAPPED}\n`, stderr: "" });
        }
        expect(writesSince(azure, mark)).toEqual([]);
        // Read as the deployer: the default policy once per run, and the app looked up by name (it does not exist yet).
        expect(azure.log().slice(mark).filter((entry) => entry.host === "graph.microsoft.com")
            .map((entry) => `${entry.method} ${entry.path} ${entry.status} ${entry.caller === azure.deployer.objectId ? "deployer" : "other"}`))
            .toEqual(Array(2).fill([
                "GET /v1.0/policies/defaultAppManagementPolicy 200 deployer",
                "GET /v1.0/applications 200 deployer",
            ]).flat());
    }, 300_000);

    it("without the check, the real pulumi up creates the app, then Entra refuses the 24-month secret (CredentialInvalidLifetimeAsPerAppPolicy)", async () => {
        const mark = azure.log().length;
        const result = await pulumiWith(workspace, env(), ["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview"]);
        expect(result.code).not.toBe(0);
        expect(result.stdout).toContain("CredentialInvalidLifetimeAsPerAppPolicy: Credential lifetime exceeds the max value " +
            `allowed as per assigned policy '${DEFAULT_POLICY_ID}'.`);
        // The failure comes after the app and its service principal exist: the check's whole point. Slot b, 137 days
        // from its end, fits the cap; slot a, 503 days, is refused.
        expect(writesSince(azure, mark).filter((write) => write.includes("addPassword")).sort()).toEqual([
            "POST graph.microsoft.com/v1.0/applications/{id}/addPassword 200",
            "POST graph.microsoft.com/v1.0/applications/{id}/addPassword 400",
        ]);
        expect(appNamed(azure, "inventory-api-dev").passwords.map((password) => [password.displayName, password.endDateTime]))
            .toEqual([["slot b, rotated 2025-04-17", "2027-04-17T00:00:00Z"]]);
    }, 300_000);

    it("relaxed (the default disabled): the check passes and deploy.sh creates both secrets", async () => {
        expect((await graphAsAdmin(azure, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false })).status).toBe(204);
        const deployed = await ciScript("deploy.sh");
        expect({ code: deployed.code, stderr: withoutNpmNotices(deployed.stderr) }).toEqual({ code: 0, stderr: "" });
        expect(deployed.stdout.split("\n")[0]).toBe("Stack inventory-api-dev: client secrets of 24 months fit the tenant's app management " +
            "policies (inventory-api-dev: no policy in force).");
        expect(deployed.stdout).toContain("Updating (inventory-api-dev):");
        expect(appNamed(azure, "inventory-api-dev").passwords).toHaveLength(2);
    }, 300_000);

    it("a policy of the app's own that allows no secrets: the check names it and asks for a certificate", async () => {
        const created = await graphAsAdmin(azure, "POST", "/policies/appManagementPolicies", { displayName: "Certificates only",
            isEnabled: true, restrictions: { passwordCredentials: [{ restrictionType: "passwordAddition" }], keyCredentials: [] } });
        const policyId = (created.body as { id: string }).id;
        const app = appNamed(azure, "inventory-api-dev");
        expect((await graphAsAdmin(azure, "POST", `/policies/appManagementPolicies/${policyId}/appliesTo/$ref`,
            { "@odata.id": `https://graph.microsoft.com/v1.0/applications/${app.id}` })).status).toBe(204);
        const checked = await runTool(workspace, "credential-policy", ["--stack", "inventory-api-dev"], env());
        expect(checked).toEqual({ code: 1, stderr: "", stdout: "stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is missing, so " +
            `"secret"; expected "certificate": app management policy ${policyId} ("Certificates only"), assigned to ` +
            "inventory-api-dev, allows no client secrets (passwordAddition), so Entra refuses each new one " +
            "(CredentialTypeNotAllowedAsPerAppPolicy)\n" });
    }, 300_000);
});

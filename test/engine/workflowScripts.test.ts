/**
 * The scripts the workflows run (tools/ci/each.sh running preview.sh, deploy.sh, maintenance.sh; .github/workflows/*.yml), run as
 * GitHub runs them against the local Azure with the workspace's environment in place of the workflows' secrets
 * (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, ARM_*), on a copy of the project with tools/ in it (the scripts
 * work in the project they live in). A moved clock (fakeClock.cjs) brings the maintenance job to dev's rotation
 * date, 2027-04-17, and the local Azure along. Issue: every promise on the real engine, "The workflows' own steps".
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_OBJECT_ID } from "../../localazure/seed";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { environmentFor } from "../../localazure/main";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { plansChanges, resourceSummary } from "../../tools/previewComment/render";
import { appNamed, copyIntoWorkspace, expectOk, graphAsAdmin, MovableClock, secretValues, utc, writesSince } from "./support";
import { createEngineWorkspace, runCommand, type CommandResult, type EngineWorkspace } from "./workspace";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let clock: MovableClock;
/** Everything the scripts printed, checked at the end against every secret the scenario made. */
const printed: string[] = [];
const seenSecrets = new Set<string>();

beforeAll(async () => {
    clock = new MovableClock(utc("2026-12-01"));
    azure = await startLocalAzure({ now: clock.now });
    workspace = await createEngineWorkspace(azure);
    copyIntoWorkspace(workspace, ["tools"]);
    // dev's stack file asking for Owner, as app owner's dev: config accepts the name, the guardrail pack refuses it.
    workspace.writeStackFile("owner-dev", readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")
        .replace("role: Storage Blob Data Contributor", "role: Owner"));
    for (const stack of ["inventory-api-dev", "owner-dev"]) expectOk(await workspace.pulumi(["stack", "init", stack]), `pulumi stack init ${stack}`);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

/** tools/ci/SCRIPT STACK through tools/ci/each.sh from another directory, as a workflow step runs it, at the clock's instant. */
async function ciScript(script: string, stack: string, env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
    // The workflows set no PULUMI_SKIP_CONFIRMATIONS; with it, the CLI takes every command as --yes, and refuses
    // `refresh --preview-only` with "--yes and --preview-only cannot be used together" (pulumi/pulumi v3.276.0
    // pkg/cmd/pulumi/operations/refresh.go, io.go).
    // The local Azure's variables (its env.sh) too: the credential policy check reads Graph through HTTPS_PROXY.
    const ciEnv = { ...clock.env(workspace.env), ...Object.fromEntries(environmentFor(azure)), ...env };
    delete ciEnv["PULUMI_SKIP_CONFIRMATIONS"];
    const result = await runCommand("bash", [join(workspace.dir, "tools", "ci", "each.sh"), script.replace(/\.sh$/, ""), stack], tmpdir(), ciEnv);
    printed.push(result.stdout, result.stderr);
    return result;
}

/** npm's own notices on stderr (a user's npmrc) are not the scripts' output. */
const withoutNpmNotices = (stderr: string) => stderr.split("\n").filter((line) => !line.startsWith("npm warn")).join("\n");

const devApp = () => appNamed(azure, "inventory-api-dev");
/** Where the documented deployer can list role assignments: the stacks' groups in dev's subscription (tools/audit/observed.ts). */
const AUDIT_SCOPES = "role assignments read at resource groups rg-inventory-dev, rg-inventory-test " +
    "(listing at the subscription was refused: 403 AuthorizationFailed)";

describe("tools/ci scripts on the real CLI against the local Azure", () => {
    it("preview.sh: dev passes the guardrail pack and its report is the output; a stack asking for Owner fails it; nothing is written", async () => {
        const reports = join(workspace.dir, "previews");
        const report = join(reports, "inventory-api-dev.txt");
        const mark = azure.log().length;
        // As preview.yml signs in: the read-only preview identity (AZURE_PREVIEW_CLIENT_ID, docs/deployer.md section 7).
        const previewer = { ARM_CLIENT_ID: azure.previewer!.clientId, ARM_CLIENT_SECRET: azure.previewer!.clientSecret };
        const [dev, owner] = await Promise.all([
            ciScript("preview.sh", "inventory-api-dev", { PREVIEW_REPORTS: reports, ...previewer }),
            ciScript("preview.sh", "owner-dev", previewer),
        ]);
        expect({ code: dev.code, stderr: withoutNpmNotices(dev.stderr) }).toEqual({ code: 0, stderr: "" });
        // The credential policy check first (the local tenant's default policy is disabled), then the preview.
        expect(dev.stdout.split("\n")[0]).toBe("Stack inventory-api-dev: client secrets of 24 months fit the tenant's app management " +
            "policies (inventory-api-dev: no policy in force).");
        expect(dev.stdout).toContain("Previewing update (inventory-api-dev):");
        expect(dev.stdout).toContain("app-identity-guardrails@v0.1.0");
        expect(dev.stdout).not.toContain("Outputs:");
        expect([readFileSync(report, "utf8"), readFileSync(join(reports, "inventory-api-dev.outcome"), "utf8")]).toEqual([dev.stdout, "success\n"]);
        // What the PR comment's table shows of it: the CLI's own summary lines (tools/previewComment/render.ts).
        expect([resourceSummary(dev.stdout), plansChanges(dev.stdout)]).toEqual([["+ 7 to create"], true]);
        // pipefail: the script exits with the CLI's code (1 for a mandatory policy violation), not tee's 0.
        expect(owner.code).toBe(1);
        expect(owner.stdout).toContain("- [mandatory]  role-assignment-allowed-roles  (azure-native:authorization:RoleAssignment: ");
        // A preview calls Create flagged as preview (pulumi-terraform-bridge pkg/tfbridge/provider.go): no write reaches Azure.
        expect(writesSince(azure, mark)).toEqual([]);
    }, 120_000);

    it("deploy.sh: pulumi up of dev under the pack creates the identity, prints no outputs, and exits 0", async () => {
        const mark = azure.log().length;
        const deployed = await ciScript("deploy.sh", "inventory-api-dev");
        expect({ code: deployed.code, stderr: withoutNpmNotices(deployed.stderr) }).toEqual({ code: 0, stderr: "" });
        expect(deployed.stdout).toContain("Updating (inventory-api-dev):");
        expect(deployed.stdout).not.toContain("Outputs:");
        // The service principal and the secrets are created at once, after the app: sorted, not in log order.
        expect(writesSince(azure, mark).sort()).toEqual([
            "PATCH graph.microsoft.com/v1.0/applications/{id} 204",
            "PATCH graph.microsoft.com/v1.0/applications/{id} 204",
            "PATCH graph.microsoft.com/v1.0/servicePrincipals/{id} 204",
            "POST graph.microsoft.com/v1.0/applications 201",
            "POST graph.microsoft.com/v1.0/applications/{id}/addPassword 200",
            "POST graph.microsoft.com/v1.0/applications/{id}/addPassword 200",
            "POST graph.microsoft.com/v1.0/servicePrincipals 201",
            "PUT management.azure.com/subscriptions/{id}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/{id} 201",
        ]);
        expect(devApp().passwords.map((password) => password.displayName)).toEqual(
            expect.arrayContaining(["slot a, rotated 2026-04-17", "slot b, rotated 2025-04-17"]));
        for (const secret of await secretValues(workspace, ["inventory-api-dev"])) seenSecrets.add(secret);
    }, 120_000);

    it("maintenance.sh on the rotation day after an owner was added in the portal: drift, no rotation, expiry still checked", async () => {
        clock.set(utc("2027-04-17"));
        const app = devApp();
        const added = await graphAsAdmin(azure, "POST", `/applications/${app.id}/owners/$ref`,
            { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${ADMIN_OBJECT_ID}` });
        expect(added.status).toBe(204);
        const mark = azure.log().length;
        const result = await ciScript("maintenance.sh", "inventory-api-dev");
        // The refresh's code comes first, ExitNoChanges (7: pulumi/pulumi v3.276.0 pkg/cmd/pulumi/cmd/exit_codes.go,
        // returned for --expect-no-changes by pkg/cmd/pulumi/operations/refresh.go); the expiry check, run anyway,
        // finds slot b ended at midnight.
        expect(result.code).toBe(7);
        expect(withoutNpmNotices(result.stderr).split("\n").filter((line) => line.startsWith("tools/ci/"))).toEqual([
            "tools/ci/maintenance.sh: stack inventory-api-dev differs from its state (drift) or could not be refreshed: no rotation run; " +
                "review the refresh above, then run pulumi refresh --stack inventory-api-dev and pulumi up --stack inventory-api-dev",
        ]);
        expect(result.stdout.slice(result.stdout.indexOf("Client secrets of"))).toBe([
            "Client secrets of stack inventory-api-dev at 2027-04-17: FAILED",
            "  inventory-api-dev-secret-a  newest    ends 2028-04-17  365 days left  OK",
            "  inventory-api-dev-secret-b  previous  ends 2027-04-17  -1 days left   EXPIRED",
            "warning: inventory-api-dev-secret-b expired on 2027-04-17: a rotation was missed; run pulumi up",
            // The audit, run anyway, names the owner the refresh only counted as a change, with the command that removes it.
            `Audit of stack inventory-api-dev (inventory-api-dev): 1 undeclared, 0 missing; ${AUDIT_SCOPES}`,
            `  undeclared owner of inventory-api-dev: owner ${ADMIN_OBJECT_ID} of the app registration ${app.id} is not declared`,
            `    remove: az ad app owner remove --id ${app.id} --owner-object-id ${ADMIN_OBJECT_ID}`,
            "",
        ].join("\n"));
        expect(writesSince(azure, mark)).toEqual([]);
        expect(devApp().passwords.map((password) => password.keyId)).toEqual(app.passwords.map((password) => password.keyId));
    }, 120_000);

    it("maintenance.sh once the portal change is undone: no drift, the due rotation (new secret before the old is removed), expiry ok", async () => {
        const app = devApp();
        expect((await graphAsAdmin(azure, "DELETE", `/applications/${app.id}/owners/${ADMIN_OBJECT_ID}/$ref`)).status).toBe(204);
        const mark = azure.log().length;
        const result = await ciScript("maintenance.sh", "inventory-api-dev");
        expect({ code: result.code, stderr: withoutNpmNotices(result.stderr) }).toEqual({ code: 0, stderr: "" });
        expect(writesSince(azure, mark)).toEqual([
            "POST graph.microsoft.com/v1.0/applications/{id}/addPassword 200",
            "POST graph.microsoft.com/v1.0/applications/{id}/removePassword 204",
        ]);
        expect(devApp().passwords.map((password) => [password.displayName, password.endDateTime]).sort()).toEqual([
            ["slot a, rotated 2026-04-17", "2028-04-17T00:00:00Z"],
            ["slot b, rotated 2027-04-17", "2029-04-17T00:00:00Z"],
        ]);
        expect(result.stdout.slice(result.stdout.indexOf("Client secrets of"))).toBe([
            "Client secrets of stack inventory-api-dev at 2027-04-17: ok",
            "  inventory-api-dev-secret-b  newest    ends 2029-04-17  730 days left  OK",
            "  inventory-api-dev-secret-a  previous  ends 2028-04-17  365 days left  ok",
            `Audit of stack inventory-api-dev (inventory-api-dev): clean; ${AUDIT_SCOPES}`,
            "",
        ].join("\n"));
        for (const secret of await secretValues(workspace, ["inventory-api-dev"])) seenSecrets.add(secret);
    }, 180_000);

    it("print no secret: neither client secret of either rotation, the deployer's secret nor the passphrase", () => {
        // Two slots, then the rotated one: three client secrets, the deployer's and the passphrase.
        expect(seenSecrets.size).toBe(5);
        expect(printed.length).toBe(10);
        for (const output of printed) {
            for (const secret of seenSecrets) expect(output).not.toContain(secret);
        }
    });
});

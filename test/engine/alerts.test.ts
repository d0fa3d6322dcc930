/**
 * Issue 29's alerts over a simulated year, on the real CLI against the local Azure and a GitHub stand-in: each day
 * the maintenance workflow's scripts run as GitHub runs them (tools/ci/each.sh maintenance, ALERT_REPORTS as
 * maintenance.yml sets it), then its alerts job (`npm run alerts`), at a moved clock (fakeClock.cjs, and the local
 * Azure along). dev's slots: b ends 2027-04-17, its rotation day; a ends 2028-04-17.
 * - 2027-02-01, 75 days before b ends: one issue, "move the servers off" b, assigned to the app's owner;
 * - 2027-02-02: the same condition a day on: nothing written to GitHub;
 * - 2027-04-17: the rotation replaces b, a is then the previous secret with a year left: the issue is closed;
 * - 2027-06-01, an owner added in the portal: drift and the audit's finding, two issues;
 * - 2027-06-02, still there: nothing written to GitHub, both issues as they were (the drift's links the run that found it);
 * - 2027-06-03, the owner removed: both closed;
 * - 2028-01-25, 83 days before a ends: a new issue for a, not the closed one reopened.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_OBJECT_ID } from "../../localazure/seed";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { environmentFor } from "../../localazure/main";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { GitHubStandIn } from "../support/githubStandIn";
import { appNamed, copyIntoWorkspace, expectOk, graphAsAdmin, MovableClock, TYPESCRIPT_HOOK, utc } from "./support";
import { createEngineWorkspace, runCommand, type CommandResult, type EngineWorkspace } from "./workspace";

const STACK = "inventory-api-dev";
const TOKEN = "ghs_maintenance";
const LIST = "GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 200";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let clock: MovableClock;
let github: GitHubStandIn;

beforeAll(async () => {
    clock = new MovableClock(utc("2026-12-01"));
    azure = await startLocalAzure({ now: clock.now });
    workspace = await createEngineWorkspace(azure);
    copyIntoWorkspace(workspace, ["tools"]);
    github = await new GitHubStandIn(TOKEN).start();
    // The app's owners for alerts, in its stack file (Pulumi.yaml's `alerts` names them once for every stack of an app).
    workspace.writeStackFile(STACK, `${readFileSync(join(PROJECT_ROOT, `stacks/Pulumi.${STACK}.yaml`), "utf8")}` +
        "  app-identity:alerts:\n    inventory-api:\n      github: [alice, contoso/inventory-team]\n");
    expectOk(await workspace.pulumi(["stack", "init", STACK]), `pulumi stack init ${STACK}`);
    expectOk(await workspace.pulumi(["up", "--stack", STACK, "--yes", "--skip-preview"]), `pulumi up ${STACK}`);
}, 300_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
    await github?.stop();
});

/** One day's scheduled run at `day`: the maintain job, then the alerts job on what it kept. */
async function scheduledRun(day: string, runId = "7"): Promise<{ maintain: CommandResult; alerts: CommandResult; calls: string[] }> {
    clock.set(utc(day));
    const reports = mkdtempSync(join(tmpdir(), "alert-reports-"));
    const env = { ...clock.env(workspace.env), ...Object.fromEntries(environmentFor(azure)) };
    // The workflows set no PULUMI_SKIP_CONFIRMATIONS (the CLI refuses it beside refresh --preview-only).
    delete env["PULUMI_SKIP_CONFIRMATIONS"];
    const maintain = await runCommand("bash", [join(workspace.dir, "tools", "ci", "each.sh"), "maintenance", STACK], tmpdir(),
        { ...env, ALERT_REPORTS: reports, GITHUB_RUN_ID: runId, GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "contoso/app-identities" });
    const mark = github.calls.length;
    const alerts = await runCommand(process.execPath, [...TYPESCRIPT_HOOK, join(workspace.dir, "tools", "alerts", "command.ts"),
        "--reports", reports], workspace.dir, { ...env, GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: "contoso/app-identities", GITHUB_API_URL: github.url });
    return { maintain, alerts, calls: github.callsSince(mark) };
}

const openIssues = () => github.issues.filter((issue) => issue.state === "open").map((issue) => [issue.number, issue.title]);

describe("alerts over a simulated year of scheduled maintenance", () => {
    it("2027-02-01: the previous secret within 90 days of its end opens one issue, assigned, with its act-by date", async () => {
        const day = await scheduledRun("2027-02-01");
        expect(day.maintain.code).toBe(0);
        expect({ code: day.alerts.code, stdout: day.alerts.stdout }).toEqual({ code: 0, stdout: [
            "opened #1: inventory-api-dev: move the servers off inventory-api-dev-secret-b by 2027-04-17",
            "alerts: 1 opened, 0 updated, 0 closed, 0 unchanged, over 1 stacks", "",
        ].join("\n") });
        expect(day.calls).toEqual([LIST, "POST /repos/contoso/app-identities/issues 201"]);
        const [issue] = github.issues;
        expect({ assignees: issue!.assignees, labels: issue!.labels }).toEqual({ assignees: ["alice"],
            labels: ["app-identity-alert", "alert:move-servers", `stack:${STACK}`] });
        expect(issue!.body).toContain("**Act by 2027-04-17.**\nOwners: @alice @contoso/inventory-team");
    }, 240_000);

    it("2027-02-02: the same condition a day on writes nothing", async () => {
        const day = await scheduledRun("2027-02-02");
        expect([day.maintain.code, day.alerts.code, day.calls]).toEqual([0, 0, [LIST]]);
        expect(day.alerts.stdout).toBe("alerts: 0 opened, 0 updated, 0 closed, 1 unchanged, over 1 stacks\n");
    }, 240_000);

    it("2027-04-17: the rotation replaces b; the condition is gone and its issue closed with a comment", async () => {
        const day = await scheduledRun("2027-04-17");
        expect(day.maintain.code).toBe(0);
        expect(appNamed(azure, STACK).passwords.map((password) => password.displayName).sort())
            .toEqual(["slot a, rotated 2026-04-17", "slot b, rotated 2027-04-17"]);
        expect(day.calls).toEqual([LIST, "POST /repos/contoso/app-identities/issues/1/comments 201", "PATCH /repos/contoso/app-identities/issues/1 200"]);
        expect(openIssues()).toEqual([]);
        expect(github.issues[0]!.state_reason).toBe("completed");
    }, 240_000);

    it("2027-06-01, an owner added in the portal: drift, and the audit's finding with its removing command", async () => {
        const app = appNamed(azure, STACK);
        clock.set(utc("2027-06-01"));
        expect((await graphAsAdmin(azure, "POST", `/applications/${app.id}/owners/$ref`,
            { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${ADMIN_OBJECT_ID}` })).status).toBe(204);
        const day = await scheduledRun("2027-06-01");
        expect(day.maintain.code).toBe(7);
        expect(openIssues()).toEqual([
            [2, "inventory-api-dev: the identity differs from its stack (drift)"],
            [3, "inventory-api-dev: 1 finding of the audit (credentials, owners or roles the stack does not declare, or has lost)"],
        ]);
        expect(github.issues[2]!.body).toContain(`az ad app owner remove --id ${app.id} --owner-object-id ${ADMIN_OBJECT_ID}`);
        expect(github.issues[1]!.body).toContain("First seen in run: https://github.com/contoso/app-identities/actions/runs/7");
    }, 240_000);

    it("2027-06-02, the owner still there: nothing written to GitHub; the drift issue still links the run that found it", async () => {
        const before = github.issues.map((issue) => issue.body);
        const day = await scheduledRun("2027-06-02", "8");
        expect([day.maintain.code, day.alerts.code]).toEqual([7, 0]);
        expect(day.calls).toEqual([LIST]);
        expect(day.alerts.stdout).toBe("alerts: 0 opened, 0 updated, 0 closed, 2 unchanged, over 1 stacks\n");
        expect(github.issues.map((issue) => issue.body)).toEqual(before);
        expect(github.issues[1]!.body).toContain("First seen in run: https://github.com/contoso/app-identities/actions/runs/7");
    }, 240_000);

    it("2027-06-03, the owner removed: both issues closed", async () => {
        const app = appNamed(azure, STACK);
        clock.set(utc("2027-06-03"));
        expect((await graphAsAdmin(azure, "DELETE", `/applications/${app.id}/owners/${ADMIN_OBJECT_ID}/$ref`)).status).toBe(204);
        const day = await scheduledRun("2027-06-03", "9");
        expect([day.maintain.code, day.alerts.code]).toEqual([0, 0]);
        expect(day.alerts.stdout.split("\n").at(-2)).toBe("alerts: 0 opened, 0 updated, 2 closed, 0 unchanged, over 1 stacks");
        expect(openIssues()).toEqual([]);
    }, 240_000);

    it("2028-01-25: a, now the previous secret, within 90 days of its end: a new issue, not the closed one reopened", async () => {
        const day = await scheduledRun("2028-01-25");
        expect(day.maintain.code).toBe(0);
        expect(openIssues()).toEqual([[4, "inventory-api-dev: move the servers off inventory-api-dev-secret-a by 2028-04-17"]]);
        expect(github.issues.map((issue) => issue.state)).toEqual(["closed", "closed", "closed", "open"]);
    }, 240_000);
});

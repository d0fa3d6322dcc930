/**
 * `npm run fleet` on the real Pulumi CLI and engine against the local Azure: a generated fleet of six stacks (three
 * apps, dev and test) is brought up two at a time through the Automation API, then previewed and checked for drift:
 * no change in any; each stack's expiry agrees with `npm run expiry` of that stack;
 * the local Graph and ARM hold every identity exactly once with exactly its role assignments; the Graph writes the
 * run made are those budget.ts counts for its stacks; each stack's CLI calls are only the ones its verb needs (a
 * recording `pulumi` first on PATH); and each worker ran in its own work directory, so the CLI kept one workspace
 * file per worker (pkg/v3 v3.276.0 workspace/workspace.go settingsPath).
 */
import { cpSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRole } from "../../common/builtInRoles";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { environmentFor } from "../../localazure/main";
import { SUBSCRIPTION_ID } from "../../localazure/seed";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { stackWriteCost } from "../../tools/fleet/budget";
import { readFleet } from "../../tools/fleet/inventory";
import { readProject } from "../../tools/stacks/stackFiles";
import type { FleetSummary } from "../../tools/fleet/summary";
import { generateFleet, type FleetFixture } from "../support/fleetFixture";
import { graphAsAdmin, recordingCli, type RecordingCli, TYPESCRIPT_HOOK } from "./support";
import { createEngineWorkspace, runCommand, type CommandResult, type EngineWorkspace } from "./workspace";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let fixture: FleetFixture;
let cli: RecordingCli;

beforeAll(async () => {
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    cpSync(join(PROJECT_ROOT, "tools"), join(workspace.dir, "tools"), { recursive: true });
    // The workspace's stacks are the fleet's: three apps, dev and test, on the local Azure's groups.
    rmSync(join(workspace.dir, "stacks"), { recursive: true, force: true });
    fixture = generateFleet({
        apps: 3, environments: ["dev", "test"], seed: 7,
        resourceGroupOf: (_app, environment) => `rg-inventory-${environment}`,
    }, workspace.dir);
    cli = recordingCli(workspace);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

/** `npm run fleet -- ARGS`, its CLI calls recorded (`cli.calls()`, from this call's start). */
function fleet(args: readonly string[]): Promise<CommandResult> {
    cli.clear();
    return runCommand(process.execPath, ["--max-semi-space-size=64", ...TYPESCRIPT_HOOK, "tools/fleet/command.ts", ...args],
        workspace.dir, cli.env);
}

/**
 * Each stack's CLI calls in the order they ran, as the command and its first argument that is not a flag (the
 * stack's own name dropped), and the calls that name no stack.
 */
function callsByStack(): Record<string, string[]> {
    const byStack: Record<string, string[]> = {};
    for (const call of cli.calls()) {
        const words = call.split(" ");
        const stackFlag = words.indexOf("--stack");
        const stack = stackFlag >= 0 ? words[stackFlag + 1]! : words[0] === "stack" && words[1] === "init" ? words[2]! : "(none)";
        const end = words.findIndex((word, index) => index > 0 && (word.startsWith("--") || word === stack));
        const command = (end < 0 ? words : words.slice(0, end)).join(" ");
        (byStack[stack] ??= []).push(command);
    }
    return byStack;
}

/** callsByStack when every stack made `commands` and each worker's workspace ran `pulumi version` once. */
const everyStackCalled = (commands: readonly string[]) => ({ "(none)": ["version", "version"],
    ...Object.fromEntries(fixture.stacks.map((stack) => [stack, [...commands]])) });

function summaryOf(result: CommandResult): FleetSummary {
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as FleetSummary;
}

const countBy = (items: readonly string[]) => {
    const counts: Record<string, number> = {};
    for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
    return counts;
};

const graphWrites = (from: number) => azure.log().slice(from)
    .filter((entry) => entry.host === "graph.microsoft.com" && entry.method !== "GET");

describe("npm run fleet against the local Azure", () => {
    let upStderr = "";

    it("up --concurrency 2: every stack created, within the Graph writes budget.ts counts for them", async () => {
        const from = azure.log().length;
        const result = await fleet(["up", "--concurrency", "2", "--format", "json"]);
        upStderr = result.stderr;
        const summary = summaryOf(result);
        // Each stack: the stack itself, the component, app, service principal, two secrets and a role assignment per entry.
        expect(summary.stacks.map((run) => [run.stack, run.result, run.changes])).toEqual(fixture.stacks.map((stack) =>
            [stack, "succeeded", { create: 6 + fixture.roles[stack]!.length }]));
        expect(summary.counts).toEqual({ succeeded: 6, failed: 0, skipped: 0 });
        const costs = readFleet(readProject(workspace.dir)).stacks.map((stack) => stackWriteCost(stack.config!));
        expect(summary.graphWrites).toEqual({ budgetPerWindow: 2400, planned: costs.reduce((sum, cost) => sum + cost, 0) });
        // In the order a stack makes them: 7 each (budget.ts), the same for every stack.
        const writes = graphWrites(from).map((entry) => `${entry.method} ${entry.path.replace(/\/[0-9a-f-]{36}/g, "/{id}")}`);
        expect(writes).toHaveLength(summary.graphWrites!.planned);
        expect(countBy(writes)).toEqual({
            "POST /v1.0/applications": 6, "PATCH /v1.0/applications/{id}": 12, "POST /v1.0/servicePrincipals": 6,
            "PATCH /v1.0/servicePrincipals/{id}": 6, "POST /v1.0/applications/{id}/addPassword": 12,
        });
        // Stack.createOrSelect selects, and inits a stack it cannot select; the up reads back neither the outputs nor
        // the history (automation.ts withoutResultReads).
        expect(callsByStack()).toEqual(everyStackCalled(["stack select", "stack init", "up"]));
    }, 300_000);

    it("shows plain progress lines off a terminal: a start and a numbered end line per stack", () => {
        const lines = upStderr.split("\n").filter((line) => /^(start|\[)/.test(line));
        expect(lines.filter((line) => line.startsWith("start  ")).map((line) => line.slice(7)).sort()).toEqual([...fixture.stacks]);
        expect(lines.filter((line) => line.startsWith("[")).map((line) => /^\[\s*(\d)\/6\] succeeded (\S+) /.exec(line)?.[1]))
            .toEqual(["1", "2", "3", "4", "5", "6"]);
    });

    it("the local Graph and ARM hold each identity exactly once, with exactly its role assignments", () => {
        const state = azure.state();
        for (const stack of fixture.stacks) {
            const apps = state.applications.filter((app) => app.properties["displayName"] === stack);
            expect([stack, apps.length]).toEqual([stack, 1]);
            const principals = state.servicePrincipals.filter((principal) => principal.appId === apps[0]!.appId);
            expect([stack, principals.length]).toEqual([stack, 1]);
            const assignments = state.roleAssignments.filter((assignment) => assignment.principalId === principals[0]!.id)
                .map((assignment) => [assignment.scope, assignment.roleDefinitionId.split("/").at(-1)]).sort();
            expect([stack, assignments]).toEqual([stack, fixture.roles[stack]!.map((entry) => [
                `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${entry.resourceGroup}`, findRole(entry.role)!.id]).sort()]);
        }
    });

    it("preview afterwards: no change in any stack, and no Graph write", async () => {
        const from = azure.log().length;
        const summary = summaryOf(await fleet(["preview", "--concurrency", "2", "--format", "json"]));
        expect(summary.stacks.map((run) => [run.stack, run.result, run.changes])).toEqual(fixture.stacks.map((stack) =>
            [stack, "succeeded", { same: 6 + fixture.roles[stack]!.length }]));
        expect(summary.graphWrites).toBeUndefined();
        expect(graphWrites(from)).toEqual([]);
        expect(callsByStack()).toEqual(everyStackCalled(["stack select", "preview"]));
    }, 300_000);

    // The workspace sets PULUMI_SKIP_CONFIRMATIONS=true, which the CLI would take for --yes and refuse beside
    // --preview-only (pkg/v3 v3.276.0 cmd/pulumi/operations/io.go): the fleet turns it off for its commands.
    it("drift afterwards (refresh --preview-only --expect-no-changes): every stack as deployed", async () => {
        const summary = summaryOf(await fleet(["drift", "--concurrency", "2", "--format", "json"]));
        expect(summary.stacks.map((run) => [run.stack, run.result, run.changes])).toEqual(fixture.stacks.map((stack) =>
            [stack, "succeeded", { same: 6 + fixture.roles[stack]!.length }]));
        expect(callsByStack()).toEqual(everyStackCalled(["stack select", "refresh"]));
    }, 300_000);

    it("expiry: each stack's newest secret as npm run expiry -- --stack S judges it", async () => {
        const at = new Date().toISOString().slice(0, 10);
        const summary = summaryOf(await fleet(["expiry", "--at", at, "--format", "json"]));
        const single = await Promise.all(fixture.stacks.map(async (stack) => {
            const result = await workspace.run(process.execPath, [...TYPESCRIPT_HOOK, "tools/expiry/command.ts",
                "--stack", stack, "--at", at, "--format", "json"]);
            expect(result.code, result.stderr).toBe(0);
            const report = JSON.parse(result.stdout) as { secrets: { newest: boolean; daysLeft: number }[] };
            return Math.min(...report.secrets.filter((secret) => secret.newest).map((secret) => secret.daysLeft));
        }));
        expect(summary.stacks.map((run) => [run.stack, run.result, run.detail])).toEqual(fixture.stacks.map((stack, index) =>
            [stack, "succeeded", `newest ends in ${single[index]} days`]));
    }, 300_000);

    it("credential-policy: each stack's verdict is npm run credential-policy -- --stack S's, passing and refused", async () => {
        // Both read Graph themselves, as the deployer, through the local Azure's proxy (its env.sh).
        const env = { ...workspace.env, ...Object.fromEntries(environmentFor(azure)) };
        const node = (args: readonly string[]) => runCommand(process.execPath, [...TYPESCRIPT_HOOK, ...args], workspace.dir, env);
        const alone = (stack: string) => node(["tools/credentialPolicy/command.ts", "--stack", stack]);
        const fleetCheck = () => node(["tools/fleet/command.ts", "credential-policy", "--concurrency", "2", "--format", "json"]);
        const passing = summaryOf(await fleetCheck());
        const passed = await Promise.all(fixture.stacks.map(alone));
        expect(passed.map((result) => result.code)).toEqual(fixture.stacks.map(() => 0));
        expect(passing.stacks.map((run) => [run.stack, run.result, run.detail])).toEqual(fixture.stacks.map((stack, index) =>
            [stack, "succeeded", passed[index]!.stdout.trim().replace(`Stack ${stack}: `, "")]));
        // A tenant default that limits client secrets to 90 days refuses every stack's 24-month secrets.
        expect((await graphAsAdmin(azure, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true,
            applicationRestrictions: { passwordCredentials: [{ restrictionType: "passwordLifetime", maxLifetime: "P90D" }], keyCredentials: [] },
        })).status).toBe(204);
        try {
            const refused = await fleetCheck();
            const lines = await Promise.all(fixture.stacks.map(alone));
            expect([refused.code, lines.map((result) => result.code)]).toEqual([1, fixture.stacks.map(() => 1)]);
            expect((JSON.parse(refused.stdout) as FleetSummary).stacks.map((run) => [run.stack, run.result, run.reason]))
                .toEqual(fixture.stacks.map((stack, index) => [stack, "failed", lines[index]!.stdout.trim().split("\n").join("; ")]));
            expect(lines[0]!.stdout).toMatch(/^stacks\/Pulumi\.app000-dev\.yaml: app-identity:secretLifetimeMonths is missing, so 24; expected at most 2: /);
        } finally {
            expect((await graphAsAdmin(azure, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false })).status).toBe(204);
        }
    }, 300_000);

    it("ran each worker in its own work directory: one workspace file per worker, none for the checkout", () => {
        expect(readdirSync(join(workspace.dir, ".fleet", "workers")).sort()).toEqual(["worker-0", "worker-1"]);
        const files = readdirSync(join(workspace.env["PULUMI_HOME"]!, "workspaces"));
        expect(files).toHaveLength(2);
        expect(files.every((file) => /^app-identity-[0-9a-f]{40}-workspace\.json$/.test(file))).toBe(true);
    });
});

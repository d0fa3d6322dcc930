/**
 * `npm run fleet -- <verb> [selection] [--concurrency N] [--fail-fast] [--graph-budget N] [--format table|json]`
 *
 * One command over many stacks of the project. Verbs:
 * - `plan`: the offline plan of every selected stack, in this one process, with the cross-stack rules over the whole
 *   fleet (one display name per tenant, role assignments per subscription);
 * - `preview`, `up`, `drift`: the real Pulumi CLI through the Automation API, N stacks at a time, each worker in a
 *   work directory of its own (automation.ts), under the guardrail policy pack as the CI scripts run it; `up` takes
 *   each stack's Graph writes from one budget (budget.ts); `drift` is `pulumi refresh --preview-only
 *   --expect-no-changes`, as the daily maintenance runs it;
 * - `expiry`: each stack's secrets and certificates against --warn-days/--fail-days (npm run expiry's rules);
 * - `credential-policy`: each stack's credentials against the tenant's app management policies (npm run
 *   credential-policy's check, credentialPolicy.ts), as the deploying identity;
 * - `audit`: each stack's credentials, owners and role assignments against what its state declares (npm run audit's
 *   check, audit.ts); `--fix --yes` removes what is undeclared, its Graph writes taken from the budget;
 * - `matrix`: the GitHub Actions matrices of the selection (matrix.ts), as JSON for `fromJSON`.
 * Selection: `--app NAME`, `--environment NAME`, `--stack GLOB` (each may repeat), `--changed-since REF` (changes.ts),
 * `--rerun-failed SUMMARY.json` (the stacks a previous `--format json` run reported failed or skipped).
 *
 * Progress goes to standard error (a live display on a terminal, plain lines otherwise); the summary to standard
 * output. Exit 0 when every stack succeeded, 1 when any failed or was skipped, 2 for a usage mistake.
 */
import { availableParallelism } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_ROOT, readProject } from "../stacks/stackFiles";
import { parseDateArgument, parseDaysArgument, runCommand, UsageError } from "../../common/cliArgs";
import { planStacks } from "../plan/command";
import { POLICY_ANALYZER } from "../policyPack/build";
import { AUTOMATION_VERBS, automationOperation, prepareWorkDirs, type AutomationVerb } from "./automation";
import { DEFAULT_FLEET_WRITES_PER_WINDOW, GraphBudget, stackWriteCost } from "./budget";
import { changedPaths, touchedStacks } from "./changes";
import { expiryOperation } from "./expiry";
import { credentialPolicyOperation } from "./credentialPolicy";
import { auditOperation } from "./audit";
import { cliStateExport } from "../audit/audit";
import { cliRepair } from "../audit/pending";
import { readTenantPolicies } from "../azure/appManagementPolicies";
import { deployerCredential } from "../azure/credential";
import { AzureReader } from "../azure/rest";
import { readFleet, type Fleet, type FleetStack } from "./inventory";
import { fleetMatrices } from "./matrix";
import { progressFor, type Progress } from "./progress";
import { runFleet, type StackRun } from "./runner";
import { selectStacks, type Selection } from "./select";
import { renderSummaryJson, renderSummaryTable, summarize, type FleetSummary } from "./summary";
import type { Finding } from "../audit/findings";
import type { FixResult } from "../audit/fix";

const VERBS = ["plan", ...AUTOMATION_VERBS, "expiry", "credential-policy", "audit", "matrix"] as const;
type Verb = typeof VERBS[number];

/** The guardrail pack's config, as tools/ci/lib.sh passes it beside the compiled pack (POLICY_ANALYZER). */
export const POLICY_PACK_CONFIG = "policy/config.json";

export interface FleetArguments {
    readonly verb: Verb;
    readonly selection: Selection;
    readonly changedSince?: string;
    readonly rerunFailed?: string;
    readonly concurrency: number;
    readonly failFast: boolean;
    readonly graphBudget: number;
    readonly format: "table" | "json";
    readonly root: string;
    readonly at?: Date;
    readonly warnDays: number;
    readonly failDays: number;
    /** `audit --fix --yes`: remove what is undeclared. */
    readonly fix: boolean;
}

export function parseFleetArguments(argv: readonly string[]): FleetArguments {
    const { values, positionals } = parseArgs({
        args: [...argv],
        allowPositionals: true,
        options: {
            app: { type: "string", multiple: true, default: [] },
            environment: { type: "string", multiple: true, default: [] },
            stack: { type: "string", multiple: true, default: [] },
            "changed-since": { type: "string" },
            "rerun-failed": { type: "string" },
            concurrency: { type: "string" },
            "fail-fast": { type: "boolean", default: false },
            "graph-budget": { type: "string" },
            format: { type: "string", default: "table" },
            root: { type: "string" },
            at: { type: "string" },
            "warn-days": { type: "string", default: "90" },
            "fail-days": { type: "string", default: "30" },
            fix: { type: "boolean", default: false },
            yes: { type: "boolean", default: false },
        },
    });
    const [verb, ...extra] = positionals;
    if (verb === undefined || !(VERBS as readonly string[]).includes(verb)) {
        throw new UsageError(`the verb is ${verb === undefined ? "missing" : JSON.stringify(verb)}; expected one of ${VERBS.join(", ")}`);
    }
    if (extra.length > 0) throw new UsageError(`${JSON.stringify(extra[0])} is not an option; select stacks with --stack GLOB`);
    if (values.format !== "table" && values.format !== "json") {
        throw new UsageError(`--format is ${JSON.stringify(values.format)}; expected table or json`);
    }
    if (values.fix !== values.yes) throw new UsageError(values.fix ? "--fix removes only with --yes as well; nothing was removed" : "--yes confirms --fix");
    if (values.fix && verb !== "audit") throw new UsageError(`--fix goes with the audit verb, not ${verb}`);
    const whole = (flag: string, text: string | undefined, fallback: number): number => {
        if (text === undefined) return fallback;
        if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`${flag} is ${JSON.stringify(text)}; expected a whole number, 1 or more`);
        return Number(text);
    };
    return {
        verb: verb as Verb,
        selection: { apps: values.app, environments: values.environment, patterns: values.stack },
        ...(values["changed-since"] === undefined ? {} : { changedSince: values["changed-since"] }),
        ...(values["rerun-failed"] === undefined ? {} : { rerunFailed: values["rerun-failed"] }),
        concurrency: whole("--concurrency", values.concurrency, availableParallelism()),
        failFast: values["fail-fast"],
        graphBudget: whole("--graph-budget", values["graph-budget"], DEFAULT_FLEET_WRITES_PER_WINDOW),
        format: values.format,
        root: values.root === undefined ? PROJECT_ROOT : resolve(values.root),
        ...(values.at === undefined ? {} : { at: parseDateArgument("--at", values.at) }),
        warnDays: parseDaysArgument("--warn-days", values["warn-days"]),
        failDays: parseDaysArgument("--fail-days", values["fail-days"]),
        fix: values.fix,
    };
}

/** The stacks the arguments select, in name order. */
export function selectedStacks(fleet: Fleet, args: FleetArguments): FleetStack[] {
    let touched: ReadonlySet<string> | undefined;
    if (args.changedSince !== undefined) touched = touchedStacks(fleet, changedPaths(fleet.project.root, args.changedSince)).stacks;
    if (args.rerunFailed !== undefined) {
        const failed = failedIn(args.rerunFailed);
        touched = new Set([...(touched ?? failed)].filter((stack) => failed.has(stack)));
    }
    return selectStacks(fleet.stacks, { ...args.selection, ...(touched === undefined ? {} : { touched }) });
}

/** The stacks a previous run's JSON summary reports failed or skipped. */
function failedIn(file: string): Set<string> {
    let summary: FleetSummary;
    try {
        summary = JSON.parse(readFileSync(file, "utf8")) as FleetSummary;
    } catch (error) {
        throw new UsageError(`--rerun-failed ${file}: ${(error as Error).message.split("\n")[0]}; expected the JSON ` +
            "summary of an earlier run (npm run fleet -- <verb> --format json > summary.json)");
    }
    if (!Array.isArray(summary.stacks)) throw new UsageError(`--rerun-failed ${file}: no "stacks" list; expected a fleet summary`);
    const runs: readonly StackRun[] = summary.stacks;
    return new Set(runs.filter((run) => run.result !== "succeeded").map((run) => run.stack));
}

export async function runVerb(args: FleetArguments, stacks: readonly FleetStack[], progress: Progress): Promise<FleetSummary> {
    const started = Date.now();
    if (args.verb === "plan") {
        const byName = new Map<string, StackRun>();
        await planStacks({
            root: args.root, stacks: stacks.map((stack) => stack.stack), ...(args.at === undefined ? {} : { at: args.at }),
            onPlanned: (planned, durationMs) => {
                const reason = planned.errors[0] ?? planned.violations[0]?.message;
                const run: StackRun = {
                    stack: planned.stack, result: planned.ok ? "succeeded" : "failed", durationMs,
                    ...(planned.ok ? { changes: { create: planned.resources.length } } : {}),
                    ...(reason === undefined ? {} : { reason }),
                };
                byName.set(run.stack, run);
                progress.onEvent({ kind: "end", run });
            },
        });
        return summarize("plan", stacks.map((stack) => byName.get(stack.stack)!), Date.now() - started);
    }
    if (args.verb === "expiry") {
        const operation = expiryOperation({ at: args.at ?? new Date(), warnDays: args.warnDays, failDays: args.failDays });
        const runs = await runFleet(stacks, operation, { concurrency: args.concurrency, failFast: args.failFast, onEvent: progress.onEvent });
        return summarize("expiry", runs, Date.now() - started);
    }
    if (args.verb === "credential-policy") {
        // One sign-in as the deploying identity for every stack (the ARM_* variables, as npm run credential-policy).
        const reader = new AzureReader(deployerCredential(process.env).credential);
        const operation = credentialPolicyOperation({ project: readProject(args.root).name, now: args.at ?? new Date(),
            read: (names) => readTenantPolicies(reader, names) });
        const runs = await runFleet(stacks, operation, { concurrency: args.concurrency, failFast: args.failFast, onEvent: progress.onEvent });
        return summarize("credential-policy", runs, Date.now() - started);
    }
    if (args.verb === "audit") {
        const reader = new AzureReader(deployerCredential(process.env).credential);
        const findings: Finding[] = [];
        const fixed: FixResult[] = [];
        const budget = args.fix ? new GraphBudget(args.graphBudget) : undefined;
        const operation = auditOperation({ reader, exportState: cliStateExport(args.root), repair: cliRepair(args.root, process.env),
            fleet: readFleet(readProject(args.root)), fix: args.fix,
            ...(budget === undefined ? {} : { budget }),
            collect: (audit, fixes) => {
                findings.push(...audit.findings);
                fixed.push(...(fixes ?? []));
            } });
        const runs = await runFleet(stacks, operation, { concurrency: args.concurrency, failFast: args.failFast, onEvent: progress.onEvent });
        // In the order of the stacks, whichever finished first.
        const order = new Map(stacks.map((stack, index) => [stack.stack, index]));
        const byStack = (a: { stack: string }, b: { stack: string }) => order.get(a.stack)! - order.get(b.stack)!;
        return { ...summarize("audit", runs, Date.now() - started), audit: { findings: findings.sort(byStack),
            ...(args.fix ? { fixed: fixed.map(({ finding, error }) => ({ stack: finding.stack, kind: finding.kind, id: finding.id,
                removed: error === undefined, ...(error === undefined ? {} : { error }) })).sort(byStack) } : {}) } };
    }
    const verb = args.verb as AutomationVerb;
    const workers = Math.max(1, Math.min(args.concurrency, stacks.length));
    const workDirs = prepareWorkDirs(args.root, join(args.root, ".fleet", "workers"), workers);
    const policy = verb === "drift" ? {} : policyPackArgs(args.root);
    const operation = automationOperation(verb, { root: args.root, workDirs, ...policy });
    const budget = verb === "up" ? new GraphBudget(args.graphBudget) : undefined;
    const writesOf = (stack: FleetStack) => stack.config === undefined ? 0 : stackWriteCost(stack.config);
    const runs = await runFleet(stacks, operation, {
        concurrency: workers, failFast: args.failFast, onEvent: progress.onEvent,
        ...(budget === undefined ? {} : { budget, writesOf }),
    });
    const planned = stacks.reduce((sum, stack) => sum + writesOf(stack), 0);
    return summarize(verb, runs, Date.now() - started,
        budget === undefined ? undefined : { budgetPerWindow: args.graphBudget, planned });
}

function policyPackArgs(root: string): { policyPacks: string[]; policyPackConfigs: string[] } {
    const analyzer = join(root, POLICY_ANALYZER);
    if (!existsSync(analyzer)) {
        throw new UsageError(`${POLICY_ANALYZER} is missing: the guardrail pack is compiled by setup (npm run policy-pack)`);
    }
    return { policyPacks: [analyzer], policyPackConfigs: [join(root, POLICY_PACK_CONFIG)] };
}

export async function main(argv: readonly string[]): Promise<number> {
    let args: FleetArguments;
    let stacks: FleetStack[];
    try {
        args = parseFleetArguments(argv);
        stacks = selectedStacks(readFleet(readProject(args.root)), args);
    } catch (error) {
        if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") !== true) throw error;
        console.error(`fleet: ${(error as Error).message}`);
        return 2;
    }
    if (args.verb === "matrix") {
        console.log(JSON.stringify(fleetMatrices(stacks, { budgetPerWindow: args.graphBudget })));
        return 0;
    }
    if (stacks.length === 0) {
        console.error(`fleet: no stack selected; nothing to ${args.verb}`);
        return 0;
    }
    const progress = progressFor(stacks.length);
    let summary: FleetSummary;
    try {
        summary = await runVerb(args, stacks, progress);
    } catch (error) {
        progress.stop();
        if (!(error instanceof UsageError)) throw error;
        console.error(`fleet: ${error.message}`);
        return 2;
    }
    progress.stop();
    console.log(args.format === "json" ? renderSummaryJson(summary) : renderSummaryTable(summary));
    return summary.counts.failed + summary.counts.skipped === 0 ? 0 : 1;
}

if (require.main === module) runCommand("fleet", main);

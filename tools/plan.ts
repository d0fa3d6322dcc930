/**
 * `npm run plan -- [STACK...] [--format table|markdown|json] [--at DATE]`
 *
 * Shows what each stack would create, without the Pulumi CLI or an Azure account: the real program runs under the
 * Pulumi SDK's runtime with the offline engine in place of Azure, and the guardrail pack's policies check what it
 * registers, as of the plan's date (`--at`, or now). Exit 0 when every stack is valid and violates no policy, 1
 * otherwise, 2 for a usage mistake.
 */
import runProgram from "../infra";
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { checkResources, readPackConfig } from "../policy/check";
import { POLICIES } from "../policy/policies";
import { evaluateStack } from "./offline/engine";
import { planStack, renderJson, renderMarkdown, renderTable, type Plan, type PlannedStack } from "./render";
import { listStacks, PROJECT_ROOT, readProject, readStackFile, StackFileError } from "./stackFiles";
import { parseDateArgument, runCommand, UsageError } from "./cliArgs";

const FORMATS = { table: renderTable, markdown: renderMarkdown, json: renderJson } as const;
type Format = keyof typeof FORMATS;

export interface PlanOptions {
    readonly root: string;
    readonly stacks: readonly string[];
    readonly at?: Date;
}

export async function planStacks(options: PlanOptions): Promise<Plan> {
    const project = readProject(options.root);
    const packConfig = readPackConfig();
    const stacks = options.stacks.length > 0 ? options.stacks : listStacks(project);
    const planned: PlannedStack[] = [];
    for (const stack of stacks) {
        let file;
        try {
            file = readStackFile(project, stack);
        } catch (error) {
            if (!(error instanceof StackFileError)) throw error;
            planned.push({ stack, ok: false, errors: [error.message], violations: [], resources: [], outputs: {} });
            continue;
        }
        const evaluation = await evaluateStack({
            program: runProgram,
            project: project.name,
            stack,
            config: file.config,
            secretKeys: file.secretKeys,
            ...(options.at === undefined ? {} : { at: options.at }),
        });
        // The guardrail pack's own policies, on what the stack would register, judged as of the plan's date.
        planned.push(planStack(evaluation, checkResources(evaluation.resources, packConfig, POLICIES, options.at)));
    }
    return { at: (options.at ?? new Date()).toISOString(), stacks: planned };
}

export async function main(argv: readonly string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args: [...argv],
            allowPositionals: true,
            options: {
                format: { type: "string", default: "table" },
                at: { type: "string" },
                root: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        });
        if (!(parsed.values.format in FORMATS)) {
            throw new UsageError(`--format is ${JSON.stringify(parsed.values.format)}; expected table, markdown or json`);
        }
    } catch (error) {
        console.error(`plan: ${(error as Error).message}`);
        return 2;
    }
    if (parsed.values.help) {
        console.log("usage: npm run plan -- [STACK...] [--format table|markdown|json] [--at YYYY-MM-DD] [--root PROJECT_DIR]");
        return 0;
    }
    let at: Date | undefined;
    try {
        at = parsed.values.at === undefined ? undefined : parseDateArgument("--at", parsed.values.at);
    } catch (error) {
        console.error(`plan: ${(error as Error).message}`);
        return 2;
    }
    const root = parsed.values.root === undefined ? PROJECT_ROOT : resolve(parsed.values.root);
    const plan = await planStacks({ root, stacks: parsed.positionals, ...(at ? { at } : {}) });
    console.log(FORMATS[parsed.values.format as Format](plan));
    return plan.stacks.every((stack) => stack.ok) ? 0 : 1;
}

if (require.main === module) runCommand("plan", main);

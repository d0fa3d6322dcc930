/**
 * `npm run plan -- [STACK...] [--format table|markdown|json] [--at DATE] [--deployer-tenant GUID] [--root DIR]`
 *
 * Shows what each stack would create, without the Pulumi CLI or an Azure account: the real program runs under the
 * Pulumi SDK's runtime with the offline engine in place of Azure, and the guardrail pack's policies check what it
 * registers, as of the plan's date (`--at`, or now). What no single stack shows (one identity in two stacks of a
 * tenant, a subscription's role assignments) is checked across every stack of the project. `--deployer-tenant`
 * signs the fake deployer in to another tenant than the stack's, to see the program refuse it. Exit 0 when every
 * stack is valid and violates no policy, 1 otherwise, 2 for a usage mistake.
 */
import runProgram from "../../infra";
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { checkResources, readPackConfig } from "./policyCheck";
import { POLICIES } from "../../policy/policies";
import { ConfigError, parseStackConfig, STACK_CONFIG_DIR } from "../../infra/config";
import { setCertificatesRoot } from "../../infra/certificates";
import { evaluateStack } from "../offline/engine";
import { configOrigins } from "../offline/origins";
import { planStack, renderJson, renderMarkdown, renderTable, type Plan, type PlannedStack } from "./render";
import { listStacks, PROJECT_ROOT, projectStackProblems, readProject, readStackFile, StackFileError, type StackFile } from "../stacks/stackFiles";
import { parseDateArgument, runCommand, UsageError } from "../../common/cliArgs";

const FORMATS = { table: renderTable, markdown: renderMarkdown, json: renderJson } as const;
type Format = keyof typeof FORMATS;

export interface PlanOptions {
    readonly root: string;
    readonly stacks: readonly string[];
    readonly at?: Date;
    /** The tenant the fake deployer signs in to; each stack's own when unset. */
    readonly deployerTenantId?: string;
    /** Told when each stack is planned, with how long it took: the fleet's progress lines. */
    readonly onPlanned?: (stack: PlannedStack, durationMs: number) => void;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function planStacks(options: PlanOptions): Promise<Plan> {
    const project = readProject(options.root);
    const packConfig = readPackConfig();
    const stacks = options.stacks.length > 0 ? options.stacks : listStacks(project);
    // Once, over every stack of the project: each line names the stack file it is about (infra/config.ts).
    const acrossStacks = projectStackProblems(project);
    const plannedStacks: PlannedStack[] = [];
    // The committed certificates are the planned project's (stacks/certificates/ under --root), as for the CLI.
    const previousCertificatesRoot = setCertificatesRoot(options.root);
    for (const stack of stacks) {
        const started = Date.now();
        const planned = (result: PlannedStack): void => {
            plannedStacks.push(result);
            options.onPlanned?.(result, Date.now() - started);
        };
        let file: StackFile;
        try {
            file = readStackFile(project, stack);
        } catch (error) {
            if (!(error instanceof StackFileError)) throw error;
            planned({ stack, ok: false, errors: [...error.problems], violations: [], resources: [], outputs: {} });
            continue;
        }
        const evaluation = await evaluateStack({
            program: runProgram,
            project: project.name,
            stack,
            config: file.config,
            secretKeys: file.secretKeys,
            keysAsWritten: file.keysAsWritten,
            ...(options.at === undefined ? {} : { at: options.at }),
            ...(options.deployerTenantId === undefined ? {} : { deployerTenantId: options.deployerTenantId }),
        });
        // The guardrail pack's own policies, on what the stack would register, judged as of the plan's date, each
        // verdict naming the config key behind the resource.
        const origin = evaluation.ok ? originsOf(project.name, file) : undefined;
        const violations = checkResources(evaluation.resources, packConfig, POLICIES, options.at, origin);
        const prefix = `${STACK_CONFIG_DIR}/Pulumi.${stack}.yaml: `;
        planned(planStack(evaluation, violations, acrossStacks.filter((line) => line.startsWith(prefix))));
    }
    setCertificatesRoot(previousCertificatesRoot);
    return { at: (options.at ?? new Date()).toISOString(), stacks: plannedStacks };
}

/** The config keys behind the resources of a stack that the program accepted (so its config parses). */
function originsOf(project: string, file: StackFile) {
    try {
        return configOrigins(project, parseStackConfig(project, file.stack, file.config,
            { keysAsWritten: file.keysAsWritten, secretKeys: file.secretKeys }));
    } catch (error) {
        if (error instanceof ConfigError) return undefined;
        throw error;
    }
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
                "deployer-tenant": { type: "string" },
                root: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        });
        if (!(parsed.values.format in FORMATS)) {
            throw new UsageError(`--format is ${JSON.stringify(parsed.values.format)}; expected table, markdown or json`);
        }
        const tenant = parsed.values["deployer-tenant"];
        if (tenant !== undefined && !GUID.test(tenant)) {
            throw new UsageError(`--deployer-tenant is ${JSON.stringify(tenant)}; expected a tenant ID (GUID) such as ` +
                "72f988bf-86f1-41af-91ab-2d7cd011db47");
        }
    } catch (error) {
        console.error(`plan: ${(error as Error).message}`);
        return 2;
    }
    if (parsed.values.help) {
        console.log("usage: npm run plan -- [STACK...] [--format table|markdown|json] [--at YYYY-MM-DD] " +
            "[--deployer-tenant GUID] [--root PROJECT_DIR]");
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
    const tenant = parsed.values["deployer-tenant"];
    const plan = await planStacks({
        root, stacks: parsed.positionals, ...(at ? { at } : {}), ...(tenant === undefined ? {} : { deployerTenantId: tenant }),
    });
    console.log(FORMATS[parsed.values.format as Format](plan));
    return plan.stacks.every((stack) => stack.ok) ? 0 : 1;
}

if (require.main === module) runCommand("plan", main);

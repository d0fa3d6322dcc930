/**
 * The GitHub Actions matrices of a fleet run: `npm run fleet -- matrix` prints them for a job's output, and the
 * workflows read them with `fromJSON`.
 *
 * - GitHub runs at most 256 jobs from one matrix (docs.github.com, "Running variations of jobs in a workflow": "A
 *   matrix will generate a maximum of 256 jobs per workflow run"). Up to that, each stack is a job of its own with
 *   its own concurrency group (`pulumi-<stack>`, the group the per-stack workflows use); past it, the stacks are cut
 *   into at most 256 chunks in name order, and each job runs `npm run fleet` over its chunk.
 * - Environment classes, not stacks, are GitHub environments: `nonprod` first, then `prod`, whose required
 *   reviewers approve once for all its stacks.
 * - One Graph budget: `max-parallel` jobs run at once, each with a share of the budget for its fleet run. A job that
 *   follows another in its slot cannot see the writes that one made within the same 150 s, so a share is half of
 *   budget / max-parallel: in any window, the jobs together stay within the budget.
 */
import { isProduction, type FleetStack } from "./inventory";
import { stackWriteCost } from "./budget";

export const GITHUB_MAX_MATRIX_JOBS = 256;
/**
 * Jobs at once unless told: GitHub Free's limit on concurrent jobs (docs.github.com, "Usage limits, billing, and
 * administration": 20 for Free, more on paid plans).
 */
export const DEFAULT_MAX_RUNNERS = 20;

export type EnvironmentClass = "nonprod" | "prod";

export interface MatrixJob {
    /** The job's name in the run: the stack, or `<first>..<last> (n stacks)` for a chunk. */
    readonly name: string;
    /** Space-separated stack names, for `npm run fleet -- <verb> --stack ...`. */
    readonly stacks: string;
    readonly environment: EnvironmentClass;
    readonly group: string;
}

export interface FleetMatrix {
    readonly include: readonly MatrixJob[];
    readonly maxParallel: number;
    /** `--graph-budget` for each job's fleet run. */
    readonly graphBudgetPerJob: number;
}

export interface MatrixOptions {
    readonly budgetPerWindow: number;
    /** Workers of each job's fleet run (`--concurrency`). */
    readonly concurrencyPerJob: number;
    readonly maxRunners?: number;
    readonly maxJobs?: number;
}

export function environmentClassOf(stack: FleetStack): EnvironmentClass {
    return isProduction(stack) ? "prod" : "nonprod";
}

/** One matrix per environment class, in the order they deploy; a class with no stack selected is left out. */
export function fleetMatrices(stacks: readonly FleetStack[], options: MatrixOptions): Partial<Record<EnvironmentClass, FleetMatrix>> {
    const matrices: Partial<Record<EnvironmentClass, FleetMatrix>> = {};
    for (const environment of ["nonprod", "prod"] as const) {
        const ofClass = stacks.filter((stack) => environmentClassOf(stack) === environment);
        if (ofClass.length > 0) matrices[environment] = fleetMatrix(ofClass, environment, options);
    }
    return matrices;
}

export function fleetMatrix(stacks: readonly FleetStack[], environment: EnvironmentClass, options: MatrixOptions): FleetMatrix {
    const maxJobs = options.maxJobs ?? GITHUB_MAX_MATRIX_JOBS;
    const sorted = [...stacks].sort((a, b) => a.stack.localeCompare(b.stack));
    const chunks = chunk(sorted, Math.ceil(sorted.length / maxJobs));
    const include = chunks.map((members): MatrixJob => members.length === 1
        ? { name: members[0]!.stack, stacks: members[0]!.stack, environment, group: `pulumi-${members[0]!.stack}` }
        : {
            name: `${members[0]!.stack}..${members[members.length - 1]!.stack} (${members.length} stacks)`,
            stacks: members.map((member) => member.stack).join(" "),
            environment,
            group: `pulumi-${environment}-chunk-${members[0]!.stack}`,
        });
    // The most one job can have in flight: its workers each on its costliest stacks.
    const perJob = Math.max(1, ...chunks.map((members) => members.map(costOf).sort((a, b) => b - a)
        .slice(0, options.concurrencyPerJob).reduce((sum, cost) => sum + cost, 0)));
    const byBudget = Math.floor(options.budgetPerWindow / (2 * perJob));
    const maxParallel = Math.max(1, Math.min(include.length, options.maxRunners ?? DEFAULT_MAX_RUNNERS, byBudget));
    const graphBudgetPerJob = Math.max(perJob, Math.floor(options.budgetPerWindow / (2 * maxParallel)));
    return { include, maxParallel, graphBudgetPerJob };
}

function costOf(stack: FleetStack): number {
    return stack.config === undefined ? 0 : stackWriteCost(stack.config);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
    const chunks: T[][] = [];
    for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
    return chunks;
}

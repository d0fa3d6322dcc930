/**
 * The GitHub Actions matrices of a fleet run: `npm run fleet -- matrix` prints them, tools/ci/matrix.sh hands them to
 * the workflows as a job output, and each workflow reads its own with `fromJSON`.
 *
 * - GitHub runs at most 256 jobs from one matrix (docs.github.com, "Running variations of jobs in a workflow": "A
 *   matrix will generate a maximum of 256 jobs per workflow run"). Up to that, each stack is a job of its own with
 *   its own concurrency group (`pulumi-<stack>`, which deploy and maintenance share); past it, the stacks are cut
 *   into chunks in name order, never mixing environment classes, and each job runs its stacks one after another
 *   (tools/ci/each.sh).
 * - Environment classes, not stacks, are GitHub environments: `nonprod` first, then `prod`, whose required
 *   reviewers approve once for all its stacks.
 * - One Graph budget: `maxParallel` jobs run at once. A job may write all its stacks' writes within one window of
 *   150 s, and one that follows it in its slot cannot see them, so `maxParallel` is budget / (2 x the most one job
 *   may write): in any window, the jobs together stay within the budget.
 */
import { isProduction, type FleetStack } from "./inventory";
import { stackWriteCost } from "./budget";

export const GITHUB_MAX_MATRIX_JOBS = 256;
/**
 * Jobs at once unless told: GitHub Free's limit on concurrent jobs (docs.github.com, "Usage limits, billing, and
 * administration": 20 for Free, more on paid plans).
 */
export const DEFAULT_MAX_RUNNERS = 20;

export const ENVIRONMENT_CLASSES = ["nonprod", "prod"] as const;
export type EnvironmentClass = typeof ENVIRONMENT_CLASSES[number];

export interface MatrixJob {
    /** The job's name in the run: the stack, or `<first>..<last> (n stacks)` for a chunk. */
    readonly name: string;
    /** Space-separated stack names, in the order the job runs them. */
    readonly stacks: string;
    /** The GitHub environment the job deploys in: its stacks' class. */
    readonly environment: EnvironmentClass;
    /** The job's concurrency group: `pulumi-<stack>`, or the chunk's. */
    readonly group: string;
}

export interface FleetMatrix {
    /** What `strategy.matrix` takes: `fromJSON(...).<key>.matrix`. */
    readonly matrix: { readonly include: readonly MatrixJob[] };
    /** Jobs in the matrix: 0 when nothing is selected (a workflow then skips the job). */
    readonly jobs: number;
    readonly stacks: number;
    /** `strategy.max-parallel`. */
    readonly maxParallel: number;
}

/** `all`: previews and maintenance, every class in one matrix. `nonprod`, `prod`: deploys, one class after the other. */
export type FleetMatrices = Record<"all" | EnvironmentClass, FleetMatrix>;

export interface MatrixOptions {
    /** Graph writes per 150 s for the whole run (`--graph-budget`). */
    readonly budgetPerWindow: number;
    readonly maxRunners?: number;
    readonly maxJobs?: number;
}

export function environmentClassOf(stack: FleetStack): EnvironmentClass {
    return isProduction(stack) ? "prod" : "nonprod";
}

export function fleetMatrices(stacks: readonly FleetStack[], options: MatrixOptions): FleetMatrices {
    return {
        all: fleetMatrix(stacks, options),
        nonprod: fleetMatrix(stacks.filter((stack) => environmentClassOf(stack) === "nonprod"), options),
        prod: fleetMatrix(stacks.filter((stack) => environmentClassOf(stack) === "prod"), options),
    };
}

/** The stacks' jobs, non-production first, each class in name order, within `maxJobs` in all. */
export function fleetMatrix(stacks: readonly FleetStack[], options: MatrixOptions): FleetMatrix {
    const maxJobs = options.maxJobs ?? GITHUB_MAX_MATRIX_JOBS;
    const classes = ENVIRONMENT_CLASSES
        .map((environment) => ({ environment, stacks: sortedByName(stacks.filter((stack) => environmentClassOf(stack) === environment)) }))
        .filter((group) => group.stacks.length > 0);
    // The smallest chunk size whose chunks, counted class by class, fit the matrix.
    let size = Math.max(1, Math.ceil(stacks.length / maxJobs));
    while (classes.reduce((jobs, group) => jobs + Math.ceil(group.stacks.length / size), 0) > maxJobs) size += 1;
    const chunks = classes.flatMap((group) => chunk(group.stacks, size).map((members) => ({ environment: group.environment, members })));
    const include = chunks.map(({ environment, members }): MatrixJob => members.length === 1
        ? { name: members[0]!.stack, stacks: members[0]!.stack, environment, group: `pulumi-${members[0]!.stack}` }
        : {
            name: `${members[0]!.stack}..${members[members.length - 1]!.stack} (${members.length} stacks)`,
            stacks: members.map((member) => member.stack).join(" "),
            environment,
            group: `pulumi-${environment}-chunk-${members[0]!.stack}`,
        });
    // The most a job can write within one window: all of its stacks (a chunk's run back to back in seconds).
    const perJob = Math.max(1, ...chunks.map(({ members }) => members.reduce((sum, member) => sum + costOf(member), 0)));
    const byBudget = Math.floor(options.budgetPerWindow / (2 * perJob));
    const maxParallel = Math.max(1, Math.min(include.length, options.maxRunners ?? DEFAULT_MAX_RUNNERS, byBudget));
    return { matrix: { include }, jobs: include.length, stacks: stacks.length, maxParallel };
}

function sortedByName(stacks: readonly FleetStack[]): FleetStack[] {
    return [...stacks].sort((a, b) => a.stack.localeCompare(b.stack));
}

function costOf(stack: FleetStack): number {
    return stack.config === undefined ? 0 : stackWriteCost(stack.config);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
    const chunks: T[][] = [];
    for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
    return chunks;
}

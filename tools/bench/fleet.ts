/**
 * The fleet's figures for `npm run bench`: `fleet plan` of 600 generated stacks in one process (time, peak RSS), and
 * `fleet preview` and `fleet up` of 50 generated stacks on the real Pulumi CLI against a local Azure at concurrency
 * 1, 2 and 4 (wall time, and the ratio to concurrency 1, the sum of single-stack runs). Each concurrency gets a
 * local Azure and an engine workspace of its own, so that every `up` creates its 50 identities. Figures only.
 *
 * The command is package.json's `fleet` script as users run it, with the bench's usage hook added for peak RSS (the
 * fleet process only: the Pulumi CLIs it starts are processes of their own).
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { createEngineWorkspace, type CommandResult, type EngineWorkspace } from "../../test/engine/workspace";
import { generateFleet, type FleetFixture } from "../../test/support/fleetFixture";
import { PROJECT_ROOT } from "../stacks/stackFiles";
import { againstFloor, summarize, type Figure, type Sample } from "./figures";

/** 200 apps in dev, test and prod: 600 stacks for the offline plan. */
export const PLAN_APPS = 200;
/** 25 apps in dev and test: 50 stacks on the real CLI. */
export const SCALE_APPS = 25;
export const SCALE_ENVIRONMENTS = ["dev", "test"] as const;
export const CONCURRENCIES = [1, 2, 4] as const;
/** What the figures are held against (issue #27): reported, never asserted. */
export const TARGETS = { planSeconds: 15, planRssMiB: 1024, previewRatioAt4: 0.6 } as const;

const USAGE_HOOK = join(__dirname, "reportUsage.cjs");

/** package.json's `fleet` script as a command line: this node, the script's flags, the usage hook, the script. */
export function fleetCommandLine(args: readonly string[], root = PROJECT_ROOT): string[] {
    const script = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["fleet"]!;
    const [node, ...rest] = script.split(/\s+/);
    if (node !== "node") throw new Error(`package.json's fleet script starts with ${JSON.stringify(node)}; expected node`);
    return [process.execPath, "--require", USAGE_HOOK, ...rest, ...args];
}

export interface TimedResult extends CommandResult, Sample {}

/** One fleet command in `cwd`, to its end (asynchronously: a local Azure may answer from this process), timed. */
export function runFleetCommand(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TimedResult> {
    const usageDir = mkdtempSync(join(tmpdir(), "bench-fleet-usage-"));
    const usageFile = join(usageDir, "usage.json");
    const [command, ...rest] = fleetCommandLine(args);
    return new Promise<TimedResult>((done, fail) => {
        const started = process.hrtime.bigint();
        const child = spawn(command!, rest, { cwd, env: { ...env, BENCH_USAGE_FILE: usageFile }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", fail);
        child.on("close", (code) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            let maxRssMiB: number | undefined;
            try {
                maxRssMiB = (JSON.parse(readFileSync(usageFile, "utf8")) as { maxRssKiB: number }).maxRssKiB / 1024;
            } catch {
                maxRssMiB = undefined; // killed before its exit handler ran
            }
            done({ code: code ?? 1, stdout, stderr, seconds, maxRssMiB });
        });
    }).finally(() => rmSync(usageDir, { recursive: true, force: true }));
}

/** An engine workspace whose stacks are a generated fleet, with the fleet's tools, and the fleet command in it. */
export interface FleetWorkspace {
    readonly workspace: EngineWorkspace;
    readonly fixture: FleetFixture;
    fleet(args: readonly string[]): Promise<TimedResult>;
    dispose(): void;
}

/**
 * `apps` apps in dev and test on the local Azure's resource groups (rg-inventory-dev, rg-inventory-test), as
 * test/engine/fleet.test.ts has them. The workspace copies the program, not tools/, which the fleet command is.
 */
export async function createFleetWorkspace(azure: LocalAzure, apps: number): Promise<FleetWorkspace> {
    const workspace = await createEngineWorkspace(azure);
    try {
        cpSync(join(PROJECT_ROOT, "tools"), join(workspace.dir, "tools"), { recursive: true });
        rmSync(join(workspace.dir, "stacks"), { recursive: true, force: true });
        const fixture = generateFleet({
            apps, environments: SCALE_ENVIRONMENTS, seed: 7,
            resourceGroupOf: (_app, environment) => `rg-inventory-${environment}`,
        }, workspace.dir);
        return {
            workspace, fixture,
            fleet: (args) => runFleetCommand(args, workspace.dir, workspace.env),
            dispose: () => workspace.dispose(),
        };
    } catch (error) {
        workspace.dispose();
        throw error;
    }
}

export interface ConcurrencyRatio {
    readonly verb: "preview" | "up";
    readonly concurrency: number;
    readonly seconds: number;
    /** Against the same verb at concurrency 1. */
    readonly ratio: number;
}

export interface FleetFigures {
    readonly plan: Omit<Figure, "ratioToFloor"> & { readonly stacks: number };
    /** Up, then preview, at each concurrency; `ratioToFloor` is against the same verb at concurrency 1. */
    readonly figures: Figure[];
    readonly ratios: ConcurrencyRatio[];
    readonly stacks: number;
}

/** Each verb's figures against its figure at concurrency 1. */
export function concurrencyRatios(samples: readonly { verb: ConcurrencyRatio["verb"]; concurrency: number; seconds: number }[]): ConcurrencyRatio[] {
    return samples.map((sample) => {
        const sequential = samples.find((other) => other.verb === sample.verb && other.concurrency === 1);
        if (sequential === undefined) throw new Error(`no ${sample.verb} at concurrency 1 to hold the others against`);
        return { ...sample, ratio: sample.seconds / sequential.seconds };
    });
}

const within = (met: boolean) => (met ? "met" : "missed");

/** The lines `npm run bench` prints for the fleet, with each figure against its target. */
export function renderFleet(figures: FleetFigures, table: (rows: readonly Figure[]) => string): string {
    const { plan, ratios } = figures;
    const rss = plan.peakRssMiB;
    const planMet = plan.median <= TARGETS.planSeconds && rss !== undefined && rss <= TARGETS.planRssMiB;
    const preview4 = ratios.find((ratio) => ratio.verb === "preview" && ratio.concurrency === 4);
    const best = (verb: ConcurrencyRatio["verb"]) => ratios.filter((ratio) => ratio.verb === verb)
        .reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const rate = (verb: ConcurrencyRatio["verb"]) => {
        const fastest = best(verb);
        return `${verb} ${(figures.stacks / fastest.seconds * 60).toFixed(0)} stacks a minute (concurrency ${fastest.concurrency})`;
    };
    return [
        `fleet plan, ${plan.stacks} generated stacks in one process: ${plan.median.toFixed(2)} s (min ${plan.min.toFixed(2)}, ` +
            `max ${plan.max.toFixed(2)}, runs ${plan.runs}), peak RSS ${rss === undefined ? "-" : `${rss.toFixed(0)} MiB`}; ` +
            `target at most ${TARGETS.planSeconds} s and ${TARGETS.planRssMiB} MiB: ${within(planMet)}`,
        "",
        `fleet preview and up of ${figures.stacks} stacks on the real CLI against a local Azure (vs floor: against the same verb at concurrency 1):`,
        table(figures.figures),
        "",
        preview4 === undefined ? "no preview at concurrency 4 measured" :
            `${figures.stacks} previews at concurrency 4: ${preview4.ratio.toFixed(2)}x the sequential time; ` +
            `target at most ${TARGETS.previewRatioAt4.toFixed(2)}x: ${within(preview4.ratio <= TARGETS.previewRatioAt4)}`,
        `at the best concurrency measured: ${rate("preview")}, ${rate("up")}`,
    ].join("\n");
}

const fleetName = (verb: string, concurrency: number, stacks: number) =>
    `fleet ${verb}${verb === "up" ? " (create)" : " (no change)"}, ${stacks} stacks, concurrency ${concurrency}`;

function succeeded(result: TimedResult, what: string): TimedResult {
    if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stderr.slice(-2000)}`);
    return result;
}

/** The fleet's figures: the plan `runs` times after a warm-up; each concurrency's up once, then its preview `runs` times. */
export async function measureFleet(runs: number, progress: (text: string) => void): Promise<FleetFigures> {
    const planFleet = generateFleet({ apps: PLAN_APPS });
    let plan: FleetFigures["plan"];
    try {
        const args = ["plan", "--root", planFleet.root, "--format", "json"];
        const samples: Sample[] = [];
        for (let round = 0; round <= runs; round += 1) {
            progress(round === 0 ? `fleet plan of ${planFleet.stacks.length}: warm-up ...` : `fleet plan of ${planFleet.stacks.length}: run ${round} of ${runs} ...`);
            const result = succeeded(await runFleetCommand(args, PROJECT_ROOT, process.env), "fleet plan");
            if (round > 0) samples.push(result);
        }
        plan = { ...summarize(`fleet plan, ${planFleet.stacks.length} stacks`, `npm run fleet -- plan --root <${planFleet.stacks.length} stacks>`, samples),
            stacks: planFleet.stacks.length };
    } finally {
        rmSync(planFleet.root, { recursive: true, force: true });
    }

    const measured: { verb: ConcurrencyRatio["verb"]; concurrency: number; figure: Omit<Figure, "ratioToFloor"> }[] = [];
    let stacks = 0;
    for (const concurrency of CONCURRENCIES) {
        const azure = await startLocalAzure();
        try {
            const fleet = await createFleetWorkspace(azure, SCALE_APPS);
            stacks = fleet.fixture.stacks.length;
            try {
                const flags = ["--concurrency", String(concurrency), "--format", "json"];
                progress(`fleet up of ${stacks}, concurrency ${concurrency} ...`);
                const up = succeeded(await fleet.fleet(["up", ...flags]), `fleet up --concurrency ${concurrency}`);
                measured.push({ verb: "up", concurrency, figure: summarize(fleetName("up", concurrency, stacks),
                    `npm run fleet -- up ${flags.join(" ")}`, [up]) });
                const previews: Sample[] = [];
                for (let round = 1; round <= runs; round += 1) {
                    progress(`fleet preview of ${stacks}, concurrency ${concurrency}: run ${round} of ${runs} ...`);
                    previews.push(succeeded(await fleet.fleet(["preview", ...flags]), `fleet preview --concurrency ${concurrency}`));
                }
                measured.push({ verb: "preview", concurrency, figure: summarize(fleetName("preview", concurrency, stacks),
                    `npm run fleet -- preview ${flags.join(" ")}`, previews) });
            } finally {
                fleet.dispose();
            }
        } finally {
            await azure.stop();
        }
    }
    const ratios = concurrencyRatios(measured.map(({ verb, concurrency, figure }) => ({ verb, concurrency, seconds: figure.median })));
    const figures = measured.map(({ verb, figure }) =>
        againstFloor([figure], measured.find((other) => other.verb === verb && other.concurrency === 1)!.figure)[0]!);
    return { plan, figures, ratios, stacks };
}

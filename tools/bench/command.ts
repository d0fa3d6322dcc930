/**
 * `npm run bench [-- --runs 5] [--test-runs 1] [--skip-test] [--sizes 1,10,100,500] [--skip-engine | --engine-only | --azure-cli-only | --fleet-only] [--json]`
 *
 * Whole-process figures, each the median of several cold runs after one warm-up, with min and max and the ratio
 * to the floor measured in the same run: the floor (an empty program under the offline engine), `npm run plan` of
 * every stack, synthetic stacks of N identities (2 secrets, 2 role assignments each), a synthetic stack at Azure's
 * limit (one identity with 4,000 role assignments), the resource graph of one identity, and `npm test`. Then the
 * real engine (tools/bench/engine.ts): `pulumi preview` of each stack and `pulumi up` of dev against a local Azure,
 * beside its own floor, `pulumi preview` of an empty TypeScript program; and one identity made by hand with
 * `az ad sp create-for-rbac` against the same by `pulumi up` (tools/bench/azureCli.ts); and `npm run fleet` at scale
 * (tools/bench/fleet.ts). Figures only: nothing here asserts a target.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import runProgram from "../../infra";
import { MAX_ROLE_ASSIGNMENTS } from "../../infra/config";
import { evaluateStack, type RegisteredResource } from "../offline/engine";
import { PROJECT_ROOT, readProject, readStackFile } from "../stacks/stackFiles";
import { runCommand, UsageError } from "../../common/cliArgs";
import { measureAzureCli, type AzureCliFigures } from "./azureCli";
import { measureEngine, renderBreakdown, type EngineFigures } from "./engine";
import { measureFleet, renderFleet } from "./fleet";
import { againstFloor, renderTable, summarize, type Figure, type Sample } from "./figures";

export { median } from "./figures";

const ROOT = PROJECT_ROOT;
/**
 * The preloads of package.json's scripts: the modules compiled through a V8 code cache (common/moduleCodeCache.cjs),
 * TypeScript's compiler deferred to its first use (common/lazyTypeScript.cjs), and sucrase, which strips the types
 * (tsc checks them in CI).
 */
const LOADER = ["-r", join(PROJECT_ROOT, "common", "moduleCodeCache.cjs"), "-r", join(PROJECT_ROOT, "common", "lazyTypeScript.cjs"),
    "-r", join(PROJECT_ROOT, "common", "cachedTypeScript.cjs")];
const USAGE_HOOK = join(__dirname, "reportUsage.cjs");

/** Run a command once, cold: a new process, its wall time, and (for node) its peak RSS. */
function runOnce(command: readonly string[], cwd: string): Sample {
    const usageDir = mkdtempSync(join(tmpdir(), "bench-usage-"));
    const usageFile = join(usageDir, "usage.json");
    const started = process.hrtime.bigint();
    const result = spawnSync(command[0]!, command.slice(1), {
        cwd, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, BENCH_USAGE_FILE: usageFile },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) {
        rmSync(usageDir, { recursive: true, force: true });
        throw new Error(`${command.join(" ")} exited ${String(result.status)}: ${result.stderr.toString().slice(-2000)}`);
    }
    let maxRssMiB: number | undefined;
    try {
        maxRssMiB = (JSON.parse(readFileSync(usageFile, "utf8")) as { maxRssKiB: number }).maxRssKiB / 1024;
    } catch {
        maxRssMiB = undefined; // not a node process with the hook (npm test's runner)
    } finally {
        rmSync(usageDir, { recursive: true, force: true });
    }
    return { seconds, maxRssMiB };
}

function measure(name: string, command: readonly string[], runs: number, cwd = ROOT): Omit<Figure, "ratioToFloor"> {
    runOnce(command, cwd); // warm-up: file system caches, not the process
    return summarize(name, command.join(" "), Array.from({ length: runs }, () => runOnce(command, cwd)));
}

const node = (...args: string[]) => [process.execPath, "--require", USAGE_HOOK, ...LOADER, ...args];
/** A process as `npm run plan` starts it: with the Node flags of package.json's plan script. */
const plan = (...args: string[]) => [process.execPath, ...planNodeFlags(), "--require", USAGE_HOOK, ...LOADER, ...args];

/** The V8 flags `npm run plan` gives node (package.json's script: `node <flags> -r ... -r ./common/cachedTypeScript.cjs ...`). */
export function planNodeFlags(root = ROOT): string[] {
    const script = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["plan"]!;
    const words = script.split(/\s+/);
    return words.slice(words.indexOf("node") + 1, words.indexOf("-r"));
}

const SYNTHETIC = {
    "app-identity:appName": "bench",
    "app-identity:environment": "dev",
    "app-identity:tenantId": "00000000-0000-0000-0000-00000000aaaa",
    "app-identity:subscriptionId": "00000000-0000-0000-0000-00000000bbbb",
};

/** A project directory (this one's Pulumi.yaml) with one stack, `synthetic`, of the given config. */
export function syntheticProject(config: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), "bench-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    mkdirSync(join(dir, "stacks"));
    writeFileSync(join(dir, "stacks", "Pulumi.synthetic.yaml"), stringify({ config: { ...SYNTHETIC, ...config } }));
    return dir;
}

/** `identities` developers, each with the two role assignments below. */
export function developersConfig(identities: number): Record<string, unknown> {
    return {
        "app-identity:developers": Array.from({ length: identities }, (_, i) => `dev-${String(i + 1).padStart(4, "0")}`),
        "app-identity:roleAssignments": [
            { resourceGroup: "rg-bench-data", role: "Storage Blob Data Contributor" },
            { resourceGroup: "rg-bench-archive", role: "Storage Blob Data Reader" },
        ],
    };
}

/** One identity with `MAX_ROLE_ASSIGNMENTS` (4,000, Azure's limit per subscription) roles, each on its own group. */
export function limitConfig(): Record<string, unknown> {
    return {
        "app-identity:roleAssignments": Array.from({ length: MAX_ROLE_ASSIGNMENTS },
            (_, i) => ({ resourceGroup: `rg-bench-${String(i + 1).padStart(4, "0")}`, role: "Storage Blob Data Reader" })),
    };
}

/** The longest chain of dependencies among one identity's resources, and how many resources it has. */
export function identityGraph(resources: readonly RegisteredResource[], identity: string): { criticalPath: number; resources: number } {
    const component = resources.find((resource) => !resource.custom && resource.name === identity);
    const members = resources.filter((resource) => resource.parent === component?.urn);
    const byUrn = new Map(members.map((resource) => [resource.urn, resource]));
    const depth = new Map<string, number>();
    const longest = (urn: string): number => {
        const known = depth.get(urn);
        if (known !== undefined) return known;
        const own = byUrn.get(urn)!;
        const result = 1 + Math.max(0, ...own.dependencies.filter((dep) => byUrn.has(dep)).map(longest));
        depth.set(urn, result);
        return result;
    };
    return { criticalPath: Math.max(0, ...members.map((member) => longest(member.urn))), resources: members.length };
}

function render(figures: readonly Figure[], graph: { criticalPath: number; resources: number }, growth: string): string {
    return [
        renderTable(figures),
        "",
        `scale: ${growth}`,
        `resource graph of one identity: critical path ${graph.criticalPath} (app -> service principal -> role assignment), ${graph.resources} resources`,
    ].join("\n");
}

function renderEngine(engine: EngineFigures): string {
    return [
        "the real engine (the Pulumi CLI of .tools/bin against a local Azure), each figure against the engine floor:",
        renderTable(engine.figures),
        "",
        renderBreakdown(engine.breakdown),
    ].join("\n");
}

function renderAzureCli(byHand: AzureCliFigures): string {
    return [
        "one identity by hand against one by the program, the same local Azure (vs floor: against az):",
        renderTable(byHand.figures),
        "",
        `pulumi up takes ${byHand.ratio.toFixed(2)}x the time of az ad sp create-for-rbac`,
    ].join("\n");
}

export interface BenchOptions {
    readonly runs: number;
    readonly testRuns: number;
    readonly sizes: readonly number[];
    readonly json: boolean;
    readonly skipTest: boolean;
    /** The offline figures (floor, plan, synthetic stacks, npm test). */
    readonly offline: boolean;
    /** The real engine's figures (tools/bench/engine.ts). */
    readonly engine: boolean;
    /** az ad sp create-for-rbac against pulumi up of a one-identity stack (tools/bench/azureCli.ts): with the engine's. */
    readonly azureCli: boolean;
    /** `npm run fleet` at scale (tools/bench/fleet.ts): its plan offline, its preview and up on the real engine. */
    readonly fleet: boolean;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
    const { values } = parseArgs({
        args: [...argv],
        options: {
            runs: { type: "string", default: "5" },
            "test-runs": { type: "string", default: "1" },
            sizes: { type: "string", default: "1,10,100,500" },
            json: { type: "boolean", default: false },
            "skip-test": { type: "boolean", default: false },
            "skip-engine": { type: "boolean", default: false },
            "engine-only": { type: "boolean", default: false },
            "azure-cli-only": { type: "boolean", default: false },
            "fleet-only": { type: "boolean", default: false },
        },
    });
    const runs = Number(values.runs);
    const testRuns = Number(values["test-runs"]);
    const sizes = values.sizes.split(",").map(Number);
    if (![runs, testRuns, ...sizes].every((n) => Number.isInteger(n) && n > 0)) {
        throw new UsageError("--runs, --test-runs and --sizes take whole numbers above 0");
    }
    if (values["skip-engine"] && values["engine-only"]) {
        throw new UsageError("--skip-engine and --engine-only leave nothing to measure together; give one");
    }
    if (values["azure-cli-only"] && (values["skip-engine"] || values["engine-only"])) {
        throw new UsageError("--azure-cli-only measures one figure of the engine's part; give it without --skip-engine or --engine-only");
    }
    const fleetOnly = values["fleet-only"];
    if (fleetOnly && (values["skip-engine"] || values["engine-only"] || values["azure-cli-only"])) {
        throw new UsageError("--fleet-only measures the fleet alone; give it without --skip-engine, --engine-only or --azure-cli-only");
    }
    const azureCliOnly = values["azure-cli-only"];
    return {
        runs, testRuns, sizes, json: values.json, skipTest: values["skip-test"],
        offline: !values["engine-only"] && !azureCliOnly && !fleetOnly, engine: !values["skip-engine"] && !azureCliOnly && !fleetOnly,
        azureCli: !values["skip-engine"] && !fleetOnly,
        // Its preview and up need the real engine; the engine-only and az-only runs keep to their own figures.
        fleet: fleetOnly || (!values["skip-engine"] && !values["engine-only"] && !azureCliOnly),
    };
}

export async function main(argv: readonly string[]): Promise<number> {
    let options: BenchOptions;
    try {
        options = parseBenchArgs(argv);
    } catch (error) {
        if (!(error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) throw error;
        console.error(`bench: ${(error as Error).message}`);
        return 2;
    }
    const progress = (text: string) => { if (!options.json) process.stderr.write(`${text}\n`); };
    const offline = options.offline ? await measureOffline(options, progress) : undefined;
    const engine = options.engine ? await measureEngine(options.runs, progress) : undefined;
    const azureCli = options.azureCli ? await measureAzureCli(options.runs, progress) : undefined;
    const fleet = options.fleet ? await measureFleet(options.runs, progress) : undefined;
    if (options.json) {
        console.log(JSON.stringify({ ...offline, ...(engine === undefined ? {} : { engine }), ...(azureCli === undefined ? {} : { azureCli }),
            ...(fleet === undefined ? {} : { fleet }) }, null, 2));
    } else {
        console.log([offline && render(offline.figures, offline.graph, offline.growth), engine && renderEngine(engine),
            azureCli && renderAzureCli(azureCli), fleet && renderFleet(fleet, renderTable)].filter(Boolean).join("\n\n"));
    }
    return 0;
}

interface OfflineFigures {
    readonly figures: Figure[];
    readonly growth: string;
    readonly graph: { criticalPath: number; resources: number };
}

async function measureOffline({ runs, testRuns, sizes, skipTest }: BenchOptions, progress: (text: string) => void): Promise<OfflineFigures> {
    progress("floor ...");
    const floor = measure("floor: empty program, offline engine", node("tools/bench/floor.ts"), runs);
    progress("plan ...");
    const figures: Omit<Figure, "ratioToFloor">[] = [floor];
    figures.push(measure("npm run plan (every stack)", plan("tools/plan/command.ts", "--format", "json"), runs));
    const synthetic: Record<number, Omit<Figure, "ratioToFloor">> = {};
    const planOf = (dir: string) => plan("tools/plan/command.ts", "--root", dir, "synthetic", "--format", "json");
    for (const size of sizes) {
        progress(`synthetic ${size} ...`);
        const dir = syntheticProject(developersConfig(size));
        try {
            synthetic[size] = measure(`synthetic stack, ${size} identities`, planOf(dir), runs);
            figures.push(synthetic[size]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }
    progress(`synthetic ${MAX_ROLE_ASSIGNMENTS} role assignments ...`);
    const limit = syntheticProject(limitConfig());
    try {
        // The plan exits 1 unless the stack is valid: a figure here is a stack at the limit planned in full.
        figures.push(measure(`synthetic stack, ${MAX_ROLE_ASSIGNMENTS} role assignments (Azure's limit), 1 identity`,
            planOf(limit), runs));
    } finally {
        rmSync(limit, { recursive: true, force: true });
    }
    progress(`SDK floor, ${MAX_ROLE_ASSIGNMENTS} role assignments ...`);
    figures.push(measure(`SDK floor: ${MAX_ROLE_ASSIGNMENTS} bare azure-native RoleAssignments at the program's pace, nothing of the project`,
        plan("tools/bench/sdkFloor.ts", String(MAX_ROLE_ASSIGNMENTS)), runs));
    figures.push(measure(`the same, all ${MAX_ROLE_ASSIGNMENTS} in one synchronous loop (the program before its pace)`,
        plan("tools/bench/sdkFloor.ts", String(MAX_ROLE_ASSIGNMENTS), "--at-once"), runs));
    if (!skipTest) {
        progress("npm test ...");
        figures.push(measure("npm test", ["npm", "test", "--silent", "--", "--reporter=dot"], testRuns));
    }

    const file = readStackFile(readProject(ROOT), "inventory-api-dev");
    const dev = await evaluateStack({ program: runProgram, project: "app-identity", stack: "inventory-api-dev", config: file.config });
    const graph = identityGraph(dev.resources, "inventory-api-dev");

    const [small, large] = [synthetic[100], synthetic[500]];
    const growth = small && large
        ? `100 -> 500 identities: ${(large.median / small.median).toFixed(2)}x the time ` +
          `(${(((large.median - floor.median) / (small.median - floor.median))).toFixed(2)}x above the floor; 5.00x is linear), ` +
          `${((large.median - small.median) / 400 * 1000).toFixed(1)} ms and ` +
          `${(((large.peakRssMiB ?? 0) - (small.peakRssMiB ?? 0)) / 400 * 1024).toFixed(0)} KiB per identity`
        : "measure sizes 100 and 500 to see the growth";
    return { figures: againstFloor(figures, floor), growth, graph };
}

if (require.main === module) runCommand("bench", main);

/**
 * The real engine's figures for `npm run bench`: the Pulumi CLI of .tools/bin, in an engine workspace (the copy of
 * the project the engine tests use: its own Pulumi home with the provider stand-ins, a file:// backend, the
 * passphrase provider) against a local Azure started in this process. The floor is `pulumi preview` of an empty
 * TypeScript program with the same CLI, language host and environment: what any Pulumi TypeScript project pays.
 *
 * The previews are measured in rounds, each running every case once in the same order, so that the load of a shared
 * machine falls on every case alike and the ratios to the floor stay fair.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalAzure } from "../../localazure";
import { createEngineWorkspace, policyArgs, requirePulumiCli } from "../../test/engine/workspace";
import { PROJECT_ROOT } from "../stacks/stackFiles";
import { againstFloor, summarize, type Figure, type Sample } from "./figures";

export const ENGINE_STACKS = ["inventory-api-dev", "inventory-api-test", "inventory-api-prod", "inventory-api-local"] as const;
/**
 * The guardrail pack as users run it, compiled by setup and started as a binary analyzer (tools/policyPack/build.ts
 * POLICY_ANALYZER; its absolute path, as the engine tests' policyArgs give it); for comparison, the same compiled folder through Pulumi's policy runner, and the TypeScript source.
 */
const POLICY_RUNNER_ARGS = ["--policy-pack", ".tools/policy-pack", "--policy-pack-config", "policy/config.json"] as const;
const POLICY_SOURCE_ARGS = ["--policy-pack", "policy", "--policy-pack-config", "policy/config.json"] as const;
const FLOOR_STACK = "floor";

/** One command the engine part measures: where it runs and what it adds to the workspace's environment. */
export interface EngineCase {
    /** How the breakdown finds it: `floor`, a stack's name, `policy`, `policy-runner` or `policy-source`. */
    readonly key: string;
    readonly name: string;
    readonly where: "floor" | "workspace";
    readonly args: readonly string[];
    readonly env: Readonly<Record<string, string>>;
}

const preview = (stack: string, ...more: string[]) => ["preview", "--stack", stack, ...more];

/**
 * The previews, in the order of each round: the floor, each stack, and dev three more times to say where the time
 * goes: under the policy pack users run (the binary analyzer), under the same compiled pack through Pulumi's policy
 * runner, and under the pack's TypeScript source (what the runner type-checks at every start). There is no
 * type-checked row any more: Pulumi.yaml sets `typescript: false`, so the runner registers no ts-node and
 * PULUMI_NODEJS_TSCONFIG_PATH does nothing (@pulumi/pulumi v3.276.0 sdk/nodejs/cmd/run/run.ts).
 */
export function previewCases(workspaceDir: string): EngineCase[] {
    return [
        { key: "floor", name: "engine floor: pulumi preview, empty TypeScript program", where: "floor", args: preview(FLOOR_STACK), env: {} },
        ...ENGINE_STACKS.map((stack): EngineCase =>
            ({ key: stack, name: `pulumi preview, ${stack} (create)`, where: "workspace", args: preview(stack), env: {} })),
        { key: "policy", name: "pulumi preview, dev, with the policy pack (.tools/policy-pack/analyzer)", where: "workspace",
            args: preview("inventory-api-dev", ...policyArgs(workspaceDir)), env: {} },
        { key: "policy-runner", name: "pulumi preview, dev, with the compiled pack's folder (.tools/policy-pack, Pulumi's policy runner)", where: "workspace",
            args: preview("inventory-api-dev", ...POLICY_RUNNER_ARGS), env: {} },
        { key: "policy-source", name: "pulumi preview, dev, with the policy pack's TypeScript source (policy/)", where: "workspace",
            args: preview("inventory-api-dev", ...POLICY_SOURCE_ARGS), env: {} },
    ];
}

/** `pulumi up` of dev with the update only (its preview is a row above), as the engine tests and demo run it. */
export const UP_DEV: readonly string[] = ["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview"];

/**
 * A project that does nothing: a TypeScript program as Pulumi's templates make it (nodejs, `typescript: true`, so
 * ts-node) and an index.ts exporting nothing, with the checkout's node_modules. Its tsconfig.json sets `noCheck`, so
 * that it is transpiled only (type-checking even this empty file costs about 1.3 s). The project's own Pulumi.yaml
 * loads its program with sucrase instead; the floor keeps ts-node, as any Pulumi TypeScript project has it. A
 * package.json, as the workspace has, spares the runner's warning that it found none.
 */
export function writeFloorProject(dir: string): void {
    writeFileSync(join(dir, "Pulumi.yaml"), "name: bench-floor\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(join(dir, "index.ts"), "export {};\n");
    writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "bench-floor", private: true }, null, 2)}\n`);
    writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify({ compilerOptions: { noCheck: true } }, null, 2)}\n`);
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
    mkdirSync(join(dir, ".state"));
}

/** Runs a command to its end (asynchronously: the local Azure answers from this process) and times it. */
function timed(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Sample> {
    return new Promise((done, fail) => {
        const started = process.hrtime.bigint();
        const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-2000); };
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        child.on("error", fail);
        child.on("close", (code) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            if (code === 0) done({ seconds, maxRssMiB: undefined });
            else fail(new Error(`pulumi ${args.join(" ")} exited ${String(code)}: ${output}`));
        });
    });
}

export interface EngineFigures {
    readonly figures: Figure[];
    /** Where the time of a preview of dev goes, in seconds of the medians above. */
    readonly breakdown: {
        readonly engineFloor: number;
        readonly programAboveFloor: number;
        readonly policyPack: number;
        /** The preview under the policy pack over the preview without it. */
        readonly policyPackRatio: number;
        readonly policyPackRunner: number;
        readonly policyPackRunnerRatio: number;
        readonly policyPackSource: number;
        readonly policyPackSourceRatio: number;
    };
}

export async function measureEngine(runs: number, progress: (text: string) => void): Promise<EngineFigures> {
    const pulumi = requirePulumiCli();
    const azure = await startLocalAzure();
    const floorDir = mkdtempSync(join(tmpdir(), "bench-engine-floor-"));
    try {
        const workspace = await createEngineWorkspace(azure);
        try {
            writeFloorProject(floorDir);
            const envOf = (where: EngineCase["where"], extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv => ({
                ...workspace.env,
                PULUMI_NODEJS_TSCONFIG_PATH: undefined, // the default unless a case sets it
                ...(where === "floor" ? { PULUMI_BACKEND_URL: `file://${join(floorDir, ".state")}` } : {}),
                ...extra,
            });
            const run = (where: EngineCase["where"], args: readonly string[], extra: Readonly<Record<string, string>> = {}) =>
                timed(pulumi, args, where === "floor" ? floorDir : workspace.dir, envOf(where, extra));

            await run("floor", ["stack", "init", FLOOR_STACK]);
            for (const stack of ENGINE_STACKS) await run("workspace", ["stack", "init", stack]);

            const cases = previewCases(workspace.dir);
            const samples = cases.map((): Sample[] => []);
            for (let round = 0; round <= runs; round += 1) {
                progress(round === 0 ? "engine previews: warm-up ..." : `engine previews: round ${round} of ${runs} ...`);
                for (const [index, engineCase] of cases.entries()) {
                    const sample = await run(engineCase.where, engineCase.args, engineCase.env);
                    if (round > 0) samples[index]!.push(sample); // round 0 warms the file system caches
                }
            }
            const command = (engineCase: EngineCase) =>
                [...Object.entries(engineCase.env).map(([key, value]) => `${key}=${value}`), "pulumi", ...engineCase.args].join(" ");
            const measured = cases.map((engineCase, index) => summarize(engineCase.name, command(engineCase), samples[index]!));

            progress("engine: pulumi up of dev ...");
            const create = summarize("pulumi up, dev (create), once", `pulumi ${UP_DEV.join(" ")}`, [await run("workspace", UP_DEV)]);
            const noChange: Sample[] = [];
            for (let round = 0; round <= runs; round += 1) {
                const sample = await run("workspace", UP_DEV);
                if (round > 0) noChange.push(sample);
            }
            const at = (key: string) => measured[cases.findIndex((engineCase) => engineCase.key === key)]!;
            const [floor, dev] = [at("floor"), at("inventory-api-dev")];
            const figures = againstFloor([...measured, create,
                summarize("pulumi up, dev (no change)", `pulumi ${UP_DEV.join(" ")}`, noChange)], floor);
            return {
                figures,
                breakdown: {
                    engineFloor: floor.median,
                    programAboveFloor: dev.median - floor.median,
                    policyPack: at("policy").median - dev.median,
                    policyPackRatio: at("policy").median / dev.median,
                    policyPackRunner: at("policy-runner").median - dev.median,
                    policyPackRunnerRatio: at("policy-runner").median / dev.median,
                    policyPackSource: at("policy-source").median - dev.median,
                    policyPackSourceRatio: at("policy-source").median / dev.median,
                },
            };
        } finally {
            workspace.dispose();
        }
    } finally {
        rmSync(floorDir, { recursive: true, force: true });
        await azure.stop();
    }
}

/** The lines under the engine's table: the preview of dev taken apart. */
export function renderBreakdown(breakdown: EngineFigures["breakdown"]): string {
    const { engineFloor, programAboveFloor, policyPack, policyPackRatio, policyPackRunner, policyPackRunnerRatio,
        policyPackSource, policyPackSourceRatio } = breakdown;
    const s = (seconds: number) => `${seconds >= 0 ? "+" : ""}${seconds.toFixed(2)} s`;
    return [
        "where the time of a preview of dev goes:",
        `  the engine floor (the CLI, the Node.js language host, @pulumi/pulumi's runner, no resource): ${engineFloor.toFixed(2)} s`,
        `  the program, its two providers and its resources, above the floor: ${s(programAboveFloor)}`,
        `  the guardrail policy pack as users run it (--policy-pack .tools/policy-pack/analyzer): ${s(policyPack)}, ` +
            `${policyPackRatio.toFixed(2)}x the preview without it`,
        `  the compiled pack's folder instead, through Pulumi's policy runner (--policy-pack .tools/policy-pack): ${s(policyPackRunner)}, ` +
            `${policyPackRunnerRatio.toFixed(2)}x`,
        `  the pack's TypeScript source instead (--policy-pack policy, type-checked at every start): ${s(policyPackSource)}, ` +
            `${policyPackSourceRatio.toFixed(2)}x`,
    ].join("\n");
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "../tools/bench/command";
import { concurrencyRatios, fleetCommandLine, renderFleet, type FleetFigures } from "../tools/bench/fleet";
import { renderTable, type Figure } from "../tools/bench/figures";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";

describe("the fleet's bench: the command as users start it", () => {
    it("runs package.json's fleet script with this node, its flags, and the usage hook before the loader", () => {
        const script = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["fleet"]!;
        expect(script).toBe("node --max-semi-space-size=64 -r ./common/moduleCodeCache.cjs -r ./common/lazyTypeScript.cjs -r ./common/cachedTypeScript.cjs tools/fleet/command.ts");
        expect(fleetCommandLine(["plan", "--format", "json"])).toEqual([process.execPath, "--require",
            join(PROJECT_ROOT, "tools", "bench", "reportUsage.cjs"), "--max-semi-space-size=64", "-r", "./common/moduleCodeCache.cjs", "-r", "./common/lazyTypeScript.cjs", "-r", "./common/cachedTypeScript.cjs",
            "tools/fleet/command.ts", "plan", "--format", "json"]);
    });
});

describe("the fleet's bench: ratios to concurrency 1", () => {
    it("holds each verb against its own sequential run", () => {
        expect(concurrencyRatios([
            { verb: "up", concurrency: 1, seconds: 200 }, { verb: "preview", concurrency: 1, seconds: 100 },
            { verb: "up", concurrency: 2, seconds: 120 }, { verb: "preview", concurrency: 4, seconds: 55 },
        ])).toEqual([
            { verb: "up", concurrency: 1, seconds: 200, ratio: 1 }, { verb: "preview", concurrency: 1, seconds: 100, ratio: 1 },
            { verb: "up", concurrency: 2, seconds: 120, ratio: 0.6 }, { verb: "preview", concurrency: 4, seconds: 55, ratio: 0.55 },
        ]);
    });

    it("refuses a verb measured without its sequential run", () => {
        expect(() => concurrencyRatios([{ verb: "preview", concurrency: 2, seconds: 10 }]))
            .toThrow("no preview at concurrency 1 to hold the others against");
    });
});

describe("the fleet's bench: what it prints", () => {
    const figure = (name: string, median: number, ratioToFloor: number): Figure =>
        ({ name, command: name, runs: 1, median, min: median, max: median, ratioToFloor, peakRssMiB: undefined });
    const figures = (planMedian: number, planRss: number, preview4: number): FleetFigures => ({
        plan: { name: "fleet plan, 600 stacks", command: "", runs: 1, median: planMedian, min: planMedian, max: planMedian, peakRssMiB: planRss, stacks: 600 },
        figures: [figure("fleet preview, concurrency 1", 100, 1), figure("fleet preview, concurrency 4", 100 * preview4, preview4)],
        ratios: concurrencyRatios([{ verb: "preview", concurrency: 1, seconds: 100 }, { verb: "preview", concurrency: 4, seconds: 100 * preview4 },
            { verb: "up", concurrency: 1, seconds: 150 }, { verb: "up", concurrency: 2, seconds: 75 }]),
        stacks: 50,
        throttled: { seconds: 105, unthrottledSeconds: 75, refused: 180, metThrottling: 50, succeeded: 50 },
    });

    it("says each target met, and the best rate of each verb", () => {
        expect(renderFleet(figures(6.25, 300, 0.55), renderTable).split("\n")).toEqual([
            "fleet plan, 600 generated stacks in one process: 6.25 s (min 6.25, max 6.25, runs 1), peak RSS 300 MiB; target at most 15 s and 1024 MiB: met",
            "",
            "fleet preview and up of 50 stacks on the real CLI against a local Azure (vs floor: against the same verb at concurrency 1):",
            "figure                        median    min       max       vs floor  peak RSS  runs",
            "----------------------------  --------  --------  --------  --------  --------  ----",
            "fleet preview, concurrency 1  100.00 s  100.00 s  100.00 s  1.00x     -         1",
            "fleet preview, concurrency 4  55.00 s   55.00 s   55.00 s   0.55x     -         1",
            "",
            "50 previews at concurrency 4: 0.55x the sequential time; target at most 0.60x: met",
            "at the best concurrency measured: preview 55 stacks a minute (concurrency 4), up 40 stacks a minute (concurrency 2)",
            "throttled: up of 50 stacks at concurrency 2 with Graph taking 4 writes a second: 105.0 s, 1.40x the unthrottled up; " +
                "180 writes answered 429, 50 of 50 stacks met one; 50 of 50 succeeded",
        ]);
    });

    it("says a target missed: the plan over its memory, previews at concurrency 4 above 0.6x", () => {
        const lines = renderFleet(figures(6.25, 1100, 0.75), renderTable).split("\n");
        expect([lines[0], lines[8]]).toEqual([
            "fleet plan, 600 generated stacks in one process: 6.25 s (min 6.25, max 6.25, runs 1), peak RSS 1100 MiB; target at most 15 s and 1024 MiB: missed",
            "50 previews at concurrency 4: 0.75x the sequential time; target at most 0.60x: missed",
        ]);
        expect(renderFleet(figures(15.5, 300, 0.6), renderTable).split("\n").filter((line) => line.endsWith(": met"))).toEqual([
            "50 previews at concurrency 4: 0.60x the sequential time; target at most 0.60x: met",
        ]);
    });
});

describe("bench flags: --fleet-only", () => {
    it.each([
        [["--fleet-only", "--runs", "1"], { offline: false, engine: false, azureCli: false, fleet: true, runs: 1 }],
        [[], { offline: true, engine: true, azureCli: true, fleet: true }],
        [["--skip-engine"], { fleet: false }],
        [["--engine-only"], { fleet: false }],
        [["--azure-cli-only"], { fleet: false }],
    ])("%j measures %j", (argv, expected) => {
        expect(parseBenchArgs(argv)).toMatchObject(expected);
    });

    it.each([["--skip-engine"], ["--engine-only"], ["--azure-cli-only"]])("refuses --fleet-only with %s", (flag) => {
        expect(() => parseBenchArgs(["--fleet-only", flag]))
            .toThrow("--fleet-only measures the fleet alone; give it without --skip-engine, --engine-only or --azure-cli-only");
    });
});

/**
 * The order test files start in (test/support/longestFirst.mts): on a clean clone, with no results cache, vitest's
 * BaseSequencer starts larger files first; the sequencer starts the engine files known to take longest first.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TestSpecification, Vitest } from "vitest/node";
import LongestFirstSequencer, { LONGEST_FIRST } from "./support/longestFirst.mjs";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";

/** A spec as the sequencer sees one: its file, its project's name and group. */
function spec(file: string, project: "unit" | "engine"): TestSpecification {
    const moduleId = join(PROJECT_ROOT, file);
    return { moduleId, project: { name: project, config: { isolate: project === "engine", sequence: { groupOrder: project === "unit" ? 0 : 1 } } } } as unknown as TestSpecification;
}

/** A clean clone's vitest: no results cache, the files' sizes known (BaseSequencer's fallback). */
const cleanClone = {
    config: { root: PROJECT_ROOT },
    cache: {
        getFileTestResults: () => undefined,
        getFileStats: (key: string) => ({ size: statSync(join(PROJECT_ROOT, key.slice(key.indexOf(":") + 1))).size }),
    },
} as unknown as Vitest;

describe("the order test files start in", () => {
    it("names only files that exist", () => {
        expect(LONGEST_FIRST.filter((file) => !existsSync(join(PROJECT_ROOT, file)))).toEqual([]);
    });

    it("keeps the unit files first, then starts the longest engine files in the listed order, then the rest by vitest's order", async () => {
        const files = [
            spec("test/engine/outputs.test.ts", "engine"), spec("test/engine/fleetScale.test.ts", "engine"),
            spec("test/layout.test.ts", "unit"), spec("test/engine/deploy.test.ts", "engine"),
            spec("test/engine/rotation.test.ts", "engine"), spec("test/config.test.ts", "unit"),
        ];
        const sorted = await new LongestFirstSequencer(cleanClone).sort(files);
        const bySize = ["test/engine/outputs.test.ts", "test/engine/deploy.test.ts"]
            .sort((a, b) => statSync(join(PROJECT_ROOT, b)).size - statSync(join(PROJECT_ROOT, a)).size);
        const units = ["test/layout.test.ts", "test/config.test.ts"]
            .sort((a, b) => statSync(join(PROJECT_ROOT, b)).size - statSync(join(PROJECT_ROOT, a)).size);
        expect(sorted.map((file) => file.moduleId.slice(PROJECT_ROOT.length + 1))).toEqual([
            ...units, "test/engine/rotation.test.ts", "test/engine/fleetScale.test.ts", ...bySize,
        ]);
    });
});

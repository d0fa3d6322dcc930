/**
 * The order the test files start in: vitest's own, except that the engine files known to take longest start first.
 *
 * vitest's BaseSequencer (vitest 4.1 `sort`, packages/vitest/src/node/sequencers/BaseSequencer.ts) runs files longest
 * first only when its results cache knows their durations; on a clean clone, as CI runs, it has none and starts larger
 * files first. The two longest engine files are among the shortest in lines, so they started last, and for the last
 * five minutes of CI one core worked while the other waited. Starting the longest first (longest-processing-time
 * scheduling) keeps both busy to the end.
 */
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Longest first, from CI's JSON report at stop 36 (seconds on 2 cores): the rest follow in vitest's order. */
export const LONGEST_FIRST: readonly string[] = [
    "test/engine/rotation.test.ts", // 456
    "test/engine/fleetScale.test.ts", // 331
    "test/engine/differential.test.ts", // 133
    "test/engine/fleet.test.ts", // 120
    "test/engine/alerts.test.ts", // 90
];

export default class LongestFirstSequencer extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
        const sorted = await super.sort(files);
        const rank = (file: TestSpecification) => {
            const index = LONGEST_FIRST.indexOf(relative(this.ctx.config.root, file.moduleId).replaceAll("\\", "/"));
            return index === -1 ? LONGEST_FIRST.length : index;
        };
        // Array.prototype.sort is stable: within a project and beyond the list, vitest's order stays.
        return sorted.sort((a, b) => a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder || rank(a) - rank(b));
    }
}

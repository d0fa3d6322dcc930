/**
 * Which stacks of the fleet a run covers: all of them, or those an `--app`, `--environment` or stack-name glob
 * names (each flag may repeat; flags of different kinds must all match), further narrowed to the stacks a change
 * touches (`changes.ts`). Globs are picomatch's (`inventory-*`, `*-{dev,test}`), matched against stack names.
 */
import picomatch from "picomatch";
import { UsageError } from "../../common/cliArgs";
import { appOf, environmentOf, type FleetStack } from "./inventory";

export interface Selection {
    readonly apps: readonly string[];
    readonly environments: readonly string[];
    readonly patterns: readonly string[];
    /** Stack names a change touches; every stack when undefined (no `--changed-since`). */
    readonly touched?: ReadonlySet<string>;
}

export const SELECT_ALL: Selection = { apps: [], environments: [], patterns: [] };

export function selectStacks(stacks: readonly FleetStack[], selection: Selection): FleetStack[] {
    refuseUnknown("--app", selection.apps, new Set(stacks.map(appOf)));
    refuseUnknown("--environment", selection.environments, new Set(stacks.map(environmentOf)));
    const matchers = selection.patterns.map((pattern) => picomatch(pattern));
    return stacks.filter((stack) =>
        (selection.apps.length === 0 || selection.apps.includes(appOf(stack))) &&
        (selection.environments.length === 0 || selection.environments.includes(environmentOf(stack))) &&
        (matchers.length === 0 || matchers.some((matches) => matches(stack.stack))) &&
        (selection.touched === undefined || selection.touched.has(stack.stack)));
}

/** A misspelt app or environment would select nothing and pass silently: refuse it, listing what exists. */
function refuseUnknown(flag: string, given: readonly string[], known: ReadonlySet<string>): void {
    const unknown = given.filter((name) => !known.has(name));
    if (unknown.length === 0) return;
    const names = [...known].sort();
    const shown = names.length > 20 ? `${names.slice(0, 20).join(", ")}, ... (${names.length} in all)` : names.join(", ");
    throw new UsageError(`${flag} ${unknown.map((name) => JSON.stringify(name)).join(", ")}: no stack file has it; ` +
        `expected one of ${shown}`);
}

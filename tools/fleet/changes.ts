/**
 * `--changed-since <ref>`: the stacks a change touches, from git.
 *
 * What changed is what `git diff <ref>...HEAD` lists (the three-dot form: since the merge base, as a pull request's
 * "Files changed" does), plus uncommitted and untracked files, so that a person's edits count before they commit.
 * Renames are listed as a deletion and an addition (`--no-renames`), so both stack names are seen.
 *
 * From the paths to the stacks:
 * - a stack file: that stack (a deleted one is reported as removed: there is nothing left to preview);
 * - a committed certificate, `stacks/certificates/<identity>/...`: the stack whose identity it is;
 * - the program or what it shares with every stack (infra/, common/, policy/, Pulumi.yaml's defaults, the
 *   packages): every stack;
 * - anything else (docs, tests, the tools): no stack.
 */
import { execFileSync } from "node:child_process";
import { displayNamesOf } from "../../infra/config";
import { CERTIFICATES_DIR } from "../../infra/certificates";
import { UsageError } from "../../common/cliArgs";
import type { Fleet } from "./inventory";

/** What every stack's preview depends on: the program, the modules it and the pack import, the project file. */
export const SHARED_PATHS: readonly string[] = [
    "infra/", "common/", "policy/", "Pulumi.yaml", "package.json", "package-lock.json", "tsconfig.json",
];

export interface Touched {
    readonly stacks: ReadonlySet<string>;
    /** Set when every stack is touched: the first shared path that changed. */
    readonly everyStackBecause?: string;
    /** Stack files the change deletes. */
    readonly removed: readonly string[];
}

export function changedPaths(root: string, ref: string): string[] {
    const git = (args: readonly string[]): string[] => {
        try {
            return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
                .split("\0").filter((path) => path !== "");
        } catch (error) {
            const output = (error as { stderr?: unknown }).stderr;
            const stderr = (typeof output === "string" ? output : "").trim().split("\n")[0];
            throw new UsageError(`--changed-since ${ref}: git cannot compare with it (${stderr}); expected a commit, ` +
                "branch or tag this clone has (a shallow CI clone needs fetch-depth: 0)");
        }
    };
    const committed = git(["diff", "--name-only", "--no-renames", "--relative", "-z", `${ref}...HEAD`]);
    const uncommitted = git(["diff", "--name-only", "--no-renames", "--relative", "-z", "HEAD"]);
    const untracked = git(["ls-files", "--others", "--exclude-standard", "-z"]);
    return [...new Set([...committed, ...uncommitted, ...untracked])].sort();
}

export function touchedStacks(fleet: Fleet, paths: readonly string[]): Touched {
    const everyStackBecause = paths.find((path) =>
        SHARED_PATHS.some((shared) => shared.endsWith("/") ? path.startsWith(shared) : path === shared));
    const known = new Set(fleet.stacks.map((each) => each.stack));
    if (everyStackBecause !== undefined) return { stacks: known, everyStackBecause, removed: [] };

    const stackDir = `${fleet.project.stackConfigDir}/`;
    const identityOwner = new Map<string, string>();
    for (const each of fleet.stacks) {
        if (each.config === undefined) continue;
        for (const name of displayNamesOf(each.config.appName, each.config.environment, each.config.developers)) {
            identityOwner.set(name, each.stack);
        }
    }
    const stacks = new Set<string>();
    const removed: string[] = [];
    for (const path of paths) {
        const stack = path.startsWith(stackDir) ? /^Pulumi\.([^/]+)\.yaml$/.exec(path.slice(stackDir.length))?.[1] : undefined;
        if (stack !== undefined) {
            if (known.has(stack)) stacks.add(stack);
            else removed.push(path);
            continue;
        }
        if (path.startsWith(`${CERTIFICATES_DIR}/`)) {
            const owner = identityOwner.get(path.slice(CERTIFICATES_DIR.length + 1).split("/")[0]!);
            if (owner !== undefined) stacks.add(owner);
        }
    }
    return { stacks, removed };
}

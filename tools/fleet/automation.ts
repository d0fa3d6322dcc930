/**
 * The fleet's operations on the real Pulumi CLI, through Pulumi's Automation API (@pulumi/pulumi/automation).
 *
 * One work directory per worker: selecting a stack rewrites the workspace file of the project it is run in
 * (`pulumi stack select`, which `Stack.select` runs; pulumi/pulumi#8186, open: "createStack, selectStack and
 * createOrSelectStack cannot be run in parallel"), and the CLI keys that file by the project file's real path
 * (pulumi/pulumi pkg/v3 v3.276.0 workspace/workspace.go settingsPath: `<project>-<sha1 of EvalSymlinks(Pulumi.yaml)>-
 * workspace.json`). So each worker gets a directory with its own copy of Pulumi.yaml (a link would resolve to the
 * same file) and links to everything else of the checkout (the program, the stack files, node_modules).
 *
 * Every operation's changes come from the engine's summary event, and a failure is reduced to the engine's own
 * `error:` lines: never stdout, which holds the stack's outputs (secrets are masked there, but not trusted).
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, Stack, type EngineEvent, type OpMap, type OutputMap, type UpdateSummary } from "@pulumi/pulumi/automation";
import type { FleetStack } from "./inventory";
import { THROTTLED, ThrottledError, type Changes, type Operation } from "./runner";

export const AUTOMATION_VERBS = ["preview", "up", "drift"] as const;
export type AutomationVerb = typeof AUTOMATION_VERBS[number];

export interface AutomationOptions {
    /** The checkout: Pulumi.yaml, the program, the stack files. */
    readonly root: string;
    /** One directory per worker, from `prepareWorkDirs`. */
    readonly workDirs: readonly string[];
    readonly policyPacks?: readonly string[];
    readonly policyPackConfigs?: readonly string[];
}

/** Under `base`: `worker-<n>/` for each worker, Pulumi.yaml copied, every other entry of `root` linked. */
export function prepareWorkDirs(root: string, base: string, count: number): string[] {
    rmSync(base, { recursive: true, force: true });
    const entries = readdirSync(root).filter((entry) => entry !== "Pulumi.yaml" && entry !== ".git" &&
        join(root, entry) !== base && !base.startsWith(join(root, entry) + "/"));
    return Array.from({ length: count }, (_, worker) => {
        const dir = join(base, `worker-${worker}`);
        mkdirSync(dir, { recursive: true });
        copyFileSync(join(root, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
        for (const entry of entries) symlinkSync(join(root, entry), join(dir, entry));
        return dir;
    });
}

export function automationOperation(verb: AutomationVerb, options: AutomationOptions): Operation {
    // A workspace runs `pulumi version` when made: once a worker, not once a stack.
    const workspaces = new Map<number, Promise<LocalWorkspace>>();
    const workspaceOf = (worker: number): Promise<LocalWorkspace> => {
        let workspace = workspaces.get(worker);
        if (workspace === undefined) {
            // Each command gets the flags it needs from the Automation API. PULUMI_SKIP_CONFIRMATIONS=true (the engine
            // tests and some CI set it) would add --yes to `refresh --preview-only`, which the CLI refuses ("--yes and
            // --preview-only cannot be used together": pulumi/pulumi pkg/v3 v3.276.0 cmd/pulumi/operations/io.go), as
            // tools/ci/lib.sh says too; "false" turns it off (sdk/v3 go/common/util/env/env.go BoolValue.Value).
            workspace = LocalWorkspace.create({ workDir: options.workDirs[worker]!, envVars: { PULUMI_SKIP_CONFIRMATIONS: "false" } });
            workspaces.set(worker, workspace);
        }
        return workspace;
    };
    const policy = {
        ...(options.policyPacks === undefined ? {} : { policyPacks: [...options.policyPacks] }),
        ...(options.policyPackConfigs === undefined ? {} : { policyPackConfigs: [...options.policyPackConfigs] }),
    };
    return async (stack: FleetStack, worker: number, progress) => {
        const workspace = await workspaceOf(worker);
        let summary: OpMap | undefined;
        const onEvent = (event: EngineEvent): void => {
            if (event.summaryEvent !== undefined) summary = event.summaryEvent.resourceChanges;
            const pre = event.resourcePreEvent?.metadata;
            if (pre !== undefined) progress.step(`${pre.op} ${pre.type} ${pre.urn.split("::").pop() ?? ""}`);
        };
        try {
            progress.step("selecting the stack");
            // Only `up` may make a stack that has no state yet: `stack init` writes to the backend (a read-only
            // previewer cannot) and, with the passphrase provider, an encryptionsalt into the stack file.
            const target = withoutResultReads(verb === "up"
                ? await Stack.createOrSelect(stack.stack, workspace)
                : await Stack.select(stack.stack, workspace));
            progress.step(verb === "drift" ? "refreshing (preview only)" : verb === "up" ? "updating" : "previewing");
            // As tools/ci/preview.sh and maintenance.sh run them: a preview refreshes first; drift is a refresh
            // that may change nothing.
            if (verb === "preview") await target.preview({ onEvent, refresh: true, ...policy });
            else if (verb === "up") await target.up({ onEvent, ...policy });
            else await target.refresh({ onEvent, previewOnly: true, expectNoChanges: true });
        } catch (error) {
            // The provider's detail (a 429 its retries did not outlast) is on lines after the `error:` line.
            const stderr = (error as { commandResult?: { stderr?: unknown } }).commandResult?.stderr;
            const throttled = typeof stderr === "string" && THROTTLED.test(stderr);
            throw new (throttled ? ThrottledError : Error)(engineError(error, `${verb} of ${stack.stack} failed`));
        }
        return summary === undefined ? {} : { changes: countChanges(summary) };
    };
}

/**
 * The stack, without the reads `Stack.up` and `Stack.refresh` make for their result once the command is done
 * (@pulumi/pulumi v3.276.0 automation/stack.js: `up` runs `this.outputs()`, which is `stack output --json` and
 * `stack output --json --show-secrets`, then `this.info()`, `stack history --json --show-secrets --page-size 1`;
 * `refresh` runs `this.info()`). The fleet counts changes from the engine's summary event and uses neither, and both
 * --show-secrets reads decrypt every secret of the stack into this process. That is three CLI runs a stack for `up`,
 * about 0.7 s of CPU (the passphrase's key derivation each time they decrypt), hundreds of runs for a fleet.
 */
function withoutResultReads(stack: Stack): Stack {
    return Object.assign(Object.create(stack) as Stack, {
        outputs: (): Promise<OutputMap> => Promise.resolve({}),
        info: (): Promise<UpdateSummary | undefined> => Promise.resolve(undefined),
    });
}

/** The summary's counts, without the kinds that are zero. */
function countChanges(summary: OpMap): Changes {
    return Object.fromEntries(Object.entries(summary).filter(([, count]) => (count ?? 0) > 0));
}

/**
 * The engine's `error:` lines of a failed command (the Automation API's CommandError holds its whole output), joined
 * into one line; the fallback when the CLI printed none.
 */
export function engineError(error: unknown, fallback: string): string {
    const stderr = (error as { commandResult?: { stderr?: unknown } }).commandResult?.stderr;
    const text = typeof stderr === "string" ? stderr : "";
    const lines = text.split("\n").map((line) => line.trim()).filter((line) => /^error:/.test(line));
    if (lines.length > 0) return lines.join(" ").slice(0, 500);
    return error instanceof Error && !("commandResult" in error) ? `${fallback}: ${error.message}` : fallback;
}

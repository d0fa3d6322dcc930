/**
 * `npm run policy-pack [-- --force]`
 *
 * Compiles the guardrail policy pack (policy/) to JavaScript in `.tools/policy-pack/`, the folder every
 * `--policy-pack` names, when a source changed since the last build (or always, with --force). `bash tools/setup.sh`
 * runs it; run it again after changing policy/. Exit 0 built or up to date, 1 when the pack does not compile, 2 for
 * a wrong call. Prints one line.
 */
import { parseArgs } from "node:util";
import { relative } from "node:path";
import { runCommand, UsageError } from "../../common/cliArgs";
import { PROJECT_ROOT } from "../stacks/stackFiles";
import { buildPolicyPack, ensurePolicyPack, PolicyPackBuildError } from "./build";

async function main(argv: readonly string[]): Promise<number> {
    let force: boolean;
    try {
        ({ values: { force = false } } = parseArgs({ args: [...argv], options: { force: { type: "boolean" } }, strict: true }));
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
    try {
        const { dir, built } = force ? { dir: await buildPolicyPack(PROJECT_ROOT), built: true } : await ensurePolicyPack(PROJECT_ROOT);
        console.log(`policy pack: ${relative(PROJECT_ROOT, dir)} (${built ? "built from policy/" : "up to date with policy/"})`);
        return 0;
    } catch (error) {
        if (error instanceof PolicyPackBuildError) {
            console.error(`policy-pack: ${error.message}`);
            return 1;
        }
        throw error;
    }
}

runCommand("policy-pack", (argv) => main(argv).catch((error: unknown) => {
    if (error instanceof UsageError) {
        console.error(`policy-pack: ${error.message}; usage: npm run policy-pack [-- --force]`);
        return 2;
    }
    throw error;
}));

/**
 * `npm run preview-comment -- --reports DIR --stacks "STACK ..."`: the body of the one pull-request comment for the
 * previews of these stacks (render.ts), on standard output. DIR holds what tools/ci/each.sh left for each stack
 * (`<stack>.txt`, the preview script's output, and `<stack>.outcome`), gathered from every preview job. An empty
 * `--stacks` (the pull request changes no stack any more) gives the body that says so.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runCommand, UsageError } from "../../common/cliArgs";
import { renderPreviewComment, type StackPreview } from "./render";

const STACK_NAME = /^[A-Za-z0-9._-]+$/;

export function readPreviews(reports: string, stacks: readonly string[]): StackPreview[] {
    return stacks.map((stack) => {
        const text = (suffix: string) => {
            const file = join(reports, `${stack}${suffix}`);
            return existsSync(file) ? readFileSync(file, "utf8") : undefined;
        };
        const report = text(".txt");
        const outcome = text(".outcome")?.trim();
        return { stack, ...(report === undefined ? {} : { report }), ...(outcome === undefined ? {} : { outcome }) };
    });
}

export function main(argv: readonly string[]): Promise<number> {
    return Promise.resolve(render(argv));
}

function render(argv: readonly string[]): number {
    try {
        const { values } = parseArgs({ args: [...argv], options: { reports: { type: "string" }, stacks: { type: "string" } } });
        if (values.reports === undefined || values.stacks === undefined) {
            throw new UsageError('usage: npm run preview-comment -- --reports DIR --stacks "STACK ..."');
        }
        const stacks = values.stacks.split(/\s+/).filter((stack) => stack !== "");
        const bad = stacks.find((stack) => !STACK_NAME.test(stack));
        if (bad !== undefined) throw new UsageError(`--stacks holds ${JSON.stringify(bad)}; expected stack names (letters, digits, . _ -)`);
        process.stdout.write(renderPreviewComment(readPreviews(values.reports, stacks)));
        return 0;
    } catch (error) {
        if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") !== true) throw error;
        console.error(`preview-comment: ${(error as Error).message}`);
        return 2;
    }
}

if (require.main === module) runCommand("preview-comment", main);

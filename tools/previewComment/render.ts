/**
 * One pull-request comment for the previews of every stack a change touches: a table of each stack's outcome and
 * planned changes, then each stack's output, folded, failures first. tools/ci/pr-comment.sh posts it.
 *
 * The output is the preview's display, in which the CLI shows every secret as [secret], with outputs suppressed
 * (tools/ci/preview.sh). GitHub refuses a longer comment with 422 "Body is too long (maximum is 65536
 * characters)" (its REST API's message, as quoted in telia-oss/github-pr-resource#259), so the outputs share a budget
 * below that, and what does not fit is named.
 */

/** The first line of the comment: how pr-comment.sh finds the comment it posted before. */
export const PREVIEW_COMMENT_MARKER = "<!-- app-identity preview -->";

/** Room left for the stacks' outputs once the table is written: GitHub's limit, less a margin for the frame. */
const COMMENT_LIMIT = 65_536 - 1_536;

export interface StackPreview {
    readonly stack: string;
    /** The preview script's outcome (tools/ci/each.sh): success, failure; undefined when the job left none. */
    readonly outcome?: string;
    /** What the script printed; undefined when the job left no report. */
    readonly report?: string;
}

/**
 * The lines under "Resources:" in the CLI's summary, as `renderSummaryEvent` writes them, each indented by four
 * spaces (pulumi/pulumi pkg/v3 v3.276.0 backend/display/diff.go): `+ 1 to create`, `2 changes. 5 unchanged`.
 */
export function resourceSummary(report: string): string[] {
    const block = /^Resources:\n((?: {4}.+\n?)+)/m.exec(report)?.[1] ?? "";
    return block.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

/** Whether the preview plans a change: a summary line of an operation ("+ 1 to create", "~ 2 to update", ...). */
export function plansChanges(report: string): boolean {
    return resourceSummary(report).some((line) => / to [a-z-]+$/.test(line));
}

function outcomeOf(preview: StackPreview): string {
    if (preview.report === undefined) return "no output (the job did not run)";
    return preview.outcome ?? "unknown";
}

/**
 * The body that replaces the comment once a pull request changes no stack any more (a push took the stack files out of
 * it): the previews it showed are no longer what the merge would do.
 */
export const NO_STACK_BODY = [
    PREVIEW_COMMENT_MARKER,
    "### `pulumi preview`: this pull request changes no stack any more",
    "",
    "The previews this comment showed before are gone with the changes they were for.",
    "",
].join("\n");

/** The comment's body, stacks in the order given (the matrix's); outputs failed first, then changed, then the rest. */
export function renderPreviewComment(previews: readonly StackPreview[]): string {
    if (previews.length === 0) return NO_STACK_BODY;
    const failed = previews.filter((preview) => preview.report !== undefined && preview.outcome !== "success");
    const missing = previews.filter((preview) => preview.report === undefined).length;
    const counts = [
        `${previews.filter((preview) => preview.outcome === "success").length} succeeded`,
        `${failed.length} failed`,
        ...(missing > 0 ? [`${missing} without output`] : []),
    ];
    const lines = [
        PREVIEW_COMMENT_MARKER,
        `### \`pulumi preview\` of ${previews.length} ${previews.length === 1 ? "stack" : "stacks"}: ${counts.join(", ")}`,
        "",
        ...table(previews),
        "",
    ];
    let room = COMMENT_LIMIT - lines.join("\n").length;
    const withReport = previews.filter((preview) => preview.report !== undefined);
    const ordered = [
        ...failed,
        ...withReport.filter((preview) => preview.outcome === "success" && plansChanges(preview.report!)),
        ...withReport.filter((preview) => preview.outcome === "success" && !plansChanges(preview.report!)),
    ];
    let left = 0;
    for (const preview of ordered) {
        const folded = foldedOutput(preview.stack, outcomeOf(preview), preview.report!, room);
        if (folded === undefined) {
            left += 1;
            continue;
        }
        lines.push(folded, "");
        room -= folded.length + 1;
    }
    if (left > 0) {
        lines.push(`${left} of the outputs did not fit in one comment (the stacks above without one): they are in the ` +
            "preview jobs' logs.", "");
    }
    return lines.join("\n");
}

/** A row per stack, as many as fit in four fifths of the comment (the rest leaves room for outputs); the others counted in a last row. */
function table(previews: readonly StackPreview[]): string[] {
    const rows = ["| stack | preview | changes |", "| --- | --- | --- |"];
    let length = rows.join("\n").length;
    for (const [index, preview] of previews.entries()) {
        const row = `| \`${preview.stack}\` | ${outcomeOf(preview)} | ` +
            `${preview.report === undefined ? "-" : resourceSummary(preview.report).join(", ") || "-"} |`;
        if (length + row.length + 1 > COMMENT_LIMIT * 0.8) {
            rows.push(`| ... | ${previews.length - index} more stacks, in the preview jobs | |`);
            break;
        }
        rows.push(row);
        length += row.length + 1;
    }
    return rows;
}

/**
 * A stack's output in a folded block, cut from the start when long (the summary and the errors are at the end),
 * within `room` characters; undefined when even a short tail would not fit.
 */
function foldedOutput(stack: string, outcome: string, report: string, room: number): string | undefined {
    const open = `<details><summary><code>${stack}</code>: ${outcome}</summary>\n\n`;
    // A fence of four backticks, which a line of the preview is unlikely to close.
    const close = "\n````\n</details>";
    const cutNote = "(the first part of the output is cut; the whole of it is in the job log)\n\n";
    const body = report.trimEnd();
    const frame = open.length + "````\n".length + close.length;
    if (frame + body.length <= room) return `${open}\`\`\`\`\n${body}${close}`;
    const keep = room - frame - cutNote.length;
    if (keep < 500) return undefined;
    return `${open}${cutNote}\`\`\`\`\n${body.slice(body.length - keep)}${close}`;
}

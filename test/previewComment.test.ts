/**
 * The one pull-request comment for a fleet's previews (tools/previewComment/render.ts): the table, the order of
 * the outputs, and GitHub's limit on a comment's length with hundreds of stacks.
 */
import { describe, expect, it, vi } from "vitest";
import { main } from "../tools/previewComment/command";
import { plansChanges, PREVIEW_COMMENT_MARKER, renderPreviewComment, resourceSummary } from "../tools/previewComment/render";
import { runCli } from "./cli";

/** The end of a preview as the CLI prints it (pulumi/pulumi pkg/v3 v3.276.0 backend/display/diff.go renderSummaryEvent). */
const preview = (stack: string, summary: readonly string[], filler = 0) =>
    `Previewing update (${stack}):\n${"    ~ azuread:index:Application  app  update  [diff: ~notes]\n".repeat(filler)}\n` +
    `Resources:\n${summary.map((line) => `    ${line}\n`).join("")}\nDuration: 2s\n`;

describe("the preview comment", () => {
    it("reads the CLI's Resources: summary, and tells a change from none", () => {
        expect(resourceSummary(preview("a", ["+ 1 to create", "~ 1 to update", "2 changes. 5 unchanged"])))
            .toEqual(["+ 1 to create", "~ 1 to update", "2 changes. 5 unchanged"]);
        expect([plansChanges(preview("a", ["+-1 to replace", "6 unchanged"])), plansChanges(preview("a", ["7 unchanged"]))]).toEqual([true, false]);
        expect(resourceSummary("error: could not load the plugin\n")).toEqual([]);
    });

    it("shows the outputs failed first, then those with changes, then the rest; the table keeps the matrix's order", () => {
        const body = renderPreviewComment([
            { stack: "a-dev", outcome: "success", report: preview("a-dev", ["7 unchanged"]) },
            { stack: "a-prod", outcome: "success", report: preview("a-prod", ["~ 1 to update", "6 unchanged"]) },
            { stack: "a-test", outcome: "failure", report: "error: the preview failed\n" },
        ]);
        expect(body.split("\n").slice(0, 8)).toEqual([
            PREVIEW_COMMENT_MARKER,
            "### `pulumi preview` of 3 stacks: 2 succeeded, 1 failed",
            "",
            "| stack | preview | changes |",
            "| --- | --- | --- |",
            "| `a-dev` | success | 7 unchanged |",
            "| `a-prod` | success | ~ 1 to update, 6 unchanged |",
            "| `a-test` | failure | - |",
        ]);
        expect([...body.matchAll(/<summary><code>([^<]+)<\/code>/g)].map((match) => match[1])).toEqual(["a-test", "a-prod", "a-dev"]);
    });

    it("stays within GitHub's 65,536 characters for 600 stacks: every one in the table, the outputs that fit, the others counted", () => {
        const previews = Array.from({ length: 600 }, (_, index) => {
            const stack = `app${String(Math.floor(index / 3)).padStart(3, "0")}-${["dev", "prod", "test"][index % 3]}`;
            return { stack, outcome: "success", report: preview(stack, ["~ 1 to update", "6 unchanged"], 40) };
        });
        const body = renderPreviewComment(previews);
        expect(body.length).toBeLessThanOrEqual(65_536);
        const table = body.split("\n").filter((line) => line.startsWith("| `"));
        expect(table).toHaveLength(600);
        const shown = [...body.matchAll(/<summary><code>([^<]+)<\/code>/g)].map((match) => match[1]!);
        const left = Number(/\n(\d+) of the outputs did not fit in one comment \(the stacks above without one\): they are in the preview jobs' logs\.\n/
            .exec(body)![1]);
        // Each output in whole or not at all, in the table's order, and every one counted.
        expect(shown.length).toBeGreaterThan(0);
        expect(shown).toEqual(previews.slice(0, shown.length).map((entry) => entry.stack));
        expect(shown.length + left).toBe(600);
        // Only the last one shown may be cut to the room left.
        expect(body.split("the first part of the output is cut").length).toBeLessThanOrEqual(2);
    });

    it("cuts one long output from its start, where the summary and the errors are not", () => {
        const report = `${"    ~ resource line\n".repeat(5_000)}error: the last line\n`;
        const body = renderPreviewComment([{ stack: "big-dev", outcome: "failure", report }]);
        expect(body.length).toBeLessThanOrEqual(65_536);
        expect(body).toContain("<details><summary><code>big-dev</code>: failure</summary>\n\n" +
            "(the first part of the output is cut; the whole of it is in the job log)\n\n````\n");
        expect(body.endsWith("error: the last line\n````\n</details>\n")).toBe(true);
    });

    it("past four fifths of a comment in rows, the table counts the stacks it leaves out", () => {
        const previews = Array.from({ length: 3_000 }, (_, index) => ({ stack: `app${String(index).padStart(4, "0")}-dev`, outcome: "success",
            report: preview("x", ["7 unchanged"]) }));
        const body = renderPreviewComment(previews);
        expect(body.length).toBeLessThanOrEqual(65_536);
        const rows = body.split("\n").filter((line) => line.startsWith("| `"));
        expect(body).toContain(`\n| ... | ${3_000 - rows.length} more stacks, in the preview jobs | |\n`);
        expect(rows.at(-1)).toBe(`| \`app${String(rows.length - 1).padStart(4, "0")}-dev\` | success | 7 unchanged |`);
    });

    it.each([
        ["no reports folder", ["--stacks", "a-dev"], 'preview-comment: usage: npm run preview-comment -- --reports DIR --stacks "STACK ..."'],
        ["a path for a stack", ["--reports", "/tmp", "--stacks", "a-dev ../b"],
            'preview-comment: --stacks holds "../b"; expected stack names (letters, digits, . _ -)'],
    ])("npm run preview-comment refuses %s in one line, exit 2", async (_case, args, message) => {
        expect(await runCli(main, args)).toMatchObject({ code: 2, stderr: message });
    });

    it("with no stack (the pull request changes none any more): the body that says so, under the same marker", async () => {
        const written: string[] = [];
        const write = vi.spyOn(process.stdout, "write").mockImplementation((text: string | Uint8Array) => { written.push(String(text)); return true; });
        try {
            expect(await runCli(main, ["--reports", "/nonexistent", "--stacks", " "])).toEqual({ code: 0, stdout: "", stderr: "" });
        } finally {
            write.mockRestore();
        }
        expect(written.join("")).toBe([
            "<!-- app-identity preview -->",
            "### `pulumi preview`: this pull request changes no stack any more",
            "",
            "The previews this comment showed before are gone with the changes they were for.",
            "",
        ].join("\n"));
    });
});

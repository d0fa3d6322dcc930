/**
 * `npm run alerts` as the maintenance workflow's last job runs it: the reports the maintenance jobs left, the owners
 * from `alerts` (Pulumi.yaml's, once per app, and a stack file's own over it), GitHub's API (the stand-in) and a
 * webhook receiver; its exact output, and its refusals.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { main } from "../tools/alerts/command";
import { generateFleet, fleetStackYaml, type FleetFixture } from "./support/fleetFixture";
import { GitHubStandIn } from "./support/githubStandIn";

const TOKEN = "ghs_alerts";
const RUNS = "https://github.com/contoso/app-identities/actions/runs";
let github: GitHubStandIn;
let fleet: FleetFixture;
let receiver: Server;
const posted: unknown[] = [];

async function alerts(argv: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; lines: string[]; errors?: string[] }> {
    const lines: string[] = [];
    const errors: string[] = [];
    const code = await main([...argv, "--root", fleet.root], { env: { GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: "contoso/app-identities",
        GITHUB_API_URL: github.url, ...env }, print: (line) => lines.push(line), printError: (line) => errors.push(line) });
    return { code, lines, ...(errors.length === 0 ? {} : { errors }) };
}

function reports(entries: Record<string, { drift?: boolean; update?: string; runUrl?: string }>): string {
    const directory = mkdtempSync(join(tmpdir(), "alert-reports-"));
    for (const [stack, entry] of Object.entries(entries)) {
        writeFileSync(join(directory, `${stack}.json`), JSON.stringify({ stack, drift: entry.drift ?? false,
            update: entry.update ?? "succeeded", ...(entry.runUrl === undefined ? {} : { runUrl: entry.runUrl }) }));
    }
    return directory;
}

beforeAll(async () => {
    github = await new GitHubStandIn(TOKEN).start();
    fleet = generateFleet({ apps: 2, environments: ["prod"] });
    // Pulumi.yaml names the owners of every app once; app001's stack file names its own.
    const project = parseDocument(readFileSync(join(fleet.root, "Pulumi.yaml"), "utf8"));
    project.setIn(["config", "alerts", "default"], {
        app000: { github: ["alice", "contoso/app000-team"], webhook: { env: "APP000_WEBHOOK", format: "slack" } },
        app001: { github: ["carol"] },
    });
    writeFileSync(join(fleet.root, "Pulumi.yaml"), project.toString());
    fleet.writeStackFile("app001-prod", `${fleetStackYaml({ roles: fleet.roles["app001-prod"]! })}  app-identity:alerts:\n    app001:\n      github: [bob]\n`);
    receiver = createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => { body += chunk.toString("utf8"); });
        request.on("end", () => { posted.push(JSON.parse(body)); response.writeHead(200).end("ok"); });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    mkdirSync(join(fleet.root, "reports"), { recursive: true });
});

afterAll(async () => {
    await github.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe("npm run alerts", () => {
    it("--dry-run: the conditions, and no call to GitHub", async () => {
        const mark = github.calls.length;
        const result = await alerts(["--reports", reports({ "app000-prod": { drift: true, update: "skipped" }, "app001-prod": {} }), "--dry-run"]);
        expect(result).toEqual({ code: 0, lines: [
            "would alert: app000-prod: the identity differs from its stack (drift)",
            "alerts: 1 condition in 2 stacks (dry run: GitHub not called)",
        ] });
        expect(github.callsSince(mark)).toEqual([]);
    });

    it("--dry-run with the audit's JSON: one condition for the identity's findings", async () => {
        const directory = reports({ "app000-prod": {} });
        writeFileSync(join(directory, "app000-prod.audit.json"), JSON.stringify({ stack: "app000-prod", clean: false, findings: [
            { stack: "app000-prod", identity: "app000-prod", status: "undeclared", kind: "password", id: "k1", objectId: "o1", on: "applications",
                description: "client secret \"backdoor\" (key ID k1) is not in the state", command: "az ad app credential delete --id c1 --key-id k1" },
        ] }));
        expect(await alerts(["--reports", directory, "--dry-run"])).toEqual({ code: 0, lines: [
            "would alert: app000-prod: 1 finding of the audit (credentials, owners or roles the stack does not declare, or has lost)",
            "alerts: 1 condition in 1 stacks (dry run: GitHub not called)",
        ] });
    });

    it("opens each alert assigned to the app's owners from Pulumi.yaml, or from the stack file over it, and posts it to the app's webhook", async () => {
        const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T000/B000/x`;
        const result = await alerts(["--reports", reports({ "app000-prod": { drift: true, update: "skipped", runUrl: `${RUNS}/7` }, "app001-prod": { update: "failed" } })],
            { APP000_WEBHOOK: hook });
        expect(result).toEqual({ code: 0, lines: [
            "opened #1: app000-prod: the identity differs from its stack (drift)",
            "opened #2: app001-prod: the daily maintenance failed",
            "alerts: 2 opened, 0 updated, 0 closed, 0 unchanged, over 2 stacks",
        ] });
        expect(github.issues.map((issue) => [issue.number, issue.assignees, issue.body.split("\n").find((line) => line.startsWith("Owners:"))]))
            .toEqual([[1, ["alice"], "Owners: @alice @contoso/app000-team"], [2, ["bob"], "Owners: @bob"]]);
        expect(posted).toEqual([{ text: "*app000-prod: the identity differs from its stack (drift)*\n<https://github.com/contoso/app-identities/issues/1|The GitHub issue>" }]);
        expect(JSON.stringify(result.lines)).not.toContain(hook);
    });

    it("the drift still there on the next day's run: its issue unchanged, still linking the run that found it, and nothing posted", async () => {
        const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T000/B000/x`;
        const postedBefore = posted.length;
        const mark = github.calls.length;
        const result = await alerts(["--reports", reports({ "app000-prod": { drift: true, update: "skipped", runUrl: `${RUNS}/8` } })], { APP000_WEBHOOK: hook });
        expect(result).toEqual({ code: 0, lines: ["alerts: 0 opened, 0 updated, 0 closed, 1 unchanged, over 1 stacks"] });
        expect(github.callsSince(mark)).toEqual(["GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 200"]);
        expect(github.issues[0]!.body.split("\n").filter((line) => line.startsWith("First seen in run:"))).toEqual([`First seen in run: ${RUNS}/7`]);
        expect(posted.slice(postedBefore)).toEqual([]);
    });

    it("a webhook whose variable is not set: the issue is still kept, the line names the variable, exit 1", async () => {
        const result = await alerts(["--reports", reports({ "app000-prod": { update: "failed" } })]);
        expect(result).toEqual({ code: 1, lines: [
            "opened #3: app000-prod: the daily maintenance failed",
            "closed #1: app000-prod: the identity differs from its stack (drift)",
            "webhook not posted: app000-prod: the daily maintenance failed: APP000_WEBHOOK is not set",
            "alerts: 1 opened, 0 updated, 1 closed, 0 unchanged, over 1 stacks",
        ] });
        // app001-prod was not in this run: its alert stays open.
        expect(github.issues.map((issue) => [issue.number, issue.state])).toEqual([[1, "closed"], [2, "open"], [3, "open"]]);
    });

    it("--format json: the same, for scripts", async () => {
        const result = await alerts(["--reports", reports({ "app000-prod": { update: "failed" }, "app001-prod": { update: "failed" } }), "--format", "json"]);
        expect(result.code).toBe(0);
        expect(JSON.parse(result.lines.join("\n"))).toEqual({ opened: [], updated: [], closed: [], webhookFailures: [], unchanged: [
            { key: "app000-prod/app000-prod/maintenance-failed", number: 3, title: "app000-prod: the daily maintenance failed" },
            { key: "app001-prod/app001-prod/maintenance-failed", number: 2, title: "app001-prod: the daily maintenance failed" },
        ] });
    });

    it("refuses to run without the workflow's token, and reports that are not what maintenance.sh writes", async () => {
        const directory = reports({ "app000-prod": {} });
        expect(await alerts(["--reports", directory], { GITHUB_TOKEN: "" })).toEqual({ code: 2, lines: [], errors: [
            "alerts: GITHUB_TOKEN is not set (a workflow job has them; the job needs permissions: issues: write)"] });
        writeFileSync(join(directory, "app001-prod.json"), JSON.stringify({ stack: "app001-prod", drift: "yes", update: "succeeded" }));
        expect(await alerts(["--reports", directory, "--dry-run"])).toEqual({ code: 2, lines: [], errors: [
            `alerts: ${join(directory, "app001-prod.json")}: drift is not as tools/ci/maintenance.sh writes it; expected {stack, drift: true or false, ` +
            "update: succeeded, failed or skipped, runUrl}"] });
        expect(await alerts([])).toEqual({ code: 2, lines: [], errors: [
            "alerts: say where the maintenance reports are: --reports DIR\nusage: npm run alerts -- --reports DIR [--warn-days 90] [--dry-run] [--format text|json] [--root DIR]"] });
    });
});

/**
 * Issue 29, part 1: what needs a person becomes one GitHub issue per condition, kept in step over the runs of the
 * scheduled maintenance workflow: opened once, edited only when its text changes, closed when the condition is gone,
 * and never a duplicate; through @octokit/rest against a GitHub stand-in that records every call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessExpiry, withCertificatesDue, type ExpiryReport } from "../tools/expiry/command";
import { conditionsOf, type Condition } from "../tools/alerts/conditions";
import { bodyOf, gitHubClient, labelsOf, reconcileIssues, type AlertOwners } from "../tools/alerts/githubIssues";
import type { MaintenanceReport } from "../tools/alerts/report";
import { GitHubStandIn } from "./support/githubStandIn";

const AT = new Date("2027-03-01T05:17:00Z");
const THRESHOLDS = { warnDays: 90, failDays: 30 };
const OPTIONS = { certificateLeadDays: 30, moveServersDays: 90 };

function expiry(secrets: { name: string; end: string; credential?: "certificate" }[], at = AT): ExpiryReport {
    return assessExpiry(secrets.map((secret) => ({ identity: "inventory-api-prod", name: secret.name, endDate: new Date(secret.end),
        ...(secret.credential === undefined ? {} : { credential: secret.credential }) })), at, THRESHOLDS);
}

function report(overrides: Partial<MaintenanceReport> = {}): MaintenanceReport {
    return { stack: "inventory-api-prod", identity: "inventory-api-prod", drift: false, update: "succeeded", ...overrides };
}

const summary = (conditions: readonly Condition[]) => conditions.map((condition) => [condition.key, condition.title, condition.actBy ?? null]);

describe("conditionsOf: what needs a person, from one maintenance run", () => {
    it("a quiet day: two secrets well within their lives need no one", () => {
        const quiet = expiry([{ name: "slot a", end: "2028-06-01T00:00:00Z" }, { name: "slot b", end: "2027-12-01T00:00:00Z" }]);
        expect(conditionsOf(report({ expiry: quiet }), OPTIONS)).toEqual([]);
    });

    it("the previous secret within 90 days of its end: move the servers off it, by that day, with the env-file command", () => {
        const ending = expiry([{ name: "slot a", end: "2028-06-01T00:00:00Z" }, { name: "slot b", end: "2027-05-01T00:00:00Z" }]);
        const [move, ...others] = conditionsOf(report({ expiry: ending }), OPTIONS);
        expect(others).toEqual([]);
        expect(move).toEqual({
            key: "inventory-api-prod/inventory-api-prod/move-servers", stack: "inventory-api-prod", identity: "inventory-api-prod",
            kind: "move-servers", title: "inventory-api-prod: move the servers off slot b by 2027-05-01", actBy: "2027-05-01",
            body: [
                "`slot b`, the previous client secret of `inventory-api-prod`, ends on 2027-05-01.",
                "Any server still signing in with it stops working then. Write each server's env file again from the",
                "stack and restart its service before that day:",
                "```sh",
                "npm run env-file -- --stack inventory-api-prod --out <the server's env file>",
                "```",
            ].join("\n"),
        });
    });

    it("a missed rotation and a newest secret ending: one condition each, by identity then kind", () => {
        const missed = expiry([{ name: "slot a", end: "2027-04-10T00:00:00Z" }, { name: "slot b", end: "2027-02-01T00:00:00Z" }]);
        expect(summary(conditionsOf(report({ expiry: missed }), OPTIONS))).toEqual([
            ["inventory-api-prod/inventory-api-prod/credential-ending", "inventory-api-prod: the newest client secret ends 2027-04-10", "2027-04-10"],
            ["inventory-api-prod/inventory-api-prod/missed-rotation", "inventory-api-prod: client secret expired", null],
        ]);
    });

    it("a certificate due within the lead days, and not before", () => {
        const certificates = expiry([{ name: "2026-09-01", end: "2027-09-01T00:00:00Z", credential: "certificate" },
            { name: "2027-03-01", end: "2028-03-01T00:00:00Z", credential: "certificate" }]);
        const due = (dueAt: string, daysLeft: number) => withCertificatesDue(certificates, [{ identity: "inventory-api-prod", dueAt, daysLeft }], THRESHOLDS);
        expect(conditionsOf(report({ expiry: due("2027-04-15", 45) }), OPTIONS)).toEqual([]);
        const [condition] = conditionsOf(report({ expiry: due("2027-03-20", 19) }), OPTIONS);
        expect(condition!.title).toBe("inventory-api-prod: the next certificate is due 2027-03-20");
        expect(condition!.body.split("\n")).toEqual([
            "The next certificate of `inventory-api-prod` is due 2027-03-20.",
            "Make its key pair on the server that uses it (the private key never leaves it), then commit the public",
            "certificate it prints in a pull request before that day (docs/certificates.md, \"Before each rotation\"):",
            "```sh",
            "sudo npm run certificate -- new --stack inventory-api-prod --out /etc/inventory-api --owner <the service's user>",
            "```",
        ]);
    });

    it("drift stops the rotation: one drift condition and no maintenance failure; a failed update on its own is one", () => {
        expect(summary(conditionsOf(report({ drift: true, update: "skipped", runUrl: "https://github.com/contoso/app-identities/actions/runs/7" }), OPTIONS)))
            .toEqual([["inventory-api-prod/inventory-api-prod/drift", "inventory-api-prod: the identity differs from its stack (drift)", null]]);
        expect(summary(conditionsOf(report({ update: "failed" }), OPTIONS)))
            .toEqual([["inventory-api-prod/inventory-api-prod/maintenance-failed", "inventory-api-prod: the daily maintenance failed", null]]);
    });

    it("undeclared credentials: one condition per identity listing each with its removing command", () => {
        const [condition, ...others] = conditionsOf(report({ undeclared: [
            { identity: "inventory-api-prod", description: "client secret \"backdoor\" (key ID k1), not in the state", command: "npm run audit -- --stack inventory-api-prod --fix --yes" },
            { identity: "inventory-api-prod", description: "owner u1, not in owners", command: "npm run audit -- --stack inventory-api-prod --fix --yes" },
        ] }), OPTIONS);
        expect(others).toEqual([]);
        expect(condition!.title).toBe("inventory-api-prod: 2 findings of the audit (credentials, owners or roles the stack does not declare, or has lost)");
        expect(condition!.body).toContain("- client secret \"backdoor\" (key ID k1), not in the state\n  `npm run audit -- --stack inventory-api-prod --fix --yes`");
    });
});

describe("reconcileIssues against the GitHub stand-in, over several runs", () => {
    const TOKEN = "ghs_standin";
    const REPOSITORY = { owner: "contoso", repo: "app-identities" };
    const OWNERS: AlertOwners = { users: ["alice"], teams: ["contoso/inventory"] };
    let github: GitHubStandIn;
    const run = (stacks: readonly string[], conditions: readonly Condition[]) =>
        reconcileIssues(gitHubClient({ token: TOKEN, baseUrl: github.url, retries: 2 }), REPOSITORY, stacks, conditions, () => OWNERS);
    const moveBy = (end: string, at = AT) =>
        conditionsOf(report({ expiry: expiry([{ name: "slot a", end: "2028-06-01T00:00:00Z" }, { name: "slot b", end }], at) }), OPTIONS);

    beforeAll(async () => { github = await new GitHubStandIn(TOKEN).start(); });
    afterAll(async () => { await github.stop(); });

    it("day 1 opens one issue per condition, assigned to the users, labelled, the teams mentioned", async () => {
        const result = await run(["inventory-api-prod", "billing-prod"], [...moveBy("2027-05-01"),
            ...conditionsOf(report({ stack: "billing-prod", identity: "billing-prod", update: "failed" }), OPTIONS)]);
        expect([result.opened.map((change) => [change.key, change.number]), result.updated, result.closed]).toEqual([[
            ["inventory-api-prod/inventory-api-prod/move-servers", 1], ["billing-prod/billing-prod/maintenance-failed", 2],
        ], [], []]);
        expect(github.callsSince(0)).toEqual([
            "GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 200",
            "POST /repos/contoso/app-identities/issues 201",
            "POST /repos/contoso/app-identities/issues 201",
        ]);
        const [first] = github.issues;
        expect({ labels: first!.labels, assignees: first!.assignees }).toEqual({
            labels: ["app-identity-alert", "alert:move-servers", "stack:inventory-api-prod"], assignees: ["alice"] });
        expect(first!.body.split("\n")[0]).toBe("<!-- app-identity-alert key=inventory-api-prod/inventory-api-prod/move-servers stack=inventory-api-prod -->");
        expect(first!.body).toContain("**Act by 2027-05-01.**\nOwners: @alice @contoso/inventory");
    });

    it("day 2, the same conditions a day closer to their dates: no write at all", async () => {
        const mark = github.calls.length;
        const result = await run(["inventory-api-prod", "billing-prod"], [...moveBy("2027-05-01", new Date("2027-03-02T05:17:00Z")),
            ...conditionsOf(report({ stack: "billing-prod", identity: "billing-prod", update: "failed" }), OPTIONS)]);
        expect(result.unchanged.map((change) => change.number)).toEqual([1, 2]);
        expect(github.callsSince(mark)).toEqual(["GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 200"]);
    });

    it("a run over one stack, whose condition changed: edits its issue, leaves the other stack's open", async () => {
        const mark = github.calls.length;
        const result = await run(["inventory-api-prod"], moveBy("2027-04-20"));
        expect(result.updated.map((change) => [change.number, change.title])).toEqual([[1, "inventory-api-prod: move the servers off slot b by 2027-04-20"]]);
        expect(github.callsSince(mark)).toEqual([
            "GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 200",
            "PATCH /repos/contoso/app-identities/issues/1 200",
        ]);
        expect(github.issues.map((issue) => [issue.number, issue.state])).toEqual([[1, "open"], [2, "open"]]);
    });

    it("the condition gone: a comment, then closed as completed; a secondary rate limit on the way is waited out", async () => {
        const mark = github.calls.length;
        github.secondaryRateLimits = 1;
        const result = await run(["inventory-api-prod", "billing-prod"], []);
        expect(result.closed.map((change) => change.number)).toEqual([1, 2]);
        expect(github.callsSince(mark)).toEqual([
            "GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 200",
            "POST /repos/contoso/app-identities/issues/1/comments 403",
            "POST /repos/contoso/app-identities/issues/1/comments 201",
            "PATCH /repos/contoso/app-identities/issues/1 200",
            "POST /repos/contoso/app-identities/issues/2/comments 201",
            "PATCH /repos/contoso/app-identities/issues/2 200",
        ]);
        expect(github.issues.map((issue) => [issue.number, issue.state, issue.state_reason, issue.comments.length]))
            .toEqual([[1, "closed", "completed", 1], [2, "closed", "completed", 1]]);
    }, 30_000);

    it("the condition back later: a new issue, not the closed one reopened", async () => {
        const result = await run(["inventory-api-prod"], moveBy("2027-04-20"));
        expect(result.opened.map((change) => change.number)).toEqual([3]);
        expect(github.issues.filter((issue) => issue.state === "open").map((issue) => issue.number)).toEqual([3]);
    });

    it("past 100 open alerts: every page is read, so none is opened twice", async () => {
        const many = Array.from({ length: 120 }, (_, index) => conditionsOf(report({ stack: `app${index}-prod`, identity: `app${index}-prod`, drift: true }), OPTIONS)[0]!);
        // Opened on earlier days (here put straight into the stand-in: GitHub's client spaces writes a second apart).
        for (const condition of many) {
            github.issues.push({ number: 1000 + github.issues.length, title: condition.title, body: bodyOf(condition, OWNERS), state: "open",
                state_reason: null, labels: labelsOf(condition), assignees: [...OWNERS.users], comments: [] });
        }
        const mark = github.calls.length;
        const again = await run(many.map((condition) => condition.stack), many);
        expect([again.opened.length, again.unchanged.length]).toEqual([0, 120]);
        expect(github.callsSince(mark)).toEqual([
            "GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 200",
            "GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100&page=2 200",
        ]);
    });

    it("a wrong token is refused with GitHub's 401, and nothing is written", async () => {
        const mark = github.calls.length;
        const wrong = reconcileIssues(gitHubClient({ token: "nope", baseUrl: github.url, retries: 0 }), REPOSITORY, [], [], () => OWNERS);
        await expect(wrong).rejects.toThrow("Bad credentials");
        expect(github.callsSince(mark)).toEqual(["GET /repos/contoso/app-identities/issues?state=open&labels=app-identity-alert&per_page=100 401"]);
    });
});

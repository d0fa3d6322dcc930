/**
 * One GitHub issue per condition that needs a person, kept in step with the conditions of each run: a new condition
 * opens an issue (assigned to the identity's GitHub users, its teams mentioned, labelled), the same condition on a
 * later run edits that issue only when its text changed, and a condition that is gone closes its issue with a comment.
 * A lasting condition keeps the link to the run that first found it, so that it is not edited (and posted to its
 * webhook) every day only because that day's run has another URL.
 * Issues are found again by a marker in their first line, among the open issues with the alerts label; only the
 * reported stacks' issues are closed, so a run over some stacks leaves the others' alone.
 *
 * Through @octokit/rest (GitHub's own client: typed endpoints, pagination) with its throttling and retry plugins,
 * which wait out GitHub's primary and secondary rate limits (REST API docs, "Rate limits for the REST API": content
 * creation is limited, and a 403 or 429 carries retry-after or x-ratelimit-reset) so a fleet's hundreds of alerts
 * are not dropped. It needs the workflow's GITHUB_TOKEN with `issues: write` and nothing more.
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { Condition } from "./conditions";

export const ALERT_LABEL = "app-identity-alert";

/** Who an identity's alerts go to: GitHub users (assigned) and teams (`org/team`, mentioned: issues take no team assignee). */
export interface AlertOwners {
    readonly users: readonly string[];
    readonly teams: readonly string[];
}

export interface Repository {
    readonly owner: string;
    readonly repo: string;
}

export interface ReconcileResult {
    readonly opened: readonly IssueChange[];
    readonly updated: readonly IssueChange[];
    readonly closed: readonly IssueChange[];
    readonly unchanged: readonly IssueChange[];
}

export interface IssueChange {
    readonly key: string;
    readonly number: number;
    readonly title: string;
}

export interface GitHubClientOptions {
    readonly token: string;
    /** GITHUB_API_URL in a workflow (https://api.github.com, or a GitHub Enterprise Server's /api/v3). */
    readonly baseUrl: string;
    /** Retries after a rate limit or a server error before giving up (the plugins' defaults are used in CI). */
    readonly retries?: number;
}

const Client = Octokit.plugin(throttling, retry);
type Client = InstanceType<typeof Client>;

export function gitHubClient(options: GitHubClientOptions): Client {
    const retries = options.retries ?? 3;
    return new Client({
        auth: options.token,
        baseUrl: options.baseUrl,
        userAgent: "app-identity-alerts",
        throttle: {
            onRateLimit: (_after: number, _request: unknown, _octokit: unknown, count: number) => count < retries,
            onSecondaryRateLimit: (_after: number, _request: unknown, _octokit: unknown, count: number) => count < retries,
        },
        retry: { retries },
    });
}

/** The marker an alert's body starts with: the condition's key and its stack, on one HTML comment line. */
export function markerOf(condition: Pick<Condition, "key" | "stack">): string {
    return `<!-- ${ALERT_LABEL} key=${condition.key} stack=${condition.stack} -->`;
}

const MARKER = new RegExp(`^<!-- ${ALERT_LABEL} key=(\\S+) stack=(\\S+) -->`);

const FIRST_SEEN = /^First seen in run: (\S+)$/m;

export function bodyOf(condition: Condition, owners: AlertOwners): string {
    const people = [...owners.users, ...owners.teams].map((name) => `@${name}`);
    return [
        markerOf(condition),
        condition.body,
        "",
        ...(condition.runUrl === undefined ? [] : [`First seen in run: ${condition.runUrl}`, ""]),
        ...(condition.actBy === undefined ? [] : [`**Act by ${condition.actBy}.**`]),
        people.length === 0 ? "Owners: none named (set `alerts` for this app in Pulumi.yaml or the stack file)." : `Owners: ${people.join(" ")}`,
        "",
        "_Opened by the scheduled maintenance workflow (npm run alerts); it updates this issue while the condition lasts and closes it when it is gone._",
    ].join("\n");
}

export function labelsOf(condition: Condition): string[] {
    return [ALERT_LABEL, `alert:${condition.kind}`, `stack:${condition.stack}`];
}

interface OpenAlert {
    readonly number: number;
    readonly key: string;
    readonly stack: string;
    readonly title: string;
    readonly body: string;
}

async function openAlerts(client: Client, repository: Repository): Promise<OpenAlert[]> {
    const issues = await client.paginate(client.rest.issues.listForRepo, { ...repository, state: "open", labels: ALERT_LABEL, per_page: 100 });
    // Oldest first, whatever order GitHub lists them in (newest first by default): the summary reads in that order.
    return issues.sort((a, b) => a.number - b.number).flatMap((issue) => {
        // The issues list holds pull requests too (REST docs, "List repository issues").
        if (issue.pull_request !== undefined) return [];
        const match = MARKER.exec(issue.body ?? "");
        return match === null ? [] : [{ number: issue.number, key: match[1]!, stack: match[2]!, title: issue.title, body: issue.body ?? "" }];
    });
}

/**
 * Brings the repository's open alerts of `stacks` in line with `conditions`: opens, edits and closes, in that
 * order, each at most once per condition, and nothing at all on a day when nothing changed.
 */
export async function reconcileIssues(client: Client, repository: Repository, stacks: readonly string[],
    conditions: readonly Condition[], ownersOf: (condition: Condition) => AlertOwners): Promise<ReconcileResult> {
    const existing = await openAlerts(client, repository);
    const byKey = new Map(existing.map((alert) => [alert.key, alert]));
    const opened: IssueChange[] = [];
    const updated: IssueChange[] = [];
    const unchanged: IssueChange[] = [];
    for (const condition of conditions) {
        const owners = ownersOf(condition);
        const found = byKey.get(condition.key);
        const firstSeen = found === undefined || condition.runUrl === undefined ? undefined : FIRST_SEEN.exec(found.body)?.[1];
        const body = bodyOf(firstSeen === undefined ? condition : { ...condition, runUrl: firstSeen }, owners);
        if (found === undefined) {
            const { data } = await client.rest.issues.create({ ...repository, title: condition.title, body,
                labels: labelsOf(condition), assignees: [...owners.users] });
            opened.push({ key: condition.key, number: data.number, title: condition.title });
        } else if (found.title !== condition.title || found.body !== body) {
            await client.rest.issues.update({ ...repository, issue_number: found.number, title: condition.title, body });
            updated.push({ key: condition.key, number: found.number, title: condition.title });
        } else {
            unchanged.push({ key: condition.key, number: found.number, title: condition.title });
        }
    }
    const current = new Set(conditions.map((condition) => condition.key));
    const closed: IssueChange[] = [];
    for (const alert of existing) {
        if (current.has(alert.key) || !stacks.includes(alert.stack)) continue;
        await client.rest.issues.createComment({ ...repository, issue_number: alert.number,
            body: "Resolved: the scheduled maintenance run no longer finds this condition, so this issue is closed." });
        await client.rest.issues.update({ ...repository, issue_number: alert.number, state: "closed", state_reason: "completed" });
        closed.push({ key: alert.key, number: alert.number, title: alert.title });
    }
    return { opened, updated, closed, unchanged };
}

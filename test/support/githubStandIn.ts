/**
 * A stand-in of the part of GitHub's REST API that alerts use, for tests: repository issues (list with `state`,
 * `labels` and Link-header paging, create, update) and issue comments, with GitHub's shapes and status codes
 * (REST docs, "Issues" and "Issue comments"; pagination: "Using pagination in the REST API"). It records every call,
 * refuses any token but its own (401 "Bad credentials"), and can answer the first N writes with a secondary rate
 * limit (403 with retry-after, REST docs "Rate limits for the REST API") to prove that the client waits them out.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInIssue {
    number: number;
    title: string;
    body: string;
    state: "open" | "closed";
    state_reason: string | null;
    labels: string[];
    assignees: string[];
    comments: string[];
}

export interface RecordedCall {
    readonly method: string;
    readonly path: string;
    readonly status: number;
}

export class GitHubStandIn {
    readonly issues: StandInIssue[] = [];
    readonly calls: RecordedCall[] = [];
    /** Writes still to be refused with a secondary rate limit. */
    secondaryRateLimits = 0;
    private server: Server | undefined;
    private next = 1;

    constructor(readonly token: string, readonly owner = "contoso", readonly repo = "app-identities") {}

    get url(): string {
        return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    }

    /** The calls since `mark` (an index into `calls`), as `METHOD path status`, for exact comparison. */
    callsSince(mark: number): string[] {
        return this.calls.slice(mark).map((call) => `${call.method} ${call.path} ${call.status}`);
    }

    async start(): Promise<this> {
        this.server = createServer((request, response) => void this.handle(request, response));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        return this;
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    }

    private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
        const url = new URL(request.url ?? "/", "http://stand-in");
        const text = await new Promise<string>((resolve) => {
            let data = "";
            request.on("data", (chunk: Buffer) => { data += chunk.toString("utf8"); });
            request.on("end", () => resolve(data));
        });
        const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
            this.calls.push({ method: request.method ?? "", path: url.pathname + (url.search === "" ? "" : url.search), status });
            response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
            response.end(body === undefined ? "" : JSON.stringify(body));
        };
        const auth = request.headers.authorization ?? "";
        if (auth !== `token ${this.token}` && auth !== `bearer ${this.token}` && auth !== `Bearer ${this.token}`) {
            answer(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
            return;
        }
        const base = `/repos/${this.owner}/${this.repo}/issues`;
        const write = request.method !== "GET";
        if (write && this.secondaryRateLimits > 0) {
            this.secondaryRateLimits -= 1;
            answer(403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits", status: "403" },
            { "retry-after": "1" });
            return;
        }
        const body = text === "" ? {} : JSON.parse(text) as Record<string, unknown>;
        const bodyText = typeof body["body"] === "string" ? body["body"] : "";
        if (request.method === "GET" && url.pathname === base) {
            const state = url.searchParams.get("state") ?? "open";
            const labels = (url.searchParams.get("labels") ?? "").split(",").filter((label) => label !== "");
            const perPage = Number(url.searchParams.get("per_page") ?? "30");
            const page = Number(url.searchParams.get("page") ?? "1");
            const matching = this.issues.filter((issue) => (state === "all" || issue.state === state) &&
                labels.every((label) => issue.labels.includes(label))).sort((a, b) => b.number - a.number);
            const pageItems = matching.slice((page - 1) * perPage, page * perPage);
            const headers: Record<string, string> = {};
            if (page * perPage < matching.length) {
                const nextUrl = new URL(url.toString());
                nextUrl.searchParams.set("page", String(page + 1));
                headers["link"] = `<${this.url}${nextUrl.pathname}${nextUrl.search}>; rel="next"`;
            }
            answer(200, pageItems.map((issue) => this.shape(issue)), headers);
            return;
        }
        if (request.method === "POST" && url.pathname === base) {
            if (typeof body["title"] !== "string" || body["title"] === "") {
                answer(422, { message: "Validation Failed", errors: [{ resource: "Issue", code: "missing_field", field: "title" }], status: "422" });
                return;
            }
            const issue: StandInIssue = { number: this.next++, title: body["title"], body: bodyText, state: "open",
                state_reason: null, labels: (body["labels"] as string[] | undefined) ?? [], assignees: (body["assignees"] as string[] | undefined) ?? [],
                comments: [] };
            this.issues.push(issue);
            answer(201, this.shape(issue));
            return;
        }
        const match = new RegExp(`^${base}/(\\d+)(/comments)?$`).exec(url.pathname);
        const issue = match === null ? undefined : this.issues.find((candidate) => candidate.number === Number(match[1]));
        if (issue === undefined) {
            answer(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
            return;
        }
        if (request.method === "PATCH" && match![2] === undefined) {
            if (typeof body["title"] === "string") issue.title = body["title"];
            if (typeof body["body"] === "string") issue.body = body["body"];
            if (body["state"] === "open" || body["state"] === "closed") issue.state = body["state"];
            if (typeof body["state_reason"] === "string") issue.state_reason = body["state_reason"];
            answer(200, this.shape(issue));
            return;
        }
        if (request.method === "POST" && match![2] !== undefined) {
            issue.comments.push(bodyText);
            answer(201, { id: issue.comments.length, body: body["body"] });
            return;
        }
        answer(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
    }

    private shape(issue: StandInIssue): Record<string, unknown> {
        return {
            number: issue.number, title: issue.title, body: issue.body, state: issue.state, state_reason: issue.state_reason,
            labels: issue.labels.map((name) => ({ name })), assignees: issue.assignees.map((login) => ({ login })),
            html_url: `https://github.com/${this.owner}/${this.repo}/issues/${issue.number}`,
        };
    }
}

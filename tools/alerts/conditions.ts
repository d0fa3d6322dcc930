/**
 * What needs a person, per identity, from what a maintenance run of a stack learned (tools/alerts/report.ts): each
 * condition has a stable key, so the same condition on the next day updates its alert instead of raising another,
 * and a condition that is gone closes it. Every condition says what to do and by when, with the exact commands; the
 * texts hold dates, never a count of days left, so that an alert changes only when its facts do.
 */
import type { ExpiryReport, SecretExpiry } from "../expiry/command";
import type { MaintenanceReport } from "./report";

export type ConditionKind = "certificate-due" | "credential-ending" | "missed-rotation" | "move-servers" | "drift" |
    "maintenance-failed" | "undeclared";

export interface Condition {
    /** `<stack>/<identity>/<kind>`: what finds the alert again on the next run. */
    readonly key: string;
    readonly stack: string;
    readonly identity: string;
    readonly kind: ConditionKind;
    readonly title: string;
    /** `YYYY-MM-DD` by which to act, where there is one. */
    readonly actBy?: string;
    /** Markdown: what happened, what to do, the commands. */
    readonly body: string;
    /**
     * The maintenance run whose log shows it, where the log is the evidence (drift, a failed update). Not part of the
     * body: a condition that lasts links the run that first found it, so that its alert does not change every day.
     */
    readonly runUrl?: string;
}

export interface ConditionOptions {
    /** Days before a certificate is due at which to alert its owners: making a key pair takes a person on the server. */
    readonly certificateLeadDays: number;
    /** Days before the previous secret ends at which servers still on it must move (npm run expiry's --warn-days). */
    readonly moveServersDays: number;
}

const day = (rfc3339: string) => rfc3339.slice(0, 10);

/** The conditions of one stack's maintenance run, in a stable order (by identity, then kind). */
export function conditionsOf(report: MaintenanceReport, options: ConditionOptions): Condition[] {
    const { stack } = report;
    const make = (identity: string, kind: ConditionKind, title: string, lines: readonly string[], actBy?: string): Condition =>
        ({ key: `${stack}/${identity}/${kind}`, stack, identity, kind, title, ...(actBy === undefined ? {} : { actBy }), body: lines.join("\n") });
    const withRun = (condition: Condition): Condition => (report.runUrl === undefined ? condition : { ...condition, runUrl: report.runUrl });
    const conditions: Condition[] = [];
    const stackIdentity = report.identity;

    if (report.drift) {
        conditions.push(withRun(make(stackIdentity, "drift", `${stack}: the identity differs from its stack (drift)`, [
            `The daily \`pulumi refresh --preview-only --expect-no-changes\` of stack \`${stack}\` failed: the identity was changed`,
            "outside Pulumi (a secret, owner or role assignment added or removed by hand), or the refresh itself failed. The",
            "rotation did not run.",
            "",
            "Review the refresh in the run's log, then either undo the change by hand or take it into the stack:",
            "```sh",
            `pulumi refresh --stack ${stack}`,
            `pulumi up --stack ${stack}`,
            "```",
        ])));
    } else if (report.update === "failed") {
        conditions.push(withRun(make(stackIdentity, "maintenance-failed", `${stack}: the daily maintenance failed`, [
            `The daily \`pulumi up\` of stack \`${stack}\` failed, so a rotation that came due may not have run.`,
            "",
            "Read the error in the run's log, fix its cause, then run it again:",
            "```sh",
            `pulumi up --stack ${stack}`,
            "```",
        ])));
    }
    if (report.expiry !== undefined) conditions.push(...expiryConditions(report.expiry, stack, options, make));
    for (const [identity, findings] of groupBy(report.undeclared ?? [], (finding) => finding.identity)) {
        conditions.push(make(identity, "undeclared", `${identity}: ${findings.length} finding${findings.length === 1 ? "" : "s"} of the audit ` +
            "(credentials, owners or roles the stack does not declare, or has lost)", [
            `\`npm run audit -- --stack ${stack}\` found in Entra or Azure what stack \`${stack}\` does not declare, or no longer`,
            "what it does. Whoever holds an undeclared credential can sign in as the app. Find out who made each, then remove",
            "it (or declare it); restore what is missing:",
            "",
            ...findings.map((finding) => `- ${finding.description}\n  \`${finding.command}\``),
        ]));
    }
    return conditions.sort((a, b) => a.identity.localeCompare(b.identity) || a.kind.localeCompare(b.kind));
}

type Make = (identity: string, kind: ConditionKind, title: string, lines: readonly string[], actBy?: string) => Condition;

function expiryConditions(expiry: ExpiryReport, stack: string, options: ConditionOptions, make: Make): Condition[] {
    const conditions: Condition[] = [];
    for (const due of expiry.due ?? []) {
        if (due.daysLeft > options.certificateLeadDays) continue;
        conditions.push(make(due.identity, "certificate-due", `${due.identity}: the next certificate is due ${due.dueAt}`, [
            due.daysLeft < 0
                ? `The next certificate of \`${due.identity}\` was due ${due.dueAt}; until it is committed, \`pulumi up\` refuses the stack.`
                : `The next certificate of \`${due.identity}\` is due ${due.dueAt}.`,
            "Make its key pair on the server that uses it (the private key never leaves it), then commit the public",
            "certificate it prints in a pull request before that day (docs/certificates.md, \"Before each rotation\"):",
            "```sh",
            `sudo npm run certificate -- new --stack ${stack} --out /etc/${appDirectory(stack)} --owner <the service's user>`,
            "```",
        ], due.dueAt));
    }
    for (const [identity, secrets] of groupBy(expiry.secrets, (secret) => secret.identity)) {
        const expired = secrets.filter((secret) => secret.state === "expired");
        const ending = secrets.filter((secret) => secret.state === "fail" || secret.state === "warn");
        const previous = secrets.filter((secret) => secret.state === "previous" && secret.daysLeft <= options.moveServersDays);
        if (expired.length > 0) {
            conditions.push(make(identity, "missed-rotation", `${identity}: ${describe(expired[0]!)} expired`, [
                `${capitalised(describe(expired[0]!))} \`${expired[0]!.name}\` expired on ${day(expired[0]!.endDate)}: a rotation was missed.`,
                "Run the rotation now, then write each server's env file again:",
                "```sh",
                `pulumi up --stack ${stack}`,
                `npm run env-file -- --stack ${stack} --out <the server's env file>`,
                "```",
            ]));
        }
        for (const secret of ending) {
            conditions.push(make(identity, "credential-ending", `${identity}: the newest ${describe(secret)} ends ${day(secret.endDate)}`, [
                `The newest ${describe(secret)} of \`${identity}\`, \`${secret.name}\`, ends on ${day(secret.endDate)},`,
                "and no newer one has been made: the scheduled rotation has not run.",
                "```sh",
                `pulumi up --stack ${stack}`,
                "```",
            ], day(secret.endDate)));
        }
        for (const secret of previous) {
            conditions.push(make(identity, "move-servers", `${identity}: move the servers off ${secret.name} by ${day(secret.endDate)}`, [
                `\`${secret.name}\`, the previous ${describe(secret)} of \`${identity}\`, ends on ${day(secret.endDate)}.`,
                "Any server still signing in with it stops working then. Write each server's env file again from the",
                "stack and restart its service before that day:",
                "```sh",
                `npm run env-file -- --stack ${stack} --out <the server's env file>`,
                "```",
            ], day(secret.endDate)));
        }
    }
    return conditions;
}

function describe(secret: SecretExpiry): string {
    return secret.credential === "certificate" ? "certificate" : "client secret";
}

function capitalised(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The server directory the docs use for an app: /etc/<appName>, the stack's name less its environment. */
function appDirectory(stack: string): string {
    return stack.replace(/-[^-]+$/, "");
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
    return groups;
}

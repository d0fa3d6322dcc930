/**
 * Who learns when an identity needs a person (npm run alerts, in the scheduled maintenance workflow): per app, once
 * for every stack of the app in Pulumi.yaml's `alerts` (a map of app names), which a stack file may set for itself.
 * No resource comes of it; the program only checks it, so that a typo is refused on the day it is made, not on the
 * day an alert cannot reach anyone.
 *
 * - `github`: GitHub users (assigned to the issue) and teams as `org/team-slug` (mentioned: an issue takes no team
 *   as assignee). A user name is 1-39 alphanumerics or single hyphens, neither first nor last (GitHub's sign-up
 *   rule, "Username may only contain alphanumeric characters or single hyphens, and cannot begin or end with a
 *   hyphen"); a team slug is lowercase letters, digits, '-' and '_' (GitHub REST "Teams": slug).
 * - `webhook`: `{env, format}`, the name of the environment variable that holds an incoming webhook's URL (a secret:
 *   whoever has it can post, so it lives in the workflow's secrets, never in a stack file) and its shape, `slack` or
 *   `teams`.
 * - `certificateLeadDays`: how long before a certificate is due its owners hear of it (30 by default; making the
 *   key pair takes a person on the server).
 */
import { z } from "zod";

export interface AlertsConfig {
    readonly users: readonly string[];
    readonly teams: readonly string[];
    readonly webhook?: { readonly env: string; readonly format: "slack" | "teams" };
    readonly certificateLeadDays: number;
}

export const CERTIFICATE_LEAD_DAYS = { min: 1, max: 365, default: 30 } as const;
const USER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const TEAM = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/[a-z0-9][a-z0-9_-]*$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

const OWNER_ALLOWED = "expected a GitHub user name (1-39 letters, digits or single hyphens, not first or last) or a team as " +
    "org/team-slug";
const LEAD_ALLOWED = `expected a whole number of days from ${CERTIFICATE_LEAD_DAYS.min} to ${CERTIFICATE_LEAD_DAYS.max}`;

export const appAlertsSchema = z.strictObject({
    github: z.array(z.string({ error: OWNER_ALLOWED }).refine((name) => USER.test(name) || TEAM.test(name), { error: OWNER_ALLOWED }),
        { error: "expected a list of GitHub users and org/team-slug teams" }).min(1, { error: "expected at least one GitHub user or team" }),
    webhook: z.strictObject({
        env: z.string({ error: "expected the name of the environment variable holding the webhook's URL, such as INVENTORY_ALERTS_WEBHOOK" })
            .regex(ENV_NAME, { error: "expected the name of the environment variable holding the webhook's URL, such as INVENTORY_ALERTS_WEBHOOK" }),
        format: z.enum(["slack", "teams"], { error: "expected slack or teams" }),
    }, { error: "expected {env, format}: the variable holding an incoming webhook's URL, and slack or teams" }).optional(),
    certificateLeadDays: z.int({ error: LEAD_ALLOWED }).min(CERTIFICATE_LEAD_DAYS.min, { error: LEAD_ALLOWED })
        .max(CERTIFICATE_LEAD_DAYS.max, { error: LEAD_ALLOWED }).default(CERTIFICATE_LEAD_DAYS.default),
});

export const alertsSchema = z.record(z.string(), appAlertsSchema,
    { error: "expected a map of app names to {github, webhook, certificateLeadDays}, such as {inventory-api: {github: [alice]}}" });

/** The app's entry, with its owners split into users and teams; undefined when the app names no one. */
export function alertsOf(alerts: Readonly<Record<string, z.output<typeof appAlertsSchema>>>, appName: string): AlertsConfig | undefined {
    const entry = alerts[appName];
    if (entry === undefined) return undefined;
    return {
        users: entry.github.filter((name) => !name.includes("/")),
        teams: entry.github.filter((name) => name.includes("/")),
        ...(entry.webhook === undefined ? {} : { webhook: entry.webhook }),
        certificateLeadDays: entry.certificateLeadDays,
    };
}

export function alertsKeysAllowed(path: readonly PropertyKey[]): string {
    return path.length >= 3 && path[2] === "webhook" ? "expected the keys env and format"
        : "expected one of the keys: github, webhook, certificateLeadDays";
}

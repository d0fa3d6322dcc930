/**
 * Issue 29: the `alerts` key (infra/alertsConfig.ts), who hears of what needs a person, per app: checked with the
 * stack's config, each problem named with the stack file, the key as written, the value and what is allowed.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../infra/config";
import { configProblems, exampleConfig, flatConfig, PROJECT } from "./harness";

const FILE = "stacks/Pulumi.inventory-api-dev.yaml";

const problems = configProblems;

describe("alerts: who hears of what needs a person", () => {
    it("the app's entry, users and teams apart, the lead days defaulted; other apps' entries are checked, not used", () => {
        const config = parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(exampleConfig({ environment: "dev", alerts: {
            "inventory-api": { github: ["alice", "contoso/inventory-team"], webhook: { env: "INVENTORY_ALERTS_WEBHOOK", format: "teams" } },
            billing: { github: ["bob"], certificateLeadDays: 60 },
        } })));
        expect(config.alerts).toEqual({ users: ["alice"], teams: ["contoso/inventory-team"],
            webhook: { env: "INVENTORY_ALERTS_WEBHOOK", format: "teams" }, certificateLeadDays: 30 });
    });

    it("no entry for the app: no one named", () => {
        expect(parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(exampleConfig({ environment: "dev", alerts: { billing: { github: ["bob"] } } }))).alerts)
            .toBeUndefined();
    });

    it.each([
        ["a user name GitHub would refuse", { "inventory-api": { github: ["-alice"] } },
            `${FILE}: app-identity:alerts.inventory-api.github[0] is "-alice"; expected a GitHub user name (1-39 letters, digits ` +
            "or single hyphens, not first or last) or a team as org/team-slug"],
        ["an empty list", { "inventory-api": { github: [] } },
            `${FILE}: app-identity:alerts.inventory-api.github is []; expected at least one GitHub user or team`],
        ["a webhook URL written into the stack file", { "inventory-api": { github: ["alice"], webhook: { env: "https://hooks.slack.com/services/T0/B0/x", format: "slack" } } },
            `${FILE}: app-identity:alerts.inventory-api.webhook.env is "https://hooks.slack.com/services/T0/B0/x"; expected the name of the ` +
            "environment variable holding the webhook's URL, such as INVENTORY_ALERTS_WEBHOOK"],
        ["an unknown webhook format", { "inventory-api": { github: ["alice"], webhook: { env: "HOOK", format: "discord" } } },
            `${FILE}: app-identity:alerts.inventory-api.webhook.format is "discord"; expected slack or teams`],
        ["lead days past a year", { "inventory-api": { github: ["alice"], certificateLeadDays: 400 } },
            `${FILE}: app-identity:alerts.inventory-api.certificateLeadDays is 400; expected a whole number of days from 1 to 365`],
        ["an unknown key", { "inventory-api": { github: ["alice"], email: "ops@contoso.com" } },
            `${FILE}: app-identity:alerts.inventory-api.email is "ops@contoso.com"; expected one of the keys: github, webhook, certificateLeadDays`],
    ])("refuses %s", (_case, alerts, message) => {
        expect(problems(exampleConfig({ environment: "dev", alerts }))).toEqual([message]);
    });
});

/**
 * Alerts for teams that do not live in GitHub: one JSON POST per newly opened or updated alert to an incoming
 * webhook, in the shape the webhook's service takes:
 * - Slack: `{"text": ...}` in Slack's mrkdwn (Slack API docs, "Sending messages using incoming webhooks");
 * - Teams: a message with one Adaptive Card attachment (`{"type": "message", "attachments": [{"contentType":
 *   "application/vnd.microsoft.card.adaptive", "content": {...}}]}`), which both Teams' Workflows webhooks ("Send
 *   webhook alerts to a channel", the replacement for Office 365 connectors, retired in 2026) and the legacy
 *   Incoming Webhook connector accept (Microsoft Learn, "Create Incoming Webhooks": "Send Adaptive Cards using an
 *   Incoming Webhook").
 * The URL is a secret (whoever holds it can post): it comes from an environment variable and is never printed.
 */
import type { Condition } from "./conditions";

export type WebhookFormat = "slack" | "teams";

export function webhookPayload(format: WebhookFormat, condition: Condition, issueUrl: string | undefined): unknown {
    const actBy = condition.actBy === undefined ? "" : ` Act by ${condition.actBy}.`;
    const link = issueUrl === undefined ? "" : ` ${issueUrl}`;
    if (format === "slack") return { text: `*${condition.title}*${actBy}${link === "" ? "" : `\n<${issueUrl}|The GitHub issue>`}` };
    return {
        type: "message",
        attachments: [{
            contentType: "application/vnd.microsoft.card.adaptive",
            contentUrl: null,
            content: {
                $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
                type: "AdaptiveCard",
                version: "1.4",
                body: [
                    { type: "TextBlock", text: condition.title, weight: "Bolder", wrap: true },
                    ...(actBy === "" ? [] : [{ type: "TextBlock", text: actBy.trim(), wrap: true }]),
                ],
                ...(issueUrl === undefined ? {} : { actions: [{ type: "Action.OpenUrl", title: "The GitHub issue", url: issueUrl }] }),
            },
        }],
    };
}

export class WebhookError extends Error {}

/** Posts `payload`; a refusal is an error that names the variable, never the URL. */
export async function postWebhook(url: string, variable: string, payload: unknown): Promise<void> {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
    if (!response.ok) throw new WebhookError(`the webhook in ${variable} answered ${response.status}`);
}

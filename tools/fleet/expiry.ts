/**
 * `fleet expiry`: each stack's credentials as `npm run expiry -- --stack S` judges them (the same functions), read
 * with `pulumi stack output --json` and no `--show-secrets`: names and end dates only, never a secret value.
 */
import { expiryReportOf, type Thresholds } from "../expiry/command";
import { readStackOutputs } from "../stacks/stackOutputs";
import type { Operation } from "./runner";

export interface ExpiryOptions extends Thresholds {
    readonly at: Date;
}

export function expiryOperation(options: ExpiryOptions): Operation {
    return async (stack, _worker, progress) => {
        progress.step("reading the stack's outputs");
        const outputs = await readStackOutputs({ stack: stack.stack }, { showSecrets: false });
        const report = expiryReportOf(outputs, `stack ${stack.stack}`, options.at, options);
        if (report.note !== undefined) {
            return { detail: outputs["credential"] === "federated" ? "no stored credential (federated)" : "no credential (managed identity)" };
        }
        if (!report.ok) throw new Error(report.warnings[0] ?? "a credential has expired or is within --fail-days");
        const newest = report.secrets.filter((secret) => secret.newest).map((secret) => secret.daysLeft);
        const soonest = newest.length === 0 ? undefined : Math.min(...newest);
        const warned = report.warnings.length > 0 ? `; warning: ${report.warnings[0]}` : "";
        return { detail: soonest === undefined ? `no secret${warned}` : `newest ends in ${soonest} days${warned}` };
    };
}

/**
 * `npm run expiry -- (--stack NAME | --from FILE|-) [--warn-days 90] [--fail-days 30] [--at DATE] [--format table|json]
 * [--json-file PATH]`
 *
 * Reads a stack's outputs and says how long each client secret has left. Exit 1 when the newest secret is expired
 * or within --fail-days, or when any secret has expired (a rotation was missed); 0 otherwise; 2 when the outputs
 * cannot be had or the call is wrong. It reads only names and dates: it never asks for or prints a secret value.
 */
import { parseArgs } from "node:util";
import { daysBetween, toDay, toRfc3339 } from "../../infra/months";
import { describeSource, OUTPUTS_SOURCE_OPTIONS, outputsSourceFrom, parseDateArgument, parseDaysArgument, runCommand, UsageError } from "../../common/cliArgs";
import { OutputsError, readStackOutputs } from "../stacks/stackOutputs";
import { writeFileAtomically } from "../../common/atomicWrite";

export type SecretState = "ok" | "warn" | "fail" | "expired" | "previous";

export interface SecretExpiry {
    /** Set for a certificate (an identity with `credential: certificate`); a client secret otherwise. */
    readonly credential?: "certificate";
    /** The identity the secret belongs to: the stack's, or a developer's in a local-development stack. */
    readonly identity: string;
    readonly name: string;
    readonly endDate: string;
    readonly daysLeft: number;
    readonly newest: boolean;
    readonly state: SecretState;
}

export interface ExpiryReport {
    readonly at: string;
    readonly ok: boolean;
    readonly secrets: readonly SecretExpiry[];
    readonly warnings: readonly string[];
    /** Said instead of a table when the stack has no client secret at all (a managed identity's). */
    readonly note?: string;
    /** When each identity with certificates needs its next one committed; only when the stack has such identities. */
    readonly due?: readonly CertificateDue[];
}

export interface CertificateDue {
    readonly identity: string;
    /** `YYYY-MM-DD`: the next rotation, for which a certificate must be made and committed by then. */
    readonly dueAt: string;
    readonly daysLeft: number;
}

export interface Thresholds {
    readonly warnDays: number;
    readonly failDays: number;
}

export interface SecretDates {
    readonly credential?: "certificate";
    readonly identity: string;
    readonly name: string;
    readonly endDate: Date;
}

/**
 * The `secrets` outputs: one entry per slot with its name and end date, for the stack's identity or for each
 * developer's (`developers.<name>.secrets`) in a local-development stack.
 */
export function secretsFromOutputs(outputs: Record<string, unknown>, origin: string): SecretDates[] {
    const shapeError = () => new OutputsError(`the outputs of ${origin} have no 'secrets' list of {name, startDate, ` +
        "endDate}; deploy the stack with this version of the program (pulumi up) first");
    // An identity moving to certificates (keepSecretsUntilSwitched) has both: each is listed, and judged on its own.
    const identities: [string, unknown, boolean][] = identityOutputsOf(outputs).flatMap(([identity, entry]) =>
        entry["credential"] !== "certificate" ? [[identity, entry["secrets"], false] as [string, unknown, boolean]]
            : [[identity, entry["certificates"], true] as [string, unknown, boolean],
                ...(entry["secrets"] === undefined ? [] : [[identity, entry["secrets"], false] as [string, unknown, boolean]])]);
    return identities.flatMap(([identity, secrets, certificate]) => {
        if (!Array.isArray(secrets) || secrets.length === 0) throw shapeError();
        return secrets.map((entry: unknown) => {
            const { name, endDate } = (entry ?? {}) as { name?: unknown; endDate?: unknown };
            if (typeof name !== "string" || typeof endDate !== "string" || Number.isNaN(Date.parse(endDate))) {
                throw shapeError();
            }
            return { ...(certificate ? { credential: "certificate" as const } : {}), identity, name, endDate: new Date(endDate) };
        });
    });
}

/**
 * A stack whose app runs under a managed identity alone (infra/managedIdentity.ts) has no secret: say so plainly,
 * rather than fail for want of a `secrets` list. Undefined for any stack with secrets (a migration's included).
 */
export function noCredentialNote(outputs: Record<string, unknown>): string | undefined {
    // A federated identity (infra/federated.ts) signs in with its issuer's short-lived tokens: nothing stored expires.
    if (outputs["credential"] === "federated" && outputs["secrets"] === undefined) {
        const name = typeof outputs["displayName"] === "string" ? outputs["displayName"] : "the stack";
        const subjects = Array.isArray(outputs["federatedCredentials"])
            ? outputs["federatedCredentials"].map((entry) => String((entry as Record<string, unknown>)["subject"])).join(", ") : "";
        return `${name} has no client secret or certificate: it signs in with federated credentials (${subjects}), ` +
            "whose tokens its issuer makes and renews; nothing to expire or rotate";
    }
    const managed = outputs["managedIdentity"];
    if (outputs["secrets"] !== undefined || managed === null || typeof managed !== "object") return undefined;
    const { kind, principalId } = managed as Record<string, unknown>;
    const name = typeof outputs["displayName"] === "string" ? outputs["displayName"] : "the stack";
    return `${name} has no client secret: it runs under a managed identity (${String(kind)}, principal ` +
        `${String(principalId)}) whose credential the platform holds; nothing to expire or rotate`;
}

/** Each identity's outputs, by name: the stack's one, or each developer's. */
function identityOutputsOf(outputs: Record<string, unknown>): [string, Record<string, unknown>][] {
    const developers = outputs["developers"];
    return developers !== null && typeof developers === "object"
        ? Object.entries(developers).map(([name, entry]) => [name, (entry ?? {}) as Record<string, unknown>])
        : [[typeof outputs["displayName"] === "string" ? outputs["displayName"] : "stack", outputs]];
}

/** The next certificate each identity with certificates needs (`certificateDueAt`), as of `at`. */
export function certificatesDue(outputs: Record<string, unknown>, at: Date): CertificateDue[] {
    return identityOutputsOf(outputs)
        .filter(([, entry]) => entry["credential"] === "certificate" && typeof entry["certificateDueAt"] === "string")
        .map(([identity, entry]) => {
            const dueAt = String(entry["certificateDueAt"]);
            return { identity, dueAt, daysLeft: daysBetween(at, new Date(`${dueAt}T00:00:00Z`)) };
        });
}

export function assessExpiry(secrets: readonly SecretDates[], at: Date, thresholds: Thresholds): ExpiryReport {
    // The newest of each identity's kind: while an identity keeps its secrets beside its certificates, each kind
    // has a newest that servers may be using.
    const kindOf = (secret: SecretDates) => `${secret.identity}\n${secret.credential ?? "secret"}`;
    const newestEnd = new Map<string, number>();
    for (const secret of secrets) newestEnd.set(kindOf(secret), Math.max(newestEnd.get(kindOf(secret)) ?? -Infinity, secret.endDate.getTime()));
    const identityOrder = [...new Set(secrets.map((secret) => secret.identity))];
    const warnings: string[] = [];
    const assessed = [...secrets]
        .sort((a, b) => identityOrder.indexOf(a.identity) - identityOrder.indexOf(b.identity) ||
            b.endDate.getTime() - a.endDate.getTime())
        .map((secret): SecretExpiry => {
            const newest = secret.endDate.getTime() === newestEnd.get(kindOf(secret));
            const what = secret.credential === "certificate" ? "certificate" : "client secret";
            const fix = secret.credential === "certificate"
                ? "commit the certificate that is due (npm run certificate -- new) and run pulumi up" : "run pulumi up";
            const daysLeft = daysBetween(at, secret.endDate);
            const expired = secret.endDate.getTime() <= at.getTime();
            let state: SecretState;
            if (expired) {
                state = "expired";
                warnings.push(newest
                    ? `${secret.name}, the newest ${what}, expired on ${toDay(secret.endDate)}: ${fix} now`
                    : `${secret.name} expired on ${toDay(secret.endDate)}: a rotation was missed; ${fix}`);
            } else if (!newest) {
                // The previous secret retires at the next rotation by design: its end date is no cause for alarm.
                state = "previous";
            } else if (daysLeft <= thresholds.failDays) {
                state = "fail";
                warnings.push(`${secret.name}, the newest ${what}, ends in ${daysLeft} days ` +
                    `(within --fail-days ${thresholds.failDays}): a rotation is overdue; ${fix}`);
            } else if (daysLeft <= thresholds.warnDays) {
                state = "warn";
                warnings.push(`${secret.name}, the newest ${what}, ends in ${daysLeft} days ` +
                    `(within --warn-days ${thresholds.warnDays})`);
            } else {
                state = "ok";
            }
            return { ...(secret.credential === undefined ? {} : { credential: secret.credential }), identity: secret.identity,
                name: secret.name, endDate: toRfc3339(secret.endDate), daysLeft, newest, state };
        });
    const ok = assessed.every((secret) => secret.state !== "expired" && secret.state !== "fail");
    return { at: at.toISOString(), ok, secrets: assessed, warnings };
}

/**
 * A certificate is made by hand: say when the next is due, and warn within --warn-days of it (after the due day the
 * deploy refuses to go on until it is committed, and the newest certificate then ends within half a lifetime).
 */
export function withCertificatesDue(report: ExpiryReport, due: readonly CertificateDue[], thresholds: Thresholds): ExpiryReport {
    if (due.length === 0) return report;
    const warnings = due.filter((entry) => entry.daysLeft <= thresholds.warnDays).map((entry) => entry.daysLeft < 0
        ? `the next certificate of ${entry.identity} was due ${entry.dueAt} (${-entry.daysLeft} days ago): until it is ` +
            "committed, pulumi up refuses the stack; make it on the server with npm run certificate -- new"
        : `the next certificate of ${entry.identity} is due ${entry.dueAt} (in ${entry.daysLeft} days): make it on the server ` +
            "with npm run certificate -- new and commit it before then");
    return { ...report, warnings: [...report.warnings, ...warnings], due };
}

/** A stack's outputs judged as of `at`: its secrets and certificates, or the note of a stack that has none. */
export function expiryReportOf(outputs: Record<string, unknown>, origin: string, at: Date, thresholds: Thresholds): ExpiryReport {
    const note = noCredentialNote(outputs);
    if (note !== undefined) return { at: at.toISOString(), ok: true, secrets: [], warnings: [], note };
    return withCertificatesDue(assessExpiry(secretsFromOutputs(outputs, origin), at, thresholds), certificatesDue(outputs, at), thresholds);
}

export function renderExpiryTable(report: ExpiryReport, origin: string): string {
    if (report.note !== undefined) return `Client secrets of ${origin} at ${report.at.slice(0, 10)}: ok\n  ${report.note}`;
    const dueLines = (report.due ?? []).map((due) => `  next certificate of ${due.identity} due ${due.dueAt} (${due.daysLeft} days)`);
    const rows = report.secrets.map((secret) => [
        secret.name, secret.newest ? "newest" : "previous", `ends ${secret.endDate.slice(0, 10)}`,
        `${secret.daysLeft} days left`, secret.state === "previous" ? "ok" : secret.state.toUpperCase(),
    ]);
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    return [
        `${report.due === undefined ? "Client secrets" : "Credentials"} of ${origin} at ${report.at.slice(0, 10)}: ${report.ok ? "ok" : "FAILED"}`,
        ...rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()}`),
        ...dueLines,
        ...report.warnings.map((warning) => `warning: ${warning}`),
    ].join("\n");
}

export async function main(argv: readonly string[], now: () => Date = () => new Date()): Promise<number> {
    let source, thresholds: Thresholds, at: Date, format: string, jsonFile: string | undefined;
    try {
        const { values } = parseArgs({
            args: [...argv],
            options: {
                ...OUTPUTS_SOURCE_OPTIONS,
                "warn-days": { type: "string", default: "90" },
                "fail-days": { type: "string", default: "30" },
                at: { type: "string" },
                format: { type: "string", default: "table" },
                // The report as JSON in a file as well, for a caller that shows the table and keeps the data
                // (tools/ci/maintenance.sh for npm run alerts), without reading the outputs twice.
                "json-file": { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        });
        if (values.help) {
            console.log("usage: npm run expiry -- (--stack NAME | --from FILE|-) [--warn-days 90] [--fail-days 30] " +
                "[--at YYYY-MM-DD] [--format table|json] [--json-file PATH]");
            return 0;
        }
        source = outputsSourceFrom(values);
        thresholds = {
            warnDays: parseDaysArgument("--warn-days", values["warn-days"]),
            failDays: parseDaysArgument("--fail-days", values["fail-days"]),
        };
        if (thresholds.failDays > thresholds.warnDays) {
            throw new UsageError(`--fail-days ${thresholds.failDays} is more than --warn-days ${thresholds.warnDays}`);
        }
        at = values.at === undefined ? now() : parseDateArgument("--at", values.at);
        format = values.format;
        jsonFile = values["json-file"];
        if (format !== "table" && format !== "json") {
            throw new UsageError(`--format is ${JSON.stringify(format)}; expected table or json`);
        }
    } catch (error) {
        console.error(`expiry: ${(error as Error).message}`);
        return 2;
    }

    const origin = describeSource(source);
    let report: ExpiryReport;
    try {
        const outputs = await readStackOutputs(source, { showSecrets: false });
        report = expiryReportOf(outputs, origin, at, thresholds);
    } catch (error) {
        if (!(error instanceof OutputsError)) throw error;
        console.error(`expiry: ${error.message}`);
        return 2;
    }
    if (jsonFile !== undefined) await writeFileAtomically(jsonFile, `${JSON.stringify(report, null, 2)}\n`, 0o644);
    console.log(format === "json" ? JSON.stringify(report, null, 2) : renderExpiryTable(report, origin));
    return report.ok ? 0 : 1;
}

if (require.main === module) runCommand("expiry", main, 2);

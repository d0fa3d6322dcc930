/**
 * What one stack's maintenance run learned, as tools/ci/maintenance.sh leaves it in its reports directory:
 * `<stack>.json` (`{stack, drift, update, runUrl?}`, written by the script), `<stack>.expiry.json` (`npm run
 * expiry -- --format json`) and `<stack>.audit.json` (`npm run audit -- --format json`, tools/audit/render.ts).
 * Names, dates, IDs and outcomes only: nothing in them is a secret (Graph returns no credential's value).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ExpiryReport } from "../expiry/command";

export interface UndeclaredFinding {
    readonly identity: string;
    /** One line: what was found. */
    readonly description: string;
    /** The command that removes it (or adopts it into the stack). */
    readonly command: string;
}

export interface MaintenanceReport {
    readonly stack: string;
    /** The identity the stack-wide conditions (drift, a failed run) are about: the stack's own, named as the stack. */
    readonly identity: string;
    readonly drift: boolean;
    readonly update: "succeeded" | "failed" | "skipped";
    readonly runUrl?: string;
    readonly expiry?: ExpiryReport;
    readonly undeclared?: readonly UndeclaredFinding[];
}

export class ReportError extends Error {}

const runSchema = z.strictObject({
    stack: z.string().min(1),
    drift: z.boolean(),
    update: z.enum(["succeeded", "failed", "skipped"]),
    runUrl: z.string().optional(),
});

/** Every stack's report in `directory`, by stack name; a stack's expiry file is optional (the run may have failed first). */
export function readReports(directory: string): MaintenanceReport[] {
    if (!existsSync(directory)) throw new ReportError(`${directory} does not exist: expected the maintenance jobs' reports there`);
    return readdirSync(directory).filter((name) => name.endsWith(".json") && !name.endsWith(".expiry.json") && !name.endsWith(".audit.json")).sort()
        .map((name) => {
            const file = join(directory, name);
            const parsed = runSchema.safeParse(parseJson(file));
            if (!parsed.success) {
                const [issue] = parsed.error.issues;
                const key = issue!.path.join(".");
                throw new ReportError(`${file}: ${key === "" ? "the report" : key} is not as tools/ci/maintenance.sh writes it; expected ` +
                    "{stack, drift: true or false, update: succeeded, failed or skipped, runUrl}");
            }
            const run = parsed.data;
            if (name !== `${run.stack}.json`) throw new ReportError(`${file} is about stack ${run.stack}; expected ${run.stack}.json`);
            const expiryFile = join(directory, `${run.stack}.expiry.json`);
            const auditFile = join(directory, `${run.stack}.audit.json`);
            return {
                stack: run.stack, identity: run.stack, drift: run.drift, update: run.update,
                ...(run.runUrl === undefined ? {} : { runUrl: run.runUrl }),
                ...(existsSync(expiryFile) ? { expiry: parseJson(expiryFile) as ExpiryReport } : {}),
                ...(existsSync(auditFile) ? { undeclared: auditFindings(auditFile) } : {}),
            };
        });
}

const auditSchema = z.object({ findings: z.array(z.object({ identity: z.string(), status: z.enum(["undeclared", "missing", "pending"]),
    description: z.string(), command: z.string() })) });

/** The audit's findings, each a line for the alert: what is there that the stack does not declare, or gone that it does. */
function auditFindings(file: string): UndeclaredFinding[] {
    const parsed = auditSchema.safeParse(parseJson(file));
    if (!parsed.success) throw new ReportError(`${file} is not as npm run audit -- --format json writes it; expected {findings: [{identity, status, description, command}]}`);
    return parsed.data.findings.map((finding) => ({ identity: finding.identity,
        description: finding.status === "undeclared" ? finding.description : `${finding.status}: ${finding.description}`, command: finding.command }));
}

function parseJson(file: string): unknown {
    try {
        return JSON.parse(readFileSync(file, "utf8")) as unknown;
    } catch (error) {
        throw new ReportError(`${file} is not JSON: ${(error as Error).message}`);
    }
}

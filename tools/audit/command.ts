/**
 * `npm run audit -- --stack NAME [--format text|json] [--json-file PATH] [--fix --yes] [--root DIR]`
 *
 * What `pulumi refresh` cannot see: refresh reads only the resources the state names, so a client secret someone
 * added in the portal, the orphan of an interrupted `up`, an owner added by hand or a role assignment made outside
 * the stack are invisible to the drift check. The audit reads, as the deploying identity, every app and service
 * principal the stack's state declares (declared.ts, observed.ts) and lists what Entra and ARM hold beyond it, and
 * what the state declares that is gone (findings.ts), each with the command that removes or restores it.
 * `--fix --yes` removes the undeclared items (fix.ts) and repairs what an interrupted `pulumi up` left pending
 * (pending.ts: `pulumi refresh --clear-pending-creates`, then `pulumi import` of what Azure holds of each); nothing
 * is removed or repaired without both.
 *
 * Exit 0 when clean (or, with --fix, when everything undeclared was removed and nothing is missing), 1 when
 * anything is undeclared or missing, 2 when the call is wrong or the state, Entra or ARM cannot be read.
 */
import { parseArgs } from "node:util";
import { AtomicWriteError, writeFileAtomically } from "../../common/atomicWrite";
import { runCommand, UsageError } from "../../common/cliArgs";
import { deployerCredential } from "../azure/credential";
import { AzureReader, AzureRequestError } from "../azure/rest";
import { readFleet } from "../fleet/inventory";
import { PROJECT_ROOT, readProject, StackFileError } from "../stacks/stackFiles";
import { auditStack, cliStateExport, fleetResourceGroups, StateReadError, type StackAudit } from "./audit";
import { fixFindings, renderFixes, repairPending, type FixResult } from "./fix";
import { cliRepair } from "./pending";
import { renderJson, renderText } from "./render";

const USAGE = "usage: npm run audit -- --stack NAME [--format text|json] [--json-file PATH] [--fix --yes] [--root DIR]";

export interface AuditIo {
    readonly env: NodeJS.ProcessEnv;
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

interface AuditArguments {
    readonly stack: string;
    readonly format: "text" | "json";
    /** The report as JSON in a file as well (tools/ci/maintenance.sh keeps it for npm run alerts): one read, two forms. */
    readonly jsonFile?: string;
    readonly fix: boolean;
    readonly root: string;
}

export function parseAuditArguments(argv: readonly string[]): AuditArguments {
    const { values, positionals } = parseArgs({
        args: [...argv], allowPositionals: true,
        options: {
            stack: { type: "string" }, format: { type: "string", default: "text" }, fix: { type: "boolean", default: false },
            yes: { type: "boolean", default: false }, root: { type: "string" }, "json-file": { type: "string" },
        },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (values.stack === undefined) throw new UsageError("--stack is required");
    if (values.format !== "text" && values.format !== "json") throw new UsageError(`--format is ${JSON.stringify(values.format)}; expected text or json`);
    if (values.fix !== values.yes) {
        throw new UsageError(values.fix ? "--fix removes what the audit finds only with --yes as well; nothing was read or removed"
            : "--yes confirms --fix; without --fix there is nothing to confirm");
    }
    return { stack: values.stack, format: values.format, fix: values.fix, root: values.root ?? PROJECT_ROOT,
        ...(values["json-file"] === undefined ? {} : { jsonFile: values["json-file"] }) };
}

/** The text of an audit, and of its fixes when there were any. */
export function renderAudit(audit: StackAudit, format: "text" | "json", fixes?: readonly FixResult[]): string {
    const report = { stack: audit.stack, identities: audit.identities.map((identity) => identity.declared.identity),
        roleScopes: audit.roleScopes, findings: audit.findings };
    if (format === "json") {
        const json = JSON.parse(renderJson(report)) as Record<string, unknown>;
        if (fixes !== undefined) {
            json["fixed"] = fixes.map(({ finding, error }) => ({ kind: finding.kind, id: finding.id, identity: finding.identity,
                removed: error === undefined, ...(error === undefined ? {} : { error }) }));
        }
        return JSON.stringify(json, null, 2);
    }
    return [renderText(report), ...(fixes === undefined ? [] : renderFixes(fixes))].join("\n");
}

export async function main(argv: readonly string[], io: AuditIo = defaultIo()): Promise<number> {
    let args: AuditArguments;
    try {
        args = parseAuditArguments(argv);
    } catch (error) {
        if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") !== true) throw error;
        io.err(`audit: ${(error as Error).message}\n${USAGE}`);
        return 2;
    }
    try {
        const project = readProject(args.root);
        const fleet = readFleet(project);
        const stack = fleet.stacks.find((candidate) => candidate.stack === args.stack);
        if (stack === undefined) {
            throw new UsageError(`--stack ${JSON.stringify(args.stack)}: no stack file ${project.stackConfigDir}/Pulumi.${args.stack}.yaml; ` +
                `expected one of ${fleet.stacks.map((candidate) => candidate.stack).join(", ")}`);
        }
        if (stack.config === undefined) throw new UsageError(stack.problems[0] ?? `${stack.file} is refused`);
        const reader = new AzureReader(deployerCredential(io.env).credential);
        const audit = await auditStack(args.stack, reader, cliStateExport(project.root), stack.config.subscriptionId,
            fleetResourceGroups(fleet, stack.config.subscriptionId));
        if (!args.fix) {
            if (args.jsonFile !== undefined) await writeFileAtomically(args.jsonFile, `${renderAudit(audit, "json")}\n`, 0o644);
            io.out(renderAudit(audit, args.format));
            return audit.findings.length === 0 ? 0 : 1;
        }
        const fixes = [...await fixFindings(reader, audit.identities, audit.findings),
            ...await repairPending(audit, cliRepair(project.root, io.env))];
        if (args.jsonFile !== undefined) await writeFileAtomically(args.jsonFile, `${renderAudit(audit, "json", fixes)}\n`, 0o644);
        io.out(renderAudit(audit, args.format, fixes));
        const left = fixes.some((fix) => fix.error !== undefined) || audit.findings.some((finding) => finding.status === "missing");
        return left ? 1 : 0;
    } catch (error) {
        if (error instanceof UsageError || error instanceof StackFileError || error instanceof StateReadError || error instanceof AzureRequestError ||
            error instanceof AtomicWriteError) {
            io.err(`audit: ${error.message}`);
            return 2;
        }
        throw error;
    }
}

function defaultIo(): AuditIo {
    return { env: process.env, out: (text) => console.log(text), err: (text) => console.error(text) };
}

if (require.main === module) runCommand("audit", (argv) => main(argv), 2);

/**
 * `npm run revoke -- --stack NAME [--developer NAME] [--yes] [--print-commands]`
 *
 * Revokes an app identity at once, all or nothing: its app registration, service principal, client secrets and
 * role assignments are deleted with `pulumi destroy --target` on exactly their URNs, then created anew by
 * `pulumi up`. Deleting the old app ends every permission the leaked credential had, once it is deleted for good:
 * Entra keeps a deleted app restorable, credentials included, for 30 days, so revoke also removes the old app and
 * service principal from the directory's deleted items (purge.ts).
 *
 * Why not `pulumi up --target-replace`: a preview still calls the provider's Create, flagged as preview, and the
 * Terraform bridge computes the diff there (pulumi/pulumi-terraform-bridge pkg/tfbridge/provider.go, Create:
 * `p.tf.Diff` before `if !req.GetPreview()`), which runs azuread's duplicate-name check
 * (hashicorp/terraform-provider-azuread internal/services/applications/application_resource.go,
 * applicationResourceCustomizeDiff → tf.ImportAsDuplicateError): with `preventDuplicateNames` the replacement's
 * preview fails while the old app exists. A destroy's preview calls no Create (pulumi/pulumi
 * pkg/resource/deploy/step.go, DeleteStep.Apply does nothing under DryRun), so nothing checks names until the
 * `up`, after the old app is gone. Graph may still list a just-deleted app for a while: the `up` is retried with
 * backoff on that one error, and on no other.
 *
 * Protected resources (a production identity's app, service principal and role assignments) cannot be deleted
 * (step.go, deleteProtectedError, checked before the DryRun branch, so the destroy's preview refuses too):
 * exactly those the state marks protected are unprotected first, in one `pulumi state unprotect` (one state
 * edit: all of them or none, pulumi/pulumi pkg/cmd/pulumi/state/io.go TotalStateEdit). The `pulumi up` protects
 * what it creates again, from the program. If any step fails, every one of them still in the state is protected
 * again (one `pulumi state protect`, which refuses the whole edit if one URN is missing: state_protect.go), and
 * one line says what failed and what to run next.
 *
 * Without the Pulumi CLI it prints the exact commands to run where the CLI is.
 */
import runProgram from "../../infra";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { ConfigError, displayNamesOf, parseStackConfig } from "../../infra/config";
import { runCommand, UsageError } from "../../common/cliArgs";
import { evaluateStack } from "../offline/engine";
import { replaceMarkers } from "../offline/markers";
import { graphDeleter, purgeByHand, purgeDeleted, type DeleteOnce } from "./purge";
import { graphHeldCertificates, reusedKeys, type PlannedCertificate, type ReadHeldCertificates } from "./heldKeys";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CERTIFICATES_DIR } from "../../infra/certificates";
import { PROJECT_ROOT, readProject, readStackFile, StackFileError } from "../stacks/stackFiles";
import { shellLine } from "../../common/shellLine";

const USAGE = "usage: npm run revoke -- --stack NAME [--developer NAME] [--yes] [--print-commands]";
const APP_TYPE = "azuread:index/application:Application";
const SP_TYPE = "azuread:index/servicePrincipal:ServicePrincipal";
const CERTIFICATE_TYPE = "azuread:index/applicationCertificate:ApplicationCertificate";

/** How many times `pulumi up` runs, at most, while it fails only on the duplicate-name check. */
export const UP_ATTEMPTS = 5;
/** Seconds to wait before the second, third... attempt: about 4 minutes in all, time for Graph to forget the app. */
export const UP_BACKOFF_SECONDS: readonly number[] = [15, 30, 60, 120];

export interface IdentityResource {
    readonly urn: string;
    readonly type: string;
    /** Whether the program protects it (the state may say otherwise until the next `pulumi up`). */
    readonly protect: boolean;
    /**
     * URNs its aliases name: where a state not updated since a rename still holds it (role assignments,
     * infra/names.ts), until the next `pulumi up` moves it to `urn`.
     */
    readonly formerUrns: readonly string[];
}

export interface RevokePlan {
    readonly stack: string;
    readonly developer: string | undefined;
    readonly identity: string;
    /** The app registration's URN: a revoke of an identity the state does not hold is refused. */
    readonly app: string;
    /** Every resource of the identity (app, service principal, secrets, role assignments), sorted by URN. */
    readonly resources: readonly IdentityResource[];
    /** The committed certificates the `pulumi up` would register on the new app (credential: certificate). */
    readonly certificates: readonly PlannedCertificate[];
}

/** Work out, from the stack's config and the offline engine, exactly which URNs a revoke deletes and recreates. */
export async function planRevoke(root: string, stack: string, developer: string | undefined): Promise<RevokePlan> {
    const project = readProject(root);
    const file = readStackFile(project, stack);
    const config = parseStackConfig(project.name, stack, file.config);
    const names = displayNamesOf(config.appName, config.environment, config.developers);
    let identity: string;
    if (config.developers.length > 0) {
        if (developer === undefined) {
            throw new UsageError(`stack ${stack} has an identity per developer (${config.developers.join(", ")}): ` +
                "name one with --developer");
        }
        if (!config.developers.includes(developer)) {
            throw new UsageError(`stack ${stack} has no developer ${JSON.stringify(developer)}; its developers: ` +
                config.developers.join(", "));
        }
        identity = names[config.developers.indexOf(developer)]!;
    } else {
        if (developer !== undefined) throw new UsageError(`stack ${stack} has no developers; leave out --developer`);
        identity = names[0]!;
    }

    const evaluation = await evaluateStack({ program: runProgram, project: project.name, stack, config: file.config, secretKeys: file.secretKeys });
    if (!evaluation.ok) throw new UsageError(evaluation.errors.join("\n"));
    const component = evaluation.resources.find((resource) => !resource.custom && resource.name === identity);
    const resources = evaluation.resources
        .filter((resource) => component !== undefined && resource.parent === component.urn)
        .map(({ urn, type, protect, aliases }) => ({ urn, type, protect, formerUrns: aliases }))
        .sort((a, b) => (a.urn < b.urn ? -1 : 1));
    const app = resources.find((resource) => resource.type === APP_TYPE);
    if (app === undefined) throw new Error(`the program defines no app registration for ${identity}`);
    const certificates = evaluation.resources
        .filter((resource) => resource.type === CERTIFICATE_TYPE && resource.parent === component?.urn)
        // The SDK records `value` as a secret input (azuread's schema marks it so): its plain PEM, for a key comparison only.
        .map((resource) => replaceMarkers(resource.inputs["value"], { secret: (inner) => inner, unknown: () => undefined }))
        .filter((pem): pem is string => typeof pem === "string")
        .map((pem) => ({ file: committedFileOf(root, identity, pem), pem }));
    return { stack, developer, identity, app: app.urn, resources, certificates };
}

/** Where the repository keeps this certificate (stacks/certificates/<identity>/<day>.pem), for messages. */
function committedFileOf(root: string, identity: string, pem: string): string {
    const dir = `${CERTIFICATES_DIR}/${identity}`;
    const files = existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter((name) => name.endsWith(".pem")).sort() : [];
    const found = files.find((name) => readFileSync(join(root, dir, name), "utf8").trim() === pem.trim());
    return found === undefined ? `a certificate of ${dir}` : `${dir}/${found}`;
}

// The CLI commands, as the Pulumi CLI v3.276.0 takes them (pulumi/pulumi pkg/cmd/pulumi/: stack/stack_export.go;
// state/state_protect.go and state_unprotect.go, several URNs at once; operations/destroy.go --target and
// --target-dependents; operations/up.go --suppress-outputs): `--yes` skips each command's own confirmation, which
// revoke asks for itself.
export const stateExportCommand = (stack: string) => ["pulumi", "stack", "export", "--stack", stack];
export const unprotectCommand = (stack: string, urns: readonly string[]) =>
    ["pulumi", "state", "unprotect", "--stack", stack, "--yes", ...urns];
export const protectCommand = (stack: string, urns: readonly string[]) =>
    ["pulumi", "state", "protect", "--stack", stack, "--yes", ...urns];
/**
 * No `--skip-preview`: the destroy's preview refuses a protected resource (one the state edit missed, or a
 * dependent `--target-dependents` found) before anything is deleted (step.go, DeleteStep.Apply checks protect
 * before DryRun); without the preview, unprotected resources could be deleted before a protected one stops it.
 */
export const destroyCommand = (stack: string, urns: readonly string[]) =>
    ["pulumi", "destroy", "--stack", stack, ...urns.flatMap((urn) => ["--target", urn]), "--target-dependents", "--yes"];
/** The whole program: it recreates the identity, with its protection, and the stack outputs env files read. */
export const upCommand = (stack: string) => ["pulumi", "up", "--stack", stack, "--yes", "--suppress-outputs"];

/**
 * The commands to run by hand, assuming the state protects what the program protects. The comment line is the
 * step revoke itself takes when one of them fails.
 */
export function printedCommands(plan: RevokePlan): string[] {
    const urns = plan.resources.map((resource) => resource.urn);
    const protectedUrns = plan.resources.filter((resource) => resource.protect).map((resource) => resource.urn);
    const lines = [
        ...(protectedUrns.length > 0 ? [shellLine(unprotectCommand(plan.stack, protectedUrns))] : []),
        shellLine(destroyCommand(plan.stack, urns)),
        shellLine(upCommand(plan.stack)),
        purgeComment(plan.stack),
    ];
    if (protectedUrns.length > 0) {
        lines.push(`# if a step fails, protect again those that 'pulumi stack --show-urns --stack ${plan.stack}' ` +
            `still lists: ${shellLine(protectCommand(plan.stack, protectedUrns))}`);
    }
    return lines;
}

/** What revoke does after the destroy, by hand: the object IDs are the state's, read before the destroy. */
export function purgeComment(stack: string): string {
    return "# then delete the old app and service principal for good (Entra keeps them restorable for 30 days): " +
        `${purgeByHand("OBJECT_ID")}, for the objectId of each in 'pulumi stack export --stack ${stack}' before the destroy`;
}


/**
 * Whether a failed `pulumi up` failed on azuread's duplicate-name check for this identity's app, in either of its
 * forms: the plan-time one ("... was specified. To be managed via Terraform ...", wrapped by the bridge as
 * "diffing <urn>: ...") and the create-time diagnostic. The text is terraform-provider-azuread
 * internal/helpers/tf/errors.go ImportAsDuplicateDiag, unchanged from v2.53 to v3.9; Go's %q quotes the names.
 */
export function isDuplicateNameFailure(output: string, identity: string): boolean {
    // eslint-disable-next-line no-control-regex
    const text = output.replace(/\u001b\[[0-9;]*m/g, "").replace(/\s+/g, " ");
    const name = identity.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`An existing "azuread_application" with name "${name}" \\(ID: "[^"]*"\\) was found and ` +
        "`prevent_duplicate_names` was specified").test(text);
}

/** A resource as `pulumi stack export` lists it. */
export interface StateResource {
    readonly urn: string;
    readonly protect: boolean;
    /** The directory object ID of an app or service principal (the azuread resources' `objectId` output). */
    readonly objectId?: string;
}

/**
 * The resources of an exported deployment (pulumi/pulumi sdk/go/common/apitype/core.go: UntypedDeployment,
 * DeploymentV3/ResourceV3), without those pending deletion, which `state protect` and `unprotect` skip too.
 */
export function parseState(json: string): Map<string, StateResource> {
    const document = JSON.parse(json) as { deployment?: { resources?: unknown } };
    const resources = document.deployment?.resources ?? [];
    if (!Array.isArray(resources)) throw new Error("the exported deployment's resources are not a list");
    const state = new Map<string, StateResource>();
    for (const resource of resources as { urn?: unknown; protect?: unknown; delete?: unknown; outputs?: { objectId?: unknown } }[]) {
        if (typeof resource.urn === "string" && resource.delete !== true) {
            const objectId = resource.outputs?.objectId;
            state.set(resource.urn, { urn: resource.urn, protect: resource.protect === true,
                ...(typeof objectId === "string" ? { objectId } : {}) });
        }
    }
    return state;
}

export interface CommandResult {
    readonly status: number;
    /** What the command printed: stdout and stderr for `run`, stdout only for `read`. */
    readonly output: string;
}

export interface Console {
    readonly isInteractive: boolean;
    confirm(question: string): Promise<boolean>;
    /** Runs a command with its output shown as it comes, and kept; "missing" when the program is not on PATH. */
    run(command: readonly string[]): Promise<CommandResult | "missing">;
    /** Runs a command for what it prints on stdout, which is not shown. */
    read(command: readonly string[]): Promise<CommandResult | "missing">;
    sleep(seconds: number): Promise<void>;
    /** Graph `DELETE /directory/deletedItems/{id}` as the deploying identity, once (purge.ts). */
    deleteDeletedItem: DeleteOnce;
    /** The certificates Entra holds on an app, as the deploying identity (heldKeys.ts). */
    readHeldCertificates: ReadHeldCertificates;
}

function spawnCommand(command: readonly string[], show: boolean): Promise<CommandResult | "missing"> {
    return new Promise((resolve) => {
        const child = spawn(command[0]!, command.slice(1), { cwd: PROJECT_ROOT, stdio: ["inherit", "pipe", "pipe"] });
        const kept: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => {
            kept.push(chunk);
            if (show) process.stdout.write(chunk);
        });
        child.stderr.on("data", (chunk: Buffer) => {
            if (show) kept.push(chunk);
            process.stderr.write(chunk);
        });
        child.on("error", (error: NodeJS.ErrnoException) => {
            resolve(error.code === "ENOENT" ? "missing" : { status: 1, output: error.message });
        });
        child.on("close", (code) => resolve({ status: code ?? 1, output: Buffer.concat(kept).toString("utf8") }));
    });
}

export const processConsole: Console = {
    isInteractive: process.stdin.isTTY === true,
    async confirm(question) {
        const prompt = createInterface({ input: process.stdin, output: process.stderr });
        try {
            return /^y(es)?$/i.test((await prompt.question(question)).trim());
        } finally {
            prompt.close();
        }
    },
    run: (command) => spawnCommand(command, true),
    read: (command) => spawnCommand(command, false),
    sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    deleteDeletedItem: graphDeleter(),
    readHeldCertificates: graphHeldCertificates(),
};

/** What stopped a revoke: the start of the one line that says so. */
interface Failure {
    readonly head: string;
    /** False for an interruption: there is no cause to fix before the next command. */
    readonly fixFirst: boolean;
}

function stepOf(command: readonly string[]): string {
    return command.slice(0, command[1] === "state" ? 3 : 2).join(" ");
}

const reasonOf = (result: CommandResult | "missing") =>
    (result === "missing" ? "the Pulumi CLI is no longer on PATH" : `exit ${result.status}`);

function failureOf(command: readonly string[], result: CommandResult | "missing"): Failure {
    return { head: `${stepOf(command)} failed (${reasonOf(result)})`, fixFirst: true };
}

const succeeded = (result: CommandResult | "missing"): boolean => result !== "missing" && result.status === 0;

/**
 * Ctrl-C, a closed terminal or a kill would end Node at once, between a `state unprotect` and the `state protect`
 * that undoes it. While a revoke runs they only ask it to stop after the current step (the CLI, in the same
 * process group, gets Ctrl-C itself and stops as it does), and the failure path runs as for a failed step.
 */
class Interruptions {
    private requested = false;
    private readonly onSignal = (signal: NodeJS.Signals): void => {
        this.requested = true;
        console.error(`revoke: ${signal}: stopping after the current step; what was unprotected is protected again`);
    };
    private static readonly SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

    get stopped(): boolean {
        return this.requested;
    }

    async during<T>(body: () => Promise<T>): Promise<T> {
        for (const signal of Interruptions.SIGNALS) process.on(signal, this.onSignal);
        try {
            return await body();
        } finally {
            for (const signal of Interruptions.SIGNALS) process.off(signal, this.onSignal);
        }
    }
}

/** Done; done but the old identity is still among deleted items; or the exit code of a failure. */
type RevokeOutcome = "revoked" | "restorable" | 1;

/** Runs a revoke whose plan is known and confirmed; every message goes to stderr. */
async function runRevoke(plan: RevokePlan, io: Console, rerun: string, interruptions: Interruptions): Promise<RevokeOutcome> {
    const stack = plan.stack;
    const exported = await io.read(stateExportCommand(stack));
    if (exported === "missing") {
        console.error("revoke: the Pulumi CLI is not on PATH, so nothing was revoked. Run these where it is:");
        console.log(printedCommands(plan).join("\n"));
        return 1;
    }
    let state: Map<string, StateResource>;
    try {
        if (exported.status !== 0) throw new Error(`exit ${exported.status}`);
        state = parseState(exported.output);
    } catch (error) {
        console.error(`revoke: reading the state of stack ${stack} failed (${(error as Error).message}); nothing was changed`);
        return 1;
    }
    if (!state.has(plan.app)) {
        console.error(`revoke: the state of stack ${stack} holds no app ${plan.identity} (${plan.app}), so there is ` +
            `nothing to revoke. If an earlier revoke deleted it, create the identity again: ${shellLine(upCommand(stack))}`);
        return 1;
    }
    if (plan.certificates.length > 0 && !(await certificatesAreNew(plan, io, state.get(plan.app)?.objectId, rerun))) return 1;
    if (interruptions.stopped) {
        console.error("revoke: interrupted; nothing was changed");
        return 1;
    }
    // The targets must be in the state: a destroy refuses a target it does not find (pulumi/pulumi
    // pkg/engine/deployment.go checkTargets, "no resource named ... found"). One the program has and the state
    // not yet (a role assignment just added to the config) is simply created by the up.
    // A resource renamed since the last `pulumi up` is in the state under a former URN (an alias): target that one.
    const present = plan.resources
        .map((resource) => [resource.urn, ...resource.formerUrns].find((urn) => state.has(urn)))
        .filter((urn): urn is string => urn !== undefined);
    const unprotected = present.filter((urn) => state.get(urn)!.protect);

    const fail = async (failure: Failure, consequence: string, next: string): Promise<1> => {
        const restored = await protectAgain(io, stack, unprotected);
        const head = `revoke: ${failure.head}`;
        if (restored.ok) {
            const total = unprotected.length;
            const protectedNote = total === 0 ? ""
                : restored.count === total ? `; all ${total} protected resources are protected again`
                    : restored.count === 0 ? `; none of the ${total} protected resources is left in the state to protect again`
                        : `; of the ${total} protected resources, the ${restored.count} still in the state are protected again`;
            console.error(`${head}; ${consequence}${protectedNote}. ` +
                `${failure.fixFirst ? "Next, once the cause is fixed" : "Next"}: ${next}`);
        } else {
            console.error(`${head}, and protecting again failed too (${restored.reason}). Before anything else, ` +
                `protect those 'pulumi stack --show-urns --stack ${stack}' still lists: ${shellLine(restored.command)}`);
        }
        return 1;
    };
    const interrupted = (after: string): Failure => ({ head: `interrupted after ${after}`, fixFirst: false });

    if (unprotected.length > 0) {
        const command = unprotectCommand(stack, unprotected);
        const result = await io.run(command);
        if (!succeeded(result)) return fail(failureOf(command, result), "nothing was deleted", rerun);
        if (interruptions.stopped) return fail(interrupted(stepOf(command)), "nothing was deleted", rerun);
    }

    const destroy = destroyCommand(stack, present);
    const destroyed = await io.run(destroy);
    if (!succeeded(destroyed)) {
        return fail(failureOf(destroy, destroyed), "the identity may be partly deleted and its credentials may still work", rerun);
    }
    const gone = "the old identity is deleted, so its credentials no longer work";
    const up = upCommand(stack);
    if (interruptions.stopped) return fail(interrupted("pulumi destroy"), gone, shellLine(up));

    // The old app and service principal, out of deleted items, where a restore would bring the leaked credential back.
    const restorable: string[] = [];
    for (const resource of plan.resources.filter((candidate) => candidate.type === APP_TYPE || candidate.type === SP_TYPE)) {
        const objectId = [resource.urn, ...resource.formerUrns].map((urn) => state.get(urn)?.objectId).find((id) => id !== undefined);
        if (objectId === undefined) {
            console.error(`revoke: the state holds no object ID for ${resource.urn}, so it stays in Entra's deleted items`);
            continue;
        }
        const outcome = await purgeDeleted(objectId, io.deleteDeletedItem, (seconds) => io.sleep(seconds));
        if (!outcome.purged) {
            console.error(`revoke: deleting ${objectId} for good from Entra's deleted items failed (${outcome.reason})`);
            restorable.push(objectId);
        }
    }
    const upDone = (): RevokeOutcome => {
        if (restorable.length === 0) {
            console.error("revoke: the old app and service principal are deleted for good: Entra's deleted items no longer hold them");
            return "revoked";
        }
        console.error(`revoke: the old identity can still be restored from Entra's deleted items, credentials included, ` +
            `for 30 days; once the cause is fixed, delete it for good (Graph Application.ReadWrite.OwnedBy, docs/deployer.md ` +
            `section 3): ${restorable.map(purgeByHand).join("; ")}`);
        return "restorable";
    };

    for (let attempt = 1; ; attempt++) {
        const result = await io.run(up);
        if (succeeded(result)) return upDone();
        if (result === "missing" || !isDuplicateNameFailure(result.output, plan.identity)) {
            return fail(failureOf(up, result), gone, shellLine(up));
        }
        if (attempt === UP_ATTEMPTS) {
            return fail({ head: `pulumi up failed (the provider still finds an app named ${plan.identity} after ` +
                `${UP_ATTEMPTS} attempts)`, fixFirst: true }, gone, `check that no other app has that name ` +
                `(az ad app list --display-name ${plan.identity}), then ${shellLine(up)}`);
        }
        if (interruptions.stopped) return fail(interrupted(`pulumi up attempt ${attempt}`), gone, shellLine(up));
        const delay = UP_BACKOFF_SECONDS[attempt - 1]!;
        console.error(`revoke: Graph still lists the deleted app ${plan.identity} (the provider's duplicate-name ` +
            `check); pulumi up again in ${delay} s (attempt ${attempt + 1} of ${UP_ATTEMPTS})`);
        await io.sleep(delay);
        if (interruptions.stopped) return fail(interrupted(`pulumi up attempt ${attempt}`), gone, shellLine(up));
    }
}

/**
 * Whether none of the certificates the `up` would register has a key the old app holds (heldKeys.ts). When one
 * has, or the old app's certificates cannot be read, it says so in one line, and nothing is changed.
 */
async function certificatesAreNew(plan: RevokePlan, io: Console, appObjectId: string | undefined, rerun: string): Promise<boolean> {
    let held: string[];
    try {
        if (appObjectId === undefined) throw new Error(`the state holds no object ID for ${plan.app}`);
        held = await io.readHeldCertificates(appObjectId);
    } catch (error) {
        console.error(`revoke: reading the certificates of the old app ${plan.identity} failed ` +
            `(${(error as Error).message.split("\n")[0]}); nothing was changed`);
        return false;
    }
    const reused = reusedKeys(plan.certificates, held);
    if (reused.length === 0) return true;
    const developerArgs = plan.developer === undefined ? [] : ["--developer", plan.developer];
    const files = reused.map((certificate) => certificate.file);
    console.error(`revoke: the old app ${plan.identity} holds the key of ${files.join(" and ")}: it may be the key that ` +
        "leaked, and pulumi up would register it on the new app; nothing was changed. On the server, make a new key " +
        `pair for the rotation in use (git rm ${files.join(" ")}, then ` +
        `${shellLine(["npm", "run", "certificate", "--", "new", "--stack", plan.stack, ...developerArgs, "--out", "DIR"])}), ` +
        `commit its public half, then: ${rerun}`);
    return false;
}

type Restored = { ok: true; count: number } | { ok: false; reason: string; command: readonly string[] };

/** Protects again every one of `urns` that the state still holds, in one command. */
async function protectAgain(io: Console, stack: string, urns: readonly string[]): Promise<Restored> {
    if (urns.length === 0) return { ok: true, count: 0 };
    const exported = await io.read(stateExportCommand(stack));
    let still: string[];
    try {
        if (exported === "missing" || exported.status !== 0) throw new Error(`pulumi stack export: ${reasonOf(exported)}`);
        const state = parseState(exported.output);
        still = urns.filter((urn) => state.has(urn));
    } catch (error) {
        return { ok: false, reason: (error as Error).message, command: protectCommand(stack, urns) };
    }
    if (still.length === 0) return { ok: true, count: 0 };
    const command = protectCommand(stack, still);
    const result = await io.run(command);
    if (result === "missing" || result.status !== 0) {
        return { ok: false, reason: `pulumi state protect: ${reasonOf(result)}`, command };
    }
    return { ok: true, count: still.length };
}

function describe(plan: RevokePlan): string {
    const count = (type: string) => plan.resources.filter((resource) => resource.type === type).length;
    const secrets = count("azuread:index/applicationPassword:ApplicationPassword");
    const roles = count("azure-native:authorization:RoleAssignment");
    const isProtected = plan.resources.some((resource) => resource.protect);
    const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
    return `revoke: identity ${plan.identity} of stack ${plan.stack}: pulumi destroy deletes its app, service ` +
        `principal, ${plural(secrets, "secret")} and ${plural(roles, "role assignment")}, then pulumi up creates them ` +
        "anew." + (isProtected ? " The stack protects them: their protection is lifted first, then restored by the " +
            "up, or at once if a step fails." : "");
}

export async function main(argv: readonly string[], io: Console = processConsole, root = PROJECT_ROOT): Promise<number> {
    let stack: string, developer: string | undefined, yes: boolean, printOnly: boolean;
    try {
        const { values } = parseArgs({
            args: [...argv],
            options: {
                stack: { type: "string" },
                developer: { type: "string" },
                yes: { type: "boolean", default: false },
                "print-commands": { type: "boolean", default: false },
                help: { type: "boolean", short: "h" },
            },
        });
        if (values.help) {
            console.log([
                USAGE,
                "",
                "Revokes an app identity at once: deletes its app registration, service principal, client secrets and",
                "role assignments (pulumi destroy --target on exactly their URNs), then creates them anew (pulumi up,",
                "retried while Graph still lists the deleted app). The old secrets stop working when the old app is",
                "deleted, and the old app and service principal are then deleted for good from Entra's deleted items",
                "(where a restore would bring the old secrets back). In a production stack their protection is lifted",
                "first and restored if any step fails.",
                "",
                "  --stack NAME        the stack whose identity to revoke",
                "  --developer NAME    in a local-development stack, whose identity",
                "  --yes               do not ask for confirmation (for scripts)",
                "  --print-commands    print the Pulumi CLI commands and run nothing",
                "",
                "Afterwards, write the new env file: npm run env-file -- --stack NAME [--developer NAME] --out PATH",
            ].join("\n"));
            return 0;
        }
        if (values.stack === undefined) throw new UsageError("name the stack with --stack NAME");
        ({ stack, developer, yes } = { stack: values.stack, developer: values.developer, yes: values.yes });
        printOnly = values["print-commands"];
    } catch (error) {
        console.error(`revoke: ${(error as Error).message}`);
        return 2;
    }

    let plan: RevokePlan;
    try {
        plan = await planRevoke(root, stack, developer);
    } catch (error) {
        if (!(error instanceof UsageError || error instanceof StackFileError || error instanceof ConfigError)) {
            throw error;
        }
        console.error(`revoke: ${error.message}`);
        return 1;
    }
    if (printOnly) {
        console.log(printedCommands(plan).join("\n"));
        return 0;
    }

    const developerArgs = developer === undefined ? [] : ["--developer", developer];
    console.error(describe(plan));
    if (!yes) {
        if (!io.isInteractive) {
            console.error("revoke: standard input is not a terminal, so nobody can confirm: pass --yes");
            return 1;
        }
        if (!(await io.confirm(`Revoke ${plan.identity}? Its old secrets stop working at once. [y/N] `))) {
            console.error("revoke: nothing was changed");
            return 1;
        }
    }
    const rerun = shellLine(["npm", "run", "revoke", "--", "--stack", stack, ...developerArgs]);
    const interruptions = new Interruptions();
    const outcome = await interruptions.during(() => runRevoke(plan, io, rerun, interruptions));
    if (outcome !== 1) {
        const envFileHint = shellLine(["npm", "run", "env-file", "--", "--stack", stack, ...developerArgs, "--out", "PATH"]);
        console.error(`revoke: ${plan.identity} now has a new app, service principal and secrets. Write its env file ` +
            `again: ${envFileHint}`);
    }
    return outcome === "revoked" ? 0 : 1;
}

if (require.main === module) runCommand("revoke", main);

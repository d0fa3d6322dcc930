import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main, planRevoke, processConsole, purgeComment, type CommandResult, type Console } from "../tools/revoke/command";
import { shellLine } from "../common/shellLine";
import { runCli, withPath } from "./cli";
import { ROOT } from "./harness";
import { fakeCommandsDir } from "./support/fakeCommands";

const TYPE = "appidentity:azure:AppIdentity";
const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::app-identity::${TYPE}$${type}::${name}`;
const APP = "azuread:index/application:Application";
const SP = "azuread:index/servicePrincipal:ServicePrincipal";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const RA = "azure-native:authorization:RoleAssignment";

/** One identity's URNs, in the order revoke lists them (sorted). */
function identityUrns(stack: string, identity: string, roles: readonly string[]) {
    return {
        roles: roles.map((role) => urn(stack, RA, `${identity}/${role}`)),
        app: urn(stack, APP, identity),
        secretA: urn(stack, PASSWORD, `${identity}-secret-a`),
        secretB: urn(stack, PASSWORD, `${identity}-secret-b`),
        sp: urn(stack, SP, identity),
    };
}
const PROD = identityUrns("inventory-api-prod", "inventory-api-prod",
    ["rg-inventory-prod-archive/storage-blob-data-reader", "rg-inventory-prod/storage-blob-data-contributor"]);
const PROD_ALL = [...PROD.roles, PROD.app, PROD.secretA, PROD.secretB, PROD.sp];
/** The role assignments' URNs before infra/names.ts, as a prod state deployed then holds them. */
const LEGACY_PROD_ROLES = [urn("inventory-api-prod", RA, "inventory-api-prod-rg-inventory-prod-archive-storage-blob-data-reader"),
    urn("inventory-api-prod", RA, "inventory-api-prod-rg-inventory-prod-storage-blob-data-contributor")];
/** What a production stack protects: app, service principal and role assignments; never the secrets. */
const PROD_PROTECTED = [...PROD.roles, PROD.app, PROD.sp];
const DEV = identityUrns("inventory-api-dev", "inventory-api-dev", ["rg-inventory-dev/storage-blob-data-contributor"]);
const DEV_ALL = [...DEV.roles, DEV.app, DEV.secretA, DEV.secretB, DEV.sp];
const ALICE = identityUrns("inventory-api-local", "inventory-api-local-alice", ["rg-inventory-dev/storage-blob-data-contributor"]);
const ALICE_ALL = [...ALICE.roles, ALICE.app, ALICE.secretA, ALICE.secretB, ALICE.sp];
const BOB = identityUrns("inventory-api-local", "inventory-api-local-bob", ["rg-inventory-dev/storage-blob-data-contributor"]);
const BOB_ALL = [...BOB.roles, BOB.app, BOB.secretA, BOB.secretB, BOB.sp];

/** A made-up, stable object ID for an app's or service principal's URN, as the state's `objectId` output holds one. */
function objectIdOf(resourceUrn: string): string {
    let hash = 0;
    for (const char of resourceUrn) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return `00000000-0000-4000-8000-${hash.toString(16).padStart(12, "0")}`;
}

/** `pulumi stack export` of a stack holding these resources (protected where listed), as the CLI prints it. */
function exported(stack: string, resources: readonly string[], protectedUrns: readonly string[] = []): string {
    return JSON.stringify({
        version: 3,
        deployment: {
            manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "v3.248.0" },
            resources: [
                { urn: `urn:pulumi:${stack}::app-identity::pulumi:pulumi:Stack::app-identity-${stack}`, custom: false, type: "pulumi:pulumi:Stack" },
                ...resources.map((resource) => ({
                    urn: resource,
                    custom: true,
                    ...(resource.includes(APP) || resource.includes(SP) ? { outputs: { objectId: objectIdOf(resource) } } : {}),
                    ...(protectedUrns.includes(resource) ? { protect: true } : {}),
                })),
            ],
        },
    }, null, 4);
}

const duplicateError = (identity: string) => `An existing "azuread_application" with name "${identity}" ` +
    `(ID: "11111111-2222-3333-4444-555555555555") was found and \`prevent_duplicate_names\` was specified`;
/** The plan-time form: CustomizeDiff's error (`ImportAsDuplicateError`), wrapped by the bridge's Create ("diffing"). */
const previewDuplicate = (stack: string, identity: string) => `    error: diffing ${urn(stack, APP, identity)}: ` +
    `${duplicateError(identity)}. To be managed via Terraform, this resource needs to be imported into the State. ` +
    `Please see the resource documentation for "azuread_application" for more information.\n`;
/** The create-time form (`ImportAsDuplicateDiag`), coloured as a terminal shows it and wrapped over two lines. */
const createDuplicate = (identity: string) => `  ${APP} (${identity}):\n    \u001b[31merror: \u001b[0m` +
    duplicateError(identity).replace(" was found", "\n    was found") + "\n";

type Step = "export" | "unprotect" | "protect" | "destroy" | "up";
const stepOf = (command: readonly string[]): Step =>
    (command[1] === "state" ? command[2] : command[1] === "stack" ? "export" : command[1]) as Step;

/**
 * A console that answers the confirmation as told, records every command in order and answers each step with the
 * next of its results (success once they run out). `states` are what successive `pulumi stack export`s print.
 */
function fakeConsole(options: {
    interactive?: boolean;
    answer?: boolean;
    cli?: "present" | "missing";
    states?: readonly string[];
    results?: Partial<Record<Step, readonly CommandResult[]>>;
    /** Graph's answers to successive DELETE /directory/deletedItems/{id}: 204 once they run out. */
    purges?: readonly { status: number; message: string }[];
    /** Called as each command runs: to send a signal in the middle of one. */
    during?: (command: readonly string[]) => void;
}) {
    const calls: string[][] = [];
    const asked: string[] = [];
    const sleeps: number[] = [];
    const purged: string[] = [];
    const seen: Partial<Record<Step, number>> = {};
    const answer = (command: readonly string[]): Promise<CommandResult | "missing"> => Promise.resolve(respond(command));
    const respond = (command: readonly string[]): CommandResult | "missing" => {
        options.during?.(command);
        if (options.cli === "missing") return "missing";
        calls.push([...command]);
        const step = stepOf(command);
        const index = seen[step] ?? 0;
        seen[step] = index + 1;
        const given = options.results?.[step]?.[index];
        if (given !== undefined) return given;
        if (step === "export") {
            const states = options.states ?? [];
            return { status: 0, output: states[Math.min(index, states.length - 1)] ?? exported("none", []) };
        }
        return { status: 0, output: "" };
    };
    const io: Console = {
        isInteractive: options.interactive ?? true,
        confirm: (question) => { asked.push(question); return Promise.resolve(options.answer ?? false); },
        run: answer,
        read: answer,
        sleep: (seconds) => { sleeps.push(seconds); return Promise.resolve(); },
        readHeldCertificates: () => Promise.resolve([]),
        deleteDeletedItem: (objectId) => {
            purged.push(objectId);
            const given = options.purges?.[purged.length - 1];
            return Promise.resolve(given ?? { status: 204, message: "" });
        },
    };
    return { io, calls, asked, sleeps, purged };
}

const exportOf = (stack: string) => ["pulumi", "stack", "export", "--stack", stack];
const unprotectOf = (stack: string, urns: readonly string[]) => ["pulumi", "state", "unprotect", "--stack", stack, "--yes", ...urns];
const protectOf = (stack: string, urns: readonly string[]) => ["pulumi", "state", "protect", "--stack", stack, "--yes", ...urns];
const destroyOf = (stack: string, urns: readonly string[]) =>
    ["pulumi", "destroy", "--stack", stack, ...urns.flatMap((target) => ["--target", target]), "--target-dependents", "--yes"];
const upOf = (stack: string) => ["pulumi", "up", "--stack", stack, "--yes", "--suppress-outputs"];
const failed = (output = "error: update failed\n"): CommandResult => ({ status: 255, output });

const PROD_INTRO = "revoke: identity inventory-api-prod of stack inventory-api-prod: pulumi destroy deletes its app, service " +
    "principal, 2 secrets and 2 role assignments, then pulumi up creates them anew. The stack protects them: their " +
    "protection is lifted first, then restored by the up, or at once if a step fails.";
const DEV_INTRO = "revoke: identity inventory-api-dev of stack inventory-api-dev: pulumi destroy deletes its app, service " +
    "principal, 2 secrets and 1 role assignment, then pulumi up creates them anew.";
const PURGED = "revoke: the old app and service principal are deleted for good: Entra's deleted items no longer hold them";
const DONE = (identity: string, stackArgs: string) => `revoke: ${identity} now has a new app, service principal and ` +
    `secrets. Write its env file again: npm run env-file -- ${stackArgs} --out PATH`;

describe("planRevoke", () => {
    it("lists exactly a developer's app, secrets, service principal and role assignment, none protected", async () => {
        const plan = await planRevoke(ROOT, "inventory-api-local", "alice");
        expect(plan.identity).toBe("inventory-api-local-alice");
        expect(plan.app).toBe(ALICE.app);
        expect(plan.resources.map(({ urn: resourceUrn, type, protect }) => ({ urn: resourceUrn, type, protect })))
            .toEqual(ALICE_ALL.map((resource) => ({ urn: resource, type: resource.split("$")[1]!.split("::")[0], protect: false })));
    });

    it("knows the URN a role assignment had before its rename, where a state not yet updated holds it", async () => {
        const plan = await planRevoke(ROOT, "inventory-api-prod", undefined);
        const renamed = plan.resources.map((resource) => resource.formerUrns.filter((former) => !former.endsWith(
            `::${resource.urn.split("::").at(-1)!}`)));
        expect(renamed).toEqual([[LEGACY_PROD_ROLES[0]], [LEGACY_PROD_ROLES[1]], [], [], [], []]);
    });

    it("knows which of a production identity's resources the program protects: all but the secrets", async () => {
        const plan = await planRevoke(ROOT, "inventory-api-prod", undefined);
        expect(plan.resources.map((resource) => resource.urn)).toEqual(PROD_ALL);
        expect(plan.resources.filter((resource) => resource.protect).map((resource) => resource.urn)).toEqual(PROD_PROTECTED);
    });
});

describe("npm run revoke: the command sequence", () => {
    it("production: reads the state, unprotects exactly the protected ones, destroys all six, recreates with up", async () => {
        const { io, calls, asked, sleeps, purged } = fakeConsole({ interactive: false, states: [exported("inventory-api-prod", PROD_ALL, PROD_PROTECTED)] });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"]);
        expect(result).toEqual({ code: 0, stdout: "", stderr: [PROD_INTRO, PURGED, DONE("inventory-api-prod", "--stack inventory-api-prod")].join("\n") });
        // Issue 24, defect 3: the old app and service principal, out of Entra's deleted items (by their state's objectId).
        expect(purged).toEqual([objectIdOf(PROD.app), objectIdOf(PROD.sp)]);
        expect(calls).toEqual([exportOf("inventory-api-prod"), unprotectOf("inventory-api-prod", PROD_PROTECTED), destroyOf("inventory-api-prod", PROD_ALL), upOf("inventory-api-prod")]);
        expect(asked).toEqual([]);
        expect(sleeps).toEqual([]);
    });

    it("production with a state that still protects the secrets too (before the program stopped): unprotects all six", async () => {
        const { io, calls } = fakeConsole({ states: [exported("inventory-api-prod", PROD_ALL, PROD_ALL)] });
        expect((await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"])).code).toBe(0);
        expect(calls).toEqual([exportOf("inventory-api-prod"), unprotectOf("inventory-api-prod", PROD_ALL), destroyOf("inventory-api-prod", PROD_ALL), upOf("inventory-api-prod")]);
    });

    it("dev: asks, then destroys the identity's five resources and recreates them, with no state edit", async () => {
        const { io, calls, asked } = fakeConsole({ answer: true, states: [exported("inventory-api-dev", DEV_ALL)] });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev"]);
        expect(result).toEqual({ code: 0, stdout: "", stderr: [DEV_INTRO, PURGED, DONE("inventory-api-dev", "--stack inventory-api-dev")].join("\n") });
        expect(asked).toEqual(["Revoke inventory-api-dev? Its old secrets stop working at once. [y/N] "]);
        expect(calls).toEqual([exportOf("inventory-api-dev"), destroyOf("inventory-api-dev", DEV_ALL), upOf("inventory-api-dev")]);
    });

    it("a developer of the local stack: targets that developer's resources only", async () => {
        const { io, calls } = fakeConsole({ states: [exported("inventory-api-local", [...ALICE_ALL, ...BOB_ALL])] });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-local", "--developer", "alice", "--yes"]);
        expect(result.code).toBe(0);
        expect(result.stderr.split("\n").at(-1)).toBe(DONE("inventory-api-local-alice", "--stack inventory-api-local --developer alice"));
        expect(calls).toEqual([exportOf("inventory-api-local"), destroyOf("inventory-api-local", ALICE_ALL), upOf("inventory-api-local")]);
    });

    it("targets only what the state holds: a role assignment not yet deployed is left to the up to create", async () => {
        const deployed = DEV_ALL.filter((resource) => !DEV.roles.includes(resource));
        const { io, calls } = fakeConsole({ states: [exported("inventory-api-dev", deployed)] });
        expect((await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"])).code).toBe(0);
        expect(calls).toEqual([exportOf("inventory-api-dev"), destroyOf("inventory-api-dev", deployed), upOf("inventory-api-dev")]);
    });

    it("a production state from before the role assignments' rename: unprotects and destroys them under their former URNs", async () => {
        const legacy = [...LEGACY_PROD_ROLES, PROD.app, PROD.secretA, PROD.secretB, PROD.sp];
        const legacyProtected = [...LEGACY_PROD_ROLES, PROD.app, PROD.sp];
        const { io, calls } = fakeConsole({ states: [exported("inventory-api-prod", legacy, legacyProtected)] });
        expect((await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"])).code).toBe(0);
        expect(calls).toEqual([exportOf("inventory-api-prod"), unprotectOf("inventory-api-prod", legacyProtected), destroyOf("inventory-api-prod", legacy), upOf("inventory-api-prod")]);
    });

    it("ignores a resource pending deletion in the state, as pulumi state protect/unprotect do", async () => {
        const state = JSON.parse(exported("inventory-api-prod", PROD_ALL, PROD_PROTECTED)) as { deployment: { resources: object[] } };
        state.deployment.resources.push({ urn: PROD.secretA, custom: true, protect: true, delete: true });
        const { io, calls } = fakeConsole({ states: [JSON.stringify(state)] });
        expect((await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"])).code).toBe(0);
        expect(calls[1]).toEqual(unprotectOf("inventory-api-prod", PROD_PROTECTED));
    });

    it("refuses an identity whose app the state does not hold, changing nothing", async () => {
        const { io, calls } = fakeConsole({ states: [exported("inventory-api-dev", [DEV.sp])] });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"]);
        expect(result.code).toBe(1);
        expect(result.stderr.split("\n").at(-1)).toBe(`revoke: the state of stack inventory-api-dev holds no app inventory-api-dev ` +
            `(${DEV.app}), so there is nothing to revoke. If an earlier revoke deleted it, create the identity ` +
            "again: pulumi up --stack inventory-api-dev --yes --suppress-outputs");
        expect(calls).toEqual([exportOf("inventory-api-dev")]);
    });

    it("changes nothing when the state cannot be read", async () => {
        const { io, calls } = fakeConsole({ results: { export: [failed()] } });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"]);
        expect(result.code).toBe(1);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: reading the state of stack inventory-api-prod failed (exit 255); nothing was changed");
        expect(calls).toEqual([exportOf("inventory-api-prod")]);
    });
});

describe("npm run revoke: confirmation", () => {
    it("runs nothing at all when the answer is no", async () => {
        const { io, calls, asked } = fakeConsole({ answer: false, states: [exported("inventory-api-prod", PROD_ALL, PROD_PROTECTED)] });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod"]);
        expect(result).toEqual({ code: 1, stdout: "", stderr: [PROD_INTRO, "revoke: nothing was changed"].join("\n") });
        expect(asked).toEqual(["Revoke inventory-api-prod? Its old secrets stop working at once. [y/N] "]);
        expect(calls).toEqual([]);
    });

    it("runs nothing without a terminal and without --yes", async () => {
        const { io, calls, asked } = fakeConsole({ interactive: false });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev"]);
        expect(result.code).toBe(1);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: standard input is not a terminal, so nobody can confirm: pass --yes");
        expect(calls).toEqual([]);
        expect(asked).toEqual([]);
    });
});

describe("npm run revoke: the up, retried only on the provider's duplicate-name error", () => {
    it.each([
        ["the plan-time form (CustomizeDiff, in the up's preview)", previewDuplicate("inventory-api-dev", "inventory-api-dev")],
        ["the create-time form, coloured and wrapped", createDuplicate("inventory-api-dev")],
    ])("retries with backoff on %s, then succeeds", async (_form, output) => {
        const { io, calls, sleeps } = fakeConsole({
            states: [exported("inventory-api-dev", DEV_ALL)],
            results: { up: [failed(output), failed(output)] },
        });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"]);
        expect(result).toEqual({ code: 0, stdout: "", stderr: [
            DEV_INTRO,
            "revoke: Graph still lists the deleted app inventory-api-dev (the provider's duplicate-name check); " +
                "pulumi up again in 15 s (attempt 2 of 5)",
            "revoke: Graph still lists the deleted app inventory-api-dev (the provider's duplicate-name check); " +
                "pulumi up again in 30 s (attempt 3 of 5)",
            PURGED,
            DONE("inventory-api-dev", "--stack inventory-api-dev"),
        ].join("\n") });
        expect(calls).toEqual([exportOf("inventory-api-dev"), destroyOf("inventory-api-dev", DEV_ALL), upOf("inventory-api-dev"), upOf("inventory-api-dev"), upOf("inventory-api-dev")]);
        expect(sleeps).toEqual([15, 30]);
    });

    // Issue 24, defect 3: Graph may not list a just-deleted app among deleted items yet (GUIDE section 7).
    it("asks Graph again while the deleted item is not there yet (404), then purges it", async () => {
        const notYet = { status: 404, message: "/v1.0/directory/deletedItems/x: 404 Request_ResourceNotFound: ..." };
        const { io, sleeps, purged } = fakeConsole({ states: [exported("inventory-api-dev", DEV_ALL)], purges: [notYet, notYet] });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"]);
        expect(result.code).toBe(0);
        expect(purged).toEqual([objectIdOf(DEV.app), objectIdOf(DEV.app), objectIdOf(DEV.app), objectIdOf(DEV.sp)]);
        expect(sleeps).toEqual([5, 15]);
    });

    it("when the purge is refused, the new identity is still made, and it exits 1 with the command that purges by hand", async () => {
        const refused = { status: 403, message: "/v1.0/directory/deletedItems/x: 403 Authorization_RequestDenied: Insufficient privileges to complete the operation." };
        const { io, calls, sleeps } = fakeConsole({ states: [exported("inventory-api-dev", DEV_ALL)], purges: [refused] });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"]);
        expect(result.code).toBe(1);
        expect(calls).toEqual([exportOf("inventory-api-dev"), destroyOf("inventory-api-dev", DEV_ALL), upOf("inventory-api-dev")]);
        expect(sleeps).toEqual([]);
        expect(result.stderr.split("\n").slice(1)).toEqual([
            `revoke: deleting ${objectIdOf(DEV.app)} for good from Entra's deleted items failed (${refused.message})`,
            "revoke: the old identity can still be restored from Entra's deleted items, credentials included, for 30 days; " +
                "once the cause is fixed, delete it for good (Graph Application.ReadWrite.OwnedBy, docs/deployer.md section 3): " +
                `az rest --method DELETE --url https://graph.microsoft.com/v1.0/directory/deletedItems/${objectIdOf(DEV.app)}`,
            DONE("inventory-api-dev", "--stack inventory-api-dev"),
        ]);
    });

    it("gives up after 5 attempts and says what to check and run", async () => {
        const duplicate = failed(previewDuplicate("inventory-api-dev", "inventory-api-dev"));
        const { io, calls, sleeps } = fakeConsole({ states: [exported("inventory-api-dev", DEV_ALL)], results: { up: Array(5).fill(duplicate) } });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"]);
        expect(result.code).toBe(1);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: pulumi up failed (the provider still finds an app named " +
            "inventory-api-dev after 5 attempts); the old identity is deleted, so its credentials no longer work. Next, " +
            "once the cause is fixed: check that no other app has that name (az ad app list --display-name " +
            "inventory-api-dev), then pulumi up --stack inventory-api-dev --yes --suppress-outputs");
        expect(calls).toEqual([exportOf("inventory-api-dev"), destroyOf("inventory-api-dev", DEV_ALL), ...Array(5).fill(upOf("inventory-api-dev"))]);
        expect(sleeps).toEqual([15, 30, 60, 120]);
    });

    it.each([
        ["another error", "    error: the stack is currently locked by 1 lock(s)\n"],
        ["the provider's other 'already exists' error", '    error: a resource with the ID "/x" already exists - to be ' +
            "managed via Terraform this resource needs to be imported into the State.\n"],
        ["the duplicate-name error for another identity's app", previewDuplicate("inventory-api-dev", "inventory-api-test")],
        ["the duplicate-name error of another resource type", previewDuplicate("inventory-api-dev", "inventory-api-dev")
            .replace('"azuread_application"', '"azuread_service_principal"')],
    ])("does not retry on %s", async (_case, output) => {
        const { io, calls, sleeps } = fakeConsole({ states: [exported("inventory-api-dev", DEV_ALL)], results: { up: [failed(output)] } });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"]);
        expect(result.code).toBe(1);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: pulumi up failed (exit 255); the old identity is deleted, " +
            "so its credentials no longer work. Next, once the cause is fixed: pulumi up --stack inventory-api-dev --yes --suppress-outputs");
        expect(calls).toEqual([exportOf("inventory-api-dev"), destroyOf("inventory-api-dev", DEV_ALL), upOf("inventory-api-dev")]);
        expect(sleeps).toEqual([]);
    });
});

describe("npm run revoke: a failing step of a production revoke leaves nothing unprotected", () => {
    const initial = exported("inventory-api-prod", PROD_ALL, PROD_PROTECTED);
    const unprotectedState = exported("inventory-api-prod", PROD_ALL);
    const RERUN = "npm run revoke -- --stack inventory-api-prod";
    const UP = "pulumi up --stack inventory-api-prod --yes --suppress-outputs";
    const start = [exportOf("inventory-api-prod"), unprotectOf("inventory-api-prod", PROD_PROTECTED)];

    it.each<[string, Partial<Record<Step, CommandResult[]>>, string, string[][], string]>([
        ["pulumi state unprotect", { unprotect: [failed()] }, initial,
            [...start, exportOf("inventory-api-prod"), protectOf("inventory-api-prod", PROD_PROTECTED)],
            "revoke: pulumi state unprotect failed (exit 255); nothing was deleted; all 4 protected resources are " +
                `protected again. Next, once the cause is fixed: ${RERUN}`],
        // The destroy stopped after the role assignments and the secrets: the app and service principal are left.
        ["pulumi destroy", { destroy: [failed()] }, exported("inventory-api-prod", [PROD.app, PROD.sp]),
            [...start, destroyOf("inventory-api-prod", PROD_ALL), exportOf("inventory-api-prod"), protectOf("inventory-api-prod", [PROD.app, PROD.sp])],
            "revoke: pulumi destroy failed (exit 255); the identity may be partly deleted and its credentials may " +
                "still work; of the 4 protected resources, the 2 still in the state are protected again. Next, once " +
                `the cause is fixed: ${RERUN}`],
        // The up created the new app and service principal, then failed on a role assignment.
        ["pulumi up (another error)", { up: [failed("    error: AuthorizationFailed\n")] }, exported("inventory-api-prod", [PROD.app, PROD.sp], [PROD.app, PROD.sp]),
            [...start, destroyOf("inventory-api-prod", PROD_ALL), upOf("inventory-api-prod"), exportOf("inventory-api-prod"), protectOf("inventory-api-prod", [PROD.app, PROD.sp])],
            "revoke: pulumi up failed (exit 255); the old identity is deleted, so its credentials no longer work; of " +
                `the 4 protected resources, the 2 still in the state are protected again. Next, once the cause is fixed: ${UP}`],
        ["pulumi up (duplicate name, every attempt)", { up: Array<CommandResult>(5).fill(failed(previewDuplicate("inventory-api-prod", "inventory-api-prod"))) },
            exported("inventory-api-prod", []),
            [...start, destroyOf("inventory-api-prod", PROD_ALL), ...Array<string[]>(5).fill(upOf("inventory-api-prod")), exportOf("inventory-api-prod")],
            "revoke: pulumi up failed (the provider still finds an app named inventory-api-prod after 5 attempts); " +
                "the old identity is deleted, so its credentials no longer work; none of the 4 protected resources is " +
                "left in the state to protect again. Next, once the cause is fixed: check that no other app has that " +
                `name (az ad app list --display-name inventory-api-prod), then ${UP}`],
    ])("%s fails: protects again those still in the state, and says what to run next", async (_step, results, after, expected, message) => {
        const { io, calls } = fakeConsole({ states: [initial, after], results });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"]);
        expect(result.code).toBe(1);
        expect(calls).toEqual(expected);
        expect(result.stderr.split("\n").at(-1)).toBe(message);
    });

    it.each<[Step, string, string[][], string]>([
        ["unprotect", initial, [...start, exportOf("inventory-api-prod"), protectOf("inventory-api-prod", PROD_PROTECTED)],
            "revoke: interrupted after pulumi state unprotect; nothing was deleted; all 4 protected resources are " +
                `protected again. Next: ${RERUN}`],
        ["destroy", exported("inventory-api-prod", []), [...start, destroyOf("inventory-api-prod", PROD_ALL), exportOf("inventory-api-prod")],
            "revoke: interrupted after pulumi destroy; the old identity is deleted, so its credentials no longer " +
                `work; none of the 4 protected resources is left in the state to protect again. Next: ${UP}`],
    ])("Ctrl-C during %s, which still succeeds: stops there and protects again", async (step, after, expected, message) => {
        const listeners = process.listenerCount("SIGINT");
        const { io, calls } = fakeConsole({
            states: [initial, after],
            during: (command) => { if (stepOf(command) === step) process.emit("SIGINT", "SIGINT"); },
        });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"]);
        expect(result.code).toBe(1);
        expect(calls).toEqual(expected);
        expect(result.stderr.split("\n").slice(-2)).toEqual([
            "revoke: SIGINT: stopping after the current step; what was unprotected is protected again", message,
        ]);
        expect(process.listenerCount("SIGINT")).toBe(listeners);
    });

    it("when protecting again fails too, prints the exact command to run before anything else", async () => {
        const { io, calls } = fakeConsole({ states: [initial, unprotectedState], results: { destroy: [failed()], protect: [failed()] } });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"]);
        expect(result.code).toBe(1);
        expect(calls).toEqual([...start, destroyOf("inventory-api-prod", PROD_ALL), exportOf("inventory-api-prod"), protectOf("inventory-api-prod", PROD_PROTECTED)]);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: pulumi destroy failed (exit 255), and protecting again " +
            "failed too (pulumi state protect: exit 255). Before anything else, protect those 'pulumi stack " +
            `--show-urns --stack inventory-api-prod' still lists: ${shellLine(protectOf("inventory-api-prod", PROD_PROTECTED))}`);
    });

    it("when the state cannot be read to protect again, prints the command for every URN it unprotected", async () => {
        const { io, calls } = fakeConsole({ states: [initial], results: { destroy: [failed()], export: [{ status: 0, output: initial }, failed()] } });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"]);
        expect(result.code).toBe(1);
        expect(calls).toEqual([...start, destroyOf("inventory-api-prod", PROD_ALL), exportOf("inventory-api-prod")]);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: pulumi destroy failed (exit 255), and protecting again " +
            "failed too (pulumi stack export: exit 255). Before anything else, protect those 'pulumi stack " +
            `--show-urns --stack inventory-api-prod' still lists: ${shellLine(protectOf("inventory-api-prod", PROD_PROTECTED))}`);
    });
});

describe("npm run revoke: --print-commands and a missing CLI", () => {
    const PROD_LINES = [
        shellLine(unprotectOf("inventory-api-prod", PROD_PROTECTED)),
        shellLine(destroyOf("inventory-api-prod", PROD_ALL)),
        "pulumi up --stack inventory-api-prod --yes --suppress-outputs",
        purgeComment("inventory-api-prod"),
        "# if a step fails, protect again those that 'pulumi stack --show-urns --stack inventory-api-prod' still lists: " +
            shellLine(protectOf("inventory-api-prod", PROD_PROTECTED)),
    ];

    it.each<[string, string[], string[]]>([
        ["inventory-api-prod", ["--stack", "inventory-api-prod"], PROD_LINES],
        ["inventory-api-dev", ["--stack", "inventory-api-dev"], [shellLine(destroyOf("inventory-api-dev", DEV_ALL)), "pulumi up --stack inventory-api-dev --yes --suppress-outputs", purgeComment("inventory-api-dev")]],
        ["a developer of local", ["--stack", "inventory-api-local", "--developer", "alice"],
            [shellLine(destroyOf("inventory-api-local", ALICE_ALL)), "pulumi up --stack inventory-api-local --yes --suppress-outputs", purgeComment("inventory-api-local")]],
    ])("prints the exact sequence for %s and runs nothing", async (_case, args, lines) => {
        const { io, calls } = fakeConsole({});
        expect(await runCli((argv) => main(argv, io, ROOT), [...args, "--print-commands"]))
            .toEqual({ code: 0, stdout: lines.join("\n"), stderr: "" });
        expect(calls).toEqual([]);
    });

    it("quotes each URN for the shell", () => {
        expect(shellLine(["pulumi", "destroy", "--target", DEV.app])).toBe(`pulumi destroy --target '${DEV.app}'`);
    });

    it("prints the exact commands when the Pulumi CLI is missing, and says nothing was revoked", async () => {
        const { io } = fakeConsole({ cli: "missing" });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-prod", "--yes"]);
        expect(result).toEqual({ code: 1, stdout: PROD_LINES.join("\n"), stderr: [PROD_INTRO,
            "revoke: the Pulumi CLI is not on PATH, so nothing was revoked. Run these where it is:"].join("\n") });
    });

    it("finds out for real that the CLI is missing, running nothing", async () => {
        const result = await withPath("/nonexistent", () => runCli((argv) => main(argv), ["--stack", "inventory-api-dev", "--yes"]));
        expect(result.code).toBe(1);
        expect(result.stdout).toBe([shellLine(destroyOf("inventory-api-dev", DEV_ALL)), "pulumi up --stack inventory-api-dev --yes --suppress-outputs",
            purgeComment("inventory-api-dev")].join("\n"));
        expect(purgeComment("inventory-api-dev")).toBe("# then delete the old app and service principal for good (Entra keeps them " +
            "restorable for 30 days): az rest --method DELETE --url https://graph.microsoft.com/v1.0/directory/deletedItems/OBJECT_ID, " +
            "for the objectId of each in 'pulumi stack export --stack inventory-api-dev' before the destroy");
    });
});

describe("npm run revoke with a stand-in Pulumi CLI (test/fixtures/fakes/pulumi-revoke.sh)", () => {
    const dirs: string[] = [];
    afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });

    it("runs the real processes: reads the state, destroys, retries the up once on the duplicate-name error", async () => {
        const dir = mkdtempSync(join(tmpdir(), "revoke-"));
        dirs.push(dir);
        const files = { state: join(dir, "state.json"), log: join(dir, "log"), duplicates: join(dir, "duplicates") };
        writeFileSync(files.state, exported("inventory-api-dev", DEV_ALL));
        writeFileSync(files.duplicates, "1\n");
        const env = { FAKE_PULUMI_STATE: files.state, FAKE_PULUMI_LOG: files.log, FAKE_PULUMI_DUPLICATES: files.duplicates, FAKE_PULUMI_APP: "inventory-api-dev" };
        Object.assign(process.env, env);
        const sleeps: number[] = [];
        const io: Console = { ...processConsole, isInteractive: false, sleep: (seconds) => { sleeps.push(seconds); return Promise.resolve(); },
            deleteDeletedItem: () => Promise.resolve({ status: 204, message: "" }) };
        try {
            const result = await withPath(`${fakeCommandsDir(dir, { pulumi: "pulumi-revoke.sh" })}:${process.env["PATH"]}`,
                () => runCli((argv) => main(argv, io, ROOT), ["--stack", "inventory-api-dev", "--yes"]));
            expect(result.code).toBe(0);
        } finally {
            for (const key of Object.keys(env)) Reflect.deleteProperty(process.env, key);
        }
        expect(readFileSync(files.log, "utf8").split("\n")).toEqual([
            "stack export --stack inventory-api-dev", destroyOf("inventory-api-dev", DEV_ALL).slice(1).join(" "),
            "up --stack inventory-api-dev --yes --suppress-outputs", "up --stack inventory-api-dev --yes --suppress-outputs", "",
        ]);
        expect(sleeps).toEqual([15]);
    });
});

describe("npm run revoke: usage", () => {
    it("documents itself with --help", async () => {
        const result = await runCli((argv) => main(argv), ["--help"]);
        expect(result.code).toBe(0);
        expect(result.stdout.split("\n")[0]).toBe("usage: npm run revoke -- --stack NAME [--developer NAME] [--yes] [--print-commands]");
        expect(result.stdout).toContain("pulumi destroy --target");
    });

    it.each<[string, string[], string, number]>([
        ["no stack", [], "revoke: name the stack with --stack NAME", 2],
        ["a developer stack without --developer", ["--stack", "inventory-api-local"],
            "revoke: stack inventory-api-local has an identity per developer (alice, bob): name one with --developer", 1],
        ["an unknown developer", ["--stack", "inventory-api-local", "--developer", "mallory"],
            'revoke: stack inventory-api-local has no developer "mallory"; its developers: alice, bob', 1],
        ["--developer on an environment stack", ["--stack", "inventory-api-dev", "--developer", "alice"],
            "revoke: stack inventory-api-dev has no developers; leave out --developer", 1],
        ["an unknown stack", ["--stack", "staging"],
            "revoke: stacks/Pulumi.staging.yaml: no such stack; the stacks are: inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test", 1],
    ])("refuses %s in one line", async (_case, args, message, code) => {
        const { io, calls } = fakeConsole({});
        expect(await runCli((argv) => main(argv, io, ROOT), args)).toEqual({ code, stdout: "", stderr: message });
        expect(calls).toEqual([]);
    });
});

describe("shellLine", () => {
    it.each([
        [["pulumi", "up", "--stack", "inventory-api-dev"], "pulumi up --stack inventory-api-dev"],
        [["a$b", "it's", "x y"], "'a$b' 'it'\\''s' 'x y'"],
    ])("quotes %j as %s", (command, line) => {
        expect(shellLine(command)).toBe(line);
    });
});

/**
 * The creates an interrupted `pulumi up` left pending in the state, and what Entra and ARM hold of each.
 *
 * A `pulumi up` killed mid-create leaves the resource it was creating as a pending CREATE operation: the engine
 * wrote the operation, never its result (no ID). The next `up` warns ("Attempting to deploy or update resources
 * with N pending operations from previous deployment"), keeps the operation pending and creates the resource again
 * (pkg/engine/lifecycletest pending-operations tests, pulumi/pulumi v3.276.0). For this program that second create
 * fails safely rather than doubling: an app of the same name is refused (preventDuplicateNames), a role assignment
 * of the same deterministic name is refused by azure-native's existence check; a client secret is simply made again,
 * leaving the first as an orphan nobody knows the value of (the audit lists it, findings.ts).
 *
 * The repair (repairCommands) clears the pending creates and imports what Azure holds of each with `pulumi import`.
 * The IDs are the providers' own: `/applications/{objectId}` and `/servicePrincipals/{objectId}` (azuread), the
 * role assignment's ARM ID (azure-native: scope + roleAssignments/ + roleAssignmentName, which the program
 * computes, so the pending create's inputs name it). A credential is never imported: its secret value or private
 * key is nowhere to import from; its orphan is removed and its create cleared, and the next `up` makes it anew.
 */
import { execFile } from "node:child_process";
import { shellLine } from "../../common/shellLine";
import { ROLE_ASSIGNMENTS_API } from "../adopt/existing";
import { ARM, AzureRequestError, GRAPH, type AzureReader } from "../azure/rest";
import { APP_TYPE, CERTIFICATE_TYPE, FEDERATED_TYPE, PASSWORD_TYPE, ROLE_ASSIGNMENT_TYPE, SP_TYPE, urnName, type DeclaredIdentity, type PendingCreate } from "./declared";
import type { Finding, FindingKind } from "./findings";

/** A pending create and what Azure holds of it. */
export interface PendingState {
    readonly create: PendingCreate;
    readonly kind: FindingKind;
    /** The provider ID of what the create made, when Azure holds it (then the repair imports it). */
    readonly made: string | undefined;
    /** The Graph object it belongs to: the app's or the service principal's object ID, when known. */
    readonly objectId: string;
    readonly on: Finding["on"];
    /** What was found, in words. */
    readonly found: string;
}

const KINDS: Readonly<Record<string, FindingKind>> = {
    [APP_TYPE]: "application", [SP_TYPE]: "service-principal", [ROLE_ASSIGNMENT_TYPE]: "role-assignment",
    [PASSWORD_TYPE]: "password", [CERTIFICATE_TYPE]: "certificate", [FEDERATED_TYPE]: "federated-credential",
};

const input = (create: PendingCreate, key: string) => {
    const value = create.inputs[key];
    return typeof value === "string" ? value : "";
};
/** OData string literal: single quotes doubled (odata.EscapeSingleQuote in terraform-provider-azuread). */
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The role assignment's ARM ID as azure-native forms it from the path parameters. */
export const pendingRoleAssignmentId = (create: PendingCreate) =>
    `${input(create, "scope")}/providers/Microsoft.Authorization/roleAssignments/${input(create, "roleAssignmentName")}`;

/**
 * Reads, as the deployer, what Entra and ARM hold of each pending create this program can make. `declared`: the
 * stack's identities, for the app a pending credential belongs to.
 */
export async function readPendingCreates(reader: AzureReader, pending: readonly PendingCreate[],
    declared: readonly DeclaredIdentity[] = []): Promise<PendingState[]> {
    const states: PendingState[] = [];
    for (const create of pending) {
        const kind = KINDS[create.type];
        if (kind === undefined) continue;
        const app = declared.find((identity) => identity.identity === create.identity)?.application.objectId ?? "";
        states.push(await readOne(reader, create, kind, app));
    }
    return states;
}

async function readOne(reader: AzureReader, create: PendingCreate, kind: FindingKind, app: string): Promise<PendingState> {
    switch (kind) {
        case "application": {
            const name = input(create, "displayName");
            const apps = (await reader.list<{ id: string; displayName: string }>(GRAPH,
                `/v1.0/applications?$filter=${encodeURIComponent(`displayName eq ${literal(name)}`)}`))
                .filter((app) => app.displayName === name);
            const only = apps.length === 1 ? apps[0]!.id.toLowerCase() : undefined;
            return { create, kind, made: only === undefined ? undefined : `/applications/${only}`, objectId: only ?? "", on: "applications",
                found: apps.length === 0 ? `Entra holds no app registration named ${JSON.stringify(name)}`
                    : apps.length === 1 ? `Entra holds app registration ${only} named ${JSON.stringify(name)}`
                    : `Entra holds ${apps.length} app registrations named ${JSON.stringify(name)} (${apps.map((app) => app.id).join(", ")}): remove all but one first` };
        }
        case "service-principal": {
            const clientId = input(create, "clientId");
            const found = await reader.list<{ id: string }>(GRAPH,
                `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq ${literal(clientId)}`)}`);
            const id = found[0]?.id.toLowerCase();
            return { create, kind, made: id === undefined ? undefined : `/servicePrincipals/${id}`, objectId: id ?? "", on: "servicePrincipals",
                found: id === undefined ? `Entra holds no service principal of client ID ${clientId}` : `Entra holds service principal ${id} of client ID ${clientId}` };
        }
        case "role-assignment": {
            const id = pendingRoleAssignmentId(create);
            const held = await heldAt(reader, id);
            return { create, kind, made: held ? id : undefined, objectId: input(create, "principalId").toLowerCase(), on: "servicePrincipals",
                found: held ? `ARM holds role assignment ${id}` : `ARM holds no role assignment ${id}` };
        }
        default:
            return { create, kind, made: undefined, objectId: app, on: "applications",
                found: "a credential is made again by the next pulumi up, never imported; an orphan it left is listed above" };
    }
}

async function heldAt(reader: AzureReader, id: string): Promise<boolean> {
    try {
        await reader.get(ARM, `${id}?api-version=${ROLE_ASSIGNMENTS_API}`);
        return true;
    } catch (error) {
        if (error instanceof AzureRequestError && error.status === 404) return false;
        throw error;
    }
}

/**
 * The repair of every pending create of the stack, in order: one `pulumi refresh --clear-pending-creates` (it drops
 * them all from the state), then one `pulumi import` of each that Azure holds, under its component, as the program
 * declares it. Not `--import-pending-creates`: the CLI turns those into pending imports, and the refresh that follows
 * drops every pending operation other than a create without importing it (pulumi/pulumi#8435, "pending operations
 * are not carried over from the base statefile"; seen with v3.276.0: the state ended with neither). The import's
 * inputs are what the provider reads back; the next `pulumi up` brings them to the program's.
 */
export function repairCommands(stack: string, states: readonly PendingState[]): string[][] {
    if (states.length === 0) return [];
    return [["refresh", "--stack", stack, "--yes", "--clear-pending-creates"], ...states.flatMap((state) => state.made === undefined ? [] : [[
        "import", state.create.type, urnName(state.create.urn), state.made, "--stack", stack,
        ...(state.create.parent === undefined ? [] : ["--parent", `parent=${state.create.parent}`]),
        "--generate-code=false", "--protect=false", "--yes"]])];
}

/** One finding per pending create, each carrying the stack's whole repair: running any one repairs them all. */
export function pendingFindings(stack: string, states: readonly PendingState[]): Finding[] {
    const command = repairCommands(stack, states).map((words) => shellLine(["pulumi", ...words])).join(" && ");
    return states.map((state) => ({
        stack, identity: state.create.identity, status: "pending", kind: state.kind,
        id: state.made ?? state.create.urn, objectId: state.objectId, on: state.on,
        description: `an interrupted pulumi up was creating ${urnName(state.create.urn)}; ${state.found}; ` +
            (state.made === undefined ? "the repair clears the pending create" : "the repair imports it into the state"),
        command,
    }));
}

export type RepairPending = (stack: string, states: readonly PendingState[]) => Promise<string | undefined>;

/** The repair run with the Pulumi CLI in `cwd`, command by command; the first line of the first failure's error output. */
export function cliRepair(cwd: string, env: NodeJS.ProcessEnv): RepairPending {
    return async (stack, states) => {
        for (const words of repairCommands(stack, states)) {
            const failed = await new Promise<string | undefined>((resolve) => {
                execFile("pulumi", words, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
                    if (error === null) return resolve(undefined);
                    const first = stderr.split("\n").map((line) => line.trim()).find((line) => line !== "");
                    resolve(`pulumi ${words[0]}: ${first ?? `exit ${String(error.code)}`}`);
                });
            });
            if (failed !== undefined) return failed;
        }
        return undefined;
    };
}

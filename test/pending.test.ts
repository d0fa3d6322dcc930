/**
 * What an interrupted `pulumi up` left pending (issue 28 part 3), without Azure or the CLI: the pending creates read
 * from an exported state, what the deployer's reads find of each (a recording reader in place of Graph and ARM),
 * the repair's exact commands, the findings' text, and --fix's repair results. test/engine/interrupted.test.ts runs
 * the whole on the real engine, killing a real `pulumi up` at each step.
 */
import { describe, expect, it } from "vitest";
import { pendingCreatesIn, type PendingCreate } from "../tools/audit/declared";
import { repairPending, renderFixes } from "../tools/audit/fix";
import { pendingFindings, readPendingCreates, repairCommands, type PendingState } from "../tools/audit/pending";
import { renderJson, renderText } from "../tools/audit/render";
import { AzureRequestError, type AzureReader } from "../tools/azure/rest";

const STACK = "inventory-api-dev";
const APP = "11111111-1111-1111-1111-111111111111";
const SP = "22222222-2222-2222-2222-222222222222";
const CLIENT = "c9107959-3ece-45cb-abcb-0d86c827d15b";
const GROUP = "/subscriptions/00000000-0000-0000-0000-00000000bbbb/resourceGroups/rg-inventory-dev";
const ASSIGNMENT_NAME = "a483b782-e728-557e-b363-52e866821b75";
const ASSIGNMENT = `${GROUP}/providers/Microsoft.Authorization/roleAssignments/${ASSIGNMENT_NAME}`;
const PREFIX = `urn:pulumi:${STACK}::app-identity::appidentity:azure:AppIdentity`;
const COMPONENT = `${PREFIX}::${STACK}`;
const APP_TYPE = "azuread:index/application:Application";
const SP_TYPE = "azuread:index/servicePrincipal:ServicePrincipal";
const PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword";
const RA_TYPE = "azure-native:authorization:RoleAssignment";
const urnOf = (type: string, name: string) => `${PREFIX}$${type}::${name}`;

/** A pending create as the engine writes it: the resource with its inputs as registered, no ID. */
const operation = (type: string, name: string, inputs: Record<string, unknown>, kind = "creating") =>
    ({ type: kind, resource: { urn: urnOf(type, name), type, parent: COMPONENT, custom: true, inputs } });

const exportedWith = (operations: unknown[]) => JSON.stringify({ version: 3, deployment: { resources: [], pending_operations: operations } });

const APP_CREATE = operation(APP_TYPE, STACK, { displayName: STACK, preventDuplicateNames: true });
const SP_CREATE = operation(SP_TYPE, STACK, { clientId: CLIENT });
const RA_CREATE = operation(RA_TYPE, `${STACK}/rg-inventory-dev/storage-blob-data-contributor`,
    { scope: GROUP, roleAssignmentName: ASSIGNMENT_NAME, principalId: SP.toUpperCase(), principalType: "ServicePrincipal" });
const PASSWORD_CREATE = operation(PASSWORD_TYPE, `${STACK}-secret-b`, { displayName: "slot b, rotated 2027-04-17" });

/** A reader that answers from a table and records every call, in order; a missing answer is Graph's 404. */
function recordingReader(answers: Record<string, unknown>): { reader: AzureReader; calls: string[] } {
    const calls: string[] = [];
    const answer = (path: string) => {
        calls.push(`GET ${path}`);
        const found = answers[path];
        if (found === undefined) return Promise.reject(new AzureRequestError(404, "NotFound", "not found", path));
        if (found instanceof Error) return Promise.reject(found);
        return Promise.resolve(found);
    };
    const reader = {
        get: (_api: unknown, path: string) => answer(path),
        list: async (_api: unknown, path: string) => ((await answer(path)) as { value: unknown[] }).value,
    } as unknown as AzureReader;
    return { reader, calls };
}

const appsFilter = `/v1.0/applications?$filter=${encodeURIComponent(`displayName eq '${STACK}'`)}`;
const spFilter = `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${CLIENT}'`)}`;
const assignmentGet = `${ASSIGNMENT}?api-version=2022-04-01`;

describe("pendingCreatesIn: the creates an exported state holds pending", () => {
    it("each pending create in order, with its identity, parent and inputs; other pending operations are not creates", () => {
        const creates = pendingCreatesIn(exportedWith([APP_CREATE, operation(PASSWORD_TYPE, `${STACK}-secret-a`, {}, "deleting"), PASSWORD_CREATE]));
        expect(creates).toEqual([
            { urn: urnOf(APP_TYPE, STACK), type: APP_TYPE, identity: STACK, parent: COMPONENT, displayName: STACK,
                inputs: { displayName: STACK, preventDuplicateNames: true } },
            { urn: urnOf(PASSWORD_TYPE, `${STACK}-secret-b`), type: PASSWORD_TYPE, identity: STACK, parent: COMPONENT,
                displayName: "slot b, rotated 2027-04-17", inputs: { displayName: "slot b, rotated 2027-04-17" } },
        ]);
    });

    it("a state with no pending operations has none", () => {
        expect(pendingCreatesIn(JSON.stringify({ version: 3, deployment: { resources: [] } }))).toEqual([]);
    });
});

describe("readPendingCreates: what Entra and ARM hold of each", () => {
    const creates = pendingCreatesIn(exportedWith([APP_CREATE, SP_CREATE, RA_CREATE, PASSWORD_CREATE]));
    const declared = [{ identity: STACK, application: { objectId: APP } }] as unknown as Parameters<typeof readPendingCreates>[2];

    it("the app by its name, the principal by its client ID, the role assignment by its ID; a credential is not read", async () => {
        const { reader, calls } = recordingReader({
            [appsFilter]: { value: [{ id: APP.toUpperCase(), displayName: STACK }, { id: "99999999-9999-9999-9999-999999999999", displayName: `${STACK}-old` }] },
            [spFilter]: { value: [{ id: SP }] },
            [assignmentGet]: { id: ASSIGNMENT },
        });
        const states = await readPendingCreates(reader, creates, declared);
        expect(calls).toEqual([
            "GET /v1.0/applications?$filter=displayName%20eq%20'inventory-api-dev'",
            "GET /v1.0/servicePrincipals?$filter=appId%20eq%20'c9107959-3ece-45cb-abcb-0d86c827d15b'",
            `GET ${assignmentGet}`,
        ]);
        expect(states.map(({ kind, made, objectId, on, found }) => ({ kind, made, objectId, on, found }))).toEqual([
            { kind: "application", made: `/applications/${APP}`, objectId: APP, on: "applications",
                found: `Entra holds app registration ${APP} named "${STACK}"` },
            { kind: "service-principal", made: `/servicePrincipals/${SP}`, objectId: SP, on: "servicePrincipals",
                found: `Entra holds service principal ${SP} of client ID ${CLIENT}` },
            { kind: "role-assignment", made: ASSIGNMENT, objectId: SP, on: "servicePrincipals", found: `ARM holds role assignment ${ASSIGNMENT}` },
            { kind: "password", made: undefined, objectId: APP, on: "applications",
                found: "a credential is made again by the next pulumi up, never imported; an orphan it left is listed above" },
        ]);
    });

    it("nothing held: none is imported; two apps of the name are named, for the user to remove all but one", async () => {
        const none = await readPendingCreates(recordingReader({ [appsFilter]: { value: [] }, [spFilter]: { value: [] } }).reader, creates.slice(0, 3));
        expect(none.map(({ made, found }) => [made, found])).toEqual([
            [undefined, `Entra holds no app registration named "${STACK}"`],
            [undefined, `Entra holds no service principal of client ID ${CLIENT}`],
            [undefined, `ARM holds no role assignment ${ASSIGNMENT}`],
        ]);
        const two = await readPendingCreates(recordingReader({ [appsFilter]: { value: [{ id: APP, displayName: STACK }, { id: SP, displayName: STACK }] } }).reader,
            creates.slice(0, 1));
        expect(two.map(({ made, found }) => [made, found])).toEqual([
            [undefined, `Entra holds 2 app registrations named "${STACK}" (${APP}, ${SP}): remove all but one first`]]);
    });

    it("a name with a quote is an OData literal with the quote doubled", async () => {
        const { reader, calls } = recordingReader({ [`/v1.0/applications?$filter=${encodeURIComponent("displayName eq 'o''brien'")}`]: { value: [] } });
        await readPendingCreates(reader, pendingCreatesIn(exportedWith([operation(APP_TYPE, "o'brien", { displayName: "o'brien" })])));
        expect(calls).toEqual(["GET /v1.0/applications?$filter=displayName%20eq%20'o''brien'"]);
    });

    it("an ARM error other than 404 stops the audit", async () => {
        const { reader } = recordingReader({ [assignmentGet]: new AzureRequestError(403, "AuthorizationFailed", "refused", assignmentGet) });
        await expect(readPendingCreates(reader, creates.slice(2, 3))).rejects.toThrow(AzureRequestError);
    });

    it("a pending create of a type this program never makes is left alone", async () => {
        const { reader, calls } = recordingReader({});
        expect(await readPendingCreates(reader, pendingCreatesIn(exportedWith([operation("random:index/randomUuid:RandomUuid", "x", {})])))).toEqual([]);
        expect(calls).toEqual([]);
    });
});

const state = (create: unknown, made: string | undefined, kind: PendingState["kind"], found: string): PendingState =>
    ({ create: pendingCreatesIn(exportedWith([create]))[0] as PendingCreate, kind, made, objectId: APP, on: "applications", found });
const APP_HELD = state(APP_CREATE, `/applications/${APP}`, "application", `Entra holds app registration ${APP} named "${STACK}"`);
const PASSWORD = state(PASSWORD_CREATE, undefined, "password", "a credential is made again");

describe("repairCommands: clear every pending create, then import what Azure holds", () => {
    it("one refresh that clears them, then one import per held create under its component, in order", () => {
        expect(repairCommands(STACK, [APP_HELD, PASSWORD])).toEqual([
            ["refresh", "--stack", STACK, "--yes", "--clear-pending-creates"],
            ["import", APP_TYPE, STACK, `/applications/${APP}`, "--stack", STACK, "--parent", `parent=${COMPONENT}`,
                "--generate-code=false", "--protect=false", "--yes"],
        ]);
    });

    it("nothing pending: no command at all", () => {
        expect(repairCommands(STACK, [])).toEqual([]);
    });
});

describe("pendingFindings: one per pending create, each with the stack's whole repair", () => {
    const findings = pendingFindings(STACK, [APP_HELD, PASSWORD]);
    const repair = `pulumi refresh --stack ${STACK} --yes --clear-pending-creates && pulumi import ${APP_TYPE} ${STACK} /applications/${APP} ` +
        `--stack ${STACK} --parent parent=${COMPONENT} --generate-code=false --protect=false --yes`;

    it("the held app is imported; the credential's create is cleared", () => {
        expect(findings).toEqual([
            { stack: STACK, identity: STACK, status: "pending", kind: "application", id: `/applications/${APP}`, objectId: APP, on: "applications",
                description: `an interrupted pulumi up was creating ${STACK}; Entra holds app registration ${APP} named "${STACK}"; the repair imports it into the state`,
                command: repair },
            { stack: STACK, identity: STACK, status: "pending", kind: "password", id: urnOf(PASSWORD_TYPE, `${STACK}-secret-b`), objectId: APP, on: "applications",
                description: `an interrupted pulumi up was creating ${STACK}-secret-b; a credential is made again; the repair clears the pending create`,
                command: repair },
        ]);
    });

    it("text: the counts name the pending, each with its repair; JSON counts them", () => {
        const report = { stack: STACK, identities: [], findings, roleScopes: { read: [] } };
        expect(renderText(report).split("\n")).toEqual([
            `Audit of stack ${STACK} (no app identity in the state): 0 undeclared, 0 missing, 2 pending; no role assignments read (no service principal)`,
            `  pending application of ${STACK}: ${findings[0]!.description}`, `    repair: ${repair}`,
            `  pending password of ${STACK}: ${findings[1]!.description}`, `    repair: ${repair}`,
        ]);
        expect((JSON.parse(renderJson(report)) as { counts: unknown }).counts).toEqual({ undeclared: 0, missing: 0, pending: 2 });
    });

    it("--fix: one repair for the stack; its outcome on every pending finding; nothing pending, no repair", async () => {
        const audit = { stack: STACK, identities: [], findings, pending: [APP_HELD, PASSWORD], roleScopes: { read: [] } };
        const calls: unknown[] = [];
        const repaired = await repairPending(audit, (stack, states) => { calls.push([stack, states.length]); return Promise.resolve(undefined); });
        expect({ calls, lines: renderFixes(repaired) }).toEqual({ calls: [[STACK, 2]], lines: [
            `repaired pending application /applications/${APP} of ${STACK}`,
            `repaired pending password ${urnOf(PASSWORD_TYPE, `${STACK}-secret-b`)} of ${STACK}`] });
        const failed = await repairPending(audit, () => Promise.resolve("pulumi refresh: error: the stack is currently locked by 1 lock(s)."));
        expect(renderFixes(failed)[0]).toBe(`could not repair pending application /applications/${APP} of ${STACK}: ` +
            "pulumi refresh: error: the stack is currently locked by 1 lock(s).");
        expect(await repairPending({ ...audit, findings: [], pending: [] }, () => Promise.reject(new Error("not called")))).toEqual([]);
    });
});

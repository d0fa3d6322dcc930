/**
 * The audit's parts without Azure (issue 29 part 2): what an exported state declares, what the deployer's reads
 * return (a recording reader in place of Graph and ARM), the diff and its commands, the text and JSON exactly,
 * the removals `--fix --yes` makes and their order, and the arguments. test/engine/audit.test.ts runs the whole on
 * the real engine against the local Azure.
 */
import { describe, expect, it } from "vitest";
import { declaredIdentities, type DeclaredIdentity } from "../tools/audit/declared";
import { auditIdentity } from "../tools/audit/findings";
import { shellLine } from "../common/shellLine";
import { fixFindings, graphWritesOf, renderFixes } from "../tools/audit/fix";
import { readObserved, type ObservedIdentity } from "../tools/audit/observed";
import { renderJson, renderText } from "../tools/audit/render";
import { main, parseAuditArguments, renderAudit } from "../tools/audit/command";
import { AzureRequestError, type AzureReader } from "../tools/azure/rest";
import { GraphBudget } from "../tools/fleet/budget";
import { auditOperation } from "../tools/fleet/audit";
import type { Fleet, FleetStack } from "../tools/fleet/inventory";

const APP = "11111111-1111-1111-1111-111111111111";
const SP = "22222222-2222-2222-2222-222222222222";
const DEPLOYER = "33333333-3333-3333-3333-333333333333";
const ADMIN = "44444444-4444-4444-4444-444444444444";
const KEY_A = "aaaaaaaa-0000-0000-0000-000000000001";
const KEY_B = "aaaaaaaa-0000-0000-0000-000000000002";
const CERT = "cccccccc-0000-0000-0000-000000000001";
const FIC = "ffffffff-0000-0000-0000-000000000001";
const SUB = "00000000-0000-0000-0000-00000000bbbb";
const GROUP = `/subscriptions/${SUB}/resourceGroups/rg-inventory-dev`;
const ASSIGNMENT = `${GROUP}/providers/Microsoft.Authorization/roleAssignments/a483b782-e728-557e-b363-52e866821b75`;
const ROLE = (guid: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const PREFIX = "urn:pulumi:inventory-api-dev::app-identity::appidentity:azure:AppIdentity";
const COMPONENT = `${PREFIX}::inventory-api-dev`;
const child = (type: string, name: string) => `${PREFIX}$${type}::${name}`;

/** A state as `pulumi stack export` prints it: an identity with two secrets, a certificate, a federated credential, a role. */
function exported(extra: { pendingOperations?: unknown[]; resources?: unknown[] } = {}): string {
    return JSON.stringify({ version: 3, deployment: {
        resources: [
            { urn: COMPONENT, type: "appidentity:azure:AppIdentity" },
            { urn: child("azuread:index/application:Application", "inventory-api-dev"), type: "azuread:index/application:Application", parent: COMPONENT,
                inputs: { owners: [DEPLOYER.toUpperCase()] }, outputs: { objectId: APP, clientId: "c9107959-3ece-45cb-abcb-0d86c827d15b", owners: [DEPLOYER, ADMIN] } },
            { urn: child("azuread:index/servicePrincipal:ServicePrincipal", "inventory-api-dev"), type: "azuread:index/servicePrincipal:ServicePrincipal",
                parent: COMPONENT, inputs: { owners: [DEPLOYER] }, outputs: { objectId: SP } },
            { urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-a"), type: "azuread:index/applicationPassword:ApplicationPassword",
                parent: COMPONENT, outputs: { keyId: KEY_A, value: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:x" } } },
            { urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-b"), type: "azuread:index/applicationPassword:ApplicationPassword",
                parent: COMPONENT, outputs: { keyId: KEY_B } },
            { urn: child("azuread:index/applicationCertificate:ApplicationCertificate", "inventory-api-dev-certificate-2026-01-01"),
                type: "azuread:index/applicationCertificate:ApplicationCertificate", parent: COMPONENT, outputs: { keyId: CERT } },
            { urn: child("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential", "inventory-api-dev-federated-ci"),
                type: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential", parent: COMPONENT, outputs: { credentialId: FIC } },
            { urn: child("azure-native:authorization:RoleAssignment", "inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor"), id: ASSIGNMENT,
                type: "azure-native:authorization:RoleAssignment", parent: COMPONENT, outputs: { name: "a483b782-e728-557e-b363-52e866821b75" } },
            ...(extra.resources ?? []),
        ],
        ...(extra.pendingOperations === undefined ? {} : { pending_operations: extra.pendingOperations }),
    } });
}

const declared = (): DeclaredIdentity => declaredIdentities(exported())[0]!;

/** Entra and ARM holding exactly what `exported()` declares. */
function matching(): ObservedIdentity {
    return {
        application: {
            passwords: [{ id: KEY_A, displayName: "slot a, rotated 2026-04-17", endDateTime: "2028-04-17T00:00:00Z" },
                { id: KEY_B, displayName: "slot b, rotated 2025-04-17", endDateTime: "2027-04-17T00:00:00Z" }],
            certificates: [{ id: CERT, displayName: "CN=inventory-api-dev", endDateTime: "2027-01-01T00:00:00Z" }],
            keyCredentials: [{ keyId: CERT, key: null, type: "AsymmetricX509Cert", usage: "Verify" }],
            federatedCredentials: [{ id: FIC, name: "ci", subject: "repo:contoso/inventory:environment:dev" }],
            owners: [DEPLOYER],
        },
        servicePrincipalOwners: [DEPLOYER],
        roleAssignments: [{ id: ASSIGNMENT, scope: GROUP, roleDefinitionId: ROLE(CONTRIBUTOR) }],
        roleScopes: { read: [GROUP, `/subscriptions/${SUB}/resourceGroups/rg-inventory-test`], refused: "403 AuthorizationFailed" },
    };
}

describe("declaredIdentities: what the exported state declares", () => {
    it("per identity: the app, its principal, the key IDs, the federated credential, the role assignment; owners from the inputs", () => {
        expect(declared()).toEqual({
            identity: "inventory-api-dev",
            application: { urn: child("azuread:index/application:Application", "inventory-api-dev"), objectId: APP,
                clientId: "c9107959-3ece-45cb-abcb-0d86c827d15b", owners: [DEPLOYER] },
            servicePrincipal: { urn: child("azuread:index/servicePrincipal:ServicePrincipal", "inventory-api-dev"), objectId: SP, owners: [DEPLOYER] },
            passwords: [{ urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-a"), id: KEY_A },
                { urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-b"), id: KEY_B }],
            certificates: [{ urn: child("azuread:index/applicationCertificate:ApplicationCertificate", "inventory-api-dev-certificate-2026-01-01"), id: CERT }],
            federatedCredentials: [{ urn: child("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
                "inventory-api-dev-federated-ci"), id: FIC }],
            roleAssignments: [{ urn: child("azure-native:authorization:RoleAssignment", "inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor"), id: ASSIGNMENT }],
            pendingCreates: [],
        });
    });

    it("a resource pending deletion is not declared; a pending create is kept with its displayName input", () => {
        const [identity] = declaredIdentities(exported({
            resources: [{ urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-b"), delete: true,
                type: "azuread:index/applicationPassword:ApplicationPassword", parent: COMPONENT, outputs: { keyId: "dddddddd-0000-0000-0000-000000000000" } }],
            pendingOperations: [
                { type: "creating", resource: { urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-b"),
                    type: "azuread:index/applicationPassword:ApplicationPassword", parent: COMPONENT, inputs: { displayName: "slot b, rotated 2027-04-17" } } },
                { type: "updating", resource: { urn: "x", type: "y", parent: COMPONENT } },
            ],
        }));
        expect(identity!.passwords.map((password) => password.id)).toEqual([KEY_A, KEY_B]);
        expect(identity!.pendingCreates).toEqual([{ urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-b"),
            type: "azuread:index/applicationPassword:ApplicationPassword", identity: "inventory-api-dev", parent: COMPONENT,
            displayName: "slot b, rotated 2027-04-17", inputs: { displayName: "slot b, rotated 2027-04-17" } }]);
    });

    it("a state without an app identity (a managed identity's grants only, or empty) declares none", () => {
        expect(declaredIdentities(JSON.stringify({ version: 3, deployment: {} }))).toEqual([]);
    });
});

describe("auditIdentity: the findings and their commands", () => {
    it("nothing when Entra and ARM hold exactly what the state declares", () => {
        expect(auditIdentity("inventory-api-dev", declared(), matching())).toEqual([]);
    });

    it("each undeclared kind once, in order, with the command that removes it; the orphan named by its pending create", () => {
        const held = matching();
        const observed: ObservedIdentity = {
            ...held,
            application: {
                ...held.application!,
                passwords: [...held.application!.passwords,
                    { id: "eeeeeeee-0000-0000-0000-000000000001", displayName: "Current", endDateTime: "2028-12-04T10:00:00Z" },
                    { id: "eeeeeeee-0000-0000-0000-000000000002", displayName: "slot b, rotated 2027-04-17", endDateTime: "2029-04-17T00:00:00Z" }],
                certificates: [...held.application!.certificates, { id: "eeeeeeee-0000-0000-0000-000000000003", displayName: null, endDateTime: null }],
                federatedCredentials: [...held.application!.federatedCredentials, { id: "eeeeeeee-0000-0000-0000-000000000004", name: "laptop", subject: "x's" }],
                owners: [DEPLOYER, ADMIN],
            },
            servicePrincipalOwners: [DEPLOYER, ADMIN],
            roleAssignments: [...held.roleAssignments, { id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/r1`,
                scope: `/subscriptions/${SUB}`, roleDefinitionId: ROLE(READER) }],
        };
        const identity = { ...declared(), pendingCreates: [{ urn: child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-b"),
            type: "azuread:index/applicationPassword:ApplicationPassword", identity: "inventory-api-dev", parent: COMPONENT,
            displayName: "slot b, rotated 2027-04-17", inputs: {} }] };
        const findings = auditIdentity("inventory-api-dev", identity, observed);
        expect(findings.map(({ status, kind, id, on, description, command }) => [status, kind, id, on, description, command])).toEqual([
            ["undeclared", "password", "eeeeeeee-0000-0000-0000-000000000001", "applications",
                'client secret "Current" (key ID eeeeeeee-0000-0000-0000-000000000001, ends 2028-12-04) is not in the state',
                `az ad app credential delete --id ${APP} --key-id eeeeeeee-0000-0000-0000-000000000001`],
            ["undeclared", "password", "eeeeeeee-0000-0000-0000-000000000002", "applications",
                'client secret "slot b, rotated 2027-04-17" (key ID eeeeeeee-0000-0000-0000-000000000002, ends 2029-04-17) is not in the state; ' +
                "an interrupted pulumi up was creating inventory-api-dev-secret-b: its orphan",
                `az ad app credential delete --id ${APP} --key-id eeeeeeee-0000-0000-0000-000000000002`],
            ["undeclared", "certificate", "eeeeeeee-0000-0000-0000-000000000003", "applications",
                'certificate "" (key ID eeeeeeee-0000-0000-0000-000000000003, no end date) is not in the state',
                `az ad app credential delete --id ${APP} --key-id eeeeeeee-0000-0000-0000-000000000003 --cert`],
            ["undeclared", "federated-credential", "eeeeeeee-0000-0000-0000-000000000004", "applications",
                'federated credential "laptop" (subject "x\'s", ID eeeeeeee-0000-0000-0000-000000000004) is not in the state',
                `az ad app federated-credential delete --id ${APP} --federated-credential-id eeeeeeee-0000-0000-0000-000000000004`],
            ["undeclared", "owner", ADMIN, "applications", `owner ${ADMIN} of the app registration ${APP} is not declared`,
                `az ad app owner remove --id ${APP} --owner-object-id ${ADMIN}`],
            ["undeclared", "owner", ADMIN, "servicePrincipals", `owner ${ADMIN} of the service principal ${SP} is not declared`,
                `az rest --method DELETE --url 'https://graph.microsoft.com/v1.0/servicePrincipals/${SP}/owners/${ADMIN}/$ref'`],
            ["undeclared", "role-assignment", `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/r1`, "servicePrincipals",
                `role assignment r1 (Storage Blob Data Reader at /subscriptions/${SUB}) is not in the state`,
                `az role assignment delete --ids /subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/r1`],
        ]);
        expect(new Set(findings.map((finding) => `${finding.stack} ${finding.identity} ${finding.objectId}`)))
            .toEqual(new Set([`inventory-api-dev inventory-api-dev ${APP}`, `inventory-api-dev inventory-api-dev ${SP}`]));
    });

    it("what the state declares and Entra or ARM no longer holds is missing, restored by pulumi up --refresh", () => {
        const held = matching();
        const observed: ObservedIdentity = {
            ...held,
            application: { ...held.application!, passwords: held.application!.passwords.slice(0, 1), certificates: [], federatedCredentials: [], owners: [] },
            roleAssignments: [],
        };
        expect(auditIdentity("inventory-api-dev", declared(), observed).map(({ status, kind, description, command }) => [status, kind, description, command])).toEqual([
            ["missing", "password", `client secret inventory-api-dev-secret-b (key ID ${KEY_B}) is in the state but gone from Entra`, "pulumi up --refresh --stack inventory-api-dev"],
            ["missing", "certificate", `certificate inventory-api-dev-certificate-2026-01-01 (key ID ${CERT}) is in the state but gone from Entra`, "pulumi up --refresh --stack inventory-api-dev"],
            ["missing", "federated-credential", `federated credential inventory-api-dev-federated-ci (ID ${FIC}) is in the state but gone from Entra`, "pulumi up --refresh --stack inventory-api-dev"],
            ["missing", "owner", `owner ${DEPLOYER} of the app registration ${APP} is in the state but gone from Entra`, "pulumi up --refresh --stack inventory-api-dev"],
            ["missing", "role-assignment", `role assignment inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor (${ASSIGNMENT}) is in the state but gone from Entra`,
                "pulumi up --refresh --stack inventory-api-dev"],
        ]);
    });

    it("a deleted app and service principal are one finding each, nothing under them", () => {
        const observed: ObservedIdentity = { application: undefined, servicePrincipalOwners: undefined, roleAssignments: [], roleScopes: { read: [] } };
        expect(auditIdentity("inventory-api-dev", declared(), observed).map(({ status, kind, id }) => [status, kind, id])).toEqual([
            ["missing", "application", APP], ["missing", "service-principal", SP],
        ]);
    });

    it("role assignment IDs compare without case, as ARM compares them", () => {
        const held = matching();
        const observed = { ...held, roleAssignments: [{ ...held.roleAssignments[0]!, id: ASSIGNMENT.toLowerCase() }] };
        expect(auditIdentity("inventory-api-dev", declared(), observed)).toEqual([]);
    });

    it("shellLine quotes what a shell would expand or split", () => {
        expect(shellLine(["az", "rest", "--url", "https://x/owners/y/$ref", "it's"])).toBe("az rest --url 'https://x/owners/y/$ref' 'it'\\''s'");
    });
});

describe("the report, as text and as JSON", () => {
    const findings = auditIdentity("inventory-api-dev", declared(), { ...matching(), servicePrincipalOwners: [DEPLOYER, ADMIN] });
    const report = { stack: "inventory-api-dev", identities: ["inventory-api-dev"], roleScopes: matching().roleScopes, findings };

    it("text: a head line with the counts and the scopes read, then each finding and its command", () => {
        expect(renderText(report)).toBe([
            "Audit of stack inventory-api-dev (inventory-api-dev): 1 undeclared, 0 missing; role assignments read at resource groups " +
                "rg-inventory-dev, rg-inventory-test (listing at the subscription was refused: 403 AuthorizationFailed)",
            `  undeclared owner of inventory-api-dev: owner ${ADMIN} of the service principal ${SP} is not declared`,
            `    remove: az rest --method DELETE --url 'https://graph.microsoft.com/v1.0/servicePrincipals/${SP}/owners/${ADMIN}/$ref'`,
        ].join("\n"));
        expect(renderText({ ...report, findings: [], roleScopes: { read: [`/subscriptions/${SUB}`] } }))
            .toBe(`Audit of stack inventory-api-dev (inventory-api-dev): clean; role assignments read at subscription ${SUB}`);
        expect(renderText({ ...report, identities: [], findings: [], roleScopes: { read: [] } }))
            .toBe("Audit of stack inventory-api-dev (no app identity in the state): clean; no role assignments read (no service principal)");
    });

    it("JSON: clean, counts, identities, scopes and one object per finding", () => {
        expect(JSON.parse(renderJson(report))).toEqual({
            stack: "inventory-api-dev", clean: false, counts: { undeclared: 1, missing: 0, pending: 0 }, identities: ["inventory-api-dev"],
            roleScopes: { read: [GROUP, `/subscriptions/${SUB}/resourceGroups/rg-inventory-test`], refused: "403 AuthorizationFailed" },
            findings: [{ stack: "inventory-api-dev", identity: "inventory-api-dev", status: "undeclared", kind: "owner", id: ADMIN, objectId: SP,
                on: "servicePrincipals", description: `owner ${ADMIN} of the service principal ${SP} is not declared`,
                command: `az rest --method DELETE --url 'https://graph.microsoft.com/v1.0/servicePrincipals/${SP}/owners/${ADMIN}/$ref'` }],
        });
    });

    it("never a secret: the state's encrypted secret value is not read into any finding", () => {
        expect(JSON.stringify(declaredIdentities(exported()))).not.toContain("ciphertext");
    });
});

/** A reader that answers from a table and records every call, in order. */
function recordingReader(answers: Record<string, unknown>): { reader: AzureReader; calls: string[] } {
    const calls: string[] = [];
    const answer = (method: string, path: string, body?: unknown) => {
        calls.push(`${method} ${path}${body === undefined ? "" : ` ${JSON.stringify(body)}`}`);
        const found = answers[`${method} ${path}`];
        if (found instanceof Error) return Promise.reject(found);
        return Promise.resolve(found);
    };
    const reader = {
        get: (_api: unknown, path: string) => answer("GET", path),
        list: async (_api: unknown, path: string) => ((await answer("GET", path)) as { value: unknown[] } | undefined)?.value ?? [],
        post: (_api: unknown, path: string, body: unknown) => answer("POST", path, body),
        patch: (_api: unknown, path: string, body: unknown) => answer("PATCH", path, body),
        delete: (_api: unknown, path: string) => answer("DELETE", path),
    } as unknown as AzureReader;
    return { reader, calls };
}

describe("readObserved: the deployer's reads", () => {
    const filter = `?api-version=2022-04-01&$filter=${encodeURIComponent(`principalId eq '${SP}'`)}`;
    const graph = {
        [`GET /v1.0/applications/${APP}`]: { passwordCredentials: [{ keyId: KEY_A.toUpperCase(), displayName: "slot a", endDateTime: "2028-04-17T00:00:00Z" }],
            keyCredentials: [{ keyId: CERT, displayName: null, endDateTime: "2027-01-01T00:00:00Z", key: null }] },
        [`GET /v1.0/applications/${APP}/federatedIdentityCredentials`]: { value: [{ id: FIC, name: "ci", subject: "s" }] },
        [`GET /v1.0/applications/${APP}/owners`]: { value: [{ id: DEPLOYER }] },
        [`GET /v1.0/servicePrincipals/${SP}/owners`]: { value: [{ id: DEPLOYER }] },
    };
    const assignment = { id: ASSIGNMENT, properties: { scope: GROUP, roleDefinitionId: ROLE(CONTRIBUTOR) } };

    it("the subscription refused (403): each of the fleet's resource groups, sorted, each assignment once", async () => {
        const { reader, calls } = recordingReader({ ...graph,
            [`GET /subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments${filter}`]:
                new AzureRequestError(403, "AuthorizationFailed", "no", "/subscriptions"),
            [`GET ${GROUP}/providers/Microsoft.Authorization/roleAssignments${filter}`]: { value: [assignment] },
            [`GET /subscriptions/${SUB}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments${filter}`]: { value: [assignment] },
        });
        const observed = await readObserved(reader, declared(), SUB, ["rg-inventory-test", "rg-inventory-dev", "rg-inventory-test"]);
        expect(observed).toEqual({
            application: { passwords: [{ id: KEY_A, displayName: "slot a", endDateTime: "2028-04-17T00:00:00Z" }],
                certificates: [{ id: CERT, displayName: null, endDateTime: "2027-01-01T00:00:00Z" }],
                keyCredentials: [{ keyId: CERT, displayName: null, endDateTime: "2027-01-01T00:00:00Z", key: null }],
                federatedCredentials: [{ id: FIC, name: "ci", subject: "s" }], owners: [DEPLOYER] },
            servicePrincipalOwners: [DEPLOYER],
            roleAssignments: [{ id: ASSIGNMENT, scope: GROUP, roleDefinitionId: ROLE(CONTRIBUTOR) }],
            roleScopes: { read: [GROUP, `/subscriptions/${SUB}/resourceGroups/rg-inventory-test`], refused: "403 AuthorizationFailed" },
        });
        expect(calls).toEqual([
            `GET /v1.0/applications/${APP}`, `GET /v1.0/applications/${APP}/federatedIdentityCredentials`, `GET /v1.0/applications/${APP}/owners`,
            `GET /v1.0/servicePrincipals/${SP}/owners`,
            `GET /subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments${filter}`,
            `GET ${GROUP}/providers/Microsoft.Authorization/roleAssignments${filter}`,
            `GET /subscriptions/${SUB}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments${filter}`,
        ]);
    });

    it("a deployer that may read the subscription lists there only", async () => {
        const { reader, calls } = recordingReader({ ...graph,
            [`GET /subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments${filter}`]: { value: [assignment] } });
        const observed = await readObserved(reader, declared(), SUB, ["rg-inventory-dev"]);
        expect(observed.roleScopes).toEqual({ read: [`/subscriptions/${SUB}`] });
        expect(calls.filter((call) => call.includes("roleAssignments"))).toHaveLength(1);
    });

    it("a 404 for the app or the principal is a missing object; any other error stops the audit", async () => {
        const gone = new AzureRequestError(404, "Request_ResourceNotFound", "gone", "/v1.0");
        const { reader } = recordingReader({ [`GET /v1.0/applications/${APP}`]: gone, [`GET /v1.0/servicePrincipals/${SP}/owners`]: gone });
        expect(await readObserved(reader, declared(), SUB, [])).toEqual({ application: undefined, servicePrincipalOwners: undefined, roleAssignments: [], roleScopes: { read: [] } });
        const denied = recordingReader({ [`GET /v1.0/applications/${APP}`]: new AzureRequestError(403, "Authorization_RequestDenied", "no", `/v1.0/applications/${APP}`) });
        await expect(readObserved(denied.reader, declared(), SUB, [])).rejects.toThrow(`/v1.0/applications/${APP}: 403 Authorization_RequestDenied: no`);
    });
});

describe("fixFindings: --fix --yes", () => {
    const held = matching();
    const observed: ObservedIdentity = { ...held,
        application: { ...held.application!,
            passwords: [...held.application!.passwords, { id: "eeeeeeee-0000-0000-0000-000000000001", displayName: "Current", endDateTime: null }],
            certificates: [...held.application!.certificates, { id: "eeeeeeee-0000-0000-0000-000000000003", displayName: null, endDateTime: null },
                { id: "eeeeeeee-0000-0000-0000-000000000005", displayName: null, endDateTime: null }],
            keyCredentials: [...held.application!.keyCredentials, { keyId: "eeeeeeee-0000-0000-0000-000000000003", key: null },
                { keyId: "EEEEEEEE-0000-0000-0000-000000000005", key: null }],
            federatedCredentials: [...held.application!.federatedCredentials, { id: "eeeeeeee-0000-0000-0000-000000000004", name: "laptop", subject: "s" }],
            owners: [DEPLOYER, ADMIN] },
        servicePrincipalOwners: [DEPLOYER, ADMIN],
        roleAssignments: [...held.roleAssignments, { id: `${GROUP}/providers/Microsoft.Authorization/roleAssignments/r1`, scope: GROUP, roleDefinitionId: ROLE(READER) }],
    };
    const findings = [...auditIdentity("inventory-api-dev", declared(), observed),
        ...auditIdentity("inventory-api-dev", declared(), { ...matching(), application: { ...matching().application!, owners: [] } })];

    it("removes each undeclared item with its own call, in order; a certificate by writing the rest back; nothing missing touched", async () => {
        const { reader, calls } = recordingReader({ [`DELETE /v1.0/servicePrincipals/${SP}/owners/${ADMIN}/$ref`]: new Error("403 Authorization_RequestDenied") });
        const budget = new GraphBudget(100);
        const taken: number[] = [];
        const take = budget.take.bind(budget);
        budget.take = (writes: number) => { taken.push(writes); return take(writes); };
        const results = await fixFindings(reader, [{ declared: declared(), observed }], findings, budget);
        expect(calls).toEqual([
            `POST /v1.0/applications/${APP}/removePassword {"keyId":"eeeeeeee-0000-0000-0000-000000000001"}`,
            `PATCH /v1.0/applications/${APP} {"keyCredentials":[{"keyId":"${CERT}","key":null,"type":"AsymmetricX509Cert","usage":"Verify"},` +
                '{"keyId":"EEEEEEEE-0000-0000-0000-000000000005","key":null}]}',
            `PATCH /v1.0/applications/${APP} {"keyCredentials":[{"keyId":"${CERT}","key":null,"type":"AsymmetricX509Cert","usage":"Verify"}]}`,
            `DELETE /v1.0/applications/${APP}/federatedIdentityCredentials/eeeeeeee-0000-0000-0000-000000000004`,
            `DELETE /v1.0/applications/${APP}/owners/${ADMIN}/$ref`,
            `DELETE /v1.0/servicePrincipals/${SP}/owners/${ADMIN}/$ref`,
            `DELETE ${GROUP}/providers/Microsoft.Authorization/roleAssignments/r1?api-version=2022-04-01`,
        ]);
        expect(taken).toEqual([6]);
        expect(graphWritesOf(findings)).toBe(6);
        expect(renderFixes(results)).toEqual([
            "removed password eeeeeeee-0000-0000-0000-000000000001 of inventory-api-dev",
            "removed certificate eeeeeeee-0000-0000-0000-000000000003 of inventory-api-dev",
            "removed certificate eeeeeeee-0000-0000-0000-000000000005 of inventory-api-dev",
            "removed federated-credential eeeeeeee-0000-0000-0000-000000000004 of inventory-api-dev",
            `removed owner ${ADMIN} of inventory-api-dev`,
            `could not remove owner ${ADMIN} of inventory-api-dev: 403 Authorization_RequestDenied`,
            `removed role-assignment ${GROUP}/providers/Microsoft.Authorization/roleAssignments/r1 of inventory-api-dev`,
        ]);
        expect(findings.filter((finding) => finding.status === "missing").map((finding) => finding.kind)).toEqual(["owner"]);
    });
});

describe("renderAudit: the command's output with --fix", () => {
    const findings = auditIdentity("inventory-api-dev", declared(), { ...matching(), servicePrincipalOwners: [DEPLOYER, ADMIN] });
    const audit = { stack: "inventory-api-dev", identities: [{ declared: declared(), observed: matching() }], findings, pending: [], roleScopes: { read: [`/subscriptions/${SUB}`] } };
    const fixes = [{ finding: findings[0]!, error: "403 Authorization_RequestDenied" }];

    it("text: the report, then one line per removal", () => {
        expect(renderAudit(audit, "text", fixes).split("\n")).toEqual([
            `Audit of stack inventory-api-dev (inventory-api-dev): 1 undeclared, 0 missing; role assignments read at subscription ${SUB}`,
            `  undeclared owner of inventory-api-dev: owner ${ADMIN} of the service principal ${SP} is not declared`,
            `    remove: az rest --method DELETE --url 'https://graph.microsoft.com/v1.0/servicePrincipals/${SP}/owners/${ADMIN}/$ref'`,
            `could not remove owner ${ADMIN} of inventory-api-dev: 403 Authorization_RequestDenied`,
        ]);
    });

    it("JSON: the report with what was removed, and what was not and why", () => {
        expect((JSON.parse(renderAudit(audit, "json", fixes)) as { fixed: unknown }).fixed).toEqual([
            { kind: "owner", id: ADMIN, identity: "inventory-api-dev", removed: false, error: "403 Authorization_RequestDenied" }]);
        expect(JSON.parse(renderAudit(audit, "json"))).not.toHaveProperty("fixed");
    });
});

describe("npm run audit's arguments", () => {
    it("--stack is required; --fix and --yes only together; text or json", () => {
        expect(parseAuditArguments(["--stack", "s", "--fix", "--yes", "--format", "json", "--root", "/r"]))
            .toEqual({ stack: "s", format: "json", fix: true, root: "/r" });
        expect(() => parseAuditArguments([])).toThrow("--stack is required");
        expect(() => parseAuditArguments(["--stack", "s", "--fix"])).toThrow("--fix removes what the audit finds only with --yes as well; nothing was read or removed");
        expect(() => parseAuditArguments(["--stack", "s", "--yes"])).toThrow("--yes confirms --fix; without --fix there is nothing to confirm");
        expect(() => parseAuditArguments(["--stack", "s", "--format", "yaml"])).toThrow('--format is "yaml"; expected text or json');
        expect(() => parseAuditArguments(["--stack", "s", "extra"])).toThrow('unexpected argument "extra"');
    });
});

describe("npm run audit: bad input, before anything is read", () => {
    const run = async (argv: readonly string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(argv, { env: {}, out: (text) => out.push(text), err: (text) => err.push(text) });
        return { code, out, err };
    };

    it("an unknown stack names the file it looked for and the stacks there are", async () => {
        expect(await run(["--stack", "inventory-api-qa"])).toEqual({ code: 2, out: [], err: [
            'audit: --stack "inventory-api-qa": no stack file stacks/Pulumi.inventory-api-qa.yaml; expected one of ' +
                "inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test"] });
    });

    it("a usage mistake prints the usage", async () => {
        expect(await run(["--stack", "inventory-api-dev", "--fix"])).toEqual({ code: 2, out: [], err: [
            "audit: --fix removes what the audit finds only with --yes as well; nothing was read or removed\n" +
                "usage: npm run audit -- --stack NAME [--format text|json] [--json-file PATH] [--fix --yes] [--root DIR]"] });
    });
});

describe("fleet audit: one stack's operation", () => {
    const filter = `?api-version=2022-04-01&$filter=${encodeURIComponent(`principalId eq '${SP}'`)}`;
    const answers = (owners: string[]) => ({
        [`GET /v1.0/applications/${APP}`]: { passwordCredentials: [{ keyId: KEY_A }, { keyId: KEY_B }], keyCredentials: [{ keyId: CERT }] },
        [`GET /v1.0/applications/${APP}/federatedIdentityCredentials`]: { value: [{ id: FIC, name: "ci", subject: "s" }] },
        [`GET /v1.0/applications/${APP}/owners`]: { value: owners.map((id) => ({ id })) },
        [`GET /v1.0/servicePrincipals/${SP}/owners`]: { value: [{ id: DEPLOYER }] },
        [`GET /subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments${filter}`]:
            { value: [{ id: ASSIGNMENT, properties: { scope: GROUP, roleDefinitionId: ROLE(CONTRIBUTOR) } }] },
    });
    const stack = { stack: "inventory-api-dev", file: "stacks/Pulumi.inventory-api-dev.yaml", problems: [],
        config: { subscriptionId: SUB, roleAssignments: [{ resourceGroup: "rg-inventory-dev", role: "Storage Blob Data Contributor" }] } };
    const fleet = { project: {}, stacks: [stack] } as unknown as Fleet;
    const step = { step: () => undefined };
    const operation = (owners: string[], fix: boolean, collected: unknown[] = [], budget?: GraphBudget,
        pending?: { state: string; repairs: unknown[] }) => {
        const { reader, calls } = recordingReader(answers(owners));
        return { calls, run: () => auditOperation({ reader, exportState: () => Promise.resolve(pending?.state ?? exported()), fleet, fix,
            repair: pending === undefined ? () => Promise.reject(new Error("no pending create to repair"))
                : (name, states) => { pending.repairs.push([name, states.map((item) => item.create.urn)]); return Promise.resolve(undefined); },
            ...(budget === undefined ? {} : { budget }), collect: (audit, fixes) => collected.push([audit.findings.length, fixes?.length]) })(stack as unknown as FleetStack, 0, step) };
    };

    it("clean: succeeds with the detail 'clean'", async () => {
        expect(await operation([DEPLOYER], false).run()).toEqual({ detail: "clean" });
    });

    it("a finding fails the stack with the counts, and is collected", async () => {
        const collected: unknown[] = [];
        await expect(operation([DEPLOYER, ADMIN], false, collected).run()).rejects.toThrow(/^1 undeclared, 0 missing$/);
        expect(collected).toEqual([[1, undefined]]);
    });

    it("a pending create: listed and counted; --fix --yes repairs it with the stack's one repair, after the removals", async () => {
        const urn = child("azuread:index/applicationPassword:ApplicationPassword", "inventory-api-dev-secret-c");
        const state = exported({ pendingOperations: [{ type: "creating", resource: { urn, type: "azuread:index/applicationPassword:ApplicationPassword",
            parent: COMPONENT, inputs: { displayName: "slot c" } } }] });
        await expect(operation([DEPLOYER], false, [], undefined, { state, repairs: [] }).run()).rejects.toThrow(/^0 undeclared, 0 missing, 1 pending$/);
        const repairs: unknown[] = [];
        const { calls, run } = operation([DEPLOYER, ADMIN], true, [], undefined, { state, repairs });
        expect(await run()).toEqual({ detail: "removed 1 undeclared, repaired 1 pending" });
        expect({ lastWrite: calls.at(-1), repairs }).toEqual({ lastWrite: `DELETE /v1.0/applications/${APP}/owners/${ADMIN}/$ref`,
            repairs: [["inventory-api-dev", [urn]]] });
    });

    it("--fix --yes: removed, the stack succeeds, its one Graph write taken from the fleet's budget", async () => {
        // A clock that stands still: a write past the budget waits for ever, with no timer left behind.
        const budget = new GraphBudget(1, 150, { now: () => 0, sleep: () => new Promise<void>(() => undefined) });
        const { calls, run } = operation([DEPLOYER, ADMIN], true, [], budget);
        expect(await run()).toEqual({ detail: "removed 1 undeclared" });
        expect(calls.at(-1)).toBe(`DELETE /v1.0/applications/${APP}/owners/${ADMIN}/$ref`);
        // The budget of 1 is used up for this window: a second write would wait.
        let admitted = false;
        void budget.take(1).then(() => { admitted = true; });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(admitted).toBe(false);
    });
});

/**
 * credential: federated on the real engine (issue 30, part 1): `pulumi up` of a stack that trusts an OIDC issuer's
 * subjects, under the guardrail pack, registers one federated identity credential per entry through the azuread
 * stand-in (terraform-provider-azuread application_federated_identity_credential_resource.go) into the local Graph,
 * exactly as Graph stores them, and no client secret; a preview afterwards changes nothing; a changed subject is
 * updated in place and a renamed entry replaced; the env file names the token file. The issuer is a local one the
 * local Azure serves (localazure/oidc/issuer.ts), so that its tokens are swapped at the local Entra for what `pulumi
 * up` registered, and refused for what it no longer trusts (issue 30, part 2).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { JWT_BEARER } from "../../localazure/clientAssertion";
import { OidcIssuer } from "../../localazure/oidc/issuer";
import { FEDERATED_IDENTITY_CREDENTIALS } from "../../localazure/graph/model";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, copyIntoWorkspace, expectOk, TYPESCRIPT_HOOK, writesSince } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

const NAME = "inventory-api-dev";
const ISSUER = "https://oidc.local-azure.test/cluster-1";
const stackFile = (entries: readonly { name: string; subject: string }[]) =>
    `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")}  app-identity:credential: federated\n` +
    "  app-identity:federatedCredentials:\n" +
    entries.map((entry) => `    - name: ${entry.name}\n      issuer: ${ISSUER}\n      subject: ${entry.subject}\n`).join("");

let azure: LocalAzure;
let workspace: EngineWorkspace;
let issuer: OidcIssuer;

beforeAll(async () => {
    issuer = await OidcIssuer.start("cluster-1");
    azure = await startLocalAzure({ oidcIssuers: [issuer] });
    workspace = await createEngineWorkspace(azure);
    copyIntoWorkspace(workspace, ["tools"]);
    workspace.writeStackFile(NAME, stackFile([{ name: "k8s-dev", subject: "system:serviceaccount:inventory:api" }]));
    expectOk(await workspace.pulumi(["stack", "init", NAME]), `pulumi stack init ${NAME}`);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

/** The app's federated identity credentials as the local Graph stores them, by name. */
function stored(): Record<string, unknown>[] {
    const list = (appNamed(azure, NAME).properties[FEDERATED_IDENTITY_CREDENTIALS] ?? []) as Record<string, unknown>[];
    return [...list].sort((a, b) => String(a["name"]).localeCompare(String(b["name"])));
}

const up = () => workspace.pulumi(["up", "--stack", NAME, "--yes", "--skip-preview", ...workspace.policyArgs]);

/** A client-credentials request with the issuer's token for this subject: the status and Entra's code, if any. */
async function signIn(clientId: string, subject: string): Promise<{ status: number; codes: number[] }> {
    const reply = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, scope: "https://storage.azure.com/.default",
            client_assertion_type: JWT_BEARER, client_assertion: await issuer.mint({ subject, lifetimeSeconds: 3600 }) }).toString(),
    });
    return { status: reply.status, codes: (await reply.json() as { error_codes?: number[] }).error_codes ?? [] };
}

describe("credential: federated on the real engine", () => {
    let firstId = "";
    let clientId = "";

    it("pulumi up under the guardrail pack: the app trusts the subject, with Entra's audience, and holds no secret", async () => {
        const mark = azure.log().length;
        const result = await up();
        expect(result.code, result.stderr).toBe(0);
        expect(stored()).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, name: "k8s-dev", issuer: ISSUER,
            // The provider sends its Optional description as "" when unset (the stand-in as the provider).
            subject: "system:serviceaccount:inventory:api", audiences: ["api://AzureADTokenExchange"], description: "" }]);
        firstId = String(stored()[0]!["id"]);
        expect(appNamed(azure, NAME).passwords).toEqual([]);
        expect(writesSince(azure, mark).filter((write) => write.includes("federatedIdentityCredentials")))
            .toEqual(["POST graph.microsoft.com/v1.0/applications/{id}/federatedIdentityCredentials 201"]);
        const outputs = JSON.parse(expectOk(await workspace.pulumi(["stack", "output", "--json", "--stack", NAME]), "stack output").stdout) as
            Record<string, unknown>;
        clientId = String(outputs["clientId"]);
        expect([outputs["credential"], outputs["clientSecret"], outputs["federatedCredentials"]]).toEqual(["federated", undefined,
            [{ name: "k8s-dev", issuer: ISSUER, subject: "system:serviceaccount:inventory:api" }]]);
        // The local Entra swaps the issuer's token for the registered subject, and no other.
        expect([await signIn(clientId, "system:serviceaccount:inventory:api"), await signIn(clientId, "system:serviceaccount:inventory:worker")])
            .toEqual([{ status: 200, codes: [] }, { status: 401, codes: [700213] }]);
    }, 180_000);

    it("pulumi preview --expect-no-changes afterwards: nothing to change", async () => {
        const result = await workspace.pulumi(["preview", "--stack", NAME, "--expect-no-changes", ...workspace.policyArgs]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
    }, 180_000);

    it("a changed subject is updated in place; a renamed entry is replaced", async () => {
        workspace.writeStackFile(NAME, stackFile([{ name: "k8s-dev", subject: "system:serviceaccount:inventory:api-v2" }]));
        const changed = await up();
        expect(changed.code, changed.stderr).toBe(0);
        expect(stored().map((entry) => [entry["id"], entry["subject"]])).toEqual([[firstId, "system:serviceaccount:inventory:api-v2"]]);
        expect([await signIn(clientId, "system:serviceaccount:inventory:api"), await signIn(clientId, "system:serviceaccount:inventory:api-v2")])
            .toEqual([{ status: 401, codes: [700213] }, { status: 200, codes: [] }]);
        workspace.writeStackFile(NAME, stackFile([{ name: "spire-dev", subject: "spiffe://example.org/inventory-api" }]));
        const renamed = await up();
        expect(renamed.code, renamed.stderr).toBe(0);
        expect(stored().map((entry) => [entry["name"], entry["subject"], entry["id"] === firstId]))
            .toEqual([["spire-dev", "spiffe://example.org/inventory-api", false]]);
    }, 300_000);

    it("npm run env-file --stack --token-file: the client ID, the tenant and the token file", async () => {
        const result = await workspace.run(process.execPath, [...TYPESCRIPT_HOOK, "tools/envFile/command.ts", "--stack", NAME,
            "--token-file", "/run/spire/tokens/azure", "--stdout"]);
        expect(result.code, result.stderr).toBe(0);
        expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
        expect(result.stdout.split("\n").filter((line) => line.startsWith("AZURE_"))).toEqual([
            `AZURE_CLIENT_ID='${clientId}'`, `AZURE_TENANT_ID='${azure.tenantId}'`,
            "AZURE_FEDERATED_TOKEN_FILE='/run/spire/tokens/azure'",
        ]);
    }, 120_000);
});

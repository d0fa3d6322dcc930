/**
 * A stack moves from client secrets to federation without downtime (issue 30, part 1), on the real CLI against the
 * local Azure and its OIDC issuer, in the two deploys the README gives:
 * 1. `pulumi up` with secrets; the server's secret env file signs in;
 * 2. `credential: federated` + `keepSecretsUntilSwitched: true`: exactly one resource created (the federated
 *    credential), the two secrets untouched; the old env file still signs in, and so does the issuer's token;
 * 3. the key removed once every server runs on its token file: the two secrets deleted, the old env file refused as
 *    Entra refuses a secret it no longer holds (AADSTS7000215), the token still swapped.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { JWT_BEARER } from "../../localazure/clientAssertion";
import { OidcIssuer } from "../../localazure/oidc/issuer";
import { resourceSummary } from "../../tools/previewComment/render";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, envFileFromStack, expectOk, signInWith, writesSince, type EnvFile } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

const STACK = "inventory-api-dev";
const ISSUER = "https://oidc.local-azure.test/cluster-1";
const SUBJECT = "system:serviceaccount:inventory:api";
const SECRETS_FILE = readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8");
const FEDERATED = `  app-identity:credential: federated\n  app-identity:federatedCredentials:\n` +
    `    - name: k8s-dev\n      issuer: ${ISSUER}\n      subject: ${SUBJECT}\n`;

let azure: LocalAzure;
let workspace: EngineWorkspace;
let issuer: OidcIssuer;
let secretEnv: EnvFile;
let clientId: string;

const up = () => workspace.pulumi(["up", "--stack", STACK, "--yes", "--skip-preview", ...workspace.policyArgs]);
const passwordKeyIds = () => appNamed(azure, STACK).passwords.map((password) => password.keyId).sort();

/** The token exchange WorkloadIdentityCredential makes with the issuer's token: the status and Entra's codes. */
async function tokenSignIn(): Promise<{ status: number; codes: number[] }> {
    const reply = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, scope: "https://storage.azure.com/.default",
            client_assertion_type: JWT_BEARER, client_assertion: await issuer.mint({ subject: SUBJECT, lifetimeSeconds: 3600 }) }).toString(),
    });
    return { status: reply.status, codes: (await reply.json() as { error_codes?: number[] }).error_codes ?? [] };
}

beforeAll(async () => {
    issuer = await OidcIssuer.start("cluster-1");
    azure = await startLocalAzure({ oidcIssuers: [issuer] });
    workspace = await createEngineWorkspace(azure);
    workspace.writeStackFile(STACK, SECRETS_FILE);
    expectOk(await workspace.pulumi(["stack", "init", STACK]), `pulumi stack init ${STACK}`);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

describe("moving a stack from client secrets to federation without downtime", () => {
    let secretKeyIds: string[];

    it("1. up with secrets: two secrets, and the server's secret env file signs in", async () => {
        const result = expectOk(await up(), "pulumi up with secrets");
        expect(resourceSummary(result.stdout)).toEqual(["+ 7 created"]);
        secretKeyIds = passwordKeyIds();
        expect(secretKeyIds).toHaveLength(2);
        secretEnv = await envFileFromStack(workspace, workspace.env, STACK);
        clientId = secretEnv.variables["AZURE_CLIENT_ID"]!;
        expect(await signInWith(azure, secretEnv)).toEqual({ status: 200 });
    }, 300_000);

    it("2. keepSecretsUntilSwitched: + 1 created (the federated credential), the secrets untouched; the secret and the token both sign in", async () => {
        workspace.writeStackFile(STACK, `${SECRETS_FILE}${FEDERATED}  app-identity:keepSecretsUntilSwitched: true\n`);
        const mark = azure.log().length;
        const result = expectOk(await up(), "pulumi up keeping the secrets");
        expect(resourceSummary(result.stdout)).toEqual(["+ 1 created", "7 unchanged"]);
        expect(writesSince(azure, mark)).toEqual(["POST graph.microsoft.com/v1.0/applications/{id}/federatedIdentityCredentials 201"]);
        expect(passwordKeyIds()).toEqual(secretKeyIds);
        expect(await signInWith(azure, secretEnv)).toEqual({ status: 200 });
        expect(await tokenSignIn()).toEqual({ status: 200, codes: [] });
    }, 300_000);

    it("3. the key removed: - 2 deleted (the secrets); the old env file is refused (AADSTS7000215), the token still signs in", async () => {
        workspace.writeStackFile(STACK, `${SECRETS_FILE}${FEDERATED}`);
        const result = expectOk(await up(), "pulumi up without the secrets");
        expect(resourceSummary(result.stdout)).toEqual(["- 2 deleted", "6 unchanged"]);
        expect(passwordKeyIds()).toEqual([]);
        expect(await signInWith(azure, secretEnv)).toEqual({ status: 401, errorCode: 7000215 });
        expect(await tokenSignIn()).toEqual({ status: 200, codes: [] });
        expectOk(await workspace.pulumi(["preview", "--stack", STACK, "--expect-no-changes", ...workspace.policyArgs]), "pulumi preview --expect-no-changes");
    }, 300_000);
});

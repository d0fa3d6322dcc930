/**
 * `npm run audit` on a `credential: federated` stack (issue 29 part 2), on the real engine against the local Azure:
 * the kinds the secret stack of audit.test.ts has none of. After `pulumi up`, a federated credential and a
 * certificate added by the portal user are found, each with its command; `--fix --yes` removes them as the deployer
 * (the federated credential's DELETE; the certificate by writing keyCredentials back without it, since removeKey
 * needs a proof signed with the app's own key), the declared federated credential stays, and the audit is clean.
 * A declared federated credential deleted by hand is then missing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { environmentFor } from "../../localazure/main";
import { FEDERATED_IDENTITY_CREDENTIALS } from "../../localazure/graph/model";
import { makeSelfSigned } from "../../tools/certificate/selfSigned";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { deployerWrites } from "./scenario";
import { appNamed, expectOk, graphAsAdmin, runTool } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

const STACK = "inventory-api-dev";
const ISSUER = "https://oidc.example.com/cluster-1";
const SCOPES = "role assignments read at resource groups rg-inventory-dev, rg-inventory-test " +
    "(listing at the subscription was refused: 403 AuthorizationFailed)";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let app = "";
let declaredId = "";
const planted = { certificate: "cccccccc-1111-4111-8111-111111111111", federated: "" };

const audit = (args: readonly string[] = []) => runTool(workspace, "audit", ["--root", workspace.dir, "--stack", STACK, ...args],
    { ...workspace.env, ...Object.fromEntries(environmentFor(azure)) });
const named = (text: string) => text.split(app).join("{app}").split(declaredId).join("{declared}").split(planted.federated).join("{planted}");
const stored = () => (appNamed(azure, STACK).properties[FEDERATED_IDENTITY_CREDENTIALS] ?? []) as { id: string; name: string }[];

beforeAll(async () => {
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    workspace.writeStackFile(STACK, `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")}` +
        `  app-identity:credential: federated\n  app-identity:federatedCredentials:\n` +
        `    - name: k8s-dev\n      issuer: ${ISSUER}\n      subject: system:serviceaccount:inventory:api\n`);
    expectOk(await workspace.pulumi(["stack", "init", STACK]), "pulumi stack init");
    expectOk(await workspace.pulumi(["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-outputs", ...workspace.policyArgs]), "pulumi up");
    app = appNamed(azure, STACK).id;
    declaredId = stored()[0]!.id;
}, 180_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

describe("npm run audit on a federated stack", { timeout: 180_000 }, () => {
    it("finds a federated credential and a certificate added by the portal user, each with its command", async () => {
        expect(await audit()).toMatchObject({ code: 0, stdout: `Audit of stack ${STACK} (${STACK}): clean; ${SCOPES}\n` });
        const added = await graphAsAdmin(azure, "POST", `/applications/${app}/federatedIdentityCredentials`,
            { name: "laptop", issuer: "https://token.actions.githubusercontent.com", subject: "repo:someone/fork:ref:refs/heads/main", audiences: ["api://AzureADTokenExchange"] });
        expect(added.status).toBe(201);
        planted.federated = (added.body as { id: string }).id;
        const pem = makeSelfSigned({ commonName: "hand-made", notBefore: new Date("2026-07-10T00:00:00Z"), notAfter: new Date("2027-07-10T00:00:00Z") }).certificatePem;
        expect((await graphAsAdmin(azure, "PATCH", `/applications/${app}`, { keyCredentials: [{ keyId: planted.certificate, type: "AsymmetricX509Cert",
            usage: "Verify", key: Buffer.from(pem).toString("base64"), displayName: "CN=hand-made" }] })).status).toBe(204);

        const result = await audit();
        expect({ code: result.code, stderr: result.stderr, lines: named(result.stdout).split("\n") }).toEqual({ code: 1, stderr: "", lines: [
            `Audit of stack ${STACK} (${STACK}): 2 undeclared, 0 missing; ${SCOPES}`,
            `  undeclared certificate of ${STACK}: certificate "CN=hand-made" (key ID ${planted.certificate}, ends 2027-07-10) is not in the state`,
            `    remove: az ad app credential delete --id {app} --key-id ${planted.certificate} --cert`,
            `  undeclared federated-credential of ${STACK}: federated credential "laptop" (subject "repo:someone/fork:ref:refs/heads/main", ID {planted}) is not in the state`,
            "    remove: az ad app federated-credential delete --id {app} --federated-credential-id {planted}",
            "",
        ] });
    });

    it("--fix --yes removes both as the deployer, keeps the declared credential, and the audit is clean", async () => {
        const mark = azure.log().length;
        const fixed = await audit(["--fix", "--yes"]);
        expect({ code: fixed.code, tail: named(fixed.stdout).split("\n").slice(-3) }).toEqual({ code: 0, tail: [
            `removed certificate ${planted.certificate} of ${STACK}`, `removed federated-credential {planted} of ${STACK}`, ""] });
        expect(deployerWrites(azure, azure.log().slice(mark), { [app]: "{app}", [planted.federated]: "{planted}" })).toEqual([
            "PATCH graph.microsoft.com /v1.0/applications/{app} 204",
            "DELETE graph.microsoft.com /v1.0/applications/{app}/federatedIdentityCredentials/{planted} 204",
        ]);
        expect(appNamed(azure, STACK).properties["keyCredentials"]).toEqual([]);
        expect(stored().map((credential) => [credential.id, credential.name])).toEqual([[declaredId, "k8s-dev"]]);
        expect(await audit()).toMatchObject({ code: 0, stdout: `Audit of stack ${STACK} (${STACK}): clean; ${SCOPES}\n` });
    });

    it("the declared federated credential deleted by hand is missing", async () => {
        expect((await graphAsAdmin(azure, "DELETE", `/applications/${app}/federatedIdentityCredentials/${declaredId}`)).status).toBe(204);
        const result = await audit(["--format", "json"]);
        const report = JSON.parse(result.stdout) as { counts: unknown; findings: { status: string; kind: string; id: string; command: string }[] };
        expect({ code: result.code, counts: report.counts, findings: report.findings.map(({ status, kind, id, command }) => [status, kind, id, command]) }).toEqual({
            code: 1, counts: { undeclared: 0, missing: 1, pending: 0 }, findings: [["missing", "federated-credential", declaredId, `pulumi up --refresh --stack ${STACK}`]] });
    });
});

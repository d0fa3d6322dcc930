/**
 * A tenant that trusts only its certificate authorities (issue 24, defect 6), on the real engine: the default app
 * management policy's trustedCertificateAuthority restriction (keyCredentialConfiguration, beta;
 * learn.microsoft.com/graph/tutorial-applications-basics: it "rejects attempts to add noncompliant certificates").
 * the real `pulumi up` of a stack of self-signed certificates creates the app and then the local Graph refuses the
 * certificate, as Entra does, and no keyCredential is stored; `npm run credential-policy`, run before it as the deployer,
 * refuses the stack with the restriction's line and writes nothing (its rules: test/credentialPolicy.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { DEFAULT_POLICY_ID } from "../../localazure/graph/policies";
import { certificatePath } from "../../infra/certificates";
import { makeSelfSigned } from "../../tools/certificate/selfSigned";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { environmentFor } from "../../localazure/main";
import { appNamed, copyIntoWorkspace, expectOk, graphAsAdmin, MovableClock, pulumiWith, TYPESCRIPT_HOOK, utc, writesSince } from "./support";
import { createEngineWorkspace, runCommand, type EngineWorkspace } from "./workspace";

const NAME = "inventory-api-dev";
const STACK_FILE = `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")}` +
    "  app-identity:credential: certificate\n  app-identity:secretRotationAnchor: \"2024-01-10\"\n";
const CONFIGURATION_ID = "eec5ba11-2fc0-4113-83a2-ed986ed13743";

let azure: LocalAzure;
let workspace: EngineWorkspace;
const clock = new MovableClock(utc("2026-11-21"));

/** Commits the self-signed certificate of `day`'s rotation, as `npm run certificate` makes it. */
function commit(day: string, from: string, to: string): void {
    const made = makeSelfSigned({ commonName: NAME, notBefore: new Date(from), notAfter: new Date(to) });
    const file = join(workspace.dir, certificatePath(NAME, new Date(`${day}T00:00:00Z`)));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, made.certificatePem);
}

beforeAll(async () => {
    azure = await startLocalAzure({ now: clock.now });
    workspace = await createEngineWorkspace(azure);
    workspace.writeStackFile("inventory-api-dev", STACK_FILE);
    copyIntoWorkspace(workspace, ["tools"]);
    expectOk(await workspace.pulumi(["stack", "init", "inventory-api-dev"]), "pulumi stack init inventory-api-dev");
    commit("2026-07-10", "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
    commit("2026-01-10", "2026-01-10T00:00:00Z", "2027-01-10T00:00:00Z");
    const hardened = await graphAsAdmin(azure, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true,
        applicationRestrictions: { passwordCredentials: [], keyCredentials: [{ restrictionType: "trustedCertificateAuthority",
            certificateBasedApplicationConfigurationIds: [CONFIGURATION_ID], restrictForAppsCreatedAfterDateTime: null }] } });
    expect(hardened.status).toBe(204);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

describe("trustedCertificateAuthority against a stack of self-signed certificates", () => {
    it("npm run credential-policy, as the deployer in the stack's workspace, refuses the stack with its exact line and writes nothing", async () => {
        const mark = azure.log().length;
        // The workspace's own copy of tools/, as a checkout runs it: the command reads the project it lives in.
        const checked = await runCommand(process.execPath, [...TYPESCRIPT_HOOK, join(workspace.dir, "tools/credentialPolicy/command.ts"),
            "--stack", NAME], workspace.dir, { ...clock.env(workspace.env), ...Object.fromEntries(environmentFor(azure)) });
        expect(checked).toEqual({ code: 1, stderr: "", stdout: "stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is " +
            "\"certificate\"; the tenant's default app management policy accepts only certificates issued by its trusted " +
            `certificate authorities (trustedCertificateAuthority: certificateBasedApplicationConfiguration ${CONFIGURATION_ID}), ` +
            "and npm run certificate makes self-signed ones, which Entra refuses: commit a certificate issued by one of those " +
            "authorities under the same name (docs/certificates.md), or ask the tenant's administrators for a policy of the app's own\n" });
        expect(writesSince(azure, mark)).toEqual([]);
    }, 300_000);

    it("without the check, the real pulumi up creates the app, then the certificates are refused and none is stored", async () => {
        const mark = azure.log().length;
        const result = await pulumiWith(workspace, clock.env(workspace.env), ["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview"]);
        expect(result.code).not.toBe(0);
        expect(result.stdout).toContain("CredentialNotFromTrustedCertificateAuthorityAsPerAppPolicy: Certificate is not issued by " +
            `a trusted certificate authority as per assigned policy '${DEFAULT_POLICY_ID}'.`);
        expect(writesSince(azure, mark).filter((write) => write.startsWith("PATCH graph.microsoft.com/v1.0/applications/")))
            .toEqual(expect.arrayContaining(["PATCH graph.microsoft.com/v1.0/applications/{id} 400"]));
        expect(appNamed(azure, NAME).properties["keyCredentials"] ?? []).toEqual([]);
    }, 300_000);
});

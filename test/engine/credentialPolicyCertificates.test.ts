/**
 * A tenant that trusts only its certificate authorities (issue 24, defect 6), on the real engine: the default app
 * management policy's trustedCertificateAuthority restriction (keyCredentialConfiguration, beta;
 * learn.microsoft.com/graph/tutorial-applications-basics: it "rejects attempts to add noncompliant certificates").
 * the real `pulumi up` of a stack of self-signed certificates creates the app and then the local Graph refuses the
 * certificate, as Entra does, and no keyCredential is stored (the check's line: test/credentialPolicy.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { DEFAULT_POLICY_ID } from "../../localazure/graph/policies";
import { certificatePath } from "../../infra/certificates";
import { makeSelfSigned } from "../../tools/certificate/selfSigned";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, expectOk, graphAsAdmin, MovableClock, pulumiWith, utc, writesSince } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

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

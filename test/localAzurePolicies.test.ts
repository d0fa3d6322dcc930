/**
 * The local Graph's app management policies (localazure/graph/policies.ts), through plain fetch: the default and
 * assigned policies in Graph v1.0's shapes, the permissions Graph's docs name for each call, and addPassword refused
 * as a hardened tenant refuses it (CredentialInvalidLifetimeAsPerAppPolicy, CredentialTypeNotAllowedAsPerAppPolicy).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { DEFAULT_POLICY_ID } from "../localazure/graph/policies";
import { keyCredentialOf, makeCertificate } from "./support/certificates";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
type Json = ReturnType<typeof JSON.parse>;
interface Reply { status: number; body: Json; preferenceApplied?: string | null }

let azure: LocalAzure;
let adminToken: string;
let deployerToken: string;

beforeAll(async () => {
    azure = await startLocalAzure();
    adminToken = await token(azure.admin.clientId, azure.admin.clientSecret);
    deployerToken = await token(azure.deployer.clientId, azure.deployer.clientSecret);
});
afterAll(async () => {
    await azure.stop();
});

async function token(clientId: string, clientSecret: string): Promise<string> {
    const response = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope: GRAPH_SCOPE }).toString(),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
}

async function graph(bearer: string, method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Reply> {
    const response = await fetch(`${azure.url}/graph.microsoft.com/v1.0${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...extra },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text), preferenceApplied: response.headers.get("preference-applied") };
}

const errorOf = (reply: Reply) => ({ status: reply.status, code: reply.body?.error?.code, message: reply.body?.error?.message });
const DENIED = { status: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." };

async function newApp(displayName: string): Promise<string> {
    const created = await graph(deployerToken, "POST", "/applications", { displayName });
    expect(created.status).toBe(201);
    return created.body.id as string;
}

const addPassword = (appId: string, endDateTime: string) =>
    graph(deployerToken, "POST", `/applications/${appId}/addPassword`, { passwordCredential: { displayName: "s", endDateTime } });

describe("the tenant's default app management policy", () => {
    it("a new tenant's: disabled, with no restriction, in tenantAppManagementPolicy's shape", async () => {
        const reply = await graph(deployerToken, "GET", "/policies/defaultAppManagementPolicy");
        expect(reply).toEqual({ status: 200, body: {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity",
            id: DEFAULT_POLICY_ID, displayName: "Default app management tenant policy",
            description: "Default tenant policy that enforces app management restrictions on applications and service principals. " +
                "To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
            isEnabled: false,
            applicationRestrictions: { passwordCredentials: [], keyCredentials: [] },
            servicePrincipalRestrictions: { passwordCredentials: [], keyCredentials: [] },
        }, preferenceApplied: null });
    });

    it("the deployer may read it but not change it; the admin (Policy.ReadWrite.ApplicationConfiguration) may", async () => {
        expect(errorOf(await graph(deployerToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true }))).toEqual(DENIED);
        expect((await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false })).status).toBe(204);
    });

    it("refuses a lifetime restriction without maxLifetime, or with one that is not an ISO 8601 duration (400)", async () => {
        for (const maxLifetime of [undefined, "90 days", "P"]) {
            const reply = await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", {
                applicationRestrictions: { passwordCredentials: [{ restrictionType: "passwordLifetime", maxLifetime }] } });
            expect(errorOf(reply)).toEqual({ status: 400, code: "Request_BadRequest",
                message: "Invalid value specified for property 'maxLifetime' of resource 'PasswordCredentialConfiguration'." });
        }
    });

    it("enabled with passwordLifetime P90D: a 91-day secret is refused with Graph's code, text and detail, an 89-day one added", async () => {
        const app = await newApp("policy-lifetime");
        const patched = await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true,
            applicationRestrictions: { passwordCredentials: [{ restrictionType: "passwordLifetime", maxLifetime: "P90D",
                restrictForAppsCreatedAfterDateTime: null, state: "enabled" }], keyCredentials: [] } });
        expect(patched.status).toBe(204);
        const day = 86_400_000;
        const tooLong = await addPassword(app, new Date(Date.now() + 91 * day).toISOString());
        const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${DEFAULT_POLICY_ID}'.`;
        expect(tooLong.status).toBe(400);
        expect(tooLong.body.error).toMatchObject({ code: "CredentialInvalidLifetimeAsPerAppPolicy", message,
            details: [{ code: "InvalidKeyEndDate", message, target: "EndDate" }] });
        expect((await addPassword(app, new Date(Date.now() + 89 * day).toISOString())).status).toBe(200);
        expect(azure.state().applications.find((candidate) => candidate.id === app)!.passwords).toHaveLength(1);
    });

    it("a restriction for apps created after a later date leaves an older app alone; a disabled one is not enforced", async () => {
        const app = await newApp("policy-older-app");
        const far = new Date(Date.now() + 3 * 365 * 86_400_000).toISOString();
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { applicationRestrictions: {
            passwordCredentials: [{ restrictionType: "passwordAddition", restrictForAppsCreatedAfterDateTime: "2999-01-01T00:00:00Z" },
                { restrictionType: "passwordLifetime", maxLifetime: "P30D", state: "disabled" }] } });
        expect((await addPassword(app, far)).status).toBe(200);
    });
});

describe("app management policies assigned to apps", () => {
    it("created, assigned and listed from the app; it governs over the default: passwordAddition refuses any secret", async () => {
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false });
        const app = await newApp("policy-assigned");
        const created = await graph(adminToken, "POST", "/policies/appManagementPolicies", { displayName: "No secrets",
            description: "certificates only", isEnabled: true,
            restrictions: { passwordCredentials: [{ restrictionType: "passwordAddition", maxLifetime: null,
                restrictForAppsCreatedAfterDateTime: "2019-10-19T10:37:00Z" }],
            keyCredentials: [{ restrictionType: "asymmetricKeyLifetime", maxLifetime: "P180D" }] } });
        expect(created.status).toBe(201);
        const policyId = created.body.id as string;
        expect(policyId).toMatch(GUID);
        const expected = { id: policyId, displayName: "No secrets", description: "certificates only", isEnabled: true, restrictions: {
            passwordCredentials: [{ restrictionType: "passwordAddition", maxLifetime: null,
                restrictForAppsCreatedAfterDateTime: "2019-10-19T10:37:00Z", state: "enabled" }],
            keyCredentials: [{ restrictionType: "asymmetricKeyLifetime", maxLifetime: "P180D",
                restrictForAppsCreatedAfterDateTime: null, state: "enabled" }] } };
        expect((await graph(deployerToken, "GET", `/policies/appManagementPolicies/${policyId}`)).body).toEqual({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/appManagementPolicies/$entity", ...expected });
        expect((await graph(deployerToken, "GET", `/applications/${app}/appManagementPolicies`)).body.value).toEqual([]);

        const reference = { "@odata.id": `https://graph.microsoft.com/v1.0/applications/${app}` };
        expect(errorOf(await graph(deployerToken, "POST", `/policies/appManagementPolicies/${policyId}/appliesTo/$ref`, reference))).toEqual(DENIED);
        expect((await graph(adminToken, "POST", `/policies/appManagementPolicies/${policyId}/appliesTo/$ref`, reference)).status).toBe(204);
        expect((await graph(deployerToken, "GET", `/applications/${app}/appManagementPolicies`)).body.value).toEqual([expected]);
        expect((await graph(deployerToken, "GET", "/policies/appManagementPolicies")).body.value).toEqual([expected]);

        const refused = await addPassword(app, new Date(Date.now() + 86_400_000).toISOString());
        expect(errorOf(refused)).toEqual({ status: 400, code: "CredentialTypeNotAllowedAsPerAppPolicy",
            message: "Credential type not allowed as per assigned policy." });
        // Another app, under the disabled default, is not governed by it.
        expect((await addPassword(await newApp("policy-other"), new Date(Date.now() + 86_400_000).toISOString())).status).toBe(200);
    });

    it("an identity without a policy permission is refused every read (403 Authorization_RequestDenied)", async () => {
        const app = await graph(adminToken, "POST", "/applications", { displayName: "no-policy-permission" });
        expect((await graph(adminToken, "POST", "/servicePrincipals", { appId: app.body.appId })).status).toBe(201);
        const secret = await graph(adminToken, "POST", `/applications/${app.body.id}/addPassword`, { passwordCredential: {} });
        const bare = await token(app.body.appId as string, secret.body.secretText as string);
        for (const path of ["/policies/defaultAppManagementPolicy", "/policies/appManagementPolicies",
            `/applications/${app.body.id}/appManagementPolicies`]) {
            expect(errorOf(await graph(bare, "GET", path))).toEqual(DENIED);
        }
    });
});

describe("what else the policy restricts (issue 24, defect 6)", () => {
    const DAY = 86_400_000;
    const TRUSTED_CA = { restrictionType: "trustedCertificateAuthority", maxLifetime: null, restrictForAppsCreatedAfterDateTime: null,
        state: "enabled", certificateBasedApplicationConfigurationIds: ["eec5ba11-2fc0-4113-83a2-ed986ed13743"] };
    const deployerObjectId = () => azure.state().servicePrincipals.find((principal) => principal.appId === azure.deployer.clientId)!.id;
    const withCertificate = (app: string, days: number) => {
        const certificate = makeCertificate("policy", new Date(Date.now() - DAY), new Date(Date.now() + days * DAY));
        const { keyId, type, usage, key, displayName } = keyCredentialOf(certificate);
        return graph(deployerToken, "PATCH", `/applications/${app}`, { keyCredentials: [{ keyId, type, usage, key, displayName }] });
    };

    it("trustedCertificateAuthority, past v1.0's unknownFutureValue: hidden without Prefer: include-unknown-enum-members, shown with it", async () => {
        expect((await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false,
            applicationRestrictions: { passwordCredentials: [], keyCredentials: [TRUSTED_CA] } })).status).toBe(204);
        const plain = await graph(deployerToken, "GET", "/policies/defaultAppManagementPolicy");
        expect([plain.body.applicationRestrictions.keyCredentials, plain.preferenceApplied])
            .toEqual([[{ ...TRUSTED_CA, restrictionType: "unknownFutureValue" }], null]);
        const preferred = await graph(deployerToken, "GET", "/policies/defaultAppManagementPolicy", undefined, { prefer: "return=minimal, include-unknown-enum-members" });
        expect([preferred.body.applicationRestrictions.keyCredentials, preferred.preferenceApplied]).toEqual([[TRUSTED_CA], "include-unknown-enum-members"]);
    });

    it("trustedCertificateAuthority in force: a self-signed certificate is refused (400), none is added; disabled, it is added", async () => {
        const app = await newApp("policy-trusted-ca");
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true,
            applicationRestrictions: { passwordCredentials: [], keyCredentials: [TRUSTED_CA] } });
        expect(errorOf(await withCertificate(app, 365))).toEqual({ status: 400, code: "CredentialNotFromTrustedCertificateAuthorityAsPerAppPolicy",
            message: `Certificate is not issued by a trusted certificate authority as per assigned policy '${DEFAULT_POLICY_ID}'.` });
        expect(azure.state().applications.find((candidate) => candidate.id === app)!.properties["keyCredentials"]).toBeUndefined();
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false });
        expect((await withCertificate(app, 365)).status).toBe(204);
    });

    it("asymmetricKeyLifetime P90D: a 365-day certificate is refused with the lifetime code, an 80-day one added", async () => {
        const app = await newApp("policy-key-lifetime");
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true, applicationRestrictions: {
            passwordCredentials: [], keyCredentials: [{ restrictionType: "asymmetricKeyLifetime", maxLifetime: "P90D" }] } });
        const message = `Credential lifetime exceeds the max value allowed as per assigned policy '${DEFAULT_POLICY_ID}'.`;
        const refused = await withCertificate(app, 365);
        expect(refused.body.error).toMatchObject({ code: "CredentialInvalidLifetimeAsPerAppPolicy", message,
            details: [{ code: "InvalidKeyEndDate", message, target: "EndDate" }] });
        expect((await withCertificate(app, 80)).status).toBe(204);
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false });
    });

    it("excludeActors: a deployer holding the exempting attribute adds a secret passwordAddition refuses others; the value must match exactly", async () => {
        const exemption = { "@odata.type": "#microsoft.graph.customSecurityAttributeStringValueExemption",
            id: "PolicyExemptions_AppManagementExemption", operator: "equals", value: "ExemptFromSecrets" };
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: true, applicationRestrictions: {
            passwordCredentials: [{ restrictionType: "passwordAddition", excludeActors: { customSecurityAttributes: [exemption] } }], keyCredentials: [] } });
        const app = await newApp("policy-exempt");
        const day = new Date(Date.now() + DAY).toISOString();
        expect(errorOf(await addPassword(app, day))).toEqual({ status: 400, code: "CredentialTypeNotAllowedAsPerAppPolicy",
            message: "Credential type not allowed as per assigned policy." });
        azure.assignCustomSecurityAttribute(deployerObjectId(), "PolicyExemptions", "AppManagementExemption", "exemptfromsecrets");
        expect((await addPassword(app, day)).status).toBe(400);
        azure.assignCustomSecurityAttribute(deployerObjectId(), "PolicyExemptions", "AppManagementExemption", "ExemptFromSecrets");
        expect((await addPassword(app, day)).status).toBe(200);
        await graph(adminToken, "PATCH", "/policies/defaultAppManagementPolicy", { isEnabled: false });
    });
});

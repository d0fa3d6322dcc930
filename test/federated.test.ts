/**
 * credential: federated (issue 30, part 1): the stack's config as Entra's rules allow it, what the program
 * registers, the env file for azure-identity's WorkloadIdentityCredential, and what expiry, the credential-policy
 * check and the guardrail pack make of a federated identity. Offline: the real program under the SDK's runtime.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main as envFile } from "../tools/envFile/command";
import { expiryReportOf } from "../tools/expiry/command";
import { checkCredentialPolicy } from "../tools/credentialPolicy/command";
import { checkResources } from "../tools/plan/policyCheck";
import { federatedCredentialTrust, FEDERATED_CREDENTIAL_TYPE } from "../policy/federatedPolicies";
import { parseStackConfig } from "../infra/config";
import { runCli } from "./cli";
import { AT, countByType, evaluate, exampleConfig, flatConfig, only, PROJECT, TYPES, configProblems } from "./harness";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";

const FEDERATED = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";
const K8S = { name: "k8s-dev", issuer: "https://oidc.example.com/cluster-1", subject: "system:serviceaccount:inventory:api" };
const federated = (overrides: Record<string, unknown> = {}) =>
    exampleConfig({ environment: "dev", credential: "federated", federatedCredentials: [K8S], ...overrides });
const FILE = "stacks/Pulumi.inventory-api-dev.yaml";

const problems = configProblems;

describe("federatedCredentials in the stack file, as Entra allows them", () => {
    it("a federated stack: its issuers and subjects, and no other credential", () => {
        const config = parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(federated()));
        expect([config.credential, config.federatedCredentials]).toEqual(["federated", [K8S]]);
    });

    it.each([
        ["federatedCredentials without credential federated", exampleConfig({ environment: "dev", federatedCredentials: [K8S] }),
            `${FILE}: app-identity:federatedCredentials is set, but credential is "secret"; expected credential: federated with ` +
            "it, so that the stack says how its servers sign in"],
        ["credential federated without an entry", federated({ federatedCredentials: [] }),
            `${FILE}: app-identity:federatedCredentials is []; expected at least one {name, issuer, subject} entry with ` +
            "credential: federated: the issuers and subjects the app trusts"],
        ["an issuer that is not https", federated({ federatedCredentials: [{ ...K8S, issuer: "http://oidc.example.com" }] }),
            `${FILE}: app-identity:federatedCredentials[0].issuer is "http://oidc.example.com"; expected the issuer's https:// ` +
            "URL as its tokens carry it in iss, at most 600 characters, such as https://oidc.example.com/cluster-1"],
        ["a subject of 601 characters", federated({ federatedCredentials: [{ ...K8S, subject: "s".repeat(601) }] }),
            `${FILE}: app-identity:federatedCredentials[0].subject is "${"s".repeat(601)}"; expected the workload's subject as ` +
            "its tokens carry it in sub, 1-600 characters, such as system:serviceaccount:inventory:api"],
        ["a name of two characters", federated({ federatedCredentials: [{ ...K8S, name: "k8" }] }),
            `${FILE}: app-identity:federatedCredentials[0].name is "k8"; expected a name of 3-120 letters, digits, '-' or '_', ` +
            "starting with a letter or digit, such as k8s-prod-api"],
        ["a wildcard subject", federated({ federatedCredentials: [{ ...K8S, subject: "system:serviceaccount:inventory:*" }] }),
            `${FILE}: app-identity:federatedCredentials[0].subject is "system:serviceaccount:inventory:*"; expected the exact ` +
            "subject: Entra matches it character for character, so '*' would only match a subject with a '*' in it"],
        ["an unknown key", federated({ federatedCredentials: [{ ...K8S, audience: "api://other" }] }),
            `${FILE}: app-identity:federatedCredentials[0].audience is "api://other"; expected one of the keys: name, issuer, subject`],
    ])("refuses %s, naming the key and what Entra allows", (_case, values, message) => {
        expect(problems(values)).toEqual([message]);
    });

    it("refuses a second credential of the same name, or the same issuer and subject twice", () => {
        expect(problems(federated({ federatedCredentials: [K8S, { ...K8S, name: "K8S-DEV", subject: "other" }, { ...K8S, name: "k8s-two" }] })))
            .toEqual([
                `${FILE}: app-identity:federatedCredentials[1].name is "K8S-DEV"; expected a name no other entry has ` +
                    "(federatedCredentials[0] has it): Entra keeps one credential of a name on an app",
                `${FILE}: app-identity:federatedCredentials[2].subject is "system:serviceaccount:inventory:api"; expected an issuer ` +
                    "and subject no other entry has (federatedCredentials[0] has them): Entra refuses the same pair twice on an app",
            ]);
    });

    it("refuses more than 20, Entra's limit per app, without quoting the list", () => {
        const many = Array.from({ length: 21 }, (_, index) => ({ ...K8S, name: `host-${index}`, subject: `host-${index}` }));
        expect(problems(federated({ federatedCredentials: many }))).toEqual([
            `${FILE}: app-identity:federatedCredentials holds 21 entries; expected at most 20, Entra's limit per app: one ` +
                "subject per environment or role, not per host",
        ]);
    });

    it("refuses federation in a stack with developers", () => {
        expect(problems(exampleConfig({ environment: "local", developers: ["alice"], credential: "federated", federatedCredentials: [K8S] }),
            "inventory-api-local")).toEqual([
            `stacks/Pulumi.inventory-api-local.yaml: app-identity:credential is "federated"; expected secret or certificate in ` +
                "a stack with developers: federation trusts a server's workload, and developers sign in from their own machines",
        ]);
    });
});

describe("what a federated stack registers", () => {
    it("the app, its principal, its roles and one federated credential per entry with Entra's audience; no secret", async () => {
        const evaluation = await evaluate("inventory-api-dev", federated({ federatedCredentials: [K8S, { ...K8S, name: "spire", subject: "spiffe://example.org/api" }] }));
        expect(countByType(evaluation)).toEqual({ [TYPES.component]: 1, [TYPES.application]: 1, [TYPES.servicePrincipal]: 1,
            [FEDERATED]: 2, [TYPES.roleAssignment]: 1 });
        const credentials = evaluation.resources.filter((resource) => resource.type === FEDERATED);
        // The app's ID as the offline engine answers it: both credentials name the one app.
        const appId = String(credentials[0]!.inputs["applicationId"]);
        expect(appId).toMatch(/^\/applications\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(only(evaluation, TYPES.application).name).toBe("inventory-api-dev");
        expect(credentials.map((resource) => [resource.name, resource.inputs, resource.protect])).toEqual([
            ["inventory-api-dev-federated-k8s-dev", { applicationId: appId, displayName: "k8s-dev", issuer: K8S.issuer, subject: K8S.subject,
                audiences: ["api://AzureADTokenExchange"] }, false],
            ["inventory-api-dev-federated-spire", { applicationId: appId, displayName: "spire", issuer: K8S.issuer,
                subject: "spiffe://example.org/api", audiences: ["api://AzureADTokenExchange"] }, false],
        ]);
        const outputs = Object.fromEntries(Object.entries(evaluation.outputs).map(([key, output]) => [key, output.value]));
        expect(Object.keys(outputs).sort()).toEqual(["clientId", "credential", "displayName", "federatedCredentials",
            "roleAssignments", "servicePrincipalObjectId", "subscriptionId", "tenantId"]);
        expect([outputs["credential"], outputs["federatedCredentials"]]).toEqual(["federated", [K8S, { ...K8S, name: "spire", subject: "spiffe://example.org/api" }]]);
    });

    it("keepSecretsUntilSwitched keeps the two secrets beside the federated credential while servers move", async () => {
        const evaluation = await evaluate("inventory-api-dev", federated({ keepSecretsUntilSwitched: true }));
        expect([countByType(evaluation)[TYPES.password], countByType(evaluation)[FEDERATED]]).toEqual([2, 1]);
        expect(Object.keys(evaluation.outputs)).toEqual(expect.arrayContaining(["clientSecret", "secrets", "federatedCredentials"]));
    });

    it("passes the guardrail pack; the pack refuses another audience, an http issuer and a wildcard subject", async () => {
        const evaluation = await evaluate("inventory-api-dev", federated());
        const resource = evaluation.resources.find((candidate) => candidate.type === FEDERATED)!;
        const checked = (inputs: Record<string, unknown>) => checkResources([{ urn: resource.urn, type: FEDERATED_CREDENTIAL_TYPE,
            name: resource.name, inputs, protect: false, parent: "" }], {}, [federatedCredentialTrust]).map((violation) => violation.message);
        expect(checked(resource.inputs)).toEqual([]);
        expect(checked({ ...resource.inputs, audiences: ["api://other"], issuer: "http://oidc.example.com", subject: "a:*" })).toEqual([
            'audiences is ["api://other"]; expected ["api://AzureADTokenExchange"]',
            'issuer is "http://oidc.example.com"; expected an https:// URL, from which Entra reads the issuer\'s keys',
            'subject is "a:*"; expected the exact subject: Entra does not match \'*\' as a pattern',
        ]);
    });
});

describe("a federated identity's env file, expiry and credential policy", () => {
    async function outputsFile(): Promise<string> {
        const evaluation = await evaluate("inventory-api-dev", federated());
        return writeOutputsFile(join(mkdtempSync(join(tmpdir(), "federated-")), "outputs.json"), showSecretsJson(evaluation));
    }

    it("npm run env-file --token-file: the client ID, the tenant and the token file, no secret (mode 0600)", async () => {
        const from = await outputsFile();
        const outputs = JSON.parse(readFileSync(from, "utf8")) as Record<string, string>;
        const out = join(mkdtempSync(join(tmpdir(), "federated-env-")), "azure.env");
        const result = await runCli(envFile, ["--from", from, "--token-file", "/var/run/secrets/azure/tokens/azure-identity-token", "--out", out]);
        expect(result).toEqual({ code: 0, stdout: "", stderr: `env-file: wrote ${out} (mode 0600) for inventory-api-dev; it signs in with ` +
            "the token in /var/run/secrets/azure/tokens/azure-identity-token" });
        expect(statSync(out).mode & 0o777).toBe(0o600);
        expect(readFileSync(out, "utf8")).toBe([
            `# Microsoft Entra ID identity inventory-api-dev, from ${from}.`,
            "# No client secret: it signs in with the token in AZURE_FEDERATED_TOKEN_FILE, which the server's issuer keeps",
            "# fresh, for the subject system:serviceaccount:inventory:api. Nothing here expires. Written by 'npm run env-file'.",
            `AZURE_CLIENT_ID='${outputs["clientId"]}'`,
            `AZURE_TENANT_ID='${outputs["tenantId"]}'`,
            "AZURE_FEDERATED_TOKEN_FILE='/var/run/secrets/azure/tokens/azure-identity-token'",
            "",
        ].join("\n"));
    });

    it.each([
        ["no --token-file", [], `env-file: ORIGIN signs in with federated credentials: give the path of the token file its ` +
            "issuer keeps on the server with --token-file PATH"],
        ["a relative --token-file", ["--token-file", "token"], 'env-file: --token-file is "token"; expected the token file\'s absolute ' +
            "path on the server, such as /var/run/secrets/azure/tokens/azure-identity-token"],
        ["--token-file with --certificate-path", ["--token-file", "/t", "--certificate-path", "/c"],
            "env-file: --token-file and --certificate-path: an env file carries one credential, never two"],
    ])("npm run env-file refuses %s in one line, writing nothing", async (_case, args, message) => {
        const from = await outputsFile();
        const result = await runCli(envFile, ["--from", from, "--stdout", ...args]);
        expect({ code: result.code, stdout: result.stdout, stderr: result.stderr })
            .toEqual({ code: args.length === 4 ? 2 : 1, stdout: "", stderr: message.replace("ORIGIN", from) });
    });

    it("npm run expiry: nothing to expire or rotate, and it says why", async () => {
        const evaluation = await evaluate("inventory-api-dev", federated());
        const outputs = Object.fromEntries(Object.entries(evaluation.outputs).map(([key, output]) => [key, output.value]));
        expect(expiryReportOf(outputs, "stack inventory-api-dev", AT, { warnDays: 90, failDays: 30 })).toEqual({
            at: AT.toISOString(), ok: true, secrets: [], warnings: [],
            note: "inventory-api-dev has no client secret or certificate: it signs in with federated credentials " +
                "(system:serviceaccount:inventory:api), whose tokens its issuer makes and renews; nothing to expire or rotate",
        });
    });

    it("npm run credential-policy: no policy judges it, and no Graph read is made; with kept secrets, the secrets are judged", async () => {
        const config = parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(federated()));
        const read = () => Promise.reject(new Error("no read expected"));
        expect(await checkCredentialPolicy("inventory-api-dev", config, PROJECT, read, AT)).toEqual({ fits: true, lines: [
            "Stack inventory-api-dev: federated credentials only, so no client secret or certificate for the tenant's app " +
                "management policies to judge.",
        ] });
        const keeping = parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(federated({ keepSecretsUntilSwitched: true })));
        await expect(checkCredentialPolicy("inventory-api-dev", keeping, PROJECT, read, AT)).rejects.toThrow("no read expected");
    });
});

/**
 * The credential policy check (tools/credentialPolicy/appManagementPolicy.ts, tools/credentialPolicy/command.ts): Entra's rules as Graph
 * documents them, one exact line per problem, and the command's exit codes with the policies read by a stand-in.
 * The real Graph path is in test/engine/credentialPolicy.test.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";
import {
    credentialChoiceOf, credentialPolicyProblems, longestSpan, mostMonthsWithin, type CredentialChoice, type Policy, type Restriction,
    type TenantPolicies,
} from "../tools/credentialPolicy/appManagementPolicy";
import { describeDuration, parseIsoDuration } from "../common/isoDuration";
import { main } from "../tools/credentialPolicy/command";
import { readTenantPolicies } from "../tools/azure/appManagementPolicies";
import type { AzureReader } from "../tools/azure/rest";
import { AzureRequestError } from "../tools/azure/rest";
import { parseStackConfig } from "../infra/config";
import { exampleConfig, flatConfig, PROJECT, type StackValues } from "./harness";

const DAY = 86_400_000;
const NOW = new Date("2026-12-01T00:00:00Z");
const DEFAULT_ID = "00000000-0000-0000-0000-000000000000";
const ASSIGNED_ID = "11111111-2222-4333-8444-555555555555";
const DEV: CredentialChoice = {
    stackFile: "stacks/Pulumi.inventory-api-dev.yaml", project: "app-identity", keysAsWritten: {}, credential: "secret",
    secretLifetimeMonths: 24, certificateLifetimeMonths: 12, keepSecretsUntilSwitched: false,
};
const CERT: CredentialChoice = { ...DEV, credential: "certificate", keysAsWritten: { "app-identity:credential": "credential" } };

const restriction = (restrictionType: string, maxLifetime: string | null = null, extra: Partial<Restriction> = {}): Restriction =>
    ({ restrictionType, maxLifetime, restrictForAppsCreatedAfterDateTime: null, state: "enabled", ...extra });
const defaultPolicy = (isEnabled: boolean, passwords: Restriction[] = [], keys: Restriction[] = []): Policy => ({
    id: DEFAULT_ID, displayName: "Default app management tenant policy", isEnabled, isDefault: true,
    passwordCredentials: passwords, keyCredentials: keys,
});
const assigned = (passwords: Restriction[] = [], keys: Restriction[] = [], isEnabled = true): Policy => ({
    id: ASSIGNED_ID, displayName: "No secrets", isEnabled, isDefault: false, passwordCredentials: passwords, keyCredentials: keys,
});
const tenant = (policy: Policy, own: Policy[] = [], createdDateTime?: string, identities = ["inventory-api-dev"]): TenantPolicies =>
    ({ defaultPolicy: policy, identities: identities.map((identity) => ({ identity, createdDateTime, assigned: own })) });

const DEFAULT_NAME = "the tenant's default app management policy";
const ASSIGNED_NAME = `app management policy ${ASSIGNED_ID} ("No secrets"), assigned to inventory-api-dev,`;

describe("ISO 8601 durations as Graph writes maxLifetime", () => {
    it.each([
        ["P90D", 90 * DAY], ["P1Y", 365 * DAY], ["P1M", 30 * DAY], ["P2W", 14 * DAY], ["PT12H", DAY / 2],
        ["P4DT12H30M5S", 4 * DAY + 12 * 3_600_000 + 30 * 60_000 + 5_000],
    ])("%s is %d ms", (text, ms) => {
        expect(parseIsoDuration(text)).toBe(ms);
    });
    it.each(["P", "PT", "90D", "P1.5D", "", "p90d"])("%j is not a duration", (text) => {
        expect(parseIsoDuration(text)).toBeUndefined();
    });
    it("describes whole days, and the rest as a clock", () => {
        expect([describeDuration(DAY), describeDuration(180 * DAY), describeDuration(4 * DAY + 45_005_000)])
            .toEqual(["1 day", "180 days", "4 days 12:30:05"]);
    });
});

describe("the longest span of a schedule's credential", () => {
    it.each([[1, 31], [2, 62], [5, 153], [6, 184], [12, 366], [24, 731]])("%d months: up to %d days", (months, days) => {
        expect(longestSpan(months)).toBe(days * DAY);
    });
    it.each([[180, 24, 5], [365, 24, 11], [366, 24, 12], [60, 24, 1], [10_000, 24, 24], [30, 24, 0]])(
        "within %d days, of at most %d months: %d", (days, months, most) => {
            expect(mostMonthsWithin(days * DAY, months)).toBe(most);
        });
});

describe("credentialPolicyProblems", () => {
    it.each<[string, CredentialChoice, TenantPolicies, string[]]>([
        ["no policy enabled: nothing", DEV, tenant(defaultPolicy(false, [restriction("passwordAddition")])), []],
        ["the default caps secrets at 180 days: the lifetime key, its most months", DEV,
            tenant(defaultPolicy(true, [restriction("passwordLifetime", "P180D")])),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:secretLifetimeMonths is missing, so 24; expected at most 5: ${DEFAULT_NAME} ` +
                "limits client secrets to P180D (180 days), and a 24-month one lives up to 731 days (CredentialInvalidLifetimeAsPerAppPolicy)"]],
        ["a key written bare is named as written", { ...DEV, secretLifetimeMonths: 12,
            keysAsWritten: { "app-identity:secretLifetimeMonths": "secretLifetimeMonths" } },
        tenant(defaultPolicy(true, [restriction("passwordLifetime", "P365D")])),
        [`stacks/Pulumi.inventory-api-dev.yaml: secretLifetimeMonths is 12; expected at most 11: ${DEFAULT_NAME} ` +
            "limits client secrets to P365D (365 days), and a 12-month one lives up to 366 days (CredentialInvalidLifetimeAsPerAppPolicy)"]],
        ["6 months within a year: nothing", { ...DEV, secretLifetimeMonths: 6 },
            tenant(defaultPolicy(true, [restriction("passwordLifetime", "P1Y")])), []],
        ["no secrets at all, in the app's own policy: certificate suggested", DEV,
            tenant(defaultPolicy(false), [assigned([restriction("passwordAddition")])], "2026-01-01T00:00:00Z"),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is missing, so "secret"; expected "certificate": ${ASSIGNED_NAME} ` +
                "allows no client secrets (passwordAddition), so Entra refuses each new one (CredentialTypeNotAllowedAsPerAppPolicy)"]],
        ["secrets capped below the 2 months two slots need: certificate suggested", DEV,
            tenant(defaultPolicy(true, [restriction("passwordLifetime", "P30D")])),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is missing, so "secret"; expected "certificate": ${DEFAULT_NAME} ` +
                "limits client secrets to P30D (30 days), less than the 2 months two staggered client secrets need (CredentialInvalidLifetimeAsPerAppPolicy)"]],
        ["the app's own enabled policy governs over a stricter default", DEV,
            tenant(defaultPolicy(true, [restriction("passwordAddition")]), [assigned()], "2026-01-01T00:00:00Z"), []],
        ["a disabled own policy leaves the default in force", DEV,
            tenant(defaultPolicy(true, [restriction("passwordAddition")]), [assigned([], [], false)], "2026-01-01T00:00:00Z"),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is missing, so "secret"; expected "certificate": ${DEFAULT_NAME} ` +
                "allows no client secrets (passwordAddition), so Entra refuses each new one (CredentialTypeNotAllowedAsPerAppPolicy)"]],
        ["a restriction for apps created after the app was: nothing", DEV,
            tenant(defaultPolicy(true, [restriction("passwordAddition", null, { restrictForAppsCreatedAfterDateTime: "2026-06-01T00:00:00Z" })]),
                [], "2026-01-01T00:00:00Z"), []],
        ["the same restriction binds an app not yet created (created now)", DEV,
            tenant(defaultPolicy(true, [restriction("passwordAddition", null, { restrictForAppsCreatedAfterDateTime: "2026-06-01T00:00:00Z" })])),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is missing, so "secret"; expected "certificate": ${DEFAULT_NAME} ` +
                "allows no client secrets (passwordAddition), so Entra refuses each new one (CredentialTypeNotAllowedAsPerAppPolicy)"]],
        ["a disabled restriction: nothing", DEV, tenant(defaultPolicy(true, [restriction("passwordAddition", null, { state: "disabled" })])), []],
        ["certificates capped at 180 days", { ...DEV, credential: "certificate", keysAsWritten: { "app-identity:credential": "credential" } },
            tenant(defaultPolicy(true, [restriction("passwordAddition")], [restriction("asymmetricKeyLifetime", "P180D")])),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:certificateLifetimeMonths is missing, so 12; expected at most 5: ${DEFAULT_NAME} ` +
                "limits certificates to P180D (180 days), and a 12-month one lives up to 366 days (CredentialInvalidLifetimeAsPerAppPolicy)"]],
        ["certificates capped below 2 months", { ...DEV, credential: "certificate", certificateLifetimeMonths: 3,
            keysAsWritten: { "app-identity:certificateLifetimeMonths": "app-identity:certificateLifetimeMonths" } },
        tenant(defaultPolicy(true, [], [restriction("asymmetricKeyLifetime", "P45D")])),
        [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:certificateLifetimeMonths is 3; expected at least 2, which this tenant refuses: ${DEFAULT_NAME} ` +
            "limits certificates to P45D (45 days), less than the 2 months two staggered certificates need " +
            "(CredentialInvalidLifetimeAsPerAppPolicy); ask the tenant's administrators for a policy of the app's own"]],
        ["a developers' stack under one default: one line, not one per developer", { ...DEV, stackFile: "stacks/Pulumi.inventory-api-local.yaml", secretLifetimeMonths: 6,
            keysAsWritten: { "app-identity:secretLifetimeMonths": "app-identity:secretLifetimeMonths" } },
        tenant(defaultPolicy(true, [restriction("passwordLifetime", "P90D")]), [], undefined, ["inventory-api-local-alice", "inventory-api-local-bob"]),
        [`stacks/Pulumi.inventory-api-local.yaml: app-identity:secretLifetimeMonths is 6; expected at most 2: ${DEFAULT_NAME} ` +
            "limits client secrets to P90D (90 days), and a 6-month one lives up to 184 days (CredentialInvalidLifetimeAsPerAppPolicy)"]],
    ])("%s", (_, choice, policies, expected) => {
        expect(credentialPolicyProblems(choice, policies, NOW)).toEqual(expected);
    });

    it("a maxLifetime that is not a duration is an error, not a pass", () => {
        expect(() => credentialPolicyProblems(DEV, tenant(defaultPolicy(true, [restriction("passwordLifetime", "90 days")])), NOW))
            .toThrow(`${DEFAULT_NAME} has a passwordLifetime restriction whose maxLifetime "90 days" is not an ISO 8601 duration`);
    });
});

describe("what else a tenant's policy restricts (issue 24, defect 6)", () => {
    const TRUSTED_CA = restriction("trustedCertificateAuthority", null,
        { certificateBasedApplicationConfigurationIds: ["eec5ba11-2fc0-4113-83a2-ed986ed13743"] });
    const CA_LINE = `stacks/Pulumi.inventory-api-dev.yaml: credential is "certificate"; ${DEFAULT_NAME} accepts only certificates issued by its ` +
        "trusted certificate authorities (trustedCertificateAuthority: certificateBasedApplicationConfiguration " +
        "eec5ba11-2fc0-4113-83a2-ed986ed13743), and npm run certificate makes self-signed ones, which Entra refuses: commit a " +
        "certificate issued by one of those authorities under the same name (docs/certificates.md), or ask the tenant's " +
        "administrators for a policy of the app's own";
    const EXEMPT = "; unless the deploying identity holds the custom security attribute PolicyExemptions_AppManagementExemption " +
        "equals \"ExemptFromSecrets\" (excludeActors), which this check cannot read (it needs CustomSecAttributeAssignment.Read.All), " +
        "so it judges the deployer as not exempt";
    const excludeActors = [{ id: "PolicyExemptions_AppManagementExemption", operator: "equals", value: "ExemptFromSecrets" }];

    it.each<[string, CredentialChoice, TenantPolicies, string[]]>([
        ["trustedCertificateAuthority refuses the self-signed certificates the project makes", CERT,
            tenant(defaultPolicy(true, [], [TRUSTED_CA])), [CA_LINE]],
        ["trustedCertificateAuthority does not bear on client secrets", DEV, tenant(defaultPolicy(true, [], [TRUSTED_CA])), []],
        ["trustedCertificateAuthority for apps created after this one: nothing", CERT,
            tenant(defaultPolicy(true, [], [{ ...TRUSTED_CA, restrictForAppsCreatedAfterDateTime: "2026-06-01T00:00:00Z" }]), [],
                "2026-01-01T00:00:00Z"), []],
        ["a key restriction type the check does not know is judged as refusing", CERT,
            tenant(defaultPolicy(true, [], [restriction("certificateIssuerPinning")])),
            [`stacks/Pulumi.inventory-api-dev.yaml: credential is "certificate"; ${DEFAULT_NAME} restricts certificates with restriction type ` +
                "\"certificateIssuerPinning\", which this check does not know; judged as refusing: ask the tenant's administrators what it allows"]],
        ["a member Graph hid as unknownFutureValue is judged as refusing", DEV,
            tenant(defaultPolicy(true, [restriction("unknownFutureValue")])),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is missing, so "secret"; expected "certificate": ${DEFAULT_NAME} ` +
                "restricts client secrets with a newer restriction type that Graph answered as \"unknownFutureValue\"; judged as " +
                "refusing: ask the tenant's administrators what it allows"]],
        ["the known password types that do not bear on generated secrets: nothing", DEV,
            tenant(defaultPolicy(true, [restriction("symmetricKeyAddition"), restriction("customPasswordAddition"),
                restriction("symmetricKeyLifetime", "P1D")])), []],
        ["excludeActors: the refusal stands, and the line says the deployer may be exempt", DEV,
            tenant(defaultPolicy(true, [restriction("passwordAddition", null, { excludeActors })])),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is missing, so "secret"; expected "certificate": ${DEFAULT_NAME} ` +
                `allows no client secrets (passwordAddition), so Entra refuses each new one (CredentialTypeNotAllowedAsPerAppPolicy)${EXEMPT}`]],
        ["keepSecretsUntilSwitched: the kept secrets against passwordAddition", { ...CERT, keepSecretsUntilSwitched: true,
            keysAsWritten: { ...CERT.keysAsWritten, "app-identity:keepSecretsUntilSwitched": "keepSecretsUntilSwitched" } },
        tenant(defaultPolicy(true, [restriction("passwordAddition")])),
        [`stacks/Pulumi.inventory-api-dev.yaml: keepSecretsUntilSwitched is true; expected false: ${DEFAULT_NAME} allows no client secrets ` +
            "(passwordAddition), so Entra refuses each new one (CredentialTypeNotAllowedAsPerAppPolicy); keepSecretsUntilSwitched " +
            "keeps adding them beside the certificates"]],
        ["keepSecretsUntilSwitched: the kept secrets' lifetime against passwordLifetime", { ...CERT, keepSecretsUntilSwitched: true },
            tenant(defaultPolicy(true, [restriction("passwordLifetime", "P180D")])),
            [`stacks/Pulumi.inventory-api-dev.yaml: app-identity:secretLifetimeMonths is missing, so 24; expected at most 5: ${DEFAULT_NAME} ` +
                "limits client secrets to P180D (180 days), and a 24-month one lives up to 731 days (CredentialInvalidLifetimeAsPerAppPolicy); " +
                "keepSecretsUntilSwitched keeps adding them beside the certificates"]],
        ["keepSecretsUntilSwitched: passwordAddition only for apps created after the app was: nothing", { ...CERT, keepSecretsUntilSwitched: true },
            tenant(defaultPolicy(true, [restriction("passwordAddition", null, { restrictForAppsCreatedAfterDateTime: "2026-06-01T00:00:00Z" })]),
                [], "2026-01-01T00:00:00Z"), []],
        ["without keepSecretsUntilSwitched a certificate stack's policy on secrets is nothing", CERT,
            tenant(defaultPolicy(true, [restriction("passwordAddition")])), []],
    ])("%s", (_, choice, policies, expected) => {
        expect(credentialPolicyProblems(choice, policies, NOW)).toEqual(expected);
    });

    it("docs/certificates.md no longer says Entra accepts either kind: it names the restriction that refuses self-signed ones", () => {
        const text = readFileSync(join(PROJECT_ROOT, "docs", "certificates.md"), "utf8").replace(/\s+/g, " ");
        expect(text).not.toContain("accepts either");
        expect(text).toContain("an app management policy's `trustedCertificateAuthority` restriction");
        expect(text).toContain("makes Entra refuse every certificate its authorities did not issue, self-signed ones included");
    });

    it("reads every policy with Prefer: include-unknown-enum-members, and keeps the authorities and exemptions", async () => {
        const asked: [string, unknown][] = [];
        const reader = {
            get: (_api: unknown, path: string, headers?: unknown) => {
                asked.push([path, headers]);
                return Promise.resolve({ id: DEFAULT_ID, isEnabled: true, applicationRestrictions: { passwordCredentials: [
                    { restrictionType: "passwordAddition", state: "enabled", excludeActors: { customSecurityAttributes: [
                        { "@odata.type": "#microsoft.graph.customSecurityAttributeStringValueExemption", ...excludeActors[0] }] } }],
                keyCredentials: [{ restrictionType: "trustedCertificateAuthority", restrictForAppsCreatedAfterDateTime: null,
                    certificateBasedApplicationConfigurationIds: ["eec5ba11-2fc0-4113-83a2-ed986ed13743"], maxLifetime: null }] } });
            },
            list: (_api: unknown, path: string, headers?: unknown) => {
                asked.push([path, headers]);
                return Promise.resolve(path.includes("$filter") ? [{ id: "app-1", displayName: "inventory-api-dev", createdDateTime: "2026-01-01T00:00:00Z" }] : []);
            },
        } as unknown as AzureReader;
        const read = await readTenantPolicies(reader, ["inventory-api-dev"]);
        expect(asked).toEqual([
            ["/v1.0/policies/defaultAppManagementPolicy", { prefer: "include-unknown-enum-members" }],
            [`/v1.0/applications?$filter=${encodeURIComponent("displayName eq 'inventory-api-dev'")}`, undefined],
            ["/v1.0/applications/app-1/appManagementPolicies", { prefer: "include-unknown-enum-members" }],
        ]);
        expect(read.defaultPolicy.passwordCredentials).toEqual([{ ...restriction("passwordAddition"), excludeActors }]);
        expect(read.defaultPolicy.keyCredentials).toEqual([TRUSTED_CA]);
    });
});

describe("credentialChoiceOf: the stack's credential, and each developer's own", () => {
    const parsed = (values: StackValues, stack = "inventory-api-dev") => parseStackConfig(PROJECT, stack, flatConfig(exampleConfig(values)));
    it("a stack of today: secrets of 24 months, certificates of 12 if it switches", () => {
        expect(credentialChoiceOf(parsed({}), PROJECT)).toEqual(DEV);
    });
    it("certificates, as parsed", () => {
        expect(credentialChoiceOf(parsed({ credential: "certificate", certificateLifetimeMonths: 6 }), PROJECT))
            .toEqual({ ...DEV, credential: "certificate", certificateLifetimeMonths: 6 });
    });
    it("a developer whose certificate overrides the stack's secrets is judged as a certificate, and named by that key", () => {
        const choice = credentialChoiceOf(parsed({ environment: "local", developers: ["alice", "bob"],
            developerCredentials: { alice: "certificate", bob: "secret" } }, "inventory-api-local"), PROJECT);
        expect(choice.developerCredentials).toEqual({ "inventory-api-local-alice": { developer: "alice", credential: "certificate" } });
        const noSecrets = defaultPolicy(true, [restriction("passwordAddition")], [restriction("asymmetricKeyLifetime", "P90D")]);
        expect(credentialPolicyProblems({ ...choice, stackFile: "stacks/Pulumi.inventory-api-local.yaml" },
            tenant(noSecrets, [], undefined, ["inventory-api-local-alice", "inventory-api-local-bob"]), NOW)).toEqual([
            "stacks/Pulumi.inventory-api-local.yaml: app-identity:certificateLifetimeMonths is missing, so 12; expected at most 2: " +
                "the tenant's default app management policy limits certificates to P90D (90 days), and a 12-month one lives up to " +
                "366 days (CredentialInvalidLifetimeAsPerAppPolicy)",
            "stacks/Pulumi.inventory-api-local.yaml: app-identity:credential is missing, so \"secret\"; expected \"certificate\": the tenant's " +
                "default app management policy allows no client secrets (passwordAddition), so Entra refuses each new one " +
                "(CredentialTypeNotAllowedAsPerAppPolicy)",
        ]);
    });
});

describe("npm run credential-policy", () => {
    afterEach(() => {
        vi.restoreAllMocks();
    });
    async function run(argv: string[], read?: (names: readonly string[]) => Promise<TenantPolicies>) {
        const out: string[] = [];
        const err: string[] = [];
        vi.spyOn(console, "log").mockImplementation((line: string) => { out.push(line); });
        vi.spyOn(console, "error").mockImplementation((line: string) => { err.push(line); });
        const asked: string[][] = [];
        const code = await main(argv, { now: () => NOW, ...(read === undefined ? {} : {
            read: (names: readonly string[]) => { asked.push([...names]); return read(names); } }) });
        return { code, out, err, asked };
    }

    it("exit 0: prints what it checked, for the stack's one identity", async () => {
        expect(await run(["--stack", "inventory-api-dev"], () => Promise.resolve(tenant(defaultPolicy(false))))).toEqual({ code: 0, err: [],
            asked: [["inventory-api-dev"]],
            out: ["Stack inventory-api-dev: client secrets of 24 months fit the tenant's app management policies (inventory-api-dev: no policy in force)."] });
    });

    it("exit 1: one line per problem on standard output, for each developer's identity read", async () => {
        const result = await run(["--stack", "inventory-api-local"], (names) => Promise.resolve(
            tenant(defaultPolicy(true, [restriction("passwordLifetime", "P90D")]), [], undefined, [...names])));
        expect(result).toEqual({ code: 1, err: [], asked: [["inventory-api-local-alice", "inventory-api-local-bob"]],
            out: [`stacks/Pulumi.inventory-api-local.yaml: app-identity:secretLifetimeMonths is 6; expected at most 2: ${DEFAULT_NAME} limits client ` +
                "secrets to P90D (90 days), and a 6-month one lives up to 184 days (CredentialInvalidLifetimeAsPerAppPolicy)"] });
    });

    it("exit 0 without reading Graph: a stack under a managed identity alone has no credential to judge", async () => {
        const root = mkdtempSync(join(tmpdir(), "credential-policy-"));
        cpSync(join(PROJECT_ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
        mkdirSync(join(root, "stacks"));
        writeFileSync(join(root, "stacks", "Pulumi.arc-dev.yaml"), [
            "config:",
            "  app-identity:managedIdentity: {kind: objectId, objectId: 6f0c2a4e-1111-4b2c-9d3e-5a6b7c8d9e0f}",
            "  app-identity:roleAssignments:", "    - {resourceGroup: rg-inventory-dev, role: Storage Blob Data Reader}", ""].join("\n"));
        const out: string[] = [];
        vi.spyOn(console, "log").mockImplementation((line: string) => { out.push(line); });
        const read = vi.fn();
        expect(await main(["--stack", "arc-dev"], { root, now: () => NOW, read })).toBe(0);
        expect(read).not.toHaveBeenCalled();
        expect(out).toEqual(["Stack arc-dev: no app registration, so no client secret or certificate for the tenant's app management " +
            "policies to judge (the app runs under a managed identity)."]);
    });

    it("exit 2: Graph refuses the read, and the line names the permission to grant", async () => {
        const refused = new AzureRequestError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.",
            "/v1.0/policies/defaultAppManagementPolicy");
        expect(await run(["--stack", "inventory-api-dev"], () => Promise.reject(refused))).toEqual({ code: 2, out: [], asked: [["inventory-api-dev"]], err: [
            "credential-policy: cannot read the tenant's app management policies: /v1.0/policies/defaultAppManagementPolicy: 403 " +
            "Authorization_RequestDenied: Insufficient privileges to complete the operation.; the deploying identity needs the " +
            "Microsoft Graph application permission Policy.Read.ApplicationConfiguration (docs/deployer.md, section 3)"] });
    });

    it.each([
        [[], "credential-policy: say which stack: --stack NAME"],
        [["--stack", "nosuch"], "credential-policy: stacks/Pulumi.nosuch.yaml: no such stack; the stacks are: inventory-api-dev, inventory-api-local, inventory-api-prod, inventory-api-test"],
        [["--stak", "inventory-api-dev"], "credential-policy: Unknown option '--stak'"],
    ])("exit 2 before any read: %j", async (argv, line) => {
        expect(await run(argv, () => Promise.reject(new Error("no read expected")))).toEqual({ code: 2, out: [], err: [line], asked: [] });
    });
});

import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig, projectProblems, type StackConfig } from "../infra/config";
import { legacyAliases, legacyRoleAssignmentName, roleAssignmentLogicalName } from "../infra/names";
import { exampleConfig, flatConfig, PROJECT, SUBSCRIPTION, TENANT, type StackValues } from "./harness";

const FILE = "stacks/Pulumi.dev.yaml";
const GUID_ALLOWED = "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47";
const ROLES = "Storage Blob Data Reader, Storage Blob Data Contributor, Storage Blob Data Owner, Storage Blob Delegator, " +
    "Owner, Contributor, Reader";
const RG_ALLOWED = "expected a resource group name of 1-90 letters, digits, '.', '_', '-', '(' or ')', not ending " +
    "in '.' (letters and digits as Azure counts them: no characters outside the Basic Multilingual Plane)";
const OWNER_ALLOWED = "expected the object ID (GUID) of a user or service principal (Entra application owners cannot " +
    "be groups), such as 72f988bf-86f1-41af-91ab-2d7cd011db47";
const NIL = "00000000-0000-0000-0000-000000000000";
const NIL_ALLOWED = `expected a real GUID: the nil GUID ${NIL} names nothing in Azure or Entra`;
const LIFETIME_ALLOWED = "expected a whole number of months from 2 to 24 (two staggered secrets need at least 2)";

function problemsOf(values: StackValues, stack = "dev", options: Parameters<typeof parseStackConfig>[3] = {}): readonly string[] {
    try {
        parseStackConfig(PROJECT, stack, flatConfig(values), options);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error("expected a ConfigError");
}

/** A tenant whose dev environment is production: the stack "dev" is then a production stack. */
const DEV_IS_PRODUCTION = { dev: { production: true } };
const rg = (resourceGroup: string) => [{ resourceGroup, role: "Storage Blob Data Reader" }];

describe("parseStackConfig", () => {
    it("reads a valid stack into a typed object with defaults", () => {
        const config = parseStackConfig(PROJECT, "dev", {
            ...flatConfig(exampleConfig({ owners: ["AAAAAAAA-0000-4000-8000-000000000001"] })),
            "azure-native:location": "westeurope",
        });
        expect(config).toEqual({
            stack: "dev",
            stackFile: FILE,
            appName: "inventory-api",
            environment: "dev",
            tenantId: TENANT,
            subscriptionId: SUBSCRIPTION,
            owners: ["aaaaaaaa-0000-4000-8000-000000000001"],
            production: false,
            secretLifetimeMonths: 24,
            secretRotationAnchor: undefined,
            roleAssignments: [{ resourceGroup: "rg-inventory-dev", role: "Storage Blob Data Contributor" }],
            developers: [],
            productionResourceGroups: ["rg-*-prod", "rg-*-prod-*"],
            deployerObjectId: undefined,
            managedIdentity: undefined,
            appRegistration: true,
            credential: "secret",
            developerCredentials: {},
            certificateLifetimeMonths: 12,
            keepSecretsUntilSwitched: false,
            federatedCredentials: [],
            alerts: undefined,
            keysAsWritten: {},
        });
    });

    it("reads deployerObjectId, in lowercase, and keeps the keys as written for the program's messages", () => {
        const keysAsWritten = { "app-identity:deployerObjectId": "deployerObjectId" };
        const config = parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig({
            deployerObjectId: "6A7B8C9D-0E1F-4A2B-8C3D-4E5F6A7B8C9D",
        })), { keysAsWritten });
        expect(config.deployerObjectId).toBe("6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d");
        expect(config.keysAsWritten).toEqual(keysAsWritten);
    });

    it.each([
        ["an email address", "deployer@contoso.com", "expected the object ID (GUID) of the identity that deploys this stack " +
            "(a user or service principal), such as 72f988bf-86f1-41af-91ab-2d7cd011db47"],
        ["the nil GUID", NIL, NIL_ALLOWED],
    ])("refuses a deployerObjectId that is %s, naming the key as written", (_what, value, allowed) => {
        expect(problemsOf(exampleConfig({ deployerObjectId: value }), "dev",
            { keysAsWritten: { "app-identity:deployerObjectId": "deployerObjectId" } }))
            .toEqual([`${FILE}: deployerObjectId is ${JSON.stringify(value)}; ${allowed}`]);
    });

    it("takes the environment, production flag, lifetime and anchor from config", () => {
        const config = parseStackConfig(PROJECT, "live", flatConfig(exampleConfig({
            environment: "prod", production: true, secretLifetimeMonths: 6, secretRotationAnchor: "2025-02-28",
            roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }],
        })));
        expect(config.environment).toBe("prod");
        expect(config.production).toBe(true);
        expect(config.secretLifetimeMonths).toBe(6);
        expect(config.secretRotationAnchor).toEqual(new Date("2025-02-28T00:00:00Z"));
        expect(config.stackFile).toBe("stacks/Pulumi.live.yaml");
    });

    it.each<[string, StackValues, string[]]>([
        // Pulumi.yaml shares the tenant and each environment's subscription; a stack named after its environment
        // alone carries no app.
        ["missing keys", { roleAssignments: rg("rg") }, [
            `${FILE}: app-identity:appName is missing; expected the app's short name, such as inventory-api, or a ` +
                "stack named <app>-<environment>, such as inventory-api-dev",
        ]],
        ["a tenant neither Pulumi.yaml nor the stack sets", exampleConfig({ tenantId: undefined }), [
            `${FILE}: app-identity:tenantId is missing; ${GUID_ALLOWED}`,
        ]],
        ["a subscription neither the environment nor the stack sets", exampleConfig({
            subscriptionId: undefined, environments: { dev: {} },
        }), [
            `${FILE}: app-identity:subscriptionId is missing; expected a GUID: the subscription of the environment dev, ` +
                "set once in Pulumi.yaml's environments.dev.subscriptionId, or in this stack file for it alone",
        ]],
        ["a production flag the environment contradicts", exampleConfig({ production: true }), [
            `${FILE}: app-identity:production is true; expected false or no value: Pulumi.yaml's ` +
                "environments.dev.production says whether the environment dev is production",
        ]],
        ["an environment the tenant does not have", exampleConfig({ environment: "staging" }), [
            `${FILE}: app-identity:environment is "staging"; expected one of the tenant's environments: dev, local, ` +
                "prod, test (Pulumi.yaml's environments), or a new one added there",
        ]],
        ["a tenant that is not a GUID", exampleConfig({ tenantId: "contoso.onmicrosoft.com" }), [
            `${FILE}: app-identity:tenantId is "contoso.onmicrosoft.com"; ${GUID_ALLOWED}`,
        ]],
        ["a subscription that is not a GUID", exampleConfig({ subscriptionId: "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2" }), [
            `${FILE}: app-identity:subscriptionId is "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2"; ${GUID_ALLOWED}`,
        ]],
        ["an owner that is not a GUID", exampleConfig({ owners: [TENANT, "alice@contoso.com"] }), [
            `${FILE}: app-identity:owners[1] is "alice@contoso.com"; ${OWNER_ALLOWED}`,
        ]],
        ["owners that are not a list", exampleConfig({ owners: TENANT }), [
            `${FILE}: app-identity:owners is "${TENANT}"; expected a list of object IDs (GUIDs) of users or service principals`,
        ]],
        ["a resource group with a character Azure rejects", exampleConfig({ roleAssignments: rg("rg/inventory") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "rg/inventory"; ${RG_ALLOWED}`,
        ]],
        ["a resource group ending in a period", exampleConfig({ roleAssignments: rg("rg-inventory.") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "rg-inventory."; ${RG_ALLOWED}`,
        ]],
        ["an empty resource group name", exampleConfig({ roleAssignments: rg("") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is ""; ${RG_ALLOWED}`,
        ]],
        ["a resource group of 91 characters", exampleConfig({ roleAssignments: rg("r".repeat(91)) }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "${"r".repeat(91)}"; ${RG_ALLOWED}`,
        ]],
        ["an unknown role", exampleConfig({ roleAssignments: [{ resourceGroup: "rg", role: "Storage Queue Data Reader" }] }), [
            `${FILE}: app-identity:roleAssignments[0].role is "Storage Queue Data Reader"; expected one of: ${ROLES}`,
        ]],
        ["an empty role list", exampleConfig({ roleAssignments: [] }), [
            `${FILE}: app-identity:roleAssignments is []; expected at least one {resourceGroup, role} entry`,
        ]],
        ["a missing role list", exampleConfig({ roleAssignments: undefined }), [
            `${FILE}: app-identity:roleAssignments is missing; expected a list of {resourceGroup, role} entries`,
        ]],
        ["a duplicate (resource group, role) pair, whatever the case", exampleConfig({
            roleAssignments: [...rg("rg-a"), { resourceGroup: "rg-b", role: "Storage Blob Data Reader" }, ...rg("RG-A")],
        }), [
            `${FILE}: app-identity:roleAssignments[2] is {"resourceGroup":"RG-A","role":"Storage Blob Data Reader"}; ` +
                "expected each (resourceGroup, role) pair once; roleAssignments[0] already grants it",
        ]],
        ["a misspelt key in an entry", exampleConfig({ roleAssignments: [{ resourceGroup: "rg", role: "Storage Blob Data Reader", scope: "/" }] }), [
            `${FILE}: app-identity:roleAssignments[0].scope is "/"; expected one of the keys: resourceGroup, role`,
        ]],
        ["a misspelt top-level key", exampleConfig({ roleAsignments: "rg" }), [
            `${FILE}: app-identity:roleAsignments is "rg"; expected one of the keys: appName, environment, environments, tenantId, ` +
                "subscriptionId, owners, production, secretLifetimeMonths, secretRotationAnchor, roleAssignments, " +
                "developers, productionResourceGroups, deployerObjectId, adopt, managedIdentity, appRegistration, credential, " +
                "developerCredentials, certificateLifetimeMonths, keepSecretsUntilSwitched, federatedCredentials, alerts, allowedNetworks, " +
                "conditionalAccess",
        ]],
        ["a display name over 120 characters", exampleConfig({ appName: "a".repeat(117) }), [
            `${FILE}: app-identity:appName is "${"a".repeat(117)}"; expected a name that keeps the display name ` +
                `"${"a".repeat(117)}-dev" (121 characters) within 120 characters`,
        ]],
        ["an app name with capitals", exampleConfig({ appName: "Inventory API" }), [
            `${FILE}: app-identity:appName is "Inventory API"; expected the app's short name, such as inventory-api: ` +
                "lowercase letters, digits and '-', starting and ending with a letter or digit",
        ]],
        ["a secret lifetime of 0 months", exampleConfig({ secretLifetimeMonths: 0 }), [
            `${FILE}: app-identity:secretLifetimeMonths is 0; ${LIFETIME_ALLOWED}`,
        ]],
        ["a secret lifetime of 1 month", exampleConfig({ secretLifetimeMonths: 1 }), [
            `${FILE}: app-identity:secretLifetimeMonths is 1; ${LIFETIME_ALLOWED}`,
        ]],
        ["a secret lifetime of 25 months", exampleConfig({ secretLifetimeMonths: 25 }), [
            `${FILE}: app-identity:secretLifetimeMonths is 25; ${LIFETIME_ALLOWED}`,
        ]],
        ["a fractional secret lifetime", exampleConfig({ secretLifetimeMonths: 12.5 }), [
            `${FILE}: app-identity:secretLifetimeMonths is 12.5; ${LIFETIME_ALLOWED}`,
        ]],
        ["a secret lifetime that is not a number", exampleConfig({ secretLifetimeMonths: "two years" }), [
            `${FILE}: app-identity:secretLifetimeMonths is "two years"; ${LIFETIME_ALLOWED}`,
        ]],
        ["a production flag that is not a boolean", exampleConfig({ production: "yes" }), [
            `${FILE}: app-identity:production is "yes"; expected true or false`,
        ]],
        ["an anchor on the 29th", exampleConfig({ secretRotationAnchor: "2024-01-29" }), [
            `${FILE}: app-identity:secretRotationAnchor is "2024-01-29"; expected a date YYYY-MM-DD on day 1-28 of ` +
                "a month, so that every rotation falls on the same day",
        ]],
        ["a production stack with a role on a non-production resource group", exampleConfig({
            environments: DEV_IS_PRODUCTION,
            roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }, ...rg("rg-inventory-dev")],
        }), [
            `${FILE}: app-identity:roleAssignments[1].resourceGroup is "rg-inventory-dev"; expected a production ` +
                "resource group (named by productionResourceGroups, Pulumi.yaml): a production identity holds roles in production only",
        ]],
        ["a non-production stack with a role on a production resource group, whatever the case", exampleConfig({
            roleAssignments: rg("RG-Inventory-Prod"),
        }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "RG-Inventory-Prod"; expected a non-production ` +
                "resource group: productionResourceGroups (Pulumi.yaml) names it, and this stack is not production",
        ]],
        ["a developer stack marked production", exampleConfig({
            developers: ["alice"], environments: DEV_IS_PRODUCTION, production: true,
            roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }],
        }), [
            `${FILE}: app-identity:production is true; expected false in a stack with developers: developers' ` +
                "identities reach non-production resources only",
        ]],
        ["a developer named twice", exampleConfig({ developers: ["alice", "bob", "alice"] }), [
            `${FILE}: app-identity:developers[2] is "alice"; expected each developer once; developers[0] already names alice`,
        ]],
        ["a developer name with capitals", exampleConfig({ developers: ["Alice"] }), [
            `${FILE}: app-identity:developers[0] is "Alice"; expected a developer's short name: 2-32 lowercase ` +
                "letters, digits and '-', starting with a letter",
        ]],
        ["a developer whose identity's name is over 120 characters", exampleConfig({
            appName: "a".repeat(90), developers: ["bob", "d".repeat(32)],
        }), [
            `${FILE}: app-identity:appName is "${"a".repeat(90)}"; expected a name that keeps the display name ` +
                `"${"a".repeat(90)}-dev-${"d".repeat(32)}" (127 characters) within 120 characters`,
        ]],
    ])("rejects %s with one line per problem", (_case, values, expected) => {
        expect(problemsOf(values)).toEqual(expected);
    });

    it.each<[string, StackValues, string[]]>([
        ["the nil GUID as tenant", exampleConfig({ tenantId: NIL }), [`${FILE}: app-identity:tenantId is "${NIL}"; ${NIL_ALLOWED}`]],
        ["the nil GUID as subscription", exampleConfig({ subscriptionId: NIL }), [
            `${FILE}: app-identity:subscriptionId is "${NIL}"; ${NIL_ALLOWED}`,
        ]],
        ["the nil GUID as owner", exampleConfig({ owners: [TENANT, NIL] }), [`${FILE}: app-identity:owners[1] is "${NIL}"; ${NIL_ALLOWED}`]],
        // Char.IsLetterOrDigit: Lu, Ll, Lt, Lm, Lo, Nd only; per UTF-16 code unit.
        ["a letter number (Nl) in a resource group", exampleConfig({ roleAssignments: rg("rg-Ⅻ") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "rg-Ⅻ"; ${RG_ALLOWED}`,
        ]],
        ["a superscript digit (No) in a resource group", exampleConfig({ roleAssignments: rg("rg²") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "rg²"; ${RG_ALLOWED}`,
        ]],
        ["a combining mark (Mn) in a resource group", exampleConfig({ roleAssignments: rg("rge\u0301") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "rge\u0301"; ${RG_ALLOWED}`,
        ]],
        ["a letter outside the BMP in a resource group", exampleConfig({ roleAssignments: rg("rg-𝐀") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "rg-𝐀"; ${RG_ALLOWED}`,
        ]],
        ["a space in a resource group", exampleConfig({ roleAssignments: rg("rg inventory") }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "rg inventory"; ${RG_ALLOWED}`,
        ]],
        ["100 owners: the deployer makes 101", exampleConfig({
            owners: Array.from({ length: 100 }, (_, i) => `aaaaaaaa-0000-4000-8000-${String(i).padStart(12, "0")}`),
        }), [
            `${FILE}: app-identity:owners holds 100 entries; expected at most 99: Entra allows 100 owners per ` +
                "application, and the deploying identity is one",
        ]],
        ["4,001 role assignments", exampleConfig({ roleAssignments: Array.from({ length: 4001 }, (_, i) => rg(`rg-${i}`)[0]) }), [
            `${FILE}: app-identity:roleAssignments holds 4001 entries; expected at most 4000: Azure allows 4000 role ` +
                "assignments per subscription",
        ]],
        ["2,001 role assignments for each of 2 developers", exampleConfig({
            developers: ["alice", "bob"], roleAssignments: Array.from({ length: 2001 }, (_, i) => rg(`rg-${i}`)[0]),
        }), [
            `${FILE}: app-identity:roleAssignments holds 2001 entries for each of 2 developers, 4002 role assignments; ` +
                "expected at most 4000 in all, Azure's limit per subscription",
        ]],
        ["an unquoted anchor date, which the CLI hands over as Go's time text", exampleConfig({
            secretRotationAnchor: "2025-02-28 00:00:00 +0000 UTC",
        }), [
            `${FILE}: app-identity:secretRotationAnchor is "2025-02-28 00:00:00 +0000 UTC"; expected a date YYYY-MM-DD ` +
                'on day 1-28 of a month, so that every rotation falls on the same day; write it in quotes ("2025-02-28"): ' +
                "unquoted, YAML reads a date and the CLI hands the program Go's time text",
        ]],
    ])("refuses what Azure or Entra would refuse: %s", (_case, values, expected) => {
        expect(problemsOf(values)).toEqual(expected);
    });

    it.each<[string, string, string[]]>([
        ["Dev_1", "stacks/Pulumi.Dev_1.yaml", [
            'stacks/Pulumi.Dev_1.yaml: app-identity:environment is missing, so the stack name "Dev_1" is the ' +
                "environment; expected an environment name such as dev, test or prod: lowercase letters, digits and " +
                "'-', starting and ending with a letter or digit (set environment, or rename the stack)",
        ]],
        ["staging.eu", "stacks/Pulumi.staging.eu.yaml", [
            'stacks/Pulumi.staging.eu.yaml: app-identity:environment is missing, so the stack name "staging.eu" is the ' +
                "environment; expected an environment name such as dev, test or prod: lowercase letters, digits and " +
                "'-', starting and ending with a letter or digit (set environment, or rename the stack)",
        ]],
    ])("holds an environment taken from the stack name %s to the environment rule, where no environments are shared", (stack, _file, expected) => {
        expect(problemsOf(exampleConfig({ environments: undefined }), stack)).toEqual(expected);
    });

    it.each(["Dev_1", "staging", "inventory-api-staging"])("refuses the stack name %s, which carries none of the tenant's environments", (stack) => {
        expect(problemsOf(exampleConfig(), stack)).toEqual([
            `stacks/Pulumi.${stack}.yaml: the stack name ${JSON.stringify(stack)} carries none of the tenant's environments ` +
                "(dev, local, prod, test: Pulumi.yaml's environments); expected a stack named <app>-<environment>, such as " +
                "inventory-api-dev, or an environment added there",
        ]);
    });

    it.each<[string, string, StackValues, Partial<StackConfig>]>([
        ["inventory-api-prod", "app and environment, and the environment's subscription and production flag", {},
            { appName: "inventory-api", environment: "prod", subscriptionId: "00000000-0000-0000-0000-00000000cccc", production: true }],
        ["inventory-api-dev", "the same from an explicit appName and environment that agree", { appName: "inventory-api", environment: "dev" },
            { appName: "inventory-api", environment: "dev", subscriptionId: "00000000-0000-0000-0000-00000000bbbb", production: false }],
        ["orders-eu-pre-prod", "the longest environment that ends the name", {
            environments: { prod: { production: true }, "pre-prod": {} },
        }, { appName: "orders-eu", environment: "pre-prod", subscriptionId: SUBSCRIPTION, production: false }],
        ["dev", "a stack named after its environment alone, with its appName", { appName: "inventory-api" },
            { appName: "inventory-api", environment: "dev", production: false }],
    ])("reads %s as %s", (stack, _what, values, expected) => {
        const roles = expected.production === true ? [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }]
            : undefined;
        const config = parseStackConfig(PROJECT, stack, flatConfig({
            ...exampleConfig({ appName: undefined, subscriptionId: undefined, ...(roles === undefined ? {} : { roleAssignments: roles }) }),
            ...(values.environments === undefined ? {} : { subscriptionId: SUBSCRIPTION }), ...values,
        }));
        expect(config).toMatchObject(expected);
    });

    it.each<[string, StackValues, string]>([
        ["an appName the name contradicts", { appName: "orders" },
            "app-identity:appName is \"orders\"; expected inventory-api, the app the stack's name carries, or no value"],
        ["an environment the name contradicts", { environment: "test" },
            "app-identity:environment is \"test\"; expected dev, the environment the stack's name carries, or no value"],
    ])("refuses %s", (_what, values, problem) => {
        expect(problemsOf(exampleConfig({ appName: undefined, ...values }), "inventory-api-dev"))
            .toEqual([`stacks/Pulumi.inventory-api-dev.yaml: ${problem}`]);
    });

    it("accepts a stack name the environment rule refuses when environment is set", () => {
        expect(parseStackConfig(PROJECT, "Dev_1", flatConfig(exampleConfig({ environment: "dev" }))).environment).toBe("dev");
    });

    it("accepts a resource group of 90 UTF-16 units with letters of other scripts, and refuses 91", () => {
        const ninety = `rg-日本-é-${"x".repeat(82)}`;
        expect(ninety).toHaveLength(90);
        expect(parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig({ roleAssignments: rg(ninety) })))
            .roleAssignments[0]!.resourceGroup).toBe(ninety);
        expect(problemsOf(exampleConfig({ roleAssignments: rg(`${ninety}x`) }))).toEqual([
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "${ninety}x"; ${RG_ALLOWED}`,
        ]);
    });

    it("names a secure value where a plain one is needed, by the key as the file writes it", () => {
        expect(problemsOf(exampleConfig({ tenantId: "[secret]" }), "dev", {
            secretKeys: ["app-identity:tenantId"], keysAsWritten: { "app-identity:tenantId": "tenantId" },
        })).toEqual([
            `${FILE}: tenantId is a secure value; expected a plain value: this key is not a secret, and an encrypted ` +
                "value hides it from review and the plan",
        ]);
    });

    it("names keys as the file writes them", () => {
        expect(problemsOf(exampleConfig({ appName: "Inventory" }), "dev", {
            keysAsWritten: { "app-identity:appName": "appName" },
        })).toEqual([
            `${FILE}: appName is "Inventory"; expected the app's short name, such as inventory-api: lowercase letters, ` +
                "digits and '-', starting and ending with a letter or digit",
        ]);
    });

    it("throws a Pulumi RunError, so the CLI prints the message without a stack trace", () => {
        expect(() => parseStackConfig(PROJECT, "dev", {})).toThrowError(
            expect.objectContaining({ name: "ConfigError", __pulumiRunError: true }),
        );
    });
});

describe("projectProblems: what no single stack shows", () => {
    const stack = (name: string, values: StackValues, tenant = TENANT): StackConfig =>
        parseStackConfig(PROJECT, name, flatConfig(exampleConfig({ tenantId: tenant, ...values })));

    it("finds a display name shared by two stacks of one tenant, and none across tenants", () => {
        expect(projectProblems([
            stack("dev", {}),
            stack("dev2", { environment: "dev" }),
            stack("other", { environment: "dev" }, "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"),
            stack("laptops", { environment: "dev", developers: ["alice"] }),
        ])).toEqual([
            `stacks/Pulumi.dev2.yaml: the identity "inventory-api-dev" is also stacks/Pulumi.dev.yaml's, in the same ` +
                `tenant ${TENANT}; expected display names unique across the project's stacks: the provider's ` +
                "duplicate-name check stops the second stack's deploy (set environment or appName apart)",
        ]);
    });

    it("counts the role assignments of every stack of one subscription against Azure's 4,000", () => {
        const many = (count: number) => Array.from({ length: count }, (_, i) => rg(`rg-${i}`)[0]);
        expect(projectProblems([
            stack("dev", { roleAssignments: many(3000) }),
            stack("test", { roleAssignments: many(1000) }),
            stack("orders-dev", { appName: undefined, roleAssignments: many(1) }),
            stack("billing-dev", { appName: undefined, roleAssignments: many(1) }),
        ])).toEqual([
            `stacks/Pulumi.orders-dev.yaml: roleAssignments brings the stacks of subscription ${SUBSCRIPTION} to 4001 role ` +
                "assignments; expected at most 4000 in all, Azure's limit per subscription (the subscription's other " +
                "role assignments count too)",
        ]);
    });
});

describe("role assignment logical names (infra/names.ts)", () => {
    const reader = "Storage Blob Data Reader";

    it.each<[string, { identity: string; resourceGroup: string; role: string }, { identity: string; resourceGroup: string; role: string }]>([
        ["developer a-b with rg c, developer a with rg b-c",
            { identity: "app-local-a-b", resourceGroup: "c", role: reader }, { identity: "app-local-a", resourceGroup: "b-c", role: reader }],
        ["rg x with Storage Blob Data Reader, rg x-storage-blob-data with Reader",
            { identity: "app-dev", resourceGroup: "x", role: reader }, { identity: "app-dev", resourceGroup: "x-storage-blob-data", role: "Reader" }],
    ])("tells apart what the legacy name confused: %s", (_case, first, second) => {
        expect(legacyRoleAssignmentName(first)).toBe(legacyRoleAssignmentName(second));
        expect(roleAssignmentLogicalName(first)).not.toBe(roleAssignmentLogicalName(second));
    });

    it("joins identity, resource group and role slug with '/', which none of them can hold", () => {
        expect(roleAssignmentLogicalName({ identity: "inventory-api-dev", resourceGroup: "rg-inventory-dev", role: "Storage Blob Data Contributor" }))
            .toBe("inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor");
    });

    it("keeps each legacy name as an alias where it was the resource's alone, and drops a shared one", () => {
        const refs = [
            { identity: "app-local-a-b", resourceGroup: "c", role: reader },
            { identity: "app-local-a", resourceGroup: "b-c", role: reader },
            { identity: "app-local-a", resourceGroup: "rg-dev", role: reader },
        ];
        expect([...legacyAliases(refs)]).toEqual([
            ["app-local-a-b/c/storage-blob-data-reader", undefined],
            ["app-local-a/b-c/storage-blob-data-reader", undefined],
            ["app-local-a/rg-dev/storage-blob-data-reader", "app-local-a-rg-dev-storage-blob-data-reader"],
        ]);
    });

    it("is injective over every pair drawn from names that collide under the legacy rule", () => {
        const identities = ["app-a", "app-a-b", "app-a-b-c"];
        const groups = ["c", "b-c", "b", "x-storage-blob-data", "x", "rg.(1)"];
        const roles = [reader, "Reader", "Storage Blob Data Owner", "Owner"];
        const names = identities.flatMap((identity) => groups.flatMap((resourceGroup) =>
            roles.map((role) => roleAssignmentLogicalName({ identity, resourceGroup, role }))));
        expect(new Set(names).size).toBe(identities.length * groups.length * roles.length);
    });
});

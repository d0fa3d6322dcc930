import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../infra/config";
import { exampleConfig, flatConfig, PROJECT, SUBSCRIPTION, TENANT, type StackValues } from "./harness";

const FILE = "stacks/Pulumi.dev.yaml";
const GUID_ALLOWED = "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47";
const ROLES = "Storage Blob Data Reader, Storage Blob Data Contributor, Storage Blob Data Owner, Storage Blob Delegator, " +
    "Owner, Contributor, Reader";
const RG_ALLOWED = "expected a resource group name of 1-90 letters, digits, '.', '_', '-', '(' or ')', not ending in '.'";
const LIFETIME_ALLOWED = "expected a whole number of months from 2 to 24 (two staggered secrets need at least 2)";

function problemsOf(values: StackValues): readonly string[] {
    try {
        parseStackConfig(PROJECT, "dev", flatConfig(values));
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error("expected a ConfigError");
}

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
            productionResourceGroups: ["rg-inventory-prod", "rg-inventory-prod-archive"],
        });
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
        ["missing keys", { roleAssignments: rg("rg") }, [
            `${FILE}: app-identity:appName is missing; expected the app's short name, such as inventory-api: ` +
                "lowercase letters, digits and '-', starting and ending with a letter or digit",
            `${FILE}: app-identity:tenantId is missing; ${GUID_ALLOWED}`,
            `${FILE}: app-identity:subscriptionId is missing; ${GUID_ALLOWED}`,
        ]],
        ["a tenant that is not a GUID", exampleConfig({ tenantId: "contoso.onmicrosoft.com" }), [
            `${FILE}: app-identity:tenantId is "contoso.onmicrosoft.com"; ${GUID_ALLOWED}`,
        ]],
        ["a subscription that is not a GUID", exampleConfig({ subscriptionId: "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2" }), [
            `${FILE}: app-identity:subscriptionId is "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2"; ${GUID_ALLOWED}`,
        ]],
        ["an owner that is not a GUID", exampleConfig({ owners: [TENANT, "alice@contoso.com"] }), [
            `${FILE}: app-identity:owners[1] is "alice@contoso.com"; ${GUID_ALLOWED}`,
        ]],
        ["owners that are not a list", exampleConfig({ owners: TENANT }), [
            `${FILE}: app-identity:owners is "${TENANT}"; expected a list of object IDs (GUIDs)`,
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
            `${FILE}: app-identity:roleAsignments is "rg"; expected one of the keys: appName, environment, tenantId, ` +
                "subscriptionId, owners, production, secretLifetimeMonths, secretRotationAnchor, roleAssignments, " +
                "developers, productionResourceGroups",
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
            production: true,
            roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }, ...rg("rg-inventory-dev")],
        }), [
            `${FILE}: app-identity:roleAssignments[1].resourceGroup is "rg-inventory-dev"; expected a production ` +
                "resource group (listed in productionResourceGroups, Pulumi.yaml): a production identity holds roles in production only",
        ]],
        ["a non-production stack with a role on a production resource group, whatever the case", exampleConfig({
            roleAssignments: rg("RG-Inventory-Prod"),
        }), [
            `${FILE}: app-identity:roleAssignments[0].resourceGroup is "RG-Inventory-Prod"; expected a non-production ` +
                "resource group: it is listed in productionResourceGroups (Pulumi.yaml), and this stack is not production",
        ]],
        ["a developer stack marked production", exampleConfig({
            developers: ["alice"], production: true,
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

    it("throws a Pulumi RunError, so the CLI prints the message without a stack trace", () => {
        expect(() => parseStackConfig(PROJECT, "dev", {})).toThrowError(
            expect.objectContaining({ name: "ConfigError", __pulumiRunError: true }),
        );
    });
});

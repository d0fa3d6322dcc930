/** Adopting a hand-made identity: the adopt key's validation, the comparison with the stack, the secrets' removal. */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../infra/config";
import { compareIdentity } from "../tools/adopt/compare";
import type { ExistingIdentity } from "../tools/adopt/existing";
import { RemovalRefused, secretsToRemove } from "../tools/adopt/removeSecrets";
import { exampleConfig, flatConfig, PROJECT, SUBSCRIPTION, type StackValues } from "./harness";

const APP = "11111111-1111-4111-8111-111111111111";
const SP = "22222222-2222-4222-8222-222222222222";
const ASSIGNMENT = "33333333-3333-4333-8333-333333333333";
const DEPLOYER = "44444444-4444-4444-8444-444444444444";
const KEY = "55555555-5555-4555-8555-555555555555";
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const adoptKey = { application: APP, servicePrincipal: SP,
    roleAssignments: [{ resourceGroup: "rg-inventory-dev", role: "Storage Blob Data Contributor", name: ASSIGNMENT }] };

function problemsOf(values: StackValues): readonly string[] {
    try {
        parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig(values)));
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems;
    }
    throw new Error("expected a ConfigError");
}

describe("app-identity:adopt in the stack file", () => {
    it("parses what npm run adopt writes", () => {
        expect(parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig({ adopt: adoptKey }))).adopt).toEqual(adoptKey);
        expect(parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig())).adopt).toBeUndefined();
    });

    it.each([
        [{ ...adoptKey, application: "app" }, `stacks/Pulumi.dev.yaml: ${PROJECT}:adopt.application is "app"; expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47`],
        [{ ...adoptKey, owner: DEPLOYER }, `stacks/Pulumi.dev.yaml: ${PROJECT}:adopt.owner is "${DEPLOYER}"; expected one of the keys: application, servicePrincipal, roleAssignments`],
        [{ ...adoptKey, roleAssignments: [{ ...adoptKey.roleAssignments[0], resourceGroup: "rg-inventory-test" }] },
            `stacks/Pulumi.dev.yaml: ${PROJECT}:adopt.roleAssignments[0] is {"resourceGroup":"rg-inventory-test","role":"Storage Blob Data Contributor","name":"${ASSIGNMENT}"}; ` +
            "expected a (resourceGroup, role) pair that roleAssignments grants: only what the stack declares can be imported"],
    ])("refuses %j with one line naming the key", (adopt, line) => {
        expect(problemsOf({ adopt })).toEqual([line]);
    });

    it("refuses it in a stack of developers' identities", () => {
        expect(problemsOf({ adopt: adoptKey, developers: ["alice"] })).toEqual([`stacks/Pulumi.dev.yaml: ${PROJECT}:adopt is ` +
            `${JSON.stringify(adoptKey)}; expected no adopt key in a stack with developers: adopt one environment's identity, in a stack without developers`]);
    });

    it("refuses it in a stack whose app runs under a managed identity alone, and accepts it during a migration", () => {
        const managedIdentity = { kind: "objectId", objectId: "6f0c2a4e-1111-4b2c-9d3e-5a6b7c8d9e0f" };
        expect(problemsOf({ adopt: adoptKey, managedIdentity })).toEqual([`stacks/Pulumi.dev.yaml: ${PROJECT}:adopt is ` +
            `${JSON.stringify(adoptKey)}; expected no adopt in a stack whose app runs under managedIdentity alone: there is no ` +
            "app registration to import (set appRegistration: true while servers still use the adopted app)"]);
        expect(parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig({ adopt: adoptKey, managedIdentity,
            appRegistration: true }))).adopt).toEqual(adoptKey);
    });
});

function existing(overrides: Partial<ExistingIdentity["application"]> = {}, roleAssignments = [
    { id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/${ASSIGNMENT}`,
        name: ASSIGNMENT, scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-inventory-dev`,
        roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}` },
]): ExistingIdentity {
    return {
        application: { objectId: APP, clientId: "c", displayName: "inventory-api-dev", signInAudience: "AzureADMyOrg",
            owners: [DEPLOYER], secrets: [], ...overrides },
        servicePrincipal: { objectId: SP, owners: [DEPLOYER] },
        roleAssignments,
    };
}

describe("compareIdentity", () => {
    const config = parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig()));
    const lines = (identity: ExistingIdentity) => compareIdentity(config, identity, DEPLOYER).findings
        .map((finding) => `${finding.kind}${finding.blocking ? "!" : ""}: ${finding.text}`);

    it("adopts what matches, and names what the stack changes", () => {
        const comparison = compareIdentity(config, existing(), DEPLOYER);
        expect(comparison.ok).toBe(true);
        expect(comparison.adopt).toEqual(adoptKey);
        expect(lines(existing())).toEqual([
            `import: app registration "inventory-api-dev" (object ID ${APP})`,
            `import: service principal (object ID ${SP})`,
            `import: role assignment Storage Blob Data Contributor on rg-inventory-dev (name ${ASSIGNMENT})`,
            "change: preventDuplicateNames becomes true (an import reads it as false: it lives in the stack's state only, nothing changes in Entra)",
        ]);
    });

    it("reports another display name, a multi-tenant app, a role at subscription scope and one not in config", () => {
        const subscriptionRole = { id: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/r1`, name: "r1",
            scope: `/subscriptions/${SUBSCRIPTION}`, roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${READER}` };
        const identity = existing({ displayName: "Inventory API (dev)", signInAudience: "AzureADMultipleOrgs" }, [subscriptionRole]);
        expect(compareIdentity(config, identity, DEPLOYER).ok).toBe(false);
        expect(lines(identity)).toEqual([
            `import: app registration "Inventory API (dev)" (object ID ${APP})`,
            `import: service principal (object ID ${SP})`,
            "missing: Storage Blob Data Contributor on rg-inventory-dev: no such role assignment",
            "change: app registration display name \"Inventory API (dev)\" becomes \"inventory-api-dev\" (the project's naming, <appName>-<environment>)",
            "change: preventDuplicateNames becomes true (an import reads it as false: it lives in the stack's state only, nothing changes in Entra)",
            "extra!: a multi-tenant app (signInAudience AzureADMultipleOrgs): the first pulumi up makes it single-tenant (AzureADMyOrg)",
            "extra: Storage Blob Data Reader at subscription scope (name r1): the stack grants roles on resource groups only",
        ]);
    });
});

describe("compareIdentity: what the update after the import empties (terraform-provider-azuread v3 applicationResourceUpdate)", () => {
    const config = parseStackConfig(PROJECT, "dev", flatConfig(exampleConfig()));
    const WHY = "(the program does not set it, and azuread's update after the import writes it empty)";
    // A portal-made app with everything a team sets by hand: Graph User.Read, an exposed API, an app role, optional
    // claims, redirect URIs, notes, a support URL, group claims, and tags (which the update keeps).
    const graph = {
        id: APP, appId: "c", displayName: "inventory-api-dev", tags: ["inventory"],
        requiredResourceAccess: [{ resourceAppId: "00000003-0000-0000-c000-000000000000",
            resourceAccess: [{ id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" }] }],
        identifierUris: ["api://inventory-api-dev"],
        appRoles: [{ id: KEY, value: "Reports.Read", isEnabled: true }],
        optionalClaims: { accessToken: [], idToken: [{ name: "email" }], saml2Token: [] },
        web: { homePageUrl: "https://inventory.example.com", logoutUrl: null, redirectUris: [],
            implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: true } },
        spa: { redirectUris: ["https://inventory.example.com/spa"] }, publicClient: { redirectUris: [] },
        api: { acceptMappedClaims: null, knownClientApplications: [], oauth2PermissionScopes: [], requestedAccessTokenVersion: 2 },
        notes: "by hand", description: null, groupMembershipClaims: "SecurityGroup",
        info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: "https://help.example.com", termsOfServiceUrl: null },
        isFallbackPublicClient: false,
    };
    const cleared = (accept: boolean) => compareIdentity(config, existing({ graph }), DEPLOYER, { acceptClearing: accept });

    it("lists every property the first up empties, each a 'must' until --accept-clearing; tags are not among them", () => {
        const comparison = cleared(false);
        expect(comparison.ok).toBe(false);
        expect(comparison.findings.filter((finding) => finding.text.endsWith(WHY))
            .map((finding) => `${finding.blocking ? "must" : "can"} ${finding.text.replace(` ${WHY}`, "").replace("app registration ", "")}`)).toEqual([
            "must notes \"by hand\" becomes null",
            "must groupMembershipClaims \"SecurityGroup\" becomes null",
            "must info.supportUrl \"https://help.example.com\" becomes null",
            "must web {\"homePageUrl\":\"https://inventory.example.com\",\"logoutUrl\":null,\"redirectUris\":[],\"implicitGrantSettings\":" +
                "{\"enableAccessTokenIssuance\":false,\"enableIdTokenIssuance\":true}} becomes {\"homePageUrl\":null,\"logoutUrl\":null," +
                "\"redirectUris\":[],\"implicitGrantSettings\":{\"enableAccessTokenIssuance\":false,\"enableIdTokenIssuance\":false}}",
            "must spa.redirectUris [\"https://inventory.example.com/spa\"] becomes []",
            "must api {\"acceptMappedClaims\":null,\"knownClientApplications\":[],\"oauth2PermissionScopes\":[],\"requestedAccessTokenVersion\":2} " +
                "becomes {\"acceptMappedClaims\":false,\"knownClientApplications\":[],\"oauth2PermissionScopes\":[],\"requestedAccessTokenVersion\":1}",
            "must identifierUris [\"api://inventory-api-dev\"] becomes []",
            `must requiredResourceAccess [{"resourceAppId":"00000003-0000-0000-c000-000000000000","resourceAccess":[{"id":"e1fe6dd8-ba31-4d61-89e7-88639da4683d","type":"Scope"}]}] becomes []`,
            `must appRoles [{"id":"${KEY}","value":"Reports.Read","isEnabled":true}] becomes []`,
            "must optionalClaims {\"accessToken\":[],\"idToken\":[{\"name\":\"email\"}],\"saml2Token\":[]} becomes {\"accessToken\":[],\"idToken\":[],\"saml2Token\":[]}",
        ]);
        expect(comparison.findings.map((finding) => finding.text).join("\n")).not.toContain("tags");
    });

    it("is ready with --accept-clearing, the same lines marked accepted", () => {
        const comparison = cleared(true);
        expect(comparison.ok).toBe(true);
        const accepted = comparison.findings.filter((finding) => finding.text.endsWith(WHY));
        expect(accepted.map((finding) => [finding.blocking, finding.action])).toEqual(Array(10).fill([false, "accepted (--accept-clearing)"]));
    });

    it("finds nothing to empty on an app as the program makes it", () => {
        expect(compareIdentity(config, existing({ graph: { id: APP, tags: [], web: { redirectUris: [] }, requiredResourceAccess: [] } }), DEPLOYER).ok)
            .toBe(true);
    });
});

describe("secretsToRemove", () => {
    const secrets = [{ keyId: KEY, displayName: "Current", endDateTime: "2027-01-01T00:00:00Z" },
        { keyId: APP, displayName: "slot a, rotated 2026-04-17", endDateTime: "2028-04-17T00:00:00Z" }];
    it("takes a hand-made secret by key ID, in any case", () => {
        expect(secretsToRemove(secrets, [KEY.toUpperCase()], "inventory-api-dev")).toEqual([secrets[0]]);
    });
    it.each([
        [APP, `key ID ${APP} is the stack's own secret "slot a, rotated 2026-04-17": the stack rotates it; remove only hand-made secrets`],
        [SP, `inventory-api-dev has no client secret with key ID ${SP}; its secrets: ${KEY}, ${APP}`],
    ])("refuses %s", (keyId, message) => {
        expect(() => secretsToRemove(secrets, [keyId], "inventory-api-dev")).toThrow(new RemovalRefused(message));
    });
});

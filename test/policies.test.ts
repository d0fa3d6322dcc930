import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { currentTime, setClock } from "../infra/clock";
import { checkResources, configFor, readPackConfig, type CheckedResource, type PackConfig } from "../tools/plan/policyCheck";
import {
    allowedRoles, productionProtected, resourceGroupScope, sameEnvironment, secretEndDate, servicePrincipalOnly,
    singleTenant, TYPES,
} from "../policy/policies";
import { CERTIFICATE_TYPE, certificateDates, certificateUnprotected } from "../policy/certificatePolicies";
import { readProject } from "../tools/stacks/stackFiles";
import { ROOT } from "./harness";
import { firstLineOf } from "./support/policyPackPort";

const SUB = "1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d";
const CONTRIBUTOR_BLOB = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

function resource(stack: string, type: string, inputs: Record<string, unknown>, protect = false): CheckedResource {
    return { urn: `urn:pulumi:${stack}::app-identity::${type}::r`, type, name: "r", inputs, protect, parent: "" };
}
const assignment = (stack: string, overrides: Record<string, unknown> = {}) => resource(stack, TYPES.roleAssignment, {
    scope: `/subscriptions/${SUB}/resourceGroups/rg-inventory-dev`,
    roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR_BLOB}`,
    principalId: "68c2c5a7-e706-57ce-b814-817d60932c59",
    principalType: "ServicePrincipal",
    ...overrides,
});
const messages = (policy: Parameters<typeof checkResources>[2], resources: CheckedResource[], config: PackConfig = {},
    at?: Date) => checkResources(resources, config, policy, at).map((violation) => violation.message);

describe("role-assignment-resource-group-scope", () => {
    const check = (scope: unknown) => messages([resourceGroupScope], [assignment("dev", { scope })]);
    it("passes a resource group", () => { expect(check(`/subscriptions/${SUB}/resourceGroups/rg-inventory-dev`)).toEqual([]); });
    it.each([
        [`/subscriptions/${SUB}`],
        ["/providers/Microsoft.Management/managementGroups/contoso"],
        ["/"],
        [`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct`],
    ])("refuses %s", (scope) => {
        expect(check(scope)).toEqual([`scope ${JSON.stringify(scope)} is not a resource group; assign roles at ` +
            "/subscriptions/<subscription>/resourceGroups/<resource group> only"]);
    });
    it("refuses a missing scope", () => {
        expect(check(undefined)).toEqual(["scope null is not a resource group; assign roles at " +
            "/subscriptions/<subscription>/resourceGroups/<resource group> only"]);
    });
    it("ignores other resource types", () => {
        expect(messages([resourceGroupScope], [resource("dev", TYPES.application, {})])).toEqual([]);
    });
});

describe("role-assignment-allowed-roles", () => {
    const definition = (id: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
    const allowedByDefault = "Storage Blob Data Reader (2a2b9908-6ea1-4ae2-8e65-a410df84e7d1), Storage Blob Data " +
        "Contributor (ba92f5b4-2d11-453d-a403-e96b0029c9fe), Storage Blob Data Owner (b7e6dc6d-f1e8-4753-8033-0f276bb0955b), " +
        "Storage Blob Delegator (db58b8e5-c6ad-4a2a-8342-4190687cbf4a)";
    it("passes a Storage Blob role", () => {
        expect(messages([allowedRoles], [assignment("dev")])).toEqual([]);
    });
    it("refuses Owner, naming it", () => {
        expect(messages([allowedRoles], [assignment("dev", { roleDefinitionId: definition(OWNER) })]))
            .toEqual([`role Owner (${OWNER}) is not allowed; allowed: ${allowedByDefault}`]);
    });
    it("refuses a missing role definition", () => {
        expect(messages([allowedRoles], [assignment("dev", { roleDefinitionId: undefined })]))
            .toEqual([`role null is not allowed; allowed: ${allowedByDefault}`]);
    });
    it("takes the allowlist from config", () => {
        const config = { "role-assignment-allowed-roles": { allowedRoleDefinitionIds: [OWNER.toUpperCase()] } };
        expect(messages([allowedRoles], [assignment("dev", { roleDefinitionId: definition(OWNER) })], config)).toEqual([]);
        expect(messages([allowedRoles], [assignment("dev")], config))
            .toEqual([`role Storage Blob Data Contributor (${CONTRIBUTOR_BLOB}) is not allowed; allowed: Owner (${OWNER})`]);
    });
});

describe("role-assignment-service-principal", () => {
    it("passes ServicePrincipal", () => { expect(messages([servicePrincipalOnly], [assignment("dev")])).toEqual([]); });
    it("refuses User", () => {
        expect(messages([servicePrincipalOnly], [assignment("dev", { principalType: "User" })]))
            .toEqual(['principalType is "User"; expected "ServicePrincipal"']);
    });
    it("refuses a missing principal type", () => {
        expect(messages([servicePrincipalOnly], [assignment("dev", { principalType: undefined })]))
            .toEqual(['principalType is null; expected "ServicePrincipal"']);
    });
});

describe("client-secret-explicit-end-date", () => {
    const secret = (inputs: Record<string, unknown>) => resource("dev", TYPES.password, { applicationId: "/applications/x", ...inputs });
    it("passes an end date within 24 months", () => {
        expect(messages([secretEndDate], [secret({ startDate: "2026-01-01T00:00:00Z", endDate: "2028-01-01T00:00:00Z" })])).toEqual([]);
    });
    it("refuses a lifetime over the maximum", () => {
        expect(messages([secretEndDate], [secret({ startDate: "2026-01-01T00:00:00Z", endDate: "2028-01-02T00:00:00Z" })]))
            .toEqual(["endDate 2028-01-02T00:00:00Z is more than 24 months after startDate 2026-01-01T00:00:00Z"]);
    });
    it("measures from now when there is no start date: a secret starts when it is created", () => {
        const at = new Date("2026-11-21T12:00:00Z");
        expect(messages([secretEndDate], [secret({ endDate: "2028-11-21T12:00:00Z" })], {}, at)).toEqual([]);
        expect(messages([secretEndDate], [secret({ endDate: "2028-11-21T12:00:01Z" })], {}, at))
            .toEqual(["endDate 2028-11-21T12:00:01Z is more than 24 months after now (2026-11-21T12:00:00Z)"]);
    });
    // npm run plan -- dev --at 2027-07-15 plans secrets made on that day: they are judged as of that day.
    it("judges as of the checker's date, and still refuses a secret too long on that day", () => {
        const at = new Date("2027-07-15T00:00:00Z");
        expect(messages([secretEndDate], [secret({ endDate: "2029-07-15T00:00:00Z" })], {}, at)).toEqual([]);
        expect(messages([secretEndDate], [secret({ endDate: "2029-07-16T00:00:00Z" })], {}, at))
            .toEqual(["endDate 2029-07-16T00:00:00Z is more than 24 months after now (2027-07-15T00:00:00Z)"]);
    });
    it("reads now from the project's one clock when given no date (the wall clock, in the pack), and leaves it as it was", () => {
        const previous = setClock(() => new Date("2030-01-01T00:00:00Z"));
        try {
            expect(messages([secretEndDate], [secret({ endDate: "2032-01-02T00:00:00Z" })]))
                .toEqual(["endDate 2032-01-02T00:00:00Z is more than 24 months after now (2030-01-01T00:00:00Z)"]);
            messages([secretEndDate], [secret({ endDate: "2032-01-02T00:00:00Z" })], {}, new Date("2027-07-15T00:00:00Z"));
            expect(currentTime().toISOString()).toBe("2030-01-01T00:00:00.000Z");
        } finally {
            setClock(previous);
        }
    });
    it("refuses a missing end date and endDateRelative", () => {
        expect(messages([secretEndDate], [secret({ endDateRelative: "17520h" })])).toEqual([
            "endDateRelative is set; use an explicit endDate instead",
            "endDate is null; expected an RFC 3339 date",
        ]);
    });
    it("takes the maximum from config", () => {
        const config = { "client-secret-explicit-end-date": { maxLifetimeMonths: 12 } };
        expect(messages([secretEndDate], [secret({ startDate: "2026-01-01T00:00:00Z", endDate: "2027-06-01T00:00:00Z" })], config))
            .toEqual(["endDate 2027-06-01T00:00:00Z is more than 12 months after startDate 2026-01-01T00:00:00Z"]);
    });
});

describe("application-single-tenant", () => {
    const app = (inputs: Record<string, unknown>) => resource("dev", TYPES.application, { displayName: "x", ...inputs });
    it("passes AzureADMyOrg", () => { expect(messages([singleTenant], [app({ signInAudience: "AzureADMyOrg" })])).toEqual([]); });
    it("refuses multi-tenant", () => {
        expect(messages([singleTenant], [app({ signInAudience: "AzureADMultipleOrgs" })]))
            .toEqual(['signInAudience is "AzureADMultipleOrgs"; expected "AzureADMyOrg"']);
    });
    it("refuses a missing audience (Graph's default is multi-tenant)", () => {
        expect(messages([singleTenant], [app({})])).toEqual(['signInAudience is null; expected "AzureADMyOrg"']);
    });
});

describe("role-assignment-same-environment", () => {
    const on = (stack: string, group: string) => assignment(stack, { scope: `/subscriptions/${SUB}/resourceGroups/${group}` });
    it("passes each stack in its own environment", () => {
        expect(messages([sameEnvironment], [on("dev", "rg-inventory-dev"), on("prod", "rg-inventory-prod")])).toEqual([]);
    });
    it("refuses a non-production identity on a production resource group, and the reverse", () => {
        expect(messages([sameEnvironment], [on("local", "RG-INVENTORY-PROD"), on("prod", "rg-inventory-dev")])).toEqual([
            "stack local is not production, but resource group RG-INVENTORY-PROD is a production resource group",
            "stack prod is production, but resource group rg-inventory-dev is not a production resource group",
        ]);
    });
    it("leaves a missing scope to the scope policy", () => {
        expect(messages([sameEnvironment], [assignment("prod", { scope: undefined })])).toEqual([]);
    });
    it("takes environments from config", () => {
        const config = { "role-assignment-same-environment": {
            environments: ["live", "dev"], productionEnvironments: ["live"], productionResourceGroups: ["rg-live"],
        } };
        expect(messages([sameEnvironment], [on("live", "rg-live"), on("orders-live", "rg-live"), on("prod", "rg-inventory-prod")], config))
            .toEqual([]);
    });
    it("judges a fleet's stack by the environment its name carries, and groups by pattern, whatever the case", () => {
        expect(messages([sameEnvironment], [
            on("orders-api-prod", "rg-orders-api-prod"), on("orders-api-prod", "RG-Orders-Api-Prod-Archive"),
            on("orders-api-test", "rg-orders-api-test"), on("orders-api-test", "rg-orders-api-prod"),
            on("orders-api-prod", "rg-orders-api-test"),
        ])).toEqual([
            "stack orders-api-test is not production, but resource group rg-orders-api-prod is a production resource group",
            "stack orders-api-prod is production, but resource group rg-orders-api-test is not a production resource group",
        ]);
    });
    it("reads a resource group pattern's '.', '(' and ')' as themselves: only '*' is a wildcard", () => {
        const config = { "role-assignment-same-environment": {
            environments: ["dev", "prod"], productionEnvironments: ["prod"], productionResourceGroups: ["rg.(prod)*"],
        } };
        expect(messages([sameEnvironment], [on("app-prod", "rg.(prod)-1"), on("app-dev", "rgx(prod)-1"), on("app-dev", "rg.prod")], config))
            .toEqual([]);
        expect(messages([sameEnvironment], [on("app-dev", "rg.(prod)-1")], config))
            .toEqual(["stack app-dev is not production, but resource group rg.(prod)-1 is a production resource group"]);
    });
});

describe("production-resources-protected", () => {
    const GUARDED = [TYPES.application, TYPES.servicePrincipal, TYPES.roleAssignment];
    const PROTECTED_SECRET = "this client secret is protected; a rotation replaces it, and the engine refuses to " +
        "replace a protected resource: leave client secrets unprotected";
    it("passes a production stack's protected app, service principal and role assignments, and unprotected others", () => {
        expect(messages([productionProtected], [
            ...GUARDED.map((type) => resource("prod", type, {}, true)),
            ...GUARDED.map((type) => resource("dev", type, {}, false)),
        ])).toEqual([]);
    });
    it("does not require a production stack's client secrets to be protected", () => {
        expect(messages([productionProtected], [resource("prod", TYPES.password, {}, false)])).toEqual([]);
    });
    it("refuses an unprotected app, service principal or role assignment in a production stack", () => {
        expect(messages([productionProtected], GUARDED.map((type) => resource("prod", type, {}, false)))).toEqual([
            "stack prod is production, but this resource is not protected",
            "stack prod is production, but this resource is not protected",
            "stack prod is production, but this resource is not protected",
        ]);
    });
    it("refuses a protected client secret in any stack: it could never rotate", () => {
        expect(messages([productionProtected], [
            resource("prod", TYPES.password, {}, true), resource("dev", TYPES.password, {}, true),
        ])).toEqual([PROTECTED_SECRET, PROTECTED_SECRET]);
    });
    it("leaves the component and the engine's own resources (providers, the stack) alone", () => {
        expect(messages([productionProtected], [
            resource("prod", "appidentity:azure:AppIdentity", {}, false),
            resource("prod", "pulumi:providers:azuread", {}, false),
            resource("prod", "pulumi:pulumi:Stack", {}, false),
        ])).toEqual([]);
    });
    it("takes the production stacks from config", () => {
        expect(messages([productionProtected], [resource("prod", TYPES.application, {}, false)],
            { "production-resources-protected": { environments: ["prod"], productionEnvironments: [] } })).toEqual([]);
        expect(messages([productionProtected], [resource("live", TYPES.application, {}, false), resource("orders-live", TYPES.application, {}, false)],
            { "production-resources-protected": { environments: ["live"], productionEnvironments: ["live"] } }))
            .toEqual(["stack live is production, but this resource is not protected",
                "stack orders-live is production, but this resource is not protected"]);
    });
    it("judges a fleet's stack by the environment its name carries: inventory-api-prod is production, orders-pre-prod is not", () => {
        const config = { "production-resources-protected": { environments: ["prod", "pre-prod"], productionEnvironments: ["prod"] } };
        expect(messages([productionProtected], [resource("inventory-api-prod", TYPES.application, {}, false),
            resource("orders-pre-prod", TYPES.application, {}, false)], config))
            .toEqual(["stack inventory-api-prod is production, but this resource is not protected"]);
    });
});

describe("the pack's config, policy/config.json", () => {
    it("names Pulumi.yaml's environments, its production ones and its production resource groups", () => {
        const project = readProject(ROOT);
        const shared = project.defaults["app-identity:environments"] as Record<string, { production?: boolean }>;
        const environments = Object.keys(shared).sort();
        const productionEnvironments = environments.filter((name) => shared[name]!.production === true);
        const productionResourceGroups = project.defaults["app-identity:productionResourceGroups"];
        expect(productionEnvironments).toEqual(["prod"]);
        expect(readPackConfig()).toEqual({
            "role-assignment-same-environment": { environments, productionEnvironments, productionResourceGroups },
            "production-resources-protected": { environments, productionEnvironments },
        });
        expect(configFor(sameEnvironment, {})).toEqual({ environments, productionEnvironments, productionResourceGroups });
    });
});

describe("the policy pack, policy/index.ts", () => {
    it("type-checks and starts under ts-node, printing the port of its analyzer server as the CLI expects", async () => {
        const child = spawn(process.execPath, ["-e", 'require("ts-node").register({ project: "tsconfig.json" }); require("./");'],
            { cwd: join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
        try {
            const firstLine = await firstLineOf(child);
            expect(firstLine).toMatch(/^\d{2,5}$/);
        } finally {
            child.kill();
        }
    });
});

describe("client-certificate-explicit-dates and client-certificate-unprotected", () => {
    const certificate = (inputs: Record<string, unknown>, protect = false) => resource("dev", CERTIFICATE_TYPE,
        { applicationId: "/applications/x", type: "AsymmetricX509Cert", encoding: "pem", value: "[secret]", ...inputs }, protect);
    const both = [certificateDates, certificateUnprotected];
    it("passes explicit dates within 24 months, unprotected", () => {
        expect(messages(both, [certificate({ startDate: "2026-07-10T00:00:00Z", endDate: "2028-07-10T00:00:00Z" })])).toEqual([]);
    });
    it.each([
        [{ startDate: "2026-07-10T00:00:00Z", endDate: "2028-07-10T00:00:01Z" }, false,
            ["endDate 2028-07-10T00:00:01Z is more than 24 months after startDate 2026-07-10T00:00:00Z"]],
        [{ endDate: "2027-07-10T00:00:00Z" }, false, ["startDate is null; expected an RFC 3339 date"]],
        [{ startDate: "2026-07-10T00:00:00Z", endDateRelative: "8760h" }, false,
            ["endDateRelative is set; use an explicit endDate instead", "endDate is null; expected an RFC 3339 date"]],
        [{ startDate: "2026-07-10T00:00:00Z", endDate: "2027-07-10T00:00:00Z" }, true,
            ["this certificate is protected; a rotation replaces it, and the engine refuses to replace a protected resource: leave certificates unprotected"]],
    ])("refuses %j (protected: %s)", (inputs, protect, expected) => {
        expect(messages(both, [certificate(inputs, protect)])).toEqual(expected);
    });
    it("takes the maximum from config", () => {
        const config = { "client-certificate-explicit-dates": { maxLifetimeMonths: 12 } };
        expect(messages(both, [certificate({ startDate: "2026-07-10T00:00:00Z", endDate: "2027-07-11T00:00:00Z" })], config))
            .toEqual(["endDate 2027-07-11T00:00:00Z is more than 12 months after startDate 2026-07-10T00:00:00Z"]);
    });
});

/**
 * Cause A of issue 24: the local Azure's deployer and preview identity hold exactly what docs/deployer.md and
 * docs/managed-identity.md grant, read from the docs' own `az` commands (test/support/documentedAccess.ts), so that
 * every engine test runs as the documented identity. Before this, the seed gave the deployer Role Based Access
 * Control Administrator on each subscription, where the docs grant it on the stacks' resource groups only, and
 * seeded no preview identity at all.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROLE_IDS, STORAGE_BLOB_ROLE_IDS, roleIdOf } from "../localazure/arm/roleDefinitions";
import { CONDITIONAL_ACCESS_GRAPH_PERMISSIONS, seedState, subscriptionOf } from "../localazure/seed";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";
import { documentedAccess, type Principal } from "./support/documentedAccess";

const docs = ["docs/deployer.md", "docs/managed-identity.md"].map((file) => readFileSync(join(PROJECT_ROOT, file), "utf8"));
const access = documentedAccess(docs);
const STACK_GROUPS = ["rg-inventory-dev", "rg-inventory-test", "rg-inventory-prod", "rg-inventory-prod-archive"];
const RBAC_ADMINISTRATOR = "Role Based Access Control Administrator";
/** Azure's role names for the IDs the local ARM knows (built-in roles reference). */
const ROLE_NAMES: Record<string, string> = { [ROLE_IDS.rbacAdministrator]: RBAC_ADMINISTRATOR, [ROLE_IDS.reader]: "Reader" };
const squeeze = (text: string | null) => (text === null ? null : text.replace(/\s+/g, ""));

describe("what the docs grant, read from their az commands", () => {
    it("Graph: the deployer Application.ReadWrite.OwnedBy and Policy.Read.ApplicationConfiguration, the previewer Application.Read.All and the policy read", () => {
        expect(access.graph).toEqual({
            deployer: ["Application.ReadWrite.OwnedBy", "Policy.Read.ApplicationConfiguration"],
            previewer: ["Application.Read.All", "Policy.Read.ApplicationConfiguration"],
        });
        // Only for stacks whose owners include users (section 3): not part of the default grant.
        // Only for stacks whose owners include users, or that set allowedNetworks (section 3): not the default grant.
        expect(access.conditionalGraph).toEqual({ deployer: ["User.Read.All", "Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"], previewer: [] });
        // What the local Azure's tests grant for allowedNetworks is what the docs grant, and the seed holds none of it.
        expect(CONDITIONAL_ACCESS_GRAPH_PERMISSIONS).toEqual(access.conditionalGraph.deployer.slice(1));
    });

    it("Azure: RBAC Administrator, conditioned, on the stacks' resource groups; Reader for the previewer; Reader on rg-servers for both", () => {
        const summary = access.roles.map(({ principal, role, resourceGroup, condition }) =>
            `${principal} ${role} ${resourceGroup}${condition === null ? "" : " (conditional)"}`);
        expect(summary).toEqual([
            ...STACK_GROUPS.map((group) => `deployer ${RBAC_ADMINISTRATOR} ${group} (conditional)`),
            ...STACK_GROUPS.map((group) => `previewer Reader ${group}`),
            "deployer Reader rg-servers",
            "previewer Reader rg-servers",
        ]);
        // The condition names the four Storage Blob roles and the ServicePrincipal type, for writes and deletes.
        const condition = access.roles[0]!.condition!;
        for (const roleId of STORAGE_BLOB_ROLE_IDS) expect(condition.split(roleId)).toHaveLength(3);
        expect(condition.match(/StringEqualsIgnoreCase \{'ServicePrincipal'\}/g)).toHaveLength(2);
    });

    it("the scopes the local Azure does not model: the state container and the stacks' Key Vault keys", () => {
        expect(access.otherScopes).toEqual([
            { principal: "deployer", role: "Storage Blob Data Contributor", scope: "$STATE_SCOPE" },
            { principal: "deployer", role: "Key Vault Crypto User", scope: "$VAULT_SCOPE/keys/pulumi-$stack" },
            { principal: "previewer", role: "Storage Blob Data Reader", scope: "$STATE_SCOPE" },
            { principal: "previewer", role: "Key Vault Crypto User", scope: "$VAULT_SCOPE/keys/pulumi-$stack" },
        ]);
    });
});

describe("the local Azure's seed grants exactly that", () => {
    const state = seedState(new Date("2026-01-01T00:00:00Z"));
    const principals: Record<Principal, string> = { deployer: state.deployer.objectId, previewer: state.previewer!.objectId };

    it.each(["deployer", "previewer"] as const)("the %s's Graph permissions are the docs'", (principal) => {
        const sp = state.servicePrincipals.find((candidate) => candidate.id === principals[principal])!;
        expect([...sp.graphPermissions].sort()).toEqual([...access.graph[principal]].sort());
    });

    it("its role assignments are the docs', each on its resource group in that group's subscription, none above", () => {
        const seeded = state.roleAssignments
            .filter((assignment) => assignment.principalId === principals.deployer || assignment.principalId === principals.previewer)
            .map((assignment) => {
                const group = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/.exec(assignment.scope);
                return {
                    principal: assignment.principalId === principals.deployer ? "deployer" : "previewer",
                    role: ROLE_NAMES[roleIdOf(assignment.roleDefinitionId)] ?? assignment.roleDefinitionId,
                    scope: group === null ? assignment.scope : `${group[1]}/${group[2]}`,
                    condition: squeeze(assignment.condition),
                };
            });
        expect(seeded).toEqual(access.roles.map(({ principal, role, resourceGroup, condition }) => ({
            principal, role, scope: `${subscriptionOf(resourceGroup)}/${resourceGroup}`, condition: squeeze(condition),
        })));
    });
});

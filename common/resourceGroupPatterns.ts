/**
 * Which resource groups are production: Pulumi.yaml's `productionResourceGroups`, names or patterns in which `*`
 * stands for any run of characters (`rg-*-prod` covers every app that follows the tenant's naming), so that
 * onboarding an app edits no shared list. Azure compares resource group names without regard to case.
 *
 * `*` is the only wildcard: resource group names may hold '.', '(' and ')' (Microsoft Learn, "Naming rules and
 * restrictions for Azure resources", Microsoft.Resources resourcegroups), which a glob library would read as syntax.
 */
export function resourceGroupMatcher(patterns: readonly string[]): (resourceGroup: string) => boolean {
    const compiled = patterns.map((pattern) =>
        new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "iu"));
    return (resourceGroup) => compiled.some((pattern) => pattern.test(resourceGroup));
}

/**
 * `applications.FlattenFeatures` (terraform-provider-azuread internal/helpers/applications/applications.go): the
 * feature flags the provider derives from an object's `tags`.
 */

const has = (tags: readonly string[], tag: string) => tags.some((item) => item.toLowerCase() === tag.toLowerCase());

/** `featureTags`: one element. */
export function featureTags(tags: readonly string[]): Record<string, boolean>[] {
    return [{
        customSingleSignOn: has(tags, "WindowsAzureActiveDirectoryCustomSingleSignOnApplication"),
        enterprise: has(tags, "WindowsAzureActiveDirectoryIntegratedApp"),
        gallery: has(tags, "WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1"),
        hide: has(tags, "HideApp"),
    }];
}

/** The deprecated `features` of a service principal: one element. */
export function legacyFeatures(tags: readonly string[]): Record<string, boolean>[] {
    return [{
        customSingleSignOnApp: has(tags, "WindowsAzureActiveDirectoryCustomSingleSignOnApplication"),
        enterpriseApplication: has(tags, "WindowsAzureActiveDirectoryIntegratedApp"),
        galleryApplication: has(tags, "WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1"),
        visibleToUsers: !has(tags, "HideApp"),
    }];
}

export function stringList(value: unknown): string[] {
    return Array.isArray(value) ? value.map(String) : [];
}

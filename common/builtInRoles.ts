/**
 * Built-in Azure roles the config may name, by their Azure names. Role definition GUIDs are the same in every
 * tenant (Microsoft's built-in roles reference); the copy in ../shared/reference/storage-blob-roles.json is checked
 * against the Storage Blob table by a test.
 *
 * Config knows the broad roles too (Owner, Contributor, Reader) so that a stack asking for one is refused by the
 * guardrail policy, which says why, rather than reported as an unknown name.
 */
export interface BuiltInRole {
    readonly name: string;
    readonly id: string;
    /** Blob data actions the role grants (what a storage account checks on each request). */
    readonly dataActions: readonly string[];
}

const BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

export const STORAGE_BLOB_ROLES: readonly BuiltInRole[] = [
    {
        name: "Storage Blob Data Reader",
        id: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        dataActions: [`${BLOB}/read`],
    },
    {
        name: "Storage Blob Data Contributor",
        id: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        dataActions: [`${BLOB}/delete`, `${BLOB}/read`, `${BLOB}/write`, `${BLOB}/move/action`, `${BLOB}/add/action`],
    },
    {
        name: "Storage Blob Data Owner",
        id: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        dataActions: [`${BLOB}/*`],
    },
    {
        name: "Storage Blob Delegator",
        id: "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
        dataActions: [],
    },
];

/** Not least privilege for an app identity: Owner and Contributor reach account keys, and so every blob. */
export const BROAD_ROLES: readonly BuiltInRole[] = [
    { name: "Owner", id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", dataActions: [] },
    { name: "Contributor", id: "b24988ac-6180-42a0-ab88-20f7382dd24c", dataActions: [] },
    { name: "Reader", id: "acdd72a7-3385-48ef-bd42-f606fba81ae7", dataActions: [] },
];

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [...STORAGE_BLOB_ROLES, ...BROAD_ROLES];

export const ROLE_NAMES: readonly string[] = BUILT_IN_ROLES.map((role) => role.name);

export function findRole(name: string): BuiltInRole | undefined {
    return BUILT_IN_ROLES.find((role) => role.name === name);
}

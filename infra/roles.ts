/**
 * The built-in Azure roles an app identity may be granted, by their Azure names.
 *
 * Role definition GUIDs are the same in every tenant (Microsoft's built-in roles reference); the copy in
 * ../shared/reference/storage-blob-roles.json is checked against this table by a test.
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

export const ROLE_NAMES: readonly string[] = STORAGE_BLOB_ROLES.map((role) => role.name);

export function findRole(name: string): BuiltInRole | undefined {
    return STORAGE_BLOB_ROLES.find((role) => role.name === name);
}

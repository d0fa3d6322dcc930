/**
 * What an identity is granted, in the two forms the program knows: a role on a resource group as the stack file
 * writes it, and the same role at its resolved ARM scope. Its own module so that config.ts and the features it
 * reads the schemas of (adoption, managed identities, the app identity) share these types without importing one
 * another in a circle.
 */
export interface RoleAssignmentConfig {
    readonly resourceGroup: string;
    readonly role: string;
}

export interface GrantedRole {
    readonly scope: string;
    readonly role: string;
}

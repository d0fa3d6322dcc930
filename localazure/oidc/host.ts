/** The local OIDC issuer's host name: `.test` is reserved (RFC 2606), so no real name is shadowed. */
export const LOCAL_ISSUER_HOST = "oidc.local-azure.test";

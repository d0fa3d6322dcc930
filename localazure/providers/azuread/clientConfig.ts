/**
 * The invoke azuread:index/getClientConfig:getClientConfig, after terraform-provider-azuread
 * internal/services/serviceprincipals/client_config_data_source.go: tenant and client ID as the provider was
 * configured, the object ID from the `oid` claim of its Graph token (internal/clients/client.go).
 */
import type { ClientSecretCredential } from "../shared/auth";
import type { PropertyMap } from "../shared/types";

export const GET_CLIENT_CONFIG = "azuread:index/getClientConfig:getClientConfig";

export function clientConfig(credential: ClientSecretCredential, objectId: string): PropertyMap {
    const { tenantId, clientId } = credential;
    return {
        clientId,
        // ClientConfigId.ID(): "%s-%s-%s" of tenant, client and object ID.
        id: `${tenantId}-${clientId}-${objectId}`,
        objectId,
        tenantId,
    };
}

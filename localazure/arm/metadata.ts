/**
 * ARM's cloud metadata document, `GET https://management.azure.com/metadata/endpoints?api-version=...`, which ARM
 * serves without a token: azure-cli reads it for `ARM_CLOUD_METADATA_URL` (azure/cli/core/cloud.py,
 * retrieve_arm_cloud_metadata and _arm_to_cli_mapper name every field read here), as do the Azure SDKs
 * (azure-sdk-for-java's MetadataEndpoint, "based on response of .../metadata/endpoints?api-version=2019-10-01").
 * From api-version 2019-05-01 the answer is the list of clouds; before it, the one cloud ARM belongs to. The
 * local Azure answers AzureCloud's public endpoints: its clients reach them through the proxy.
 */
import type { ArmResult } from "./roleAssignments";

export const METADATA_PATH = /^\/metadata\/endpoints\/?$/i;

export const AZURE_CLOUD: Readonly<Record<string, unknown>> = {
    portal: "https://portal.azure.com",
    authentication: {
        loginEndpoint: "https://login.microsoftonline.com/",
        audiences: ["https://management.core.windows.net/", "https://management.azure.com/"],
        tenant: "common",
        identityProvider: "AAD",
    },
    media: "https://rest.media.azure.net",
    graphAudience: "https://graph.windows.net/",
    graph: "https://graph.windows.net/",
    name: "AzureCloud",
    suffixes: {
        azureDataLakeStoreFileSystem: "azuredatalakestore.net",
        acrLoginServer: "azurecr.io",
        sqlServerHostname: "database.windows.net",
        azureDataLakeAnalyticsCatalogAndJob: "azuredatalakeanalytics.net",
        keyVaultDns: "vault.azure.net",
        storage: "core.windows.net",
        azureFrontDoorEndpointSuffix: "azurefd.net",
        storageSyncEndpointSuffix: "afs.azure.net",
        mhsmDns: "managedhsm.azure.net",
        mysqlServerEndpoint: "mysql.database.azure.com",
        postgresqlServerEndpoint: "postgres.database.azure.com",
        mariadbServerEndpoint: "mariadb.database.azure.com",
        synapseAnalytics: "dev.azuresynapse.net",
        attestationEndpoint: "attest.azure.net",
    },
    batch: "https://batch.core.windows.net/",
    resourceManager: "https://management.azure.com/",
    vmImageAliasDoc: "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
    activeDirectoryDataLake: "https://datalake.azure.net/",
    sqlManagement: "https://management.core.windows.net:8443/",
    microsoftGraphResourceId: "https://graph.microsoft.com/",
    appInsightsResourceId: "https://api.applicationinsights.io",
    appInsightsTelemetryChannelResourceId: "https://dc.applicationinsights.azure.com/v2/track",
    attestationResourceId: "https://attest.azure.net",
    synapseAnalyticsResourceId: "https://dev.azuresynapse.net",
    logAnalyticsResourceId: "https://api.loganalytics.io",
    ossrDbmsResourceId: "https://ossrdbms-aad.database.windows.net",
};

/** No token needed; api-version chooses the shape (none: the older one, as azure-cli's ARM_CLOUD_METADATA_URL may omit it). */
export function cloudMetadata(apiVersion: string | null): ArmResult {
    return { status: 200, body: apiVersion === null || apiVersion < "2019-05-01" ? AZURE_CLOUD : [AZURE_CLOUD] };
}

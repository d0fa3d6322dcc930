// Sign in as the app identity of an env file with @azure/identity, as a Node app would:
//   node --env-file=/etc/inventory-api/azure.env token-check.js
// DefaultAzureCredential reads AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET. The token is never printed.
"use strict";
const { DefaultAzureCredential } = require("@azure/identity");

const STORAGE_SCOPE = "https://storage.azure.com/.default";

new DefaultAzureCredential().getToken(STORAGE_SCOPE).then(
    (token) => {
        console.log(JSON.stringify({ signedIn: true, scope: STORAGE_SCOPE, expiresOn: token.expiresOnTimestamp }));
    },
    (error) => {
        console.error(`sign-in failed: ${error.message}`);
        process.exitCode = 1;
    },
);

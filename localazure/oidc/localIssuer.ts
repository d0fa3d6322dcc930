/**
 * The issuer `npm run local-azure -- --oidc-subject S --oidc-token-file PATH` serves for someone trying federation on
 * the local Azure: `https://oidc.local-azure.test/local`, and one token file it keeps fresh for that subject, with
 * Kubernetes' default lifetime of an hour (ServiceAccountTokenProjection.expirationSeconds), given to the service's
 * user when one is named.
 */
import type { FileOwner } from "../../common/atomicWrite";
import { OidcIssuer } from "./issuer";
import { TokenFile } from "./tokenFile";

export const LOCAL_ISSUER_NAME = "local";
export const LOCAL_TOKEN_LIFETIME_SECONDS = 3600;

export interface LocalIssuerOptions {
    readonly subject: string;
    readonly tokenFile: string;
    readonly owner?: FileOwner;
}

export interface LocalIssuer {
    readonly issuer: OidcIssuer;
    readonly tokens: TokenFile;
}

export async function startLocalIssuer(options: LocalIssuerOptions, now: () => Date = () => new Date()): Promise<LocalIssuer> {
    const issuer = await OidcIssuer.start(LOCAL_ISSUER_NAME, now);
    const tokens = new TokenFile(issuer, {
        path: options.tokenFile, subject: options.subject, lifetimeSeconds: LOCAL_TOKEN_LIFETIME_SECONDS,
        ...(options.owner === undefined ? {} : { owner: options.owner }),
    }, now);
    return { issuer, tokens };
}

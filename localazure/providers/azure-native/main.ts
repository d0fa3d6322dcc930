/** pulumi-resource-azure-native (stand-in): `node -r sucrase/register/ts main.ts` serves it and prints its port. */
import { runPlugin } from "../shared/grpcServer";
import { AzureNativeProvider } from "./provider";

runPlugin(() => new AzureNativeProvider(process.env));
